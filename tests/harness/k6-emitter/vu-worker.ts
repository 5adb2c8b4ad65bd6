import * as fs from "node:fs";
import * as path from "node:path";
import * as vm from "node:vm";
import { receiveMessageOnPort, workerData } from "node:worker_threads";
import { Call, Directive, HttpRequest, HttpResponse, VuEvent, VuWorkerData } from "./protocol";

/**
 * One virtual user: evaluates the script as an ES module (its own init context, as in k6), then
 * runs iterations when the engine says so. The k6 modules the script imports are provided here;
 * their blocking calls (http.*, sleep) block this thread only.
 */

const data = workerData as VuWorkerData;
const flag = new Int32Array(data.flag);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function post(event: VuEvent): void {
  data.port.postMessage(event);
}

function call(message: Call): unknown {
  Atomics.store(flag, 0, 0);
  data.port.postMessage(message);
  Atomics.wait(flag, 0, 0);
  const reply = receiveMessageOnPort(data.port);
  if (!reply) throw new Error("k6obs emitter: the engine woke a VU without a reply");
  return reply.message;
}

const now = (): number => performance.timeOrigin + performance.now();

/** Per-VU execution state that k6/execution exposes. */
const state = {
  scenario: "",
  iterationInScenario: 0,
  iterationInTest: 0,
  iterationInInstance: -1,
  group: "",
  inInit: true,
};

class K6Error extends Error {}

// ---- k6/http -------------------------------------------------------------------------------

interface Params {
  readonly headers?: Record<string, string>;
  readonly tags?: Record<string, string>;
  readonly timeout?: string | number;
}

