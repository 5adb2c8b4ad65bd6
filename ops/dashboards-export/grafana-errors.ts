/** The errors the Grafana client throws, and what Grafana's error bodies say. */
import { isObject } from "../lib/json";

/** Why a request to Grafana failed; the message says what to do about it. */
export type GrafanaErrorKind =
  "unauthorized" | "forbidden" | "not-found" | "not-acceptable" | "unreachable" | "http" | "invalid-response";

/** A failed request to Grafana, with its kind and HTTP status. */
export class GrafanaApiError extends Error {
  constructor(
    message: string,
    readonly kind: GrafanaErrorKind,
    readonly status?: number,
    /** Grafana's own error message, when it sent one. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = "GrafanaApiError";
  }
}

/** Network errors that mean "nothing answered at that address". */
export const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "ETIMEDOUT",
]);

/** Grafana's error bodies are `{"message": "..."}` (plus messageId/statusCode in newer versions). */
export function grafanaMessage(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isObject(parsed) && typeof parsed.message === "string") {
      return parsed.message;
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.trim().slice(0, 200);
}
