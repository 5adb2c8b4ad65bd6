/**
 * The unit tier's promise, enforced: a unit test runs in this process only. Starting a child
 * process (a CLI, a shell, tsc, the emitter) or opening a socket (a server, a client, fetch) throws
 * and names the tier to move the test to. Installed per test file (setupFilesAfterEnv) and undone
 * after it, so files of other tiers that share the jest process keep the real functions.
 */
// The module objects themselves must be patched, not the copies an ES namespace import makes.
/* eslint-disable @typescript-eslint/no-require-imports */
import childProcess = require("child_process");
import net = require("net");
/* eslint-enable @typescript-eslint/no-require-imports */

const MOVE =
  "the unit tier runs no process and opens no socket: name the file *.cli.test.ts (the cli tier, see docs/TESTING.md)";

type Patchable = Record<string, unknown>;

const patched: { target: Patchable; key: string; original: unknown }[] = [];

function forbid(target: Patchable, key: string, what: string): void {
  const original = target[key];
  patched.push({ target, key, original });
  target[key] = () => {
    throw new Error(`${what}: ${MOVE}`);
  };
}

const cp = childProcess as unknown as Patchable;
for (const fn of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"]) {
  forbid(cp, fn, `child_process.${fn}`);
}
forbid(net.Server.prototype as unknown as Patchable, "listen", "net.Server.listen");
forbid(net.Socket.prototype as unknown as Patchable, "connect", "net.Socket.connect");

afterAll(() => {
  for (const { target, key, original } of patched.reverse()) target[key] = original;
});
