// Prints the stack config that takes over an existing docker-compose k6/Prometheus/Grafana stack,
// keeping its data volumes:  npm run migrate:compose -- path/to/docker-compose.yml [--project NAME] [--show-secrets]
// Only settings the stack's config validation accepts are printed; each one left out (e.g. a
// compose admin password shorter than 12 characters) is explained in a note.
import * as fs from "fs";
import * as path from "path";
import { parseFlags } from "../lib/cli";
import { ComposeMigration, composeToConfig, renderCommands } from "./compose-migration";

const USAGE = "usage: npm run migrate:compose -- <docker-compose.yml> [--project NAME] [--show-secrets]";

let parsed;
try {
  parsed = parseFlags(
    process.argv.slice(2),
    { project: "value", "show-secrets": "bool" },
    { positionals: 1 },
  );
} catch (err) {
  console.error(`migrate:compose: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
const file = parsed.positionals[0];
if (parsed.help || file === undefined) {
  console.error(USAGE);
  process.exit(parsed.help ? 0 : 2);
}
// Compose's default project name is the directory holding the file (unless the file sets `name:`).
const project = parsed.values.project ?? path.basename(path.dirname(path.resolve(file)));
let migration: ComposeMigration;
try {
  migration = composeToConfig(fs.readFileSync(file, "utf8"), project);
} catch (err) {
  console.error(`migrate:compose: ${(err as Error).message}`);
  process.exit(1);
}
console.log(`# Stack config taking over ${file} (compose project "${project}"); stop it first WITHOUT -v:`);
console.log(`#   docker compose -f ${file} down`);
for (const line of renderCommands(migration, parsed.values["show-secrets"] === true)) console.log(line);
console.log(
  "npm run preview   # the volumes show as create: Docker returns the existing ones, data untouched",
);
for (const note of migration.notes) console.log(`# note: ${note}`);
