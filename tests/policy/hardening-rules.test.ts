/**
 * The hardening rules of the policy pack (capabilities dropped, memory and process limits,
 * read-only root filesystem, log rotation): each with a passing and a failing container, and the
 * program's own containers, as declared under mocks, carrying the hardened defaults they check.
 */
import {
  CONTAINER_TYPE,
  VOLUME_TYPE,
  validateCapabilitiesDropped,
  validateContainerLimits,
  validateLogRotation,
  validateReadOnlyRootfs,
} from "../../policy/rules";
import { runProgram } from "../harness/program";
import { violations } from "./validate";

/** A container as components/container-defaults.ts hardened() leaves it. */
const hardenedContainer = {
  name: "k6obs-dev-prometheus",
  user: "65534:65534",
  securityOpts: ["no-new-privileges:true"],
  capabilities: { drops: ["ALL"] },
  readOnly: true,
  memory: 2048,
  memorySwap: 2048,
  ulimits: [{ name: "nproc", soft: 1024, hard: 1024 }],
  logDriver: "json-file",
  logOpts: { "max-size": "10m", "max-file": "3" },
};
const check = (validate: Parameters<typeof violations>[0], props: Record<string, unknown>) =>
  violations(validate, { type: CONTAINER_TYPE, name: "c", props });

describe("policy k6obs-container-caps-dropped", () => {
  it("passes a container that drops ALL (any case, CAP_ prefix)", async () => {
    expect(await check(validateCapabilitiesDropped, hardenedContainer)).toEqual([]);
    expect(await check(validateCapabilitiesDropped, { capabilities: { drops: ["cap_all"] } })).toEqual([]);
  });
  it.each([
    ["unset", {}],
    ["only some dropped", { capabilities: { drops: ["NET_RAW", "CHOWN"] } }],
    ["adds only", { capabilities: { adds: ["NET_ADMIN"] } }],
  ])("fails a container whose capabilities are %s", async (_what, props) => {
    const found = await check(validateCapabilitiesDropped, props);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('Container "c" keeps Docker\'s default capabilities');
    expect(found[0]).toContain('drops: ["ALL"]');
  });
  it("ignores other resource types", async () => {
    expect(await violations(validateCapabilitiesDropped, { type: VOLUME_TYPE, props: {} })).toEqual([]);
  });
});

describe("policy k6obs-container-limits", () => {
  it("passes a container with a memory limit, no extra swap and an nproc cap", async () => {
    expect(await check(validateContainerLimits, hardenedContainer)).toEqual([]);
  });
  it("fails a container without a memory limit", async () => {
    const found = await check(validateContainerLimits, {
      ...hardenedContainer,
      memory: undefined,
      memorySwap: undefined,
    });
    expect(found).toEqual([expect.stringContaining('Container "c" has no memory limit (memory is "unset")')]);
  });
  it("fails a container that may swap beyond its limit", async () => {
    const found = await check(validateContainerLimits, { ...hardenedContainer, memorySwap: -1 });
    expect(found).toEqual([expect.stringContaining("memorySwap -1 != memory 2048")]);
  });
  it.each([
    ["no ulimits", undefined],
    ["another ulimit only", [{ name: "nofile", soft: 1024, hard: 1024 }]],
    ["a zero cap", [{ name: "nproc", soft: 0, hard: 0 }]],
  ])("fails a container with %s (no process cap)", async (_what, ulimits) => {
    const found = await check(validateContainerLimits, { ...hardenedContainer, ulimits });
    expect(found).toEqual([expect.stringContaining("has no process cap")]);
  });
});

describe("policy k6obs-container-readonly-rootfs", () => {
  it("passes a read-only container", async () => {
    expect(await check(validateReadOnlyRootfs, hardenedContainer)).toEqual([]);
  });
  it("passes a writable container only when it takes uploads (docker cp needs a writable rootfs)", async () => {
    const uploads = [{ file: "/run/secrets/x", content: "s" }];
    expect(await check(validateReadOnlyRootfs, { ...hardenedContainer, readOnly: false, uploads })).toEqual(
      [],
    );
  });
  it.each([
    ["readOnly false", false],
    ["readOnly unset", undefined],
  ])("fails a container with %s", async (_what, readOnly) => {
    const found = await check(validateReadOnlyRootfs, { ...hardenedContainer, readOnly, uploads: [] });
    expect(found).toEqual([expect.stringContaining('Container "c" has a writable root filesystem')]);
  });
});

