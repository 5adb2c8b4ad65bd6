/**
 * k6Runners hosts are probed before any resource: real sockets here (a listening unix socket and
 * TCP port, a missing socket, a closed port), and the program refusing an unreachable runner with
 * nothing declared.
 */
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { dockerHostEndpoint, runnerHostProblems } from "../../config/runner-hosts";
import { ProgramError, runProgram } from "../harness/program";

let dir: string;
let unixServer: net.Server;
let tcpServer: net.Server;
let socketPath: string;
let tcpPort: number;
let closedPort: number;

const listen = (srv: net.Server, arg: string | number): Promise<void> =>
  new Promise((resolve) => srv.listen(arg as never, "127.0.0.1" as never, () => resolve()));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-runner-hosts-"));
  socketPath = path.join(dir, "docker.sock");
  unixServer = net.createServer((s) => s.end());
  await new Promise<void>((resolve) => unixServer.listen(socketPath, resolve));
  tcpServer = net.createServer((s) => s.end());
  await listen(tcpServer, 0);
  tcpPort = (tcpServer.address() as net.AddressInfo).port;
  // A port that was free a moment ago and has nothing listening now.
  const probe = net.createServer();
  await listen(probe, 0);
  closedPort = (probe.address() as net.AddressInfo).port;
  await new Promise((r) => probe.close(r));
});

afterAll(async () => {
  await new Promise((r) => unixServer.close(r));
  await new Promise((r) => tcpServer.close(r));
  fs.rmSync(dir, { recursive: true, force: true });
});

test("endpoints: unix path, tcp host and port (2375 by default, IPv6 in brackets), ssh not probed", () => {
  expect(dockerHostEndpoint("unix:///run/docker.sock")).toEqual({ path: "/run/docker.sock" });
  expect(dockerHostEndpoint("tcp://10.0.0.7:2376")).toEqual({ host: "10.0.0.7", port: 2376 });
  expect(dockerHostEndpoint("tcp://east")).toEqual({ host: "east", port: 2375 });
  expect(dockerHostEndpoint("tcp://[fd00::7]:2376")).toEqual({ host: "fd00::7", port: 2376 });
  expect(dockerHostEndpoint("ssh://k6@east")).toBeUndefined();
});

test("listening hosts pass; a missing socket and a closed port are named with key, value and what is allowed", async () => {
  const missing = path.join(dir, "nowhere.sock");
  const problems = await runnerHostProblems([
    { name: "a", host: `unix://${socketPath}`, weight: 1 },
    { name: "b", host: `tcp://127.0.0.1:${tcpPort}`, weight: 1 },
    { name: "c", host: `unix://${missing}`, weight: 1 },
    { name: "d", host: `tcp://127.0.0.1:${closedPort}`, weight: 1 },
    { name: "e", host: "ssh://k6@east.example.com", weight: 1 },
  ]);
  expect(problems).toEqual([
    `k6-observatory:k6Runners[2].host = "unix://${missing}" (runner "c") is not reachable: cannot connect to socket ${missing} (ENOENT); allowed: the URL of a running Docker Engine this machine can reach, or remove the runner`,
    `k6-observatory:k6Runners[3].host = "tcp://127.0.0.1:${closedPort}" (runner "d") is not reachable: cannot connect to 127.0.0.1:${closedPort} (ECONNREFUSED); allowed: the URL of a running Docker Engine this machine can reach, or remove the runner`,
  ]);
});

test("the program refuses an unreachable runner host before declaring anything", async () => {
  const missing = path.join(dir, "gone.sock");
  const run = runProgram({
    k6Runners: JSON.stringify([{ name: "east", host: `unix://${missing}` }]),
    prometheusBindAddress: "10.0.0.5",
    allowNonLoopbackPrometheusBind: "true",
    k6TargetUrl: "http://sut.example.com",
  });
  await expect(run).rejects.toThrow(
    /k6Runners\[0\]\.host = .*gone\.sock.* is not reachable: cannot connect to socket .* \(ENOENT\)/,
  );
  await expect(run).rejects.toMatchObject({ declared: 0 });
  await expect(run).rejects.toBeInstanceOf(ProgramError);
});

test("the program goes on when the runner host answers", async () => {
  const run = await runProgram({
    k6Runners: JSON.stringify([{ name: "east", host: `unix://${socketPath}` }]),
    prometheusBindAddress: "10.0.0.5",
    allowNonLoopbackPrometheusBind: "true",
    k6TargetUrl: "http://sut.example.com",
  });
  expect(run.resources.some((r) => r.name.endsWith("east-container"))).toBe(true);
});
