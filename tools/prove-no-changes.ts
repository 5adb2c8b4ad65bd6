// Proves on a real Pulumi engine and Docker Engine that a refactor keeps resource identity: a
// stack created (`up`) by the code of an earlier commit previews with zero changes under the
// working tree's code (`preview --expect-no-changes`). Uses the e2e suite's sandbox: its own
// Docker Engine, images and K6OBS_HOME, so nothing of the user's is touched.
//
//   npx tsx tools/prove-no-changes.ts <base-commit>
//
// Exits non-zero, printing the planned steps, when anything would change.
import * as fs from "node:fs";
import * as path from "node:path";
import { changedSteps, git, runCommand, sh } from "../tests/harness/e2e/harness";
import { E2eSandbox } from "../tests/harness/e2e/sandbox";

const STACK_FILES = ["Pulumi.dev.yaml", "Pulumi.ci.yaml"];

/** Replaces the checkout's tracked files (not its stack files) with `tree`'s. */
function useTree(checkout: string, extract: () => void): void {
  const kept = new Map(STACK_FILES.map((f) => [f, fs.readFileSync(path.join(checkout, f), "utf8")]));
  for (const f of git(checkout, ["ls-files"])
    .split("\n")
    .filter((x) => x !== "")) {
    fs.rmSync(path.join(checkout, f), { force: true });
  }
  extract();
  for (const [f, text] of kept) fs.writeFileSync(path.join(checkout, f), text);
}

async function main(): Promise<number> {
  const base = process.argv[2];
  if (!base) {
    console.error("usage: npx tsx tools/prove-no-changes.ts <base-commit>");
    return 2;
  }
  const repo = path.resolve(__dirname, "..");
  const baseRev = sh("git", ["-C", repo, "rev-parse", "--short", base], process.env).trim();
  const sb = await E2eSandbox.create();
  try {
    console.log(`prove-no-changes: engine ${sb.engine}; base ${baseRev}; head = working tree`);
    useTree(sb.checkout, () => {
      const tar = path.join(sb.checkout, "..", "base.tar");
      sh("git", ["-C", repo, "archive", "-o", tar, base], process.env);
      sh("tar", ["-xf", tar, "-C", sb.checkout], process.env);
    });
    const up = await sb.npm("up", ["--yes", "--skip-preview"], { label: `up with ${baseRev}'s code` });
    if (up.code !== 0)
      throw new Error(`up with ${baseRev}'s code exited ${up.code}:\n${up.output.slice(-3000)}`);
    // Back to the sandbox's own commit: the working tree's code with the sandbox's stack files.
    useTree(sb.checkout, () => git(sb.checkout, ["checkout", "--", "."]));
    const r = await runCommand(
      "bash",
      ["ops/pulumi/pulumi.sh", "preview", "--json", "--policy-pack", "policy"],
      {
        cwd: sb.checkout,
        env: { ...sb.env, K6OBS_STACK: "dev" },
        label: "preview with the working tree's code",
      },
    );
    if (r.code !== 0) throw new Error(`preview exited ${r.code}:\n${r.output.slice(-3000)}`);
    const steps = changedSteps(r.stdout);
    const strict = await sb.npm("preview", ["--expect-no-changes"], { label: "preview --expect-no-changes" });
    console.log(
      `prove-no-changes: ${steps.length} planned step(s)${steps.map((s) => `\n  ${s.op} ${s.name}`).join("")}; ` +
        `--expect-no-changes exited ${strict.code}`,
    );
    await sb.npm("destroy", ["--yes", "--skip-preview"], { label: "destroy" });
    return steps.length === 0 && strict.code === 0 ? 0 : 1;
  } finally {
    await sb.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`prove-no-changes: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