function timeoutMs(t: string | number | undefined): number {
  if (t === undefined) return 60_000;
  if (typeof t === "number") return t;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(t);
  if (!m) throw new K6Error(`invalid timeout "${t}"`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
}

function request(method: string, url: unknown, body?: unknown, params: Params = {}): unknown {
  if (state.inInit) throw new K6Error("Making http requests in the init context is not supported");
  const req: HttpRequest = {
    method: method.toUpperCase(),
    url: String(url),
    body:
      body === undefined || body === null ? undefined : typeof body === "string" ? body : encodeForm(body),
    headers: { ...params.headers },
    tags: { ...params.tags },
    timeoutMs: timeoutMs(params.timeout),
    group: state.group,
  };
  const res = call({ op: "http", req }) as HttpResponse;
  return {
    ...res,
    json(selector?: string): unknown {
      if (selector !== undefined)
        throw new K6Error("res.json(selector) is not supported by the k6obs emitter");
      return JSON.parse(res.body) as unknown;
    },
  };
}

function encodeForm(body: unknown): string {
  if (typeof body !== "object") return String(body);
  return new URLSearchParams(
    Object.entries(body as Record<string, unknown>).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
}

const http = {
  get: (url: unknown, params?: Params) => request("GET", url, undefined, params),
  head: (url: unknown, params?: Params) => request("HEAD", url, undefined, params),
  options: (url: unknown, body?: unknown, params?: Params) => request("OPTIONS", url, body, params),
  post: (url: unknown, body?: unknown, params?: Params) => request("POST", url, body, params),
  put: (url: unknown, body?: unknown, params?: Params) => request("PUT", url, body, params),
  patch: (url: unknown, body?: unknown, params?: Params) => request("PATCH", url, body, params),
  del: (url: unknown, body?: unknown, params?: Params) => request("DELETE", url, body, params),
  request: (method: string, url: unknown, body?: unknown, params?: Params) =>
    request(method, url, body, params),
};

// ---- k6 ------------------------------------------------------------------------------------

function sleep(seconds: number): void {
  if (seconds > 0) Atomics.wait(sleeper, 0, 0, seconds * 1000);
}

function check(value: unknown, sets: Record<string, unknown>): boolean {
  let all = true;
  for (const [name, predicate] of Object.entries(sets)) {
    let ok: boolean;
    try {
      ok = Boolean(
        typeof predicate === "function" ? (predicate as (v: unknown) => unknown)(value) : predicate,
      );
    } catch {
      ok = false;
    }
    post({ op: "check", name, ok, group: state.group, time: now() });
    all &&= ok;
  }
  return all;
}

function group<T>(name: string, fn: () => T): T {
  if (name === "" || name.includes("::"))
    throw new K6Error(`group and check names may not contain '::' or be empty`);
  const outer = state.group;
  state.group = `${outer}::${name}`;
  const start = now();
  try {
    return fn();
  } finally {
    post({ op: "group", group: state.group, durationMs: now() - start, time: now() });
    state.group = outer;
  }
}

function fail(reason = ""): never {
  throw new K6Error(reason);
}

// ---- k6/execution --------------------------------------------------------------------------

const execution = {
  get vu() {
    return {
      idInTest: data.vuId,
      idInInstance: data.vuId,
      iterationInScenario: state.iterationInScenario,
      iterationInInstance: Math.max(0, state.iterationInInstance),
      tags: {},
      metrics: { tags: {} },
    };
  },
  get scenario() {
    return {
      name: state.scenario,
      iterationInTest: state.iterationInTest,
      iterationInInstance: state.iterationInTest,
    };
  },
  test: {
    abort(reason = "test aborted") {
      post({ op: "abort", reason });
      throw new K6Error(`test aborted: ${reason}`);
    },
  },
};

// ---- k6/metrics ----------------------------------------------------------------------------

function customMetric(type: "counter" | "gauge" | "rate" | "trend") {
  return class {
    readonly name: string;
    readonly isTime: boolean;
    constructor(name: string, isTime = false) {
      if (!state.inInit) throw new K6Error("metrics must be declared in the init context");
      this.name = name;
      this.isTime = isTime;
      post({ op: "metric-declare", name, type, isTime });
    }
    add(value: number | boolean, tags: Record<string, string> = {}): void {
      post({
        op: "metric",
        name: this.name,
        type,
        isTime: this.isTime,
        value: Number(value),
        tags,
        group: state.group,
        time: now(),
      });
    }
  };
}

const MODULES: Record<string, Record<string, unknown>> = {
  k6: { sleep, check, group, fail },
  "k6/http": { ...http, default: http },
  "k6/execution": { default: execution },
  "k6/metrics": {
    Counter: customMetric("counter"),
    Gauge: customMetric("gauge"),
    Rate: customMetric("rate"),
    Trend: customMetric("trend"),
  },
};
MODULES.k6 = { ...MODULES.k6, default: MODULES.k6 };

// ---- module loading ------------------------------------------------------------------------

type VmModule = {
  link(linker: (specifier: string, referrer: { identifier: string }) => Promise<VmModule>): Promise<void>;
  evaluate(): Promise<void>;
  namespace: Record<string, unknown>;
  identifier: string;
};
const { SourceTextModule } = vm as unknown as {
  SourceTextModule: new (code: string, options: { identifier: string; context: vm.Context }) => VmModule;
};

const context = vm.createContext({
  __ENV: { ...data.env },
  __VU: data.vuId,
  __ITER: 0,
  console: {
    log: (...a: unknown[]) => post({ op: "log", level: "info", message: a.map(String).join(" ") }),
    info: (...a: unknown[]) => post({ op: "log", level: "info", message: a.map(String).join(" ") }),
    warn: (...a: unknown[]) => post({ op: "log", level: "warning", message: a.map(String).join(" ") }),
    error: (...a: unknown[]) => post({ op: "log", level: "error", message: a.map(String).join(" ") }),
    debug: () => undefined,
  },
  open(file: string): string {
    if (!state.inInit) throw new K6Error("open() can only be called from the init context");
    return fs.readFileSync(path.resolve(path.dirname(data.script), file), "utf8");
  },
});

// The k6 modules reach the script through this non-enumerable global of its context.
const BUILTINS = "__k6obsBuiltin";
Object.defineProperty(context, BUILTINS, { value: (specifier: string) => MODULES[specifier] });

const cache = new Map<string, VmModule>();

/**
 * A k6 module (k6, k6/http, ...) as a source-text module re-exporting the emitter's object, one
 * instance per specifier as in k6. Not vm.SyntheticModule: Node 20.17+ segfaults now and then in
 * ModuleWrap::SyntheticModuleEvaluationStepsCallback with modules in parallel workers
 * (nodejs/node#54735); the stand-in k6 container died with exit 139 in about 1 run in 12 (measured).
 */
function builtinModule(specifier: string, names: readonly string[]): VmModule {
  const key = `k6obs-builtin:${specifier}`;
  let mod = cache.get(key);
  if (!mod) {
    const lines = [`const m = globalThis.${BUILTINS}(${JSON.stringify(specifier)});`];
    names.forEach((name, i) => {
      lines.push(`const v${i} = m[${JSON.stringify(name)}];`);
      lines.push(`export { v${i} as ${/^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name)} };`);
    });
    mod = new SourceTextModule(lines.join("\n"), { identifier: specifier, context });
    cache.set(key, mod);
  }
  return mod;
}

function load(file: string): VmModule {
  let mod = cache.get(file);
  if (!mod) {
    mod = new SourceTextModule(fs.readFileSync(file, "utf8"), { identifier: file, context });
    cache.set(file, mod);
  }
  return mod;
}

async function linker(specifier: string, referrer: { identifier: string }): Promise<VmModule> {
  const builtin = MODULES[specifier];
  if (builtin) return builtinModule(specifier, Object.keys(builtin));
  if (specifier.startsWith("k6/") || specifier === "k6") {
    throw new K6Error(`module "${specifier}" is not provided by the k6obs emitter`);
  }
  if (!specifier.startsWith(".") && !specifier.startsWith("/")) {
    throw new K6Error(
      `cannot resolve "${specifier}" from ${referrer.identifier}: only relative imports and k6 modules`,
    );
  }
  return load(path.resolve(path.dirname(referrer.identifier), specifier));
}

// ---- the VU loop ---------------------------------------------------------------------------

function runIteration(fn: (data: unknown) => unknown, d: Directive & { do: "iteration" }): void {
  state.scenario = d.scenario;
  state.iterationInScenario = d.iterationInScenario;
  state.iterationInTest = d.iterationInTest;
  state.iterationInInstance += 1;
  (context as { __ITER: number }).__ITER = state.iterationInInstance;
  state.group = "";
  const start = now();
  let error: string | undefined;
  try {
    fn(d.data);
  } catch (err) {
    error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  }
  post({ op: "iteration-end", scenario: d.scenario, durationMs: now() - start, time: now(), error });
}

async function main(): Promise<void> {
  const script = load(data.script);
  try {
    await script.link(linker);
    await script.evaluate();
  } catch (err) {
    post({ op: "init-error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    return;
  }
  const ns = script.namespace;
  const plain = (v: unknown): unknown =>
    v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown);
  post({ op: "init", options: plain(ns.options), exports: Object.keys(ns) });
  state.inInit = false;
  for (;;) {
    const d = call({ op: "next" }) as Directive;
    if (d.do === "exit") return;
    if (d.do === "setup") {
      const result = typeof ns.setup === "function" ? (ns.setup as () => unknown)() : undefined;
      call({ op: "setup-result", data: plain(result) });
    } else if (d.do === "teardown") {
      if (typeof ns.teardown === "function") (ns.teardown as (x: unknown) => unknown)(d.data);
    } else {
      const fn = ns[d.exec];
      if (typeof fn !== "function")
        throw new K6Error(`exec function "${d.exec}" is not exported by the script`);
      runIteration(fn as (x: unknown) => unknown, d);
    }
  }
}

void main();
