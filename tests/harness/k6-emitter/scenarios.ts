import { ExecutionTuple } from "../../../model/segments";
import { parseGoDuration } from "./output";

/** The executors the emitter runs (k6 has more; the others are refused by name). */
export type Scenario =
  | {
      readonly name: string;
      readonly executor: "constant-vus";
      readonly exec: string;
      readonly startTimeMs: number;
      readonly gracefulStopMs: number;
      readonly vus: number;
      readonly durationMs: number;
    }
  | {
      readonly name: string;
      readonly executor: "ramping-vus";
      readonly exec: string;
      readonly startTimeMs: number;
      readonly gracefulStopMs: number;
      readonly startVUs: number;
      readonly stages: readonly { readonly durationMs: number; readonly target: number }[];
      readonly gracefulRampDownMs: number;
      /** This process' execution segment: VU targets are its share of the stages' targets. */
      readonly segment?: ExecutionTuple;
    }
  | {
      readonly name: string;
      readonly executor: "per-vu-iterations" | "shared-iterations";
      readonly exec: string;
      readonly startTimeMs: number;
      readonly gracefulStopMs: number;
      readonly vus: number;
      readonly iterations: number;
      readonly maxDurationMs: number;
    };

/** Options from the command line that override the script's (k6's precedence: CLI > script). */
export interface CliOverrides {
  readonly vus?: number;
  readonly durationMs?: number;
  readonly iterations?: number;
}

type Raw = Record<string, unknown>;

const dur = (v: unknown, key: string, fallback: string): number =>
  parseGoDuration(typeof v === "number" ? `${v}ms` : String(v ?? fallback), key);
