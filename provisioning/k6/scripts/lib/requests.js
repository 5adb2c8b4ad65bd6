import http from "k6/http";
import { check } from "k6";
import { NOT_FOUND_PATH, endpointName } from "./params.js";

/**
 * GET `${base}${path}`, tagged with the endpoint's `name`, and checked: the deliberate 404 path must
 * answer 404, everything else 2xx.
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
