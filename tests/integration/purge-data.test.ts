// purge-data, the one command that deletes data, against a real Docker Engine: it deletes only the
// stack's own labelled volumes (stack name typed back) and volumes named with --volume whose own
// name is typed back; never another stack's volume; checks everything before deleting anything;
// deletes one volume at a time and reports exactly what was and was not deleted.
import { execFileSync, spawnSync } from "child_process";
import * as path from "path";
import { LABEL } from "../../model/labels";
import { REPO_ROOT } from "../harness/program";

const docker = (...args: string[]): string => execFileSync("docker", args, { encoding: "utf8" }).trim();
const id = `${process.pid}`;
const stack = `pt${id}`;
const other = `pto${id}`;
const vol = {
  own: `k6obs-${stack}-prometheus-data`,
  ownInUse: `k6obs-${stack}-grafana-data`,
  other: `k6obs-${other}-prometheus-data`,
  adopted: `purgetest_grafana_data_${id}`,
};
const user = `purgetest-user-${id}`;
let image = "";

function purge(...args: string[]) {
  const r = spawnSync("bash", [path.join(REPO_ROOT, "ops/purge-data/purge-data.sh"), ...args], {
    encoding: "utf8",
    env: { ...process.env, K6OBS_STACK: stack },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}
const exists = (v: string): boolean => docker("volume", "ls", "-q", "--filter", `name=^${v}$`) === v;
const existing = (): string[] => Object.values(vol).filter(exists).sort();

beforeAll(() => {
  const out = execFileSync("bash", [path.join(REPO_ROOT, "tools", "start-docker.sh")], { encoding: "utf8" });
  image = out.trim().split("\n").pop() ?? "";
  const labels = (s: string) => ["--label", `${LABEL.stack}=${s}`, "--label", `${LABEL.retain}=true`];
  docker("volume", "create", ...labels(stack), vol.own);
  docker("volume", "create", ...labels(stack), vol.ownInUse);
  docker("volume", "create", ...labels(other), vol.other);
  docker("volume", "create", "--label", "com.docker.compose.project=purgetest", vol.adopted);
  // A container of no stack (e.g. a backup helper someone left) still holds one of the volumes.
  docker("create", "--name", user, "--network", "none", "-v", `${vol.ownInUse}:/data`, image, "/bin/true");
}, 120_000);

afterAll(() => {
  spawnSync("docker", ["rm", "-f", user]);
  spawnSync("docker", ["volume", "rm", "-f", ...Object.values(vol)]);
});

test("without the stack name typed back nothing is deleted", () => {
  const r = purge();
  expect(r.code).toBe(1);
  expect(r.out).toContain(`not a terminal; pass --confirm ${stack}`);
  expect(r.out).toContain("nothing deleted");
  expect(purge("--confirm", other).out).toContain(`confirmation '${other}' does not match '${stack}'`);
  expect(existing()).toEqual(Object.values(vol).sort());
});

test("another stack's volume is refused by --volume, before anything is deleted", () => {
  const r = purge("--confirm", stack, "--volume", vol.other, "--confirm-volume", vol.other);
  expect(r.code).toBe(1);
  expect(r.out).toContain(`--volume ${vol.other} belongs to stack '${other}'`);
  expect(existing()).toEqual(Object.values(vol).sort());
});

test("a named volume needs its own name typed back, and a missing one is refused", () => {
  const r = purge("--confirm", stack, "--volume", vol.adopted);
  expect(r.code).toBe(1);
  expect(r.out).toContain(`--volume ${vol.adopted}: not a terminal; pass --confirm-volume ${vol.adopted}`);
  const missing = purge("--confirm", stack, "--volume", `nosuch-${id}`);
  expect(missing.out).toContain(`--volume nosuch-${id}: no such volume; nothing deleted`);
  expect(existing()).toEqual(Object.values(vol).sort());
});

test("deletes the stack's volumes and the confirmed one, one at a time, and reports what it kept", () => {
  const r = purge("--confirm", stack, "--volume", vol.adopted, "--confirm-volume", vol.adopted);
  expect(r.code).toBe(1);
  expect(r.out).toMatch(
    new RegExp(`deleted 2 volume\\(s\\):\\n  (${vol.own}|${vol.adopted})\\n  (${vol.own}|${vol.adopted})`),
  );
  expect(r.out).toContain(`NOT deleted 1 volume(s):\n  ${vol.ownInUse} (used by container(s)`);
  expect(existing()).toEqual([vol.other, vol.ownInUse].sort());
});
