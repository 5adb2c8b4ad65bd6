import * as http from "node:http";
import * as https from "node:https";
import { HttpRequest, HttpResponse } from "./protocol";

/** k6 error codes for the failures the emitter can tell apart (k6 docs, "Error codes"). */
export const ERROR_CODES = {
  generic: 1000,
  timeout: 1050,
  dnsNotFound: 1101,
  dialTimeout: 1211,
  connectionRefused: 1212,
  connectionReset: 1220,
} as const;

/** A response plus the byte counts k6 books as data_sent / data_received. */
export interface Exchange {
  readonly response: HttpResponse;
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

/**
 * One VU's HTTP client: keep-alive connections reused across iterations (k6's default), and the
 * phases k6 reports measured on the socket: blocked (waiting for a socket), connecting (TCP),
 * TLS, sending (until the request is written), waiting (until the first response byte) and
 * receiving (until the body is read). duration = sending + waiting + receiving, as in k6.
 */
export class VuHttpClient {
  private readonly agents = {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({ keepAlive: true }),
  };

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  request(req: HttpRequest): Promise<Exchange> {
    const started = performance.now();
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      return Promise.resolve(failure(req, 1020, `invalid URL "${req.url}"`, started));
    }
    const isHttps = url.protocol === "https:";
    if (!isHttps && url.protocol !== "http:") {
      return Promise.resolve(failure(req, 1000, `unsupported protocol scheme "${url.protocol}"`, started));
    }
    const lib = isHttps ? https : http;
    return new Promise<Exchange>((resolve) => {
      let socketAt = started;
      let connectedAt: number | undefined;
      let secureAt: number | undefined;
      let sentAt: number | undefined;
      let firstByteAt: number | undefined;
      let writtenBefore = 0;
      let readBefore = 0;
      let socketRef: import("node:net").Socket | undefined;
      const body = req.body === undefined ? undefined : Buffer.from(req.body);
      const headers: Record<string, string> = { "User-Agent": "k6/1.8.1 (https://k6.io/)", ...req.headers };
      if (body) headers["Content-Length"] = String(body.length);
      const r = lib.request(url, {
        method: req.method,
        headers,
        agent: isHttps ? this.agents.https : this.agents.http,
      });
      const done = (exchange: Exchange): void => {
        clearTimeout(timer);
        resolve(exchange);
      };
      const timer = setTimeout(() => {
        r.destroy(new Error("request timeout"));
      }, req.timeoutMs);
      r.on("socket", (socket) => {
        socketRef = socket;
        socketAt = performance.now();
        writtenBefore = socket.bytesWritten;
        readBefore = socket.bytesRead;
        if (socket.connecting) {
          socket.once("connect", () => (connectedAt = performance.now()));
          if (isHttps) socket.once("secureConnect", () => (secureAt = performance.now()));
        }
      });
      r.on("finish", () => (sentAt = performance.now()));
      r.on("response", (res) => {
        firstByteAt = performance.now();
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const end = performance.now();
          const sendStart = secureAt ?? connectedAt ?? socketAt;
          const sending = Math.max(0, (sentAt ?? firstByteAt!) - sendStart);
          const waiting = Math.max(0, firstByteAt! - (sentAt ?? sendStart));
          const receiving = end - firstByteAt!;
          const status = res.statusCode ?? 0;
          const resHeaders: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) resHeaders[canonicalHeader(k)] = Array.isArray(v) ? v.join(", ") : v;
          }
          done({
            response: {
              status,
              body: Buffer.concat(chunks).toString("utf8"),
              headers: resHeaders,
              url: req.url,
              proto: `HTTP/${res.httpVersion}`,
              error: status >= 400 ? `${status} ${res.statusMessage ?? ""}`.trim() : "",
              error_code: status >= 400 ? 1000 + status : 0,
              timings: {
                duration: sending + waiting + receiving,
                blocked: socketAt - started,
                connecting: connectedAt === undefined ? 0 : connectedAt - socketAt,
                tls_handshaking:
                  secureAt === undefined || connectedAt === undefined ? 0 : secureAt - connectedAt,
                sending,
                waiting,
                receiving,
              },
            },
            bytesSent: socketRef ? socketRef.bytesWritten - writtenBefore : 0,
            bytesReceived: socketRef ? socketRef.bytesRead - readBefore : 0,
          });
        });
        res.on("error", (err) => done(failure(req, ERROR_CODES.connectionReset, err.message, started)));
      });
      r.on("error", (err: NodeJS.ErrnoException) => {
        const code =
          err.message === "request timeout"
            ? ERROR_CODES.timeout
            : err.code === "ECONNREFUSED"
              ? ERROR_CODES.connectionRefused
              : err.code === "ENOTFOUND" || err.code === "EAI_AGAIN"
                ? ERROR_CODES.dnsNotFound
                : err.code === "ECONNRESET"
                  ? ERROR_CODES.connectionReset
                  : ERROR_CODES.generic;
        done(failure(req, code, err.message, started));
      });
      r.end(body);
    });
  }
}

function canonicalHeader(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase());
}

function failure(req: HttpRequest, code: number, message: string, started: number): Exchange {
  return {
    response: {
      status: 0,
      body: "",
      headers: {},
      url: req.url,
      proto: "",
      error: message,
      error_code: code,
      timings: {
        duration: 0,
        blocked: performance.now() - started,
        connecting: 0,
        tls_handshaking: 0,
        sending: 0,
        waiting: 0,
        receiving: 0,
      },
    },
    bytesSent: 0,
    bytesReceived: 0,
  };
}
