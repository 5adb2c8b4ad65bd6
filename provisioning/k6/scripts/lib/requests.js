import http from "k6/http";
import { check, sleep } from "k6";
import exec from "k6/execution";
import { NOT_FOUND_PATH, endpointName } from "./params.js";

/**
 * GET `${base}${path}`, tagged with the endpoint's `name`, and checked: the deliberate 404 path must
 * answer 404, everything else 2xx.
 * @param {string} base
 * @param {string} path
 */
export function get(base, path) {
  const res = http.get(`${base}${path}`, { tags: { name: endpointName(path) } });
  if (path === NOT_FOUND_PATH) {
    check(res, { "missing path answers 404": (r) => r.status === 404 });
  } else {
    check(res, { "status is 2xx": (r) => r.status >= 200 && r.status < 300 });
  }
  return res;
}

/**
 * One iteration of the example scripts: every path once; every `notFoundEvery`-th iteration of a
 * VU also the deliberately missing path (a failure share for the dashboards; 0 disables); a pause.
 * @param {string} base
 * @param {string[]} paths
 * @param {number} notFoundEvery
 * @param {number} pauseSeconds
 */
export function visitAll(base, paths, notFoundEvery, pauseSeconds) {
  for (const path of paths) {
    get(base, path);
  }
  if (notFoundEvery > 0 && exec.vu.iterationInScenario % notFoundEvery === notFoundEvery - 1) {
    get(base, NOT_FOUND_PATH);
  }
  sleep(pauseSeconds);
}
