/**
 * About 480 lines on purpose: the rules, the program against them and the pack over gRPC share
 * one set of fixtures and one mocks run of the program.
 *
 * The policy pack: each rule called directly (no engine) with a passing and a failing resource; the
 * program's own resources (run under mocks) against every rule. The pack itself, started the way
 * the Pulumi CLI starts it and asked over gRPC, is in pack.cli.test.ts.
 */
import { splitImageRef } from "../../model/images";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import {
  CONTAINER_TYPE,
  REMOTE_IMAGE_TYPE,
  VOLUME_TYPE,
  isLoopbackAddress,
  policies,
  unpinnedImageReason,
  validateContainerUnprivileged,
  validateImagePinned,
  validatePortBindLoopback,
  validateVolumeRetained,
} from "../../policy/rules";
import { REPO_ROOT, runProgram, type ProgramRun } from "../harness/program";
import { goodContainer, resourceArgs, violations } from "./validate";

const retainedLabels = [
  { label: "k6obs.stack", value: "dev" },
  { label: "k6obs.role", value: "grafana-data" },
  { label: "k6obs.retain", value: "true" },
];

describe("policy k6obs-volume-retained", () => {
  it("passes a volume labelled k6obs.retain=true", async () => {
    expect(
      await violations(validateVolumeRetained, {
        type: VOLUME_TYPE,
        props: { name: "v", labels: retainedLabels },
      }),
    ).toEqual([]);
  });

  it("passes a protected volume without the label", async () => {
    expect(
      await violations(validateVolumeRetained, { type: VOLUME_TYPE, props: { name: "v" }, protect: true }),
    ).toEqual([]);
  });

  it("fails a volume that is neither labelled retained nor protected, naming it", async () => {
    const found = await violations(validateVolumeRetained, {
      type: VOLUME_TYPE,
      props: {
        name: "k6obs-dev-prometheus-data",
        labels: [{ label: "k6obs.role", value: "prometheus-data" }],
      },
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/Volume "k6obs-dev-prometheus-data" is not retained: it has no such label/);
  });

  it("fails a volume whose retain label is not true", async () => {
    const found = await violations(validateVolumeRetained, {
      type: VOLUME_TYPE,
      props: { name: "v", labels: [{ label: "k6obs.retain", value: "false" }] },
    });
    expect(found[0]).toMatch(/has k6obs.retain=false/);
  });

  it("ignores other resource types", async () => {
    expect(await violations(validateVolumeRetained, { type: CONTAINER_TYPE, props: goodContainer })).toEqual(
      [],
    );
  });
});

describe("policy k6obs-image-pinned", () => {
  it("passes a RemoteImage pinned to a tag, or to tag and digest", async () => {
    for (const name of ["prom/prometheus:v3.15.1", `grafana/grafana:13.0.1@sha256:${"b".repeat(64)}`]) {
      expect(await violations(validateImagePinned, { type: REMOTE_IMAGE_TYPE, props: { name } })).toEqual([]);
    }
  });

  it("fails a RemoteImage tagged latest", async () => {
    const found = await violations(validateImagePinned, {
      type: REMOTE_IMAGE_TYPE,
      name: "grafana-image",
      props: { name: "grafana/grafana:latest" },
    });
    expect(found).toEqual([
      expect.stringMatching(
        /RemoteImage "grafana-image" image "grafana\/grafana:latest" uses the moving tag `latest`/,
      ),
    ]);
  });

  it("fails a RemoteImage without a tag, even behind a registry port", async () => {
    const found = await violations(validateImagePinned, {
      type: REMOTE_IMAGE_TYPE,
      props: { name: "registry.local:5000/prom/prometheus" },
    });
    expect(found[0]).toMatch(/has no tag or digest/);
  });

  it("passes a container that points at an image id", async () => {
    expect(await violations(validateImagePinned, { type: CONTAINER_TYPE, props: goodContainer })).toEqual([]);
  });

  it("fails a container with a literal latest reference", async () => {
    const found = await violations(validateImagePinned, {
      type: CONTAINER_TYPE,
      name: "k6",
      props: { ...goodContainer, image: "grafana/k6:latest" },
    });
    expect(found[0]).toMatch(/Container "k6" image "grafana\/k6:latest" uses the moving tag `latest`/);
  });

  it("skips a container image that is unknown during preview (the RemoteImage is checked instead)", async () => {
    // @pulumi/policy throws its internal UnknownValueError when a rule reads an unknown input.
    class UnknownValueError extends Error {}
    const props = new Proxy(
      { ...goodContainer },
      {
        get(target, key) {
          if (key === "image") {
            throw new UnknownValueError("string value at .image can't be known during preview");
          }
          return (target as Record<string | symbol, unknown>)[key];
        },
      },
    );
    expect(await violations(validateImagePinned, { type: CONTAINER_TYPE, props })).toEqual([]);
  });

  it("parses references with registry ports, tags and digests", () => {
    expect(splitImageRef("localhost:5000/a/b:1.2@sha256:abc")).toEqual({
      repository: "localhost:5000/a/b",
      tag: "1.2",
      digest: "sha256:abc",
    });
    expect(splitImageRef("busybox")).toEqual({ repository: "busybox" });
    expect(unpinnedImageReason(`busybox@sha256:${"c".repeat(64)}`)).toBeUndefined();
    expect(unpinnedImageReason("")).toBe("is empty");
  });

  it.each(["grafana/grafana:13", "prom/prometheus:v3", "grafana/k6:main", "grafana/grafana:13.0"])(
    "refuses the moving tag of %s",
    (ref) => {
      expect(unpinnedImageReason(ref)).toMatch(
        /^uses the moving tag `[^`]+` \(not a full x\.y\.z release\)$/,
      );
    },
  );

  it.each(["grafana/grafana:1.2.3-latest", "prom/prometheus:v3.15.1-main", "grafana/k6:1.8.1.nightly"])(
    "refuses %s: a version number followed by a moving word",
    (ref) => {
      expect(unpinnedImageReason(ref)).toMatch(
        /^uses the moving tag `[^`]+` \(its `[a-z]+` part keeps moving\)$/,
      );
    },
  );

  it.each([
    "grafana/grafana:13.0.1",
    "prom/prometheus:v3.15.1",
    "grafana/grafana:13.0.1-ubuntu",
    `grafana/k6:1@sha256:${"d".repeat(64)}`,
  ])("accepts the pinned %s", (ref) => {
    expect(unpinnedImageReason(ref)).toBeUndefined();
  });
});

describe("policy k6obs-port-loopback", () => {
  it("passes ports bound to 127.0.0.1 and ::1", async () => {
    const props = {
      ...goodContainer,
      ports: [
        { internal: 3000, external: 3000, ip: "127.0.0.1" },
        { internal: 9090, external: 9090, ip: "::1" },
      ],
    };
    expect(await violations(validatePortBindLoopback, { type: CONTAINER_TYPE, props })).toEqual([]);
  });

  it("passes a container without published ports", async () => {
    const props = { ...goodContainer, ports: undefined };
    expect(await violations(validatePortBindLoopback, { type: CONTAINER_TYPE, props })).toEqual([]);
  });

  it("fails a port without ip (0.0.0.0) and one on a LAN address", async () => {
    const found = await violations(validatePortBindLoopback, {
      type: CONTAINER_TYPE,
      name: "grafana",
      props: {
        ...goodContainer,
        ports: [
          { internal: 3000, external: 3000 },
          { internal: 9090, external: 9090, ip: "192.168.1.10" },
        ],
      },
    });
    expect(found).toEqual([
      expect.stringMatching(
        /Container "grafana" publishes port 3000 on host port 3000 at all addresses \(no ip means 0.0.0.0\)/,
      ),
      expect.stringMatching(/publishes port 9090 on host port 9090 at address 192.168.1.10/),
    ]);
  });

  it("fails host networking", async () => {
    const found = await violations(validatePortBindLoopback, {
      type: CONTAINER_TYPE,
      props: { ...goodContainer, ports: [], networkMode: "host" },
    });
    expect(found[0]).toMatch(/networkMode "host"/);
  });

  it("passes a 0.0.0.0 bind when the policy config sets allowNonLoopbackBind: true", async () => {
    const found = await violations(validatePortBindLoopback, {
      type: CONTAINER_TYPE,
      props: { ...goodContainer, ports: [{ internal: 3000, external: 3000, ip: "0.0.0.0" }] },
      config: { allowNonLoopbackBind: true },
    });
    expect(found).toEqual([]);
  });

  it("knows loopback addresses", () => {
    for (const address of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1", "0000::0001"]) {
      expect(isLoopbackAddress(address)).toBe(true);
    }
    for (const address of [undefined, "", "0.0.0.0", "::", "128.0.0.1", "127.0.0.256", "::2", "localhost"]) {
      expect(isLoopbackAddress(address)).toBe(false);
    }
  });
});

describe("policy k6obs-container-unprivileged", () => {
  it("passes an unprivileged container with no-new-privileges", async () => {
    expect(
      await violations(validateContainerUnprivileged, { type: CONTAINER_TYPE, props: goodContainer }),
    ).toEqual([]);
  });

  it("fails a privileged container", async () => {
    const found = await violations(validateContainerUnprivileged, {
      type: CONTAINER_TYPE,
      name: "prometheus",
      props: { ...goodContainer, privileged: true },
    });
    expect(found).toEqual([expect.stringMatching(/Container "prometheus" runs privileged/)]);
  });

  it("fails a container that runs as root: user unset, root, 0, 0:0", async () => {
    for (const user of [undefined, "", "root", "0", "0:0", "root:root", "000"]) {
      const found = await violations(validateContainerUnprivileged, {
        type: CONTAINER_TYPE,
        props: { ...goodContainer, user },
      });
      expect({ user, found }).toEqual({ user, found: [expect.stringMatching(/runs as root/)] });
    }
    for (const user of ["472", "65534:65534", "12345", "nobody"]) {
      expect(
        await violations(validateContainerUnprivileged, {
          type: CONTAINER_TYPE,
          props: { ...goodContainer, user },
        }),
      ).toEqual([]);
    }
  });

  it("fails added capabilities and host namespaces, passes dropped capabilities", async () => {
    const caps = await violations(validateContainerUnprivileged, {
      type: CONTAINER_TYPE,
      name: "x",
      props: { ...goodContainer, capabilities: { adds: ["NET_ADMIN", "SYS_ADMIN"], drops: [] } },
    });
    expect(caps).toEqual([expect.stringMatching(/adds capabilities NET_ADMIN, SYS_ADMIN/)]);
    for (const key of ["networkMode", "pidMode", "ipcMode", "usernsMode"]) {
      const found = await violations(validateContainerUnprivileged, {
        type: CONTAINER_TYPE,
        props: { ...goodContainer, [key]: "host" },
      });
      expect(found).toEqual([expect.stringContaining(`(${key}: host)`)]);
    }
    expect(
      await violations(validateContainerUnprivileged, {
        type: CONTAINER_TYPE,
        props: { ...goodContainer, capabilities: { drops: ["ALL"] }, networkMode: "bridge" },
      }),
    ).toEqual([]);
  });

  it("fails the Docker socket, host system paths and writable host paths, in mounts and legacy volumes", async () => {
    const cases: [object, RegExp][] = [
      [
        { mounts: [{ type: "bind", source: "/var/run/docker.sock", target: "/s", readOnly: true }] },
        /host's \/var\/run\/docker.sock/,
      ],
      [{ mounts: [{ type: "bind", source: "/", target: "/host", readOnly: true }] }, /host's \/ at \/host/],
      [{ mounts: [{ type: "bind", source: "/etc/", target: "/e", readOnly: true }] }, /host's \/etc/],
      [
        { mounts: [{ type: "bind", source: "/srv/data", target: "/d" }] },
        /host path \/srv\/data at \/d writable/,
      ],
      [{ volumes: [{ hostPath: "/run/docker.sock", containerPath: "/s" }] }, /host's \/run\/docker.sock/],
    ];
    for (const [extra, message] of cases) {
      const found = await violations(validateContainerUnprivileged, {
        type: CONTAINER_TYPE,
        props: { ...goodContainer, ...extra },
      });
      expect({ extra, found }).toEqual({ extra, found: [expect.stringMatching(message)] });
    }
  });

  it("fails a container without no-new-privileges, or with it set to false", async () => {
    for (const securityOpts of [undefined, [], ["no-new-privileges:false"], ["seccomp=unconfined"]]) {
      const found = await violations(validateContainerUnprivileged, {
        type: CONTAINER_TYPE,
        props: { ...goodContainer, securityOpts },
      });
      expect(found).toEqual([expect.stringMatching(/does not set no-new-privileges/)]);
    }
  });
});

describe("the program as declared", () => {
  /** Stack config as committed in Pulumi.<stack>.yaml, without the project prefix. */
  function stackConfig(stack: string): Record<string, string> {
    const file = parseYaml(fs.readFileSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
      config?: Record<string, unknown>;
    };
    return Object.fromEntries(
      Object.entries(file.config ?? {})
        .filter(([key]) => key.startsWith("k6-observatory:"))
        .map(([key, value]) => [key.slice("k6-observatory:".length), String(value)]),
    );
  }

  /** Every violation of every policy over the program's resources, as "<policy> <resource>". */
  async function policyViolations(run: ProgramRun, config: object = {}): Promise<string[]> {
    const found: string[] = [];
    for (const resource of run.resources) {
      for (const policy of policies) {
        const validations = [policy.validateResource ?? []].flat();
        for (const validate of validations) {
          await validate(
            resourceArgs({
              type: resource.type,
              name: resource.name,
              props: resource.inputs,
              protect: resource.opts.protect ?? false,
              config,
            }),
            () => found.push(`${policy.name} ${resource.name}`),
          );
        }
      }
    }
    return found;
  }

  it.each(["dev", "ci", "prod"])("passes every policy on the %s stack", async (stack) => {
    const run = await runProgram(stackConfig(stack), stack);
    expect(run.resources.filter((r) => r.type === VOLUME_TYPE).length).toBeGreaterThan(0);
    expect(await policyViolations(run)).toEqual([]);
  });

  it("fails a stack published on 0.0.0.0 unless the policy config allows it too", async () => {
    const run = await runProgram({ bindAddress: "0.0.0.0", allowNonLoopbackBind: "true" }, "dev");
    const found = await policyViolations(run);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((v) => v.startsWith("k6obs-port-loopback "))).toBe(true);
    expect(await policyViolations(run, { allowNonLoopbackBind: true })).toEqual([]);
  });
});

describe("policy pack", () => {
  it("enforces every policy as mandatory", () => {
    expect(policies.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ["k6obs-volume-retained", "mandatory"],
      ["k6obs-image-pinned", "mandatory"],
      ["k6obs-port-loopback", "mandatory"],
      ["k6obs-container-unprivileged", "mandatory"],
      ["k6obs-container-caps-dropped", "mandatory"],
      ["k6obs-container-limits", "mandatory"],
      ["k6obs-container-readonly-rootfs", "mandatory"],
      ["k6obs-container-log-rotation", "mandatory"],
    ]);
  });
});
