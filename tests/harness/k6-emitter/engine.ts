// Longer than 400 lines on purpose: the scheduler (VU pool, executors, graceful stop) and the
// sample tagging read one-to-one against k6's own execution code; split, that reading scatters.
import * as path from "node:path";
import { MessageChannel, MessagePort, Worker } from "node:worker_threads";
import { ERROR_CODES, VuHttpClient } from "./http-client";
import { BUILTIN, Metric, MetricSample } from "./metrics";
import { RemoteWriteOutput } from "./output";
import { Call, Directive, HttpRequest, VuEvent, VuWorkerData } from "./protocol";
import {
  CliOverrides,
  Scenario,
  maxVUs,
  rampingTarget,
  scenarioDurationMs,
  scenariosFrom,
  segmentScenarios,
} from "./scenarios";
import { ExecutionTuple } from "../../../model/segments";
import { Summary } from "./summary";

/** k6's exit codes the emitter uses (errext/exitcodes). */
export const EXIT = {
  ok: 0,
  thresholdsFailed: 99,
  setupTimeout: 100,
  externalAbort: 105,
  scriptException: 107,
  invalidConfig: 104,
  scriptAborted: 108,
} as const;

/** Everything a run needs, from k6's argv and env. */
export interface EngineOptions {
  readonly script: string;
  /** Script env (`__ENV`): the process env plus `-e` pairs. */
  readonly scriptEnv: Readonly<Record<string, string>>;
  /** `--tag` pairs: on every sample. */
  readonly runTags: Readonly<Record<string, string>>;
  /** K6_SYSTEM_TAGS. */
  readonly systemTags: ReadonlySet<string>;
  readonly overrides: CliOverrides;
  /** `--execution-segment` within `--execution-segment-sequence`; omitted: the whole test. */
  readonly segment?: ExecutionTuple;
  readonly output?: RemoteWriteOutput;
  readonly log: (line: string) => void;
}

/** What a finished run reports. */
export interface RunResult {
  readonly exitCode: number;
  readonly summary: Summary;
  readonly durationMs: number;
}

/** A VU: its worker, its channel, and the engine's view of its state. */
interface Vu {
  readonly id: number;
  readonly worker: Worker;
  readonly port: MessagePort;
  readonly flag: Int32Array;
  readonly client: VuHttpClient;
  /** Resolves the VU's pending `next` call. */
  next?: (d: Directive) => void;
  active: boolean;
  exited: boolean;
  iterationInScenario: number;
  bytesSent: number;
  bytesReceived: number;
}

