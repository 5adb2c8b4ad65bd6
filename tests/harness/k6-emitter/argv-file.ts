import * as path from "node:path";

/**
 * Where the emitter records its argv (and the segment it ran), for tests on the stack: beside the
 * summary export (`<id>.summary.json` → `<id>.argv.json`, in the results volume), or
 * K6OBS_EMITTER_ARGV_FILE. Real k6 writes no such file.
 */
export function argvFile(
  env: Readonly<Record<string, string | undefined>>,
  summaryExport?: string,
): string | undefined {
  if (env.K6OBS_EMITTER_ARGV_FILE) return env.K6OBS_EMITTER_ARGV_FILE;
  if (!summaryExport) return undefined;
  const base = path.basename(summaryExport).replace(/(\.summary)?\.json$/, "");
  return path.join(path.dirname(summaryExport), `${base}.argv.json`);
}
