/**
 * The "Resources:" summaries that `pulumi preview` and `pulumi up` print (one for the preview, one
 * for the update), read from their text output: what a user sees to tell a no-op from a change.
 */

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** The lines of every "Resources:" block in a Pulumi command's output, trimmed, in order. */
export function resourceSummaryLines(output: string): string[] {
  const lines = output.replace(ANSI, "").split("\n");
  const found: string[] = [];
  lines.forEach((line, i) => {
    if (line.trim() !== "Resources:") return;
    for (const next of lines.slice(i + 1)) {
      if (next.trim() === "") break;
      found.push(next.trim());
    }
  });
  return found;
}

/**
 * The summary lines that report a change (`+ 1 created`, `+-1 to replace`, ...): empty when every
 * summary says only `<n> unchanged`. Throws when the output holds no summary at all, so a command
 * that failed early is not read as a no-op.
 */
export function reportedChanges(output: string): string[] {
  const lines = resourceSummaryLines(output);
  if (lines.length === 0) throw new Error(`no "Resources:" summary in the output:\n${output.slice(-2000)}`);
  return lines.filter((l) => !/^\d+ unchanged$/.test(l));
}