/** Worker entry: the compiled file beside this one, or the TypeScript source run through tsx. */
function spawnWorker(data: Omit<VuWorkerData, "port">, port: MessagePort): Worker {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `vu-worker${ext}`);
  const workerData: VuWorkerData = { ...data, port };
  if (ext === ".ts") {
    const tsx = require.resolve("tsx/cjs");
    return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(file)});`, {
      eval: true,
      workerData,
      transferList: [port],
    });
  }
  return new Worker(file, { workerData, transferList: [port] });
}

/**
 * Runs a k6 script the way k6 run does for the executors it supports: VUs initialised up front,
 * scenarios on their schedules, samples with k6's names and tags to the output and the summary,
 * vus/vus_max every second, thresholds evaluated at the end.
 */
export class Engine {
  private readonly vus: Vu[] = [];
  private summary!: Summary;
  private readonly metrics = new Map<string, Metric>(Object.values(BUILTIN).map((m) => [m.name, m]));
  private startedAt = 0;
  private iterationsInTest = 0;
  private aborted: string | undefined;
  private interrupted = false;
  private wake: (() => void)[] = [];

  constructor(private readonly opts: EngineOptions) {}

  /** Stops scheduling new iterations (SIGINT/SIGTERM): the run ends as k6's does on Ctrl-C. */
  interrupt(): void {
    this.interrupted = true;
    this.wakeAll();
  }

  async run(): Promise<RunResult> {
    const first = this.startVu(1);
    const init = await this.initOf(first);
    if ("error" in init) {
      this.opts.log(`level=error msg="${init.error}"`);
      await this.exitAll();
      return { exitCode: EXIT.scriptException, summary: new Summary(), durationMs: 0 };
    }
    const options = (init.options ?? {}) as Record<string, unknown>;
    let scenarios: Scenario[];
    try {
      scenarios = scenariosFrom(options, this.opts.overrides);
      if (this.opts.segment) scenarios = segmentScenarios(scenarios, this.opts.segment);
      for (const s of scenarios) {
        if (!init.exports.includes(s.exec))
          throw new Error(`scenario ${s.name}: the script exports no function "${s.exec}"`);
      }
      this.summary = new Summary(
        (options.thresholds ?? {}) as Record<string, string[]>,
        (options.summaryTrendStats as string[] | undefined) ?? undefined,
        (name) => this.metrics.get(name),
      );
    } catch (err) {
      this.opts.log(`level=error msg="${err instanceof Error ? err.message : String(err)}"`);
      await this.exitAll();
      return { exitCode: EXIT.invalidConfig, summary: new Summary(), durationMs: 0 };
    }

    const total = scenarios.reduce((sum, s) => sum + maxVUs(s), 0);
    const pools: Vu[][] = [];
    let nextId = 2;
    for (const s of scenarios) {
      const pool: Vu[] = pools.length === 0 ? [first] : [];
      while (pool.length < maxVUs(s)) pool.push(this.startVu(nextId++));
      pools.push(pool);
    }
    const inits = await Promise.all(this.vus.slice(1).map((vu) => this.initOf(vu)));
    const failed = inits.find((r) => "error" in r);
    if (failed && "error" in failed) {
      this.opts.log(`level=error msg="${failed.error}"`);
      await this.exitAll();
      return { exitCode: EXIT.scriptException, summary: this.summary, durationMs: 0 };
    }

    this.startedAt = Date.now();
    this.opts.output?.start();
    const emitVus = (): void => {
      const active = this.vus.filter((v) => v.active).length;
      this.emit([
        this.sample(BUILTIN.vus, this.tags({}), active, Date.now()),
        this.sample(BUILTIN.vusMax, this.tags({}), total, Date.now()),
      ]);
    };
    emitVus();
    const vusTimer = setInterval(emitVus, 1000);

    let setupData: unknown = undefined;
    if (init.exports.includes("setup")) setupData = await this.setup(first);

    await Promise.all(scenarios.map((s, i) => this.runScenario(s, pools[i]!, setupData)));

    if (init.exports.includes("teardown") && !this.interrupted) {
      await this.directive(first, { do: "teardown", data: setupData });
    }
    clearInterval(vusTimer);
    for (const vu of this.vus) vu.active = false;
    emitVus();
    const durationMs = Date.now() - this.startedAt;
    await this.exitAll();
    await this.opts.output?.stop();
    const thresholdsOk = this.summary.evaluate(durationMs);
    const exitCode = this.aborted
      ? EXIT.scriptAborted
      : this.interrupted
        ? EXIT.externalAbort
        : thresholdsOk
          ? EXIT.ok
          : EXIT.thresholdsFailed;
    return { exitCode, summary: this.summary, durationMs };
  }

  private startVu(id: number): Vu {
    const { port1, port2 } = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    const worker = spawnWorker({ script: this.opts.script, vuId: id, env: this.opts.scriptEnv, flag }, port2);
    const vu: Vu = {
      id,
      worker,
      port: port1,
      flag: new Int32Array(flag),
      client: new VuHttpClient(),
      active: false,
      exited: false,
      iterationInScenario: 0,
      bytesSent: 0,
      bytesReceived: 0,
    };
    worker.on("exit", () => {
      vu.exited = true;
      vu.active = false;
      this.wakeAll();
    });
    worker.on("error", (err) => this.opts.log(`level=error msg="VU ${id}: ${err.message}"`));
    port1.on("message", (m: Call | VuEvent) => void this.onMessage(vu, m));
    this.vus.push(vu);
    return vu;
  }

  private initResolvers = new Map<
    number,
    (r: { options: unknown; exports: readonly string[] } | { error: string }) => void
  >();

  private initOf(vu: Vu): Promise<{ options: unknown; exports: readonly string[] } | { error: string }> {
    return new Promise((resolve) => {
      this.initResolvers.set(vu.id, resolve);
      vu.worker.once("exit", () => resolve({ error: `VU ${vu.id} exited during init` }));
    });
  }

  private reply(vu: Vu, message: unknown): void {
    vu.port.postMessage(message);
    Atomics.store(vu.flag, 0, 1);
    Atomics.notify(vu.flag, 0);
  }

  private setupResolver: ((data: unknown) => void) | undefined;

  private async onMessage(vu: Vu, m: Call | VuEvent): Promise<void> {
    switch (m.op) {
      case "init":
        this.initResolvers.get(vu.id)?.({ options: m.options, exports: m.exports });
        return;
      case "init-error":
        this.initResolvers.get(vu.id)?.({ error: `could not initialize the script: ${m.message}` });
        return;
      case "next":
        vu.active = false;
        await new Promise<void>((resolve) => {
          vu.next = (d) => {
            vu.next = undefined;
            this.reply(vu, d);
            resolve();
          };
        });
        return;
      case "setup-result":
        this.reply(vu, null);
        this.setupResolver?.(m.data);
        return;
      case "http":
        this.reply(vu, await this.http(vu, m.req));
        return;
      case "check": {
        const tags = this.tags({ scenario: this.scenarioOf(vu), group: m.group, check: m.name });
        this.emit([this.sample(BUILTIN.checks, tags, m.ok ? 1 : 0, m.time)]);
        this.summary.addCheck(m.group, m.name, m.ok);
        return;
      }
      case "group":
        this.summary.touchGroup(m.group);
        this.emit([
          this.sample(
            BUILTIN.groupDuration,
            this.tags({ scenario: this.scenarioOf(vu), group: m.group }),
            m.durationMs,
            m.time,
          ),
        ]);
        return;
      case "iteration-end": {
        if (m.error !== undefined)
          this.opts.log(`level=error msg="${m.error.split("\n")[0]}" source=stacktrace`);
        const tags = this.tags({ scenario: m.scenario, group: "" });
        this.emit([
          this.sample(BUILTIN.dataSent, tags, vu.bytesSent, m.time),
          this.sample(BUILTIN.dataReceived, tags, vu.bytesReceived, m.time),
          this.sample(BUILTIN.iterationDuration, tags, m.durationMs, m.time),
          this.sample(BUILTIN.iterations, tags, 1, m.time),
        ]);
        vu.bytesSent = 0;
        vu.bytesReceived = 0;
        return;
      }
      case "metric-declare":
        if (!this.metrics.has(m.name))
          this.metrics.set(m.name, { name: m.name, type: m.type, contains: m.isTime ? "time" : "default" });
        return;
      case "metric": {
        const metric = this.metrics.get(m.name) ?? {
          name: m.name,
          type: m.type,
          contains: m.isTime ? "time" : "default",
        };
        const tags = this.tags({ scenario: this.scenarioOf(vu), group: m.group }, m.tags);
        this.emit([this.sample(metric, tags, m.value, m.time)]);
        return;
      }
      case "log":
        this.opts.log(`level=${m.level} msg=${JSON.stringify(m.message)} source=console`);
        return;
      case "abort":
        this.aborted = m.reason;
        this.interrupt();
        return;
    }
  }

  private currentScenario = new Map<number, string>();
  private scenarioOf(vu: Vu): string {
    return this.currentScenario.get(vu.id) ?? "";
  }

  /** Run tags, then the system tags K6_SYSTEM_TAGS keeps, then the script's own tags (always kept). */
  private tags(
    system: Record<string, string>,
    user: Readonly<Record<string, string>> = {},
  ): Record<string, string> {
    const out: Record<string, string> = { ...this.opts.runTags };
    for (const [k, v] of Object.entries(system)) {
      if (this.opts.systemTags.has(k)) out[k] = v;
    }
    return { ...out, ...user };
  }

  private sample(metric: Metric, tags: Record<string, string>, value: number, time: number): MetricSample {
    return { metric, tags, value, time };
  }

  private emit(samples: MetricSample[]): void {
    this.opts.output?.add(samples);
    this.summary?.add(samples);
  }

  private async http(vu: Vu, req: HttpRequest): Promise<unknown> {
    const ex = await vu.client.request(req);
    const res = ex.response;
    vu.bytesSent += ex.bytesSent;
    vu.bytesReceived += ex.bytesReceived;
    const expected = res.status >= 200 && res.status < 400;
    const clean = cleanUrl(req.url);
    // As k6's transport (lib/netext/httpext/transport.go): a script-set `name` also becomes the
    // `url` tag, so URLs never add cardinality once a script names its requests.
    const system: Record<string, string> = {
      scenario: this.scenarioOf(vu),
      group: req.group,
      method: req.method,
      url: req.tags.name ?? clean,
      name: clean,
      status: String(res.status),
      expected_response: String(expected),
    };
    if (res.status !== 0) system.proto = res.proto;
    if (res.error_code !== 0) system.error_code = String(res.error_code);
    // The `error` tag carries transport errors only; an HTTP 4xx/5xx has an error_code and no error.
    if (res.status === 0) system.error = res.error;
    const tags = this.tags(system, req.tags);
    const t = Date.now();
    const tm = res.timings;
    this.emit([
      this.sample(BUILTIN.httpReqs, tags, 1, t),
      this.sample(BUILTIN.httpReqDuration, tags, tm.duration, t),
      this.sample(BUILTIN.httpReqBlocked, tags, tm.blocked, t),
      this.sample(BUILTIN.httpReqConnecting, tags, tm.connecting, t),
      this.sample(BUILTIN.httpReqTLSHandshaking, tags, tm.tls_handshaking, t),
      this.sample(BUILTIN.httpReqSending, tags, tm.sending, t),
      this.sample(BUILTIN.httpReqWaiting, tags, tm.waiting, t),
      this.sample(BUILTIN.httpReqReceiving, tags, tm.receiving, t),
      this.sample(BUILTIN.httpReqFailed, tags, expected ? 0 : 1, t),
    ]);
    if (res.error_code === ERROR_CODES.timeout || res.status === 0) {
      this.opts.log(`level=warning msg="Request Failed" error="${res.error}"`);
    }
    return res;
  }

  private directive(vu: Vu, d: Directive): Promise<void> {
    return new Promise((resolve) => {
      const give = (): void => {
        if (vu.exited) return resolve();
        if (vu.next) {
          vu.next(d);
          resolve();
        } else {
          this.wake.push(give);
        }
      };
      give();
    });
  }

  private wakeAll(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  /** Waits until the VU asks for its next directive (or exits, or `deadline` passes). */
  private waitIdle(vu: Vu, deadline = Infinity): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (vu.exited) return resolve(false);
        if (vu.next) return resolve(true);
        if (Date.now() >= deadline) return resolve(false);
        setTimeout(check, 5);
      };
      check();
    });
  }

  private async setup(vu: Vu): Promise<unknown> {
    const result = new Promise<unknown>((resolve) => (this.setupResolver = resolve));
    await this.waitIdle(vu);
    this.currentScenario.set(vu.id, "");
    vu.next?.({ do: "setup" });
    return result;
  }

  private async runScenario(s: Scenario, pool: Vu[], data: unknown): Promise<void> {
    if (s.startTimeMs > 0) await sleep(s.startTimeMs);
    const start = Date.now();
    const endAt = start + scenarioDurationMs(s);
    const hardStop = endAt + s.gracefulStopMs;
    let shared = 0;
    let inScenario = 0;
    const loop = async (vu: Vu, index: number): Promise<void> => {
      let own = 0;
      for (;;) {
        if (!(await this.waitIdle(vu, hardStop))) return;
        const now = Date.now();
        if (this.interrupted || now >= endAt) return;
        if (s.executor === "ramping-vus" && index >= rampingTarget(s, now - start)) {
          vu.active = false;
          await sleep(20);
          continue;
        }
        if (s.executor === "per-vu-iterations" && own >= s.iterations) return;
        if (s.executor === "shared-iterations" && shared >= s.iterations) return;
        own += 1;
        shared += 1;
        vu.active = true;
        this.currentScenario.set(vu.id, s.name);
        vu.next!({
          do: "iteration",
          scenario: s.name,
          exec: s.exec,
          iterationInScenario: own - 1,
          iterationInTest: inScenario++,
          data,
        });
        this.iterationsInTest += 1;
        // Let the VU pick the directive up before asking whether it is idle again.
        await sleep(0);
      }
    };
    await Promise.all(pool.map((vu, i) => loop(vu, i)));
    // Iterations still running at the hard stop are interrupted, as k6 does after gracefulStop.
    await Promise.all(
      pool.map(async (vu) => {
        if (!(await this.waitIdle(vu, hardStop))) {
          if (!vu.exited) {
            this.opts.log(`level=warning msg="VU ${vu.id}: iteration interrupted after gracefulStop"`);
            await vu.worker.terminate();
          }
        }
        vu.active = false;
      }),
    );
  }

  private async exitAll(): Promise<void> {
    await Promise.all(
      this.vus.map(async (vu) => {
        if (!vu.exited) {
          if (await this.waitIdle(vu, Date.now() + 2000)) vu.next!({ do: "exit" });
          else await vu.worker.terminate();
        }
        vu.client.close();
        vu.port.close();
      }),
    );
  }
}

/** The URL without credentials, as k6's URL.Clean. */
function cleanUrl(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.username === "" && u.password === "") return raw;
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return raw;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
