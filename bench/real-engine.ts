// Figures of the program on a real Pulumi engine and Docker Engine (the e2e suite's sandbox,
// tests/harness/e2e): wall time of a cold `up`, a no-op `preview`, each change class's preview and
// `up`, and `destroy`; what each change class replaces. The goal: the no-op plans nothing and every
// class replaces exactly what the README says. `BENCH_ONLY=real-engine npm run bench`.
import { changedSteps, runCommand } from "../tests/harness/e2e/harness";
import { E2eSandbox, readIn, writeIn } from "../tests/harness/e2e/sandbox";

/** One change class: what its preview planned and how long its preview and `up` took. */
export interface ChangeClassFigure {
  readonly change: string;
  /** Resources the preview replaces (replace / create-replacement / delete-replaced). */
  readonly replaced: string[];
  /** Every planned step other than `same`, as `op name`. */
  readonly planned: string[];
  readonly previewSeconds: number;
  readonly upSeconds: number;
}

/** Everything {@link benchRealEngine} measured. */
export interface RealEngineResult {
  readonly engine: string;
  readonly docker: string;
  readonly images: string[];
  readonly coldUpSeconds: number;
  readonly noopPreviewSeconds: number;
  readonly noopPlanned: string[];
  readonly classes: ChangeClassFigure[];
  readonly destroySeconds: number;
}

const REPLACING = new Set(["replace", "create-replacement", "delete-replaced"]);

async function timedUp(sb: E2eSandbox, label: string): Promise<number> {
  const r = await sb.npm("up", ["--yes", "--skip-preview"], { label });
  if (r.code !== 0) throw new Error(`${label} exited ${r.code}:\n${r.output.slice(-3000)}`);
  return r.seconds;
}

async function timedPlan(
  sb: E2eSandbox,
  label: string,
): Promise<{ planned: string[]; replaced: string[]; seconds: number }> {
  const r = await runCommand(
    "bash",
    ["ops/pulumi/pulumi.sh", "preview", "--json", "--policy-pack", "policy"],
    {
      cwd: sb.checkout,
      env: { ...sb.env, K6OBS_STACK: "dev" },
      label,
    },
  );
  if (r.code !== 0) throw new Error(`${label} exited ${r.code}:\n${r.output.slice(-3000)}`);
  const steps = changedSteps(r.stdout);
  return {
    planned: steps.map((s) => `${s.op} ${s.name}`).sort(),
    replaced: [...new Set(steps.filter((s) => REPLACING.has(s.op)).map((s) => s.name))].sort(),
    seconds: r.seconds,
  };
}

/** Runs the dev stack through every change class once and measures it. */
export async function benchRealEngine(): Promise<RealEngineResult> {
  const sb = await E2eSandbox.create();
  try {
    const coldUpSeconds = await timedUp(sb, "cold up");
    const noop = await timedPlan(sb, "no-op preview");
    const changes: [string, () => Promise<void>][] = [
      [
        "dashboard edit",
        async () => {
          const file = "provisioning/grafana/dashboards/stats/k6obs-k6-overview-stats.json";
          const doc = JSON.parse(readIn(sb.checkout, file)) as { title: string };
          writeIn(sb.checkout, file, JSON.stringify({ ...doc, title: `${doc.title} (bench)` }, null, 2));
        },
      ],
      [
        "Prometheus config edit",
        async () => {
          const file = "provisioning/prometheus/prometheus.yml";
          writeIn(
            sb.checkout,
            file,
            readIn(sb.checkout, file).replace(/^global:\n/m, "global:\n  external_labels:\n    bench: x\n"),
          );
        },
      ],
      ["grafanaPort change", () => sb.configSet("grafanaPort", String(sb.ports.dev.grafana + 1))],
      ["Grafana image bump", () => sb.configSet("grafanaImage", sb.images.grafanaBump)],
      [
        "k6 script edit",
        async () =>
          writeIn(
            sb.checkout,
            "provisioning/k6/scripts/smoke.js",
            `${readIn(sb.checkout, "provisioning/k6/scripts/smoke.js")}\n// bench\n`,
          ),
      ],
    ];
    const classes: ChangeClassFigure[] = [];
    for (const [change, apply] of changes) {
      await apply();
      const plan = await timedPlan(sb, `preview (${change})`);
      const upSeconds = await timedUp(sb, `up (${change})`);
      classes.push({
        change,
        replaced: plan.replaced,
        planned: plan.planned,
        previewSeconds: plan.seconds,
        upSeconds,
      });
    }
    const d = await sb.npm("destroy", ["--yes", "--skip-preview"], { label: "destroy" });
    if (d.code !== 0) throw new Error(`destroy exited ${d.code}:\n${d.output.slice(-3000)}`);
    return {
      engine: sb.engine,
      docker: `${sb.docker.mode} engine at ${sb.docker.host}`,
      images: sb.images.notes,
      coldUpSeconds,
      noopPreviewSeconds: noop.seconds,
      noopPlanned: noop.planned,
      classes,
      destroySeconds: d.seconds,
    };
  } finally {
    await sb.close();
  }
}

/** A plain-text table of {@link RealEngineResult}. */
export function printRealEngine(r: RealEngineResult): string {
  const rows = [
    `cold up                      ${r.coldUpSeconds.toFixed(1).padStart(6)}s`,
    `no-op preview                ${r.noopPreviewSeconds.toFixed(1).padStart(6)}s   plans: ${r.noopPlanned.length === 0 ? "nothing" : r.noopPlanned.join(", ")}`,
    ...r.classes.map(
      (c) =>
        `${c.change.padEnd(28)} ${c.upSeconds.toFixed(1).padStart(6)}s up, ${c.previewSeconds.toFixed(1)}s preview   replaces: ${c.replaced.length === 0 ? "nothing" : c.replaced.join(", ")}`,
    ),
    `destroy                      ${r.destroySeconds.toFixed(1).padStart(6)}s`,
  ];
  return [
    `Real engine (${r.engine}; Docker: ${r.docker})`,
    ...r.images.map((i) => `  image ${i}`),
    ...rows.map((x) => `  ${x}`),
  ].join("\n");
}