const int = (v: unknown, key: string, fallback: number): number => {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${key}: ${JSON.stringify(v)} is not a non-negative integer`);
  return n;
};

/**
 * The scenarios a script's `options` describe, with k6's shortcuts (`vus`/`duration`,
 * `iterations`, `stages`) mapped to the `default` scenario and k6's defaults for the rest.
 */
export function scenariosFrom(options: Raw | undefined, cli: CliOverrides = {}): Scenario[] {
  const o = options ?? {};
  const vusOpt = cli.vus ?? (o.vus as number | undefined);
  const durationMs =
    cli.durationMs ?? (o.duration === undefined ? undefined : dur(o.duration, "duration", "0s"));
  const iterations = cli.iterations ?? (o.iterations as number | undefined);
  const hasShortcut =
    vusOpt !== undefined || durationMs !== undefined || iterations !== undefined || o.stages !== undefined;
  if (o.scenarios !== undefined && !hasShortcut) {
    return Object.entries(o.scenarios as Record<string, Raw>).map(([name, s]) => scenario(name, s));
  }
  const base = { name: "default", exec: "default", startTimeMs: 0, gracefulStopMs: 30_000 };
  if (Array.isArray(o.stages) && cli.durationMs === undefined && cli.iterations === undefined) {
    return [scenario("default", { executor: "ramping-vus", startVUs: vusOpt ?? 1, stages: o.stages })];
  }
  const vus = int(vusOpt ?? 1, "vus", 1);
  if (iterations !== undefined) {
    return [
      {
        ...base,
        executor: "shared-iterations",
        vus,
        iterations: int(iterations, "iterations", 1),
        maxDurationMs: durationMs ?? 600_000,
      },
    ];
  }
  if (durationMs !== undefined && durationMs > 0) {
    return [{ ...base, executor: "constant-vus", vus, durationMs }];
  }
  return [{ ...base, executor: "per-vu-iterations", vus, iterations: 1, maxDurationMs: 600_000 }];
}

function scenario(name: string, s: Raw): Scenario {
  const key = (k: string): string => `scenarios.${name}.${k}`;
  const base = {
    name,
    exec: typeof s.exec === "string" ? s.exec : "default",
    startTimeMs: dur(s.startTime, key("startTime"), "0s"),
    gracefulStopMs: dur(s.gracefulStop, key("gracefulStop"), "30s"),
  };
  switch (s.executor) {
    case "constant-vus":
      return {
        ...base,
        executor: "constant-vus",
        vus: int(s.vus, key("vus"), 1),
        durationMs: dur(s.duration, key("duration"), ""),
      };
    case "ramping-vus":
      return {
        ...base,
        executor: "ramping-vus",
        startVUs: int(s.startVUs, key("startVUs"), 1),
        gracefulRampDownMs: dur(s.gracefulRampDown, key("gracefulRampDown"), "30s"),
        stages: ((s.stages as Raw[] | undefined) ?? []).map((st, i) => ({
          durationMs: dur(st.duration, key(`stages[${i}].duration`), ""),
          target: int(st.target, key(`stages[${i}].target`), 0),
        })),
      };
    case "per-vu-iterations":
    case "shared-iterations":
      return {
        ...base,
        executor: s.executor,
        vus: int(s.vus, key("vus"), 1),
        iterations: int(s.iterations, key("iterations"), 1),
        maxDurationMs: dur(s.maxDuration, key("maxDuration"), "10m"),
      };
    default:
      throw new Error(
        `${key("executor")}: "${String(s.executor)}" is not run by the k6obs emitter (constant-vus, ramping-vus, per-vu-iterations, shared-iterations)`,
      );
  }
}

/** VUs a scenario needs at most (k6 initialises them all before the test starts). */
export function maxVUs(s: Scenario): number {
  if (s.executor === "ramping-vus") {
    const max = Math.max(s.startVUs, ...s.stages.map((st) => st.target));
    return Math.max(s.segment ? s.segment.vus(max) : max, 1);
  }
  return Math.max(s.vus, 1);
}

/**
 * The scenarios one k6 process runs for its execution segment, scaled as k6's executors do
 * (lib/executor): VUs of every executor are the tuple's share (`GetVUs`: ExecutionTuple.ScaleInt64),
 * ramping-vus targets at every instant likewise, per-vu-iterations keep their per-VU count,
 * shared-iterations split their iterations over the sequence re-cut by the VUs
 * (`GetIterations`: GetNewExecutionTupleFromValue(vus).ScaleInt64). Scenarios without work for
 * the segment (`HasWork` false, e.g. 1 VU split in two) are dropped, as k6 drops them.
 */
export function segmentScenarios(scenarios: readonly Scenario[], segment: ExecutionTuple): Scenario[] {
  const scaled = scenarios.map((s): Scenario => {
    switch (s.executor) {
      case "constant-vus":
      case "per-vu-iterations":
        return { ...s, vus: segment.vus(s.vus) };
      case "shared-iterations":
        return { ...s, vus: segment.vus(s.vus), iterations: segment.sharedIterations(s.vus, s.iterations) };
      case "ramping-vus":
        return { ...s, segment };
    }
  });
  return scaled.filter((s) => {
    switch (s.executor) {
      case "constant-vus":
        return s.vus > 0 && s.durationMs > 0;
      case "per-vu-iterations":
      case "shared-iterations":
        return s.vus > 0 && s.iterations > 0;
      case "ramping-vus":
        return segment.vus(Math.max(s.startVUs, ...s.stages.map((st) => st.target))) > 0;
    }
  });
}

/** Length of a scenario's active part (ms), before graceful stop. */
export function scenarioDurationMs(s: Scenario): number {
  switch (s.executor) {
    case "constant-vus":
      return s.durationMs;
    case "ramping-vus":
      return s.stages.reduce((sum, st) => sum + st.durationMs, 0);
    default:
      return s.maxDurationMs;
  }
}

/**
 * Target VUs of a ramping-vus scenario `t` ms after its start: linear between stage targets; with
 * an execution segment, the segment's share of that target (k6 steps its segmented VU index along
 * the unscaled ramp, getRawExecutionSteps).
 */
export function rampingTarget(s: Scenario & { executor: "ramping-vus" }, t: number): number {
  const whole = unsegmentedRampingTarget(s, t);
  return s.segment ? s.segment.vus(whole) : whole;
}

function unsegmentedRampingTarget(s: Scenario & { executor: "ramping-vus" }, t: number): number {
  let from = s.startVUs;
  let at = 0;
  for (const st of s.stages) {
    if (t < at + st.durationMs) {
      const f = st.durationMs > 0 ? (t - at) / st.durationMs : 1;
      const v = from + (st.target - from) * f;
      return st.target >= from ? Math.floor(v) : Math.ceil(v);
    }
    at += st.durationMs;
    from = st.target;
  }
  return from;
}
