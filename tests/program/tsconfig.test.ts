import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../harness/program";

describe("tsconfig.json as Pulumi's ts-node reads it", () => {
  // Pulumi's vendored ts-node caches compiled files and hands only changed ones to TypeScript 6,
  // which then infers the common source directory from those alone: with outDir and no rootDir,
  // editing any file under components/ fails the program with TS5011. `tsc --noEmit` never shows it.
  test("an outDir comes with an explicit rootDir that contains every included file", () => {
    const tsconfig = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "tsconfig.json"), "utf8")) as {
      compilerOptions: { outDir?: string; rootDir?: string };
      include: string[];
    };
    const { outDir, rootDir } = tsconfig.compilerOptions;
    if (outDir === undefined) return;
    expect({ outDir, rootDir }).toEqual({ outDir, rootDir: expect.any(String) });
    const root = path.resolve(REPO_ROOT, rootDir ?? "");
    for (const pattern of tsconfig.include) {
      const first = path.resolve(REPO_ROOT, pattern.split(/[*/]/)[0] ?? "");
      expect([pattern, first.startsWith(root)]).toEqual([pattern, true]);
    }
  });
});
