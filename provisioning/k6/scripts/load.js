// Load test: ramps up to VUS, holds, ramps down, over DURATION. Several URLs per endpoint, grouped
// by the `name` tag (query strings and numeric ids are dropped), so series stay per endpoint.
//
// Env: TARGET_URL (base URL, set by the stack), PATHS (comma-separated), VUS (10), DURATION (2m:
// a quarter ramping up, half holding, a quarter ramping down), SLEEP (0.5), NOT_FOUND_EVERY (10),
// MAX_FAILURE_RATE (0.05), P95_MS (500), MIN_CHECK_RATE (0.95).
//
// The default paths exist on Prometheus, the dev stack's default target.
import {
  durationParam,
  durationSeconds,
  intParam,
  numberParam,
  paths,
  targetUrl,
  thresholds,
} from "./lib/params.js";
import { visitAll } from "./lib/requests.js";

const BASE = targetUrl();
const PATHS = paths([
  "/-/healthy",
  "/-/ready",
  "/api/v1/status/buildinfo",
  "/api/v1/query?query=up",
  "/api/v1/query?query=vector(1)",
  "/api/v1/query?query=time()",
  "/api/v1/labels",
]);
const NOT_FOUND_EVERY = intParam("NOT_FOUND_EVERY", 10);
const SLEEP = numberParam("SLEEP", 0.5);
const VUS = Math.max(1, intParam("VUS", 10));
const DURATION = durationParam("DURATION", "2m");

function stages() {
  const total = durationSeconds(DURATION, "DURATION");
  const ramp = Math.max(1, Math.round(total / 4));
  const hold = Math.max(1, Math.round(total - 2 * ramp));
  return [
    { duration: `${ramp}s`, target: VUS },
    { duration: `${hold}s`, target: VUS },
    { duration: `${ramp}s`, target: 0 },
  ];
}

/** @type {import("k6/options").Options} */
export const options = {
  scenarios: {
    load: { executor: "ramping-vus", startVUs: 1, stages: stages(), gracefulRampDown: "5s" },
  },
  thresholds: thresholds(),
};

export default function () {
  visitAll(BASE, PATHS, NOT_FOUND_EVERY, SLEEP);
}
