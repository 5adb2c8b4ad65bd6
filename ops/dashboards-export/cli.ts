/**
 * npm run dashboards:export -- [--url U --user U --password P] [--stack S] [--uid X ...] [--force]
 *                              [--include-generated] [--out DIR]
 *
 * Writes the dashboards of the running Grafana into provisioning/grafana/dashboards/team as
 * normalised JSON (see ops/dashboards-export/). Connection settings come from the flags,
 * then GRAFANA_URL / GRAFANA_USER / GRAFANA_PASSWORD, then the stack outputs.
 *
 * Exit codes: 0 done; 1 error, nothing written; 2 usage; 3 written, but dashboards stored in
 * Grafana's v2 schema were not exported (listed on stderr).
 */
import * as path from "path";
import { parseArgs } from "util";
import { presentStrings, readStackOutputs, stackName } from "../lib/stack-outputs";
import { resolveConnection } from "./connection";
import { exportDashboards } from "./export";

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const DEFAULT_OUT = path.join(REPO_ROOT, "provisioning", "grafana", "dashboards", "team");

const USAGE = `Usage: npm run dashboards:export -- [options]

Exports Grafana dashboards into ${path.relative(REPO_ROOT, DEFAULT_OUT)}/<folder>/<uid>.json.

  --url URL              Grafana base URL (default: GRAFANA_URL, else stack output grafanaUrl)
  --user NAME            Grafana user (default: GRAFANA_USER, else stack output grafanaAdminUser)
  --password PASSWORD    Grafana password (default: GRAFANA_PASSWORD, else stack output
                         grafanaAdminPassword); prefer the environment variable, flags show in ps
  --stack NAME           Stack whose outputs to read (default: K6OBS_STACK, else dev)
  --uid UID              Export only this dashboard; repeat for several
  --include-generated    Also export the k6obs-* dashboards generated from the TypeScript builders
  --force                Overwrite files edited locally since the last export
  --out DIR              Target directory (default: ${path.relative(REPO_ROOT, DEFAULT_OUT)})
  -h, --help             Show this help

Dashboards stored in Grafana's v2 schema are not exported: each is named on stderr with what to
do, the others are written, and the exit code is 3 (see docs/OPERATIONS.md).
`;

/** Exit code when the export wrote what it could but refused v2 dashboards. */
const EXIT_REFUSED = 3;

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: "string" },
        user: { type: "string" },
        password: { type: "string" },
        stack: { type: "string" },
        uid: { type: "string", multiple: true },
        "include-generated": { type: "boolean", default: false },
        force: { type: "boolean", default: false },
        out: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }

  const connection = resolveConnection(
    {
      ...(values.url !== undefined ? { url: values.url } : {}),
      ...(values.user !== undefined ? { user: values.user } : {}),
      ...(values.password !== undefined ? { password: values.password } : {}),
    },
    process.env,
    () =>
      presentStrings(
        readStackOutputs({ repoRoot: REPO_ROOT, stack: stackName(values.stack), showSecrets: true }),
        ["grafanaUrl", "grafanaAdminUser", "grafanaAdminPassword"],
      ),
  );
  const outDir = values.out !== undefined ? path.resolve(values.out) : DEFAULT_OUT;
  const result = await exportDashboards({
    connection,
    outDir,
    ...(values.uid ? { uids: values.uid } : {}),
    force: values.force,
    includeGenerated: values["include-generated"],
    log: (line) => console.error(line),
  });

  const where = path.relative(process.cwd(), outDir) || ".";
  for (const rel of result.created) console.log(`created   ${path.join(where, rel)}`);
  for (const rel of result.updated) console.log(`updated   ${path.join(where, rel)}`);
  for (const rel of result.removed) console.log(`removed   ${path.join(where, rel)} (dashboard moved)`);
  const changed = result.created.length + result.updated.length + result.removed.length;
  for (const refused of result.refused) {
    console.error(`refused   ${refused.uid}: ${refused.message}`);
  }
  console.log(
    `${changed === 0 ? "No changes" : `${changed} file(s) changed`}; ${result.unchanged.length} unchanged` +
      (result.skippedGenerated.length > 0
        ? `; ${result.skippedGenerated.length} generated dashboard(s) skipped (--include-generated)`
        : "") +
      (result.refused.length > 0
        ? `; ${result.refused.length} dashboard(s) in the v2 schema not exported (${result.refused
            .map((r) => r.uid)
            .join(", ")})`
        : "") +
      ` (Grafana at ${connection.url}).`,
  );
  return result.refused.length > 0 ? EXIT_REFUSED : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`dashboards:export: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
