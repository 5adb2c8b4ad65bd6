// An API that needs a token: every request carries API_TOKEN, a secret set with
// `pulumi config set --secret --path 'k6SecretEnv.API_TOKEN' <token>`. The stack delivers it (and a
// secret k6TargetUrl such as https://user:pass@host, whose credentials k6 sends as basic auth) in a
// secret file, never as a container env var; the script reads __ENV as usual.
//
// Env: TARGET_URL (base URL, set by the stack), API_TOKEN (required, from k6SecretEnv),
// AUTH_HEADER (Authorization: sends "Bearer <token>"; any other header gets the token as it is),
// PATHS (comma-separated), VUS (2), DURATION (30s), SLEEP (1), MAX_FAILURE_RATE (0.05),
// P95_MS (500), MIN_CHECK_RATE (0.95).
import http from "k6/http";
import { check, sleep } from "k6";
import {
  durationParam,
  endpointName,
  intParam,
  numberParam,
  paths,
  targetUrl,
  thresholds,
} from "./lib/params.js";

const BASE = targetUrl();
const PATHS = paths(["/-/healthy", "/api/v1/status/buildinfo"]);
const SLEEP = numberParam("SLEEP", 1);
const TOKEN = __ENV.API_TOKEN || "";
if (TOKEN === "") {
  throw new Error(
    "API_TOKEN is empty: set it with pulumi config set --secret --path 'k6SecretEnv.API_TOKEN' <token>",
  );
}
const HEADER = __ENV.AUTH_HEADER || "Authorization";
const HEADERS = { [HEADER]: HEADER.toLowerCase() === "authorization" ? `Bearer ${TOKEN}` : TOKEN };

/** @type {import("k6/options").Options} */
export const options = {
  vus: intParam("VUS", 2),
  duration: durationParam("DURATION", "30s"),
  thresholds: thresholds(),
};

export default function () {
  for (const path of PATHS) {
    const res = http.get(`${BASE}${path}`, { headers: HEADERS, tags: { name: endpointName(path) } });
    check(res, { "status is 2xx": (r) => r.status >= 200 && r.status < 300 });
  }
  sleep(SLEEP);
}
