// Label keys are a contract with volumes that already exist: purge-data deletes by them, the
// policy pack checks them, backup/restore recognises them. These pins fail on purpose when a key
// changes; the shell script, which cannot import TypeScript, is checked against the same keys.
import * as fs from "fs";
import * as path from "path";
import { LABEL, LABEL_PREFIX } from "../../model/labels";
import { REPO_ROOT } from "../harness/program";

test("the label keys", () => {
  expect(LABEL).toEqual({
    stack: "k6obs.stack",
    role: "k6obs.role",
    retain: "k6obs.retain",
    adopted: "k6obs.adopted",
    runner: "k6obs.runner",
  });
  for (const key of Object.values(LABEL)) expect(key.startsWith(LABEL_PREFIX)).toBe(true);
});

test("purge-data.sh selects exactly the stack's retained volumes by these keys", () => {
  const script = fs.readFileSync(path.join(REPO_ROOT, "ops/purge-data/purge-data.sh"), "utf8");
  const filters = [...script.matchAll(/--filter "label=([^"]+)"/g)].map((m) => m[1]);
  expect([...new Set(filters)].sort()).toEqual([`${LABEL.retain}=true`, `${LABEL.stack}=$stack`].sort());
  // The owner check of a --volume reads the stack label too.
  const read = [...script.matchAll(/label_of "\$v" ([\w.]+)/g)].map((m) => m[1]);
  expect(read.length).toBeGreaterThan(0);
  for (const key of read) expect(key).toBe(LABEL.stack);
});
