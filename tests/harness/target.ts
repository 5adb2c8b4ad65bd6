import * as http from "node:http";
import { AddressInfo } from "node:net";

/**
 * A local system under test on 127.0.0.1. It answers the example scripts' default paths (which
 * mirror Prometheus' own API, the dev stack's default target) so the scripts run unmodified:
 * - `/-/healthy`, `/-/ready`, `/api/v1/status/buildinfo`, `/api/v1/labels`, `/api/v1/label/<l>/values`:
 *   always 200;
 * - `/api/v1/query`: 200, except every `failEvery`-th request, answered 503 (the endpoint that
 *   fails a share);
 * - `/items/<n>`, `/users/<n>`, `/search?q=`: 200, extra URLs for the cardinality benchmark;
 * - anything else: 404.
 */
export interface Target {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Requests answered so far, by status code. */
  readonly counts: ReadonlyMap<number, number>;
  /** Distinct values seen of each header named in {@link TargetOptions.recordHeaders} (lower case). */
  readonly headers: ReadonlyMap<string, ReadonlySet<string>>;
  close(): Promise<void>;
}

/** Options of {@link startTarget}. */
export interface TargetOptions {
  /** Every n-th /api/v1/query request fails with 503 (default 10; 0 disables). */
  readonly failEvery?: number;
  /** Milliseconds every response is held back before it is sent (default 0): a slower system under test. */
  readonly delayMs?: number;
  /** Address to listen on (default 127.0.0.1; the e2e suite uses its own engine's bridge address). */
  readonly host?: string;
  /** Header names whose distinct values are kept in {@link Target.headers}. */
  readonly recordHeaders?: readonly string[];
}

export async function startTarget(options: TargetOptions = {}): Promise<Target> {
  const failEvery = options.failEvery ?? 10;
  const delayMs = options.delayMs ?? 0;
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new Error(`startTarget: delayMs must be a number >= 0, got ${String(delayMs)}`);
  }
  const counts = new Map<number, number>();
  const headers = new Map<string, Set<string>>();
  const host = options.host ?? "127.0.0.1";
  let queries = 0;

  const server = http.createServer((req, res) => {
    for (const name of options.recordHeaders ?? []) {
      const value = req.headers[name.toLowerCase()];
      if (typeof value === "string") {
        const seen = headers.get(name.toLowerCase()) ?? new Set<string>();
        headers.set(name.toLowerCase(), seen.add(value));
      }
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    let status = 200;
    let body: unknown;
    if (path === "/-/healthy" || path === "/-/ready") {
      body = "OK\n";
    } else if (path === "/api/v1/status/buildinfo") {
      body = { status: "success", data: { version: "k6obs-target" } };
    } else if (path === "/api/v1/labels" || /^\/api\/v1\/label\/[^/]+\/values$/.test(path)) {
      body = { status: "success", data: ["__name__", "job"] };
    } else if (path === "/api/v1/query") {
      queries += 1;
      if (failEvery > 0 && queries % failEvery === 0) {
        status = 503;
        body = { status: "error", error: "deliberate failure" };
      } else {
        body = { status: "success", data: { resultType: "vector", result: [] } };
      }
    } else if (/^\/(items|users)\/\d+$/.test(path) || path === "/search") {
      body = { status: "success", data: path };
    } else {
      status = 404;
      body = "404 page not found\n";
    }
    counts.set(status, (counts.get(status) ?? 0) + 1);
    const text = typeof body === "string" ? body : JSON.stringify(body);
    const send = (): void => {
      res.writeHead(status, {
        "content-type": typeof body === "string" ? "text/plain" : "application/json",
        "content-length": Buffer.byteLength(text),
      });
      res.end(text);
    };
    if (delayMs > 0) {
      setTimeout(send, delayMs);
    } else {
      send();
    }
  });
  server.keepAliveTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    counts,
    headers,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
