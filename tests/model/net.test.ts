// The one loopback rule, used by the stack config (bindAddress, k6TargetUrl) and the policy pack.
import { isLoopbackAddress } from "../../policy/rules";
import { isLoopbackIp, isUnspecifiedIp, redactUrlCredentials, urlHost } from "../../model/net";
import { ConfigError, parseConfig } from "../../config";
import { REPO_ROOT } from "../harness/program";

const LOOPBACK = [
  "127.0.0.1",
  "127.255.255.255",
  "127.0.1.2",
  "::1",
  "0:0:0:0:0:0:0:1",
  "::0001",
  "0::1",
  "0000::0001",
  "::1".toUpperCase(),
];
const NOT_LOOPBACK = [
  "127.1",
  "127.0.0.01",
  "127.000.000.001",
  "::ffff:127.0.0.1",
  "::ffff:7f00:1",
  "::127.0.0.1",
  "0:0:0:0:0:0:127.0.0.1",
  "fe80::1%lo",
  "0.0.0.0",
  "::",
  "10.0.0.1",
  "192.168.1.10",
  "::2",
  "1::1",
  "0:0:0:0:0:0:0:0:1",
  "localhost",
  "",
  " 127.0.0.1",
];

test.each(LOOPBACK)("%s is loopback", (a) => {
  expect(isLoopbackIp(a)).toBe(true);
});

test.each(NOT_LOOPBACK)("%j is not loopback", (a) => {
  expect(isLoopbackIp(a)).toBe(false);
});

test("config and policy agree on every spelling (the policy also trims and strips URL brackets)", () => {
  // Accepted as a bind address without allowNonLoopbackBind.
  const cfg = (a: string): boolean => {
    try {
      parseConfig((k) => (k === "bindAddress" ? a : undefined), { stack: "dev", repoRoot: REPO_ROOT });
      return true;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      expect(e.problems.every((p) => p.includes(":bindAddress ="))).toBe(true);
      return false;
    }
  };
  for (const a of [...LOOPBACK, ...NOT_LOOPBACK.filter((x) => x.trim() !== "")]) {
    expect({ a, config: cfg(a) }).toEqual({ a, config: isLoopbackIp(a) });
    expect({ a, policy: isLoopbackAddress(a) }).toEqual({ a, policy: isLoopbackIp(a.trim()) });
  }
  expect(isLoopbackAddress("[::1]")).toBe(true);
  expect(isLoopbackAddress(" 127.0.0.1 ")).toBe(true);
});

test("unspecified addresses and URL hosts", () => {
  expect(["0.0.0.0", "::", "0:0:0:0:0:0:0:0", "0::0"].map(isUnspecifiedIp)).toEqual([true, true, true, true]);
  expect(["127.0.0.1", "::1"].map(isUnspecifiedIp)).toEqual([false, false]);
  expect([urlHost("127.0.0.1"), urlHost("::1")]).toEqual(["127.0.0.1", "[::1]"]);
});

test.each([
  ["https://bob:pw@api.example/x", "https://***@api.example/x"],
  ["https://token@api.example", "https://***@api.example"],
  // An unencoded @ in the password: nothing of it is left.
  ["https://bob:p@ss@api.example:8443/x", "https://***@api.example:8443/x"],
  ["HTTP://bob:pw@api.example", "HTTP://***@api.example"],
  ["git+ssh://bob:pw@h.example", "git+ssh://***@h.example"],
  ["http://bob:pw@not a host", "http://***@not a host"],
])("a message shows %s as %s", (raw, shown) => {
  expect(redactUrlCredentials(raw)).toBe(shown);
});

test.each([
  "https://api.example/path@v2",
  "https://api.example?from=a@b",
  "https://api.example#me@here",
  "ops@example.com",
  "see https://bob:pw@api.example",
])("%s has no userinfo to hide and is shown as written", (raw) => {
  expect(redactUrlCredentials(raw)).toBe(raw);
});
