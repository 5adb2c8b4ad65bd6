import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** Relative paths (posix separators, sorted) of every regular file below dir; symlinks are skipped. */
export function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
}

/**
 * SHA-256 over the names and contents of every file below dir. Bind-mounted content is
 * invisible to the Docker provider; this hash is how an edit becomes visible in a preview.
 */
export function hashDirectory(dir: string): string {
  const h = crypto.createHash("sha256");
  for (const rel of listFiles(dir)) {
    h.update(rel)
      .update("\0")
      .update(fs.readFileSync(path.join(dir, rel)))
      .update("\0");
  }
  return h.digest("hex");
}
