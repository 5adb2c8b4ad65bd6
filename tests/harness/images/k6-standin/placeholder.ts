/**
 * PLACEHOLDER k6 stand-in, used only while tests/harness/k6-emitter/cli.ts does not exist: it
 * records its argv and the k6 env it was given, writes the summary file and exits 0. It sends NO
 * samples, so the suite's "samples reach Prometheus" assertions fail while it is in use.
 */
import * as fs from "fs";

const argv = process.argv.slice(2);
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => k.startsWith("K6_") || k === "TARGET_URL"),
);
console.log(`k6 stand-in (placeholder) argv: ${JSON.stringify(argv)}`);
console.log(`k6 stand-in (placeholder) env: ${JSON.stringify(env)}`);
const at = argv.indexOf("--summary-export");
const file = at >= 0 ? argv[at + 1] : undefined;
if (file) {
  fs.writeFileSync(file, JSON.stringify({ standin: "k6 placeholder", argv, env }, null, 2));
}
