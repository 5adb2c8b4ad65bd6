// Stack output names are read by the ops tools and the shell scripts: one list (model/outputs.ts)
// that must equal what index.ts exports, and every literal a script reads must be on it.
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_STACK, STACK_OUTPUTS } from "../../model/outputs";
import { REPO_ROOT, runProgram } from "../harness/program";

const shellScripts = (): string[] =>
  fs
    .readdirSync(REPO_ROOT, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".sh"))
    .map((e) => path.join(e.parentPath, e.name))
    .filter(
      (f) => !f.includes(`${path.sep}node_modules${path.sep}`) && !f.includes(`${path.sep}.git${path.sep}`),
    );

test("index.ts exports exactly the listed outputs (k6 on)", async () => {
  const run = await runProgram();
  expect(Object.keys(run.outputs).sort()).toEqual([...STACK_OUTPUTS].sort());
});

test("every `stack output <name>` in a shell script is a listed output", () => {
  const used = shellScripts().flatMap((f) =>
    [...fs.readFileSync(f, "utf8").matchAll(/stack output ([A-Za-z][A-Za-z0-9]*)/g)].map((m) => ({
      file: path.relative(REPO_ROOT, f),
      name: m[1]!,
    })),
  );
  expect(used.length).toBeGreaterThan(0);
  for (const u of used)
    expect({ ...u, listed: (STACK_OUTPUTS as readonly string[]).includes(u.name) }).toMatchObject({
      listed: true,
    });
});

test("the shell scripts default to the same stack as the TypeScript tools", () => {
  for (const f of shellScripts()) {
    for (const m of fs.readFileSync(f, "utf8").matchAll(/\$\{K6OBS_STACK:-([^}]*)\}/g)) {
      expect({ file: path.relative(REPO_ROOT, f), stack: m[1] }).toEqual({
        file: path.relative(REPO_ROOT, f),
        stack: DEFAULT_STACK,
      });
    }
  }
});