describe("policy k6obs-container-log-rotation", () => {
  it("passes json-file with max-size, and drivers that are not json-file", async () => {
    expect(await check(validateLogRotation, hardenedContainer)).toEqual([]);
    expect(await check(validateLogRotation, { logDriver: "local" })).toEqual([]);
  });
  it.each([
    ["json-file by default, no options", {}],
    ["json-file without max-size", { logDriver: "json-file", logOpts: { "max-file": "3" } }],
    ["a malformed max-size", { logDriver: "json-file", logOpts: { "max-size": "ten" } }],
  ])("fails %s", async (_what, props) => {
    const found = await check(validateLogRotation, props);
    expect(found).toEqual([expect.stringContaining("logs to json-file without rotation")]);
  });
});

describe("the program's containers carry the hardened defaults", () => {
  it("every container: capabilities dropped, limits, log rotation; read-only unless it takes uploads", async () => {
    const run = await runProgram({}, "dev");
    const containers = run.resources.filter((r) => r.type === CONTAINER_TYPE);
    expect(containers.map((c) => c.name).sort()).toEqual([
      "k6obs-alertmanager-container",
      "k6obs-grafana-container",
      "k6obs-k6-container",
      "k6obs-prometheus-container",
      "k6obs-prometheus-reload",
    ]);
    for (const c of containers) {
      const i = c.inputs;
      expect({ c: c.name, caps: i.capabilities }).toEqual({ c: c.name, caps: { drops: ["ALL"] } });
      expect({ c: c.name, ro: i.readOnly }).toEqual({ c: c.name, ro: i.uploads === undefined });
      expect({ c: c.name, swap: i.memorySwap }).toEqual({ c: c.name, swap: i.memory });
      expect(Number(i.memory)).toBeGreaterThan(0);
      expect(i.logOpts).toEqual({ "max-size": "10m", "max-file": "3" });
      expect(i.ulimits).toEqual([expect.objectContaining({ name: "nproc" })]);
    }
    const byName = (n: string) => containers.find((c) => c.name === n)?.inputs ?? {};
    expect(byName("k6obs-prometheus-container").memory).toBe(2048);
    expect(byName("k6obs-prometheus-container").envs).toContain("GOMEMLIMIT=1843MiB");
    expect(byName("k6obs-prometheus-container").stopTimeout).toBe(120);
    expect(byName("k6obs-grafana-container").stopTimeout).toBe(30);
    expect(byName("k6obs-grafana-container").memory).toBe(1024);
    expect(byName("k6obs-k6-container").memory).toBe(2048);
    expect(byName("k6obs-alertmanager-container").stopTimeout).toBe(30);
    expect(byName("k6obs-alertmanager-container").memory).toBe(256);
  });

  it("memory limit keys reach the containers and Prometheus' GOMEMLIMIT follows", async () => {
    const run = await runProgram(
      { prometheusMemoryLimit: "1g", grafanaMemoryLimit: "300m", k6MemoryLimit: "4096" },
      "dev",
    );
    const inputs = (n: string) => run.resources.find((r) => r.name === n)?.inputs ?? {};
    expect(inputs("k6obs-prometheus-container").memory).toBe(1024);
    expect(inputs("k6obs-prometheus-container").envs).toContain("GOMEMLIMIT=921MiB");
    expect(inputs("k6obs-grafana-container").memory).toBe(300);
    expect(inputs("k6obs-k6-container").memory).toBe(4096);
  });

  it("Prometheus and Grafana run under the liveness supervisor, their server argv intact", async () => {
    const run = await runProgram({}, "dev");
    const inputs = (n: string) => run.resources.find((r) => r.name === n)?.inputs ?? {};
    const prom = inputs("k6obs-prometheus-container").entrypoints as string[];
    expect(prom.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
    expect(prom[2]).toContain("/-/healthy");
    expect(prom.slice(3)).toEqual(["prometheus", "/bin/prometheus"]);
    const graf = inputs("k6obs-grafana-container").entrypoints as string[];
    expect(graf[2]).toContain("/api/health");
    expect(graf.slice(3, 6)).toEqual(["grafana", "/bin/sh", "-c"]);
    expect(graf[6]).toContain("exec /run.sh");
  });
});
