// Cardinality benchmark: 20 distinct URLs (10 items, 5 users, 5 searches) per iteration.
// NAME_TAGS=off requests them the way a first k6 script does (no name tag: k6 then tags every
// request with its full URL); otherwise through the example scripts' get(), which tags each request
// with its endpoint (/items/:id, /users/:id, /search).
import http from "k6/http";
import { check, sleep } from "k6";
import { get } from "../../provisioning/k6/scripts/lib/requests.js";

const BASE = (__ENV.TARGET_URL || "").replace(/\/+$/, "");
const NAMED = __ENV.NAME_TAGS !== "off";
const URLS = [
  ...Array.from({ length: 10 }, (_, i) => `/items/${i + 1}`),
  ...Array.from({ length: 5 }, (_, i) => `/users/${i + 1}`),
  ...["a", "b", "c", "d", "e"].map((q) => `/search?q=${q}`),
];

export const options = { vus: 2, duration: __ENV.DURATION || "15s" };

export default function () {
  for (const path of URLS) {
    if (NAMED) {
      get(BASE, path);
    } else {
      const res = http.get(`${BASE}${path}`);
      check(res, { "status is 2xx": (r) => r.status >= 200 && r.status < 300 });
    }
  }
  sleep(0.2);
}
