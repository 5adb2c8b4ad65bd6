import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/**
 * How "edited locally" is detected: a sidecar manifest in the team directory records the sha256 of
 * every file the exporter wrote. A file whose content no longer matches its recorded hash (or that
 * the exporter never wrote) was changed by someone else, and is only overwritten with --force.
 *
 * Chosen over comparing with git HEAD because HEAD answers a different question: a hand edit that
 * was committed matches HEAD and would be silently overwritten by the next export, and a fresh
 * export that was not committed yet would count as a local edit. The manifest also works outside a
 * git checkout and without git on PATH, and it is itself committed, so reviewers see it change
 * with the dashboards.
 *
 * The format is `sha256sum` output (`<hex>  <path>`), so `sha256sum -c .export-manifest.sha256`
 * run in the team directory lists the edited files. The extension is not `.json` on purpose:
 * Grafana's file provider loads every `*.json` below its path as a dashboard.
 */
export const MANIFEST_FILE = ".export-manifest.sha256";

export function sha256(content: string): string {
  return crypto.createHash("sha256").update(content, "utf8").digest("hex");
}

/** Parses a manifest into relative path -> sha256; blank lines are ignored. */
export function parseManifest(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") {
      continue;
    }
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!match?.[1] || !match[2]) {
      throw new Error(`${MANIFEST_FILE} line ${index + 1} is not "<sha256>  <path>": ${line}`);
    }
    entries.set(match[2], match[1]);
  }
  return entries;
}

/** Manifest text, sorted by path, with a trailing newline (empty string for no entries). */
export function formatManifest(entries: ReadonlyMap<string, string>): string {
  return [...entries.keys()]
    .sort()
    .map((rel) => `${entries.get(rel)}  ${rel}\n`)
    .join("");
}

/** A dashboard fetched from Grafana, rendered to its file. */

/** Reads the manifest of dir; a missing manifest is empty. */
export function readManifest(dir: string): { text: string; entries: Map<string, string> } {
  const file = path.join(dir, MANIFEST_FILE);
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  return { text, entries: parseManifest(text) };
}
