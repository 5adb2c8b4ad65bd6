import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { EXIT, Engine } from "./engine";
import { systemTags } from "./metrics";
import { RemoteWriteOutput, parseGoDuration, remoteWriteConfig } from "./output";
import { renderReport, reportFile } from "./report";
import { Summary } from "./summary";
import { argvFile } from "./argv-file";
import {
  ExecutionTuple,
  parseSegment,
  parseSequence,
  segmentString,
  sequenceString,
} from "../../../model/segments";

/** What the emitter says it is, wherever it introduces itself: it is a stand-in, not k6. */
export const IDENTITY =
  "k6obs-emitter: a k6-compatible test stand-in (not k6), emulating k6 v1.8.1's `k6 run` and experimental-prometheus-rw output";

const OUTPUT = "experimental-prometheus-rw";

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: cli.ts run [--out ${OUTPUT}] [--tag k=v]... [-e K=V]... [--summary-export FILE] [--vus N] [--duration D] [--iterations N] [--execution-segment S] [--execution-segment-sequence Q] [--quiet] SCRIPT\n`,
  );
  process.exit(EXIT.invalidConfig);
}

function pairs(values: readonly string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const at = v.indexOf("=");
    if (at < 1) usage(`${flag} ${v}: expected key=value`);
    out[v.slice(0, at)] = v.slice(at + 1);
  }
  return out;
}

/** k6's execution tuple from `--execution-segment(-sequence)` or K6_EXECUTION_SEGMENT(_SEQUENCE). */
function executionTuple(
  segment: string | undefined,
  sequence: string | undefined,
): ExecutionTuple | undefined {
  if (segment === undefined && sequence === undefined) return undefined;
  return new ExecutionTuple(parseSegment(segment ?? ""), parseSequence(sequence ?? ""));
}

function textSummary(summary: Summary, durationMs: number): string {
  const doc = summary.exportJson(durationMs) as { metrics: Record<string, Record<string, unknown>> };
  const lines = Object.keys(doc.metrics)
    .sort()
    .map((name) => {
      const v = doc.metrics[name]!;
      const shown = Object.entries(v)
        .filter(([k]) => k !== "thresholds")
        .map(([k, x]) => `${k}=${typeof x === "number" ? Number(x.toFixed(4)) : String(x)}`)
        .join(" ");
      return `     ${name.padEnd(28, ".")}: ${shown}`;
    });
  const th = summary.thresholds().map((t) => `     ${t.failed ? "✗" : "✓"} ${t.metric}: ${t.source}`);
  return ["", "  THRESHOLDS", ...th, "", "  METRICS", ...lines, ""].join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "version") {
    process.stdout.write(`${IDENTITY}\n`);
    return 0;
  }
  if (command !== "run") usage(`unknown command ${JSON.stringify(command ?? "")}: only "run" and "version"`);
  const { values, positionals } = parseArgs({
    args: [...rest],
    allowPositionals: true,
    options: {
      out: { type: "string", short: "o", multiple: true },
      tag: { type: "string", multiple: true },
      env: { type: "string", short: "e", multiple: true },
      "summary-export": { type: "string" },
      vus: { type: "string", short: "u" },
      duration: { type: "string", short: "d" },
      iterations: { type: "string", short: "i" },
      "execution-segment": { type: "string" },
      "execution-segment-sequence": { type: "string" },
      quiet: { type: "boolean", short: "q" },
      "no-summary": { type: "boolean" },
      "no-usage-report": { type: "boolean" },
    },
  });
  if (positionals.length !== 1) usage("exactly one script is needed");
  const script = path.resolve(positionals[0]!);
  if (!fs.existsSync(script)) {
    process.stderr.write(
      `level=error msg="The moduleSpecifier \\"${positionals[0]}\\" couldn't be found on local disk."\n`,
    );
    return EXIT.scriptException;
  }
  const env = process.env as Record<string, string>;
  const log = (line: string): void =>
    void process.stderr.write(`time="${new Date().toISOString()}" ${line}\n`);
  process.stderr.write(`${IDENTITY}\nk6obs-emitter: argv ${JSON.stringify(argv)}\n`);
  let segment: ExecutionTuple | undefined;
  try {
    segment = executionTuple(
      values["execution-segment"] ?? env.K6_EXECUTION_SEGMENT,
      values["execution-segment-sequence"] ?? env.K6_EXECUTION_SEGMENT_SEQUENCE,
    );
  } catch (err) {
    log(`level=error msg="${err instanceof Error ? err.message : String(err)}"`);
    return EXIT.invalidConfig;
  }
  const argvOut = argvFile(env, values["summary-export"] ?? env.K6_SUMMARY_EXPORT);
  if (argvOut !== undefined) {
    const recorded = {
      identity: IDENTITY,
      argv,
      segment: segment ? segmentString(segment.segment) : null,
      sequence: segment ? sequenceString(segment.sequence.segments) : null,
    };
    fs.writeFileSync(argvOut, `${JSON.stringify(recorded, null, 2)}\n`);
  }

  let output: RemoteWriteOutput | undefined;
  let tags: ReadonlySet<string>;
  const outs = values.out ?? [];
  try {
    for (const o of outs) {
      if (o !== OUTPUT) throw new Error(`--out ${o}: the emitter has only the ${OUTPUT} output`);
    }
    if (outs.length > 0) output = new RemoteWriteOutput(remoteWriteConfig(env), log);
    tags = systemTags(env.K6_SYSTEM_TAGS);
  } catch (err) {
    log(`level=error msg="${err instanceof Error ? err.message : String(err)}"`);
    return EXIT.invalidConfig;
  }
  const int = (v: string | undefined, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) usage(`${flag} ${v}: not a non-negative integer`);
    return n;
  };
  const engine = new Engine({
    script,
    scriptEnv: { ...env, ...pairs(values.env, "--env") },
    runTags: pairs(values.tag, "--tag"),
    systemTags: tags,
    overrides: {
      vus: int(values.vus, "--vus"),
      durationMs: values.duration === undefined ? undefined : parseGoDuration(values.duration, "--duration"),
      iterations: int(values.iterations, "--iterations"),
    },
    segment,
    output,
    log,
  });
  if (output) process.stdout.write(`     output: Prometheus remote write (${output.config.url})\n`);
  if (segment) {
    const seg = segment.segment;
    const share =
      (Number(seg.to.num) / Number(seg.to.den) - Number(seg.from.num) / Number(seg.from.den)) * 100;
    process.stdout.write(
      `  execution: local (${share.toFixed(2)}%), segment ${segmentString(seg)} of ${sequenceString(segment.sequence.segments)}\n`,
    );
  }
  const onSignal = (): void => engine.interrupt();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const result = await engine.run();
  const exportFile = values["summary-export"] ?? env.K6_SUMMARY_EXPORT;
  if (exportFile && result.durationMs > 0) {
    fs.writeFileSync(
      exportFile,
      `${JSON.stringify(result.summary.exportJson(result.durationMs), null, 4)}\n`,
    );
  }
  const report = reportFile(env);
  if (report !== undefined && result.durationMs > 0) {
    fs.writeFileSync(
      report,
      renderReport({
        summary: result.summary,
        durationMs: result.durationMs,
        script: positionals[0]!,
        tags: pairs(values.tag, "--tag"),
        identity: IDENTITY,
      }),
    );
  }
  if (!values.quiet && !values["no-summary"] && result.durationMs > 0) {
    process.stdout.write(textSummary(result.summary, result.durationMs));
  }
  if (result.exitCode === EXIT.thresholdsFailed)
    log(`level=error msg="thresholds on metrics have been crossed"`);
  return result.exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `k6obs-emitter: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
