import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../harness/program";

/**
 * The example k6 scripts are type-checked against @types/k6 by `npm run typecheck`
 * (tsconfig.k6.json), without k6. Each case copies them, breaks one thing and runs tsc with a
 * tsconfig that extends the project's, to prove the check bites.
 */
function typecheck(change?: { file: string; from: string; to: string }): {
  status: number | null;
  out: string;
} {
  const base = path.join(REPO_ROOT, "tests", ".tmp");
  fs.mkdirSync(base, { recursive: true });
  const dir = fs.mkdtempSync(path.join(base, "k6-types-"));
  try {
    fs.cpSync(path.join(REPO_ROOT, "provisioning", "k6", "scripts"), path.join(dir, "scripts"), {
      recursive: true,
    });
    if (change) {
      const file = path.join(dir, "scripts", change.file);
      const text = fs.readFileSync(file, "utf8");
      if (!text.includes(change.from)) throw new Error(`${change.file} no longer contains ${change.from}`);
      fs.writeFileSync(file, text.replace(change.from, change.to));
    }
    fs.writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({ extends: path.join(REPO_ROOT, "tsconfig.k6.json"), include: ["scripts/**/*.js"] }),
    );
    const r = spawnSync(path.join(REPO_ROOT, "node_modules", ".bin", "tsc"), ["-p", dir], {
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("the example k6 scripts type-check against @types/k6", () => {
  test("as committed they pass", () => {
    const r = typecheck();
    expect([r.status, r.out]).toEqual([0, ""]);
  });

  test.each([
    [
      "a misspelt k6 API",
      { file: "lib/requests.js", from: "http.get(", to: "http.gett(" },
      /requests\.js.*TS2551.*'gett'/,
    ],
    [
      "a wrong option type",
      { file: "smoke.js", from: 'vus: intParam("VUS", 2)', to: 'vus: "two"' },
      /smoke\.js.*TS2322/,
    ],
    [
      "an import k6 does not export",
      { file: "lib/requests.js", from: "{ check, sleep }", to: "{ chek, sleep }" },
      /requests\.js.*TS2724.*'chek'/,
    ],
  ])("%s fails the check", (_label, change, error) => {
    const r = typecheck(change);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(error);
  });
});
