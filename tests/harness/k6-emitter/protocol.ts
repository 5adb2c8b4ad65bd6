import type { MessagePort } from "node:worker_threads";

/**
 * Messages between the engine (main thread) and a VU (worker thread). A VU runs the script
 * synchronously, as k6's VUs do: a blocking call posts a {@link Call} and waits on a shared flag
 * until the engine has posted the {@link Reply}; events are posted without waiting.
 */

/** An HTTP request as the script made it (k6/http). */
export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly body?: string;
  readonly headers: Readonly<Record<string, string>>;
  /** User tags from params.tags (override system tags such as `name`). */
  readonly tags: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Current group path (`""` at the root, `::a::b` inside groups). */
  readonly group: string;
}

/** The response a script sees (k6/http Response, the parts the emitter fills). */
export interface HttpResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly url: string;
  readonly proto: string;
  readonly error: string;
  readonly error_code: number;
  readonly timings: {
    readonly duration: number;
    readonly blocked: number;
    readonly connecting: number;
    readonly tls_handshaking: number;
    readonly sending: number;
    readonly waiting: number;
    readonly receiving: number;
  };
}

/** What the engine tells a VU to do next. */
export type Directive =
  | { readonly do: "setup" }
  | {
      readonly do: "iteration";
      readonly scenario: string;
      readonly exec: string;
      readonly iterationInScenario: number;
      readonly iterationInTest: number;
      readonly data: unknown;
    }
  | { readonly do: "teardown"; readonly data: unknown }
  | { readonly do: "exit" };

/** Blocking calls. */
export type Call =
  | { readonly op: "next" }
  | { readonly op: "http"; readonly req: HttpRequest }
  | { readonly op: "setup-result"; readonly data: unknown };

/** Events a VU posts without waiting. */
export type VuEvent =
  | { readonly op: "init"; readonly options: unknown; readonly exports: readonly string[] }
  | { readonly op: "init-error"; readonly message: string }
  | {
      readonly op: "check";
      readonly name: string;
      readonly ok: boolean;
      readonly group: string;
      readonly time: number;
    }
  | { readonly op: "group"; readonly group: string; readonly durationMs: number; readonly time: number }
  | {
      readonly op: "iteration-end";
      readonly scenario: string;
      readonly durationMs: number;
      readonly time: number;
      readonly error?: string;
    }
  | {
      readonly op: "metric";
      readonly name: string;
      readonly type: "counter" | "gauge" | "rate" | "trend";
      readonly isTime: boolean;
      readonly value: number;
      readonly tags: Readonly<Record<string, string>>;
      readonly group: string;
      readonly time: number;
    }
  | {
      readonly op: "metric-declare";
      readonly name: string;
      readonly type: "counter" | "gauge" | "rate" | "trend";
      readonly isTime: boolean;
    }
  | { readonly op: "log"; readonly level: string; readonly message: string }
  | { readonly op: "abort"; readonly reason: string };

/** Data a VU worker starts with. */
export interface VuWorkerData {
  readonly script: string;
  readonly vuId: number;
  readonly env: Readonly<Record<string, string>>;
  readonly flag: SharedArrayBuffer;
  readonly port: MessagePort;
}
