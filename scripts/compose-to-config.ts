// Prints the stack config that takes over an existing docker-compose k6/Prometheus/Grafana stack,
// keeping its data volumes:  npm run migrate:compose -- path/to/docker-compose.yml [--project NAME] [--show-secrets]
import * as fs from "fs";
import * as path from "path";
import { composeToConfig, renderCommands } from "./lib/compose-migration";

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--") && args[args.indexOf(a) - 1] !== "--project");
if (!file) {
  console.error("usage: npm run migrate:compose -- <docker-compose.yml> [--project NAME] [--show-secrets]");
  process.exit(2);
}
const projectIdx = args.indexOf("--project");
// Compose's default project name is the directory holding the file (unless the file sets `name:`).
const project =
  projectIdx >= 0 ? (args[projectIdx + 1] ?? "") : path.basename(path.dirname(path.resolve(file)));
const migration = composeToConfig(fs.readFileSync(file, "utf8"), project);
console.log(`# Stack config taking over ${file} (compose project "${project}"); stop it first WITHOUT -v:`);
console.log(`#   docker compose -f ${file} down`);
for (const line of renderCommands(migration, args.includes("--show-secrets"))) console.log(line);
console.log(
  "npm run preview   # the volumes show as create: Docker returns the existing ones, data untouched",
);
for (const note of migration.notes) console.log(`# note: ${note}`);
