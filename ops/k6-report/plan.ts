/**
 * What `npm run k6:report` copies: the newest run's HTML report (k6's web dashboard export), named
 * by the stack output k6ReportSource (`<k6 container>:<path in the results volume>`).
 */
import * as path from "node:path";
import { pickStrings } from "../lib/stack-outputs";

/** The `docker cp` argv and the file it writes. */
export interface ReportCopy {
  readonly argv: readonly string[];
  readonly file: string;
}

/**
 * The copy of the newest report into `dir`, from parsed `stack output --json`.
 *
 * @param outputs The stack outputs.
 * @param dir Directory the report is copied into.
 */
export function reportCopy(outputs: Readonly<Record<string, unknown>>, dir: string): ReportCopy {
  const { k6ReportSource } = pickStrings(
    outputs,
    ["k6ReportSource"],
    "is k6 enabled (k6Enabled) and has the stack run it (npm run up)?",
  );
  const file = path.join(dir, path.posix.basename(k6ReportSource.slice(k6ReportSource.indexOf(":") + 1)));
  return { argv: ["cp", k6ReportSource, file], file };
}
