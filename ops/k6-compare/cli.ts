/**
 * npm run k6:compare -- --baseline TESTID --candidate TESTID|latest [limits] [--prometheus URL]
 *                       [--stack NAME] [--json]
 *
 * The regression gate: reads both runs' whole-run figures from Prometheus, prints the table (or
 * JSON) and exits 0 within the limits, 1 when the candidate regressed, 2 for bad usage or input
 * (flags, limit values, an unknown testid), 3 when it cannot judge (Prometheus unreachable or
 * failing, stack outputs unreadable, a run without data for a limited figure).
 */
import * as path from "node:path";
import { parseFlags, runCli } from "../lib/cli";
import { pickStrings, presentStrings, readStackOutputs, stackName } from "../lib/stack-outputs";
import { compareRuns, missingFigures } from "./compare";
import {
  EXIT_PASS,
  EXIT_REGRESSED,
  EXIT_UNAVAILABLE,
  EXIT_USAGE,
  UnavailableError,
  UsageError,
} from "./errors";
import { DEFAULT_LIMITS, LIMIT_FLAGS, LimitFlag, parseLimits } from "./limits";
import { NO_LATENCY_SERIES, PrometheusClient, latestRun, readRun, resolvePrometheus } from "./query";
import { FIGURE_LABELS, renderJson, renderTable } from "./report";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

const limitHelp = (Object.keys(LIMIT_FLAGS) as LimitFlag[])
  .map((f) => `  --${f.padEnd(27)}${LIMIT_FLAGS[f]}, or off\n${" ".repeat(31)}(default ${DEFAULT_LIMITS[f]})`)
  .join("\n");

const USAGE = `Usage: npm run k6:compare -- --baseline TESTID --candidate TESTID|latest [options]

Compares two k6 runs stored in Prometheus and fails when the candidate regressed.

  --baseline TESTID            The reference run
  --candidate TESTID|latest    The run to judge; latest = the run that started last
${limitHelp}
  --prometheus URL             Prometheus base URL (default: PROMETHEUS_URL, else the stack output
                               prometheusUrl). Basic auth: PROMETHEUS_USER and PROMETHEUS_PASSWORD,
                               else the stack outputs prometheusUser and prometheusPassword
  --stack NAME                 Stack whose outputs to read (default: K6OBS_STACK, else dev)
  --json                       Print the comparison as JSON instead of the table
  -h, --help                   Show this help

Exit codes: 0 within the limits; 1 regressed; 2 bad usage or input (flags, limit values, unknown
testid); 3 cannot judge (Prometheus unreachable or failing, stack outputs unreadable, a run without
data for a figure that has a limit).`;

const SPEC = {
  baseline: "value",
  candidate: "value",
  prometheus: "value",
  stack: "value",
  json: "bool",
  ...(Object.fromEntries(Object.keys(LIMIT_FLAGS).map((f) => [f, "value"])) as Record<LimitFlag, "value">),
} as const;

async function compare(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(argv, SPEC);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (parsed.help) {
    console.log(USAGE);
    return EXIT_PASS;
  }
  const { values } = parsed;
  const limits = parseLimits(values);
  if (values.baseline === undefined || values.candidate === undefined) {
    throw new UsageError(
      `${values.baseline === undefined ? "--baseline" : "--candidate"} is required: --baseline TESTID --candidate TESTID|latest`,
    );
  }
  const stack = stackName(values.stack);
  const target = resolvePrometheus(values.prometheus, process.env, stack, () => {
    // --show-secrets: an authenticated Prometheus needs the stack's prometheusPassword.
    const outputs = readStackOutputs({
      repoRoot: REPO_ROOT,
      stack,
      showSecrets: true,
      advice: "pass --prometheus URL or set PROMETHEUS_URL",
    });
    return {
      ...pickStrings(outputs, ["prometheusUrl"], "pass --prometheus URL or set PROMETHEUS_URL"),
      ...presentStrings(outputs, ["trendMode", "prometheusUser", "prometheusPassword"]),
    };
  });
  const client = new PrometheusClient(target);
  const now = Date.now() / 1000;
  const candidateId = values.candidate === "latest" ? await latestRun(client, now) : values.candidate;
  if (candidateId === values.baseline) {
    throw new UsageError(
      `--candidate ${values.candidate} is the baseline itself (${candidateId}); ` +
        "compare a different run (did the new run write to this Prometheus?)",
    );
  }
  const [baseline, candidate] = await Promise.all([
    readRun(client, values.baseline, "baseline", now),
    readRun(client, candidateId, "candidate", now),
  ]);
  for (const [role, run] of [
    ["baseline", baseline],
    ["candidate", candidate],
  ] as const) {
    const missing = missingFigures(run, limits, role);
    if (missing.length > 0) {
      const detail = missing.map((f) => `${FIGURE_LABELS[f]} (${run.queries[f] ?? NO_LATENCY_SERIES})`);
      throw new UnavailableError(
        `${role} ${run.testId} has no data for ${detail.join("; ")} in Prometheus at ${target.url}; ` +
          "turn that limit off (--<flag> off) or compare runs that have it",
      );
    }
  }
  const comparison = compareRuns(baseline, candidate, limits);
  console.log(values.json ? renderJson(comparison) : renderTable(comparison));
  return comparison.passed ? EXIT_PASS : EXIT_REGRESSED;
}

// Every failure is caught here, not in runCli (which would exit 1, the code of a regression).
async function main(): Promise<number> {
  try {
    return await compare(process.argv.slice(2));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof UsageError ? EXIT_USAGE : EXIT_UNAVAILABLE;
    console.error(`k6:compare: ${message}${code === EXIT_USAGE ? "\n\nRun with --help for the usage." : ""}`);
    return code;
  }
}

runCli("k6:compare", main);
