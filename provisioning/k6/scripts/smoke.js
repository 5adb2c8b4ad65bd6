// Smoke test: a few VUs for about 30 seconds against every path once per iteration.
//
// Env: TARGET_URL (base URL, set by the stack), PATHS (comma-separated), VUS (2), DURATION (30s),
// SLEEP (1, seconds between iterations), NOT_FOUND_EVERY (10: every 10th iteration of each VU also
// requests a missing path, a deliberate failure share; 0 disables), MAX_FAILURE_RATE (0.05),
// P95_MS (500), MIN_CHECK_RATE (0.95).
//
// The default paths exist on Prometheus, the dev stack's default target.
import { durationParam, intParam, numberParam, paths, targetUrl, thresholds } from "./lib/params.js";
import { visitAll } from "./lib/requests.js";

const BASE = targetUrl();
const PATHS = paths(["/-/healthy", "/-/ready", "/api/v1/status/buildinfo", "/api/v1/query?query=up"]);
const NOT_FOUND_EVERY = intParam("NOT_FOUND_EVERY", 10);
const SLEEP = numberParam("SLEEP", 1);

/** @type {import("k6/options").Options} */
export const options = {
  vus: intParam("VUS", 2),
  duration: durationParam("DURATION", "30s"),
  thresholds: thresholds(),
};

export default function () {
  visitAll(BASE, PATHS, NOT_FOUND_EVERY, SLEEP);
}
