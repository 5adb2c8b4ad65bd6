// Copies the newest k6 run's HTML report out of the results volume:
//   npm run k6:report [-- --stack NAME] [--dir DIR]
// It reads the stack output k6ReportSource and runs `docker cp`; the k6 container is stopped, not
// removed, after a run, so its mount of the results volume is still there to copy from.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseFlags, runCli } from "../lib/cli";
import { readStackOutputs, stackName } from "../lib/stack-outputs";
import { reportCopy } from "./plan";

const USAGE = "usage: npm run k6:report -- [--stack NAME] [--dir DIR]";

runCli("k6:report", async () => {
  const parsed = parseFlags(process.argv.slice(2), { stack: "value", dir: "value" });
  if (parsed.help) {
    console.log(USAGE);
    return 0;
  }
  // npm runs scripts from the repo root; INIT_CWD is where the user typed the command.
  const dir = path.resolve(process.env.INIT_CWD ?? process.cwd(), parsed.values.dir ?? ".");
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`--dir ${dir}: not an existing directory`);
  }
  const outputs = readStackOutputs({
    repoRoot: path.resolve(__dirname, "..", ".."),
    stack: stackName(parsed.values.stack),
  });
  const copy = reportCopy(outputs, dir);
  try {
    execFileSync("docker", [...copy.argv], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim() ?? "";
    throw new Error(`\`docker ${copy.argv.join(" ")}\` failed${stderr ? `: ${stderr}` : ""}`, { cause: err });
  }
  console.log(copy.file);
  return 0;
});
