// Long-term history (issue 12): the prometheusRemoteWrite setting reaches Prometheus as a per-stack
// config (the committed one plus remote_write) naming credential *files*, which are uploaded as
// secrets. Under mocks: what the engine would store and show. The real engine and `docker inspect`
// are checked in tests/e2e/history.test.ts.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { DeclaredResource, ProgramError, ProgramRun, runProgram, scratchRepo } from "../harness/program";

const PASSWORD = "rw-pass-Zq81xK0pL2";
const TOKEN = "rw-token-Yp27mN4vB9";
const TARGETS = [
  { name: "mimir", url: "https://mimir.example.com/api/v1/push", username: "team", password: PASSWORD },
  {
    name: "vm",
    url: "http://victoria:8428/api/v1/write",
    bearerToken: TOKEN,
    k6Only: false,
    queue: { maxShards: 4 },
  },
];
const SECRET_KEYS = ["grafanaAdminPassword", "prometheusRemoteWrite"];

type Mount = { type: string; source: string; target: string; readOnly?: boolean };
const mountsOf = (c: DeclaredResource) => (c.inputs.mounts as Mount[] | undefined) ?? [];

describe("prometheusRemoteWrite", () => {
  let scratch: { root: string; cleanup: () => void };
  let run: ProgramRun;
  let plain: ProgramRun;
  let dir: string;
  beforeAll(async () => {
    scratch = scratchRepo();
    dir = path.join(scratch.root, ".k6obs", "dev", "prometheus-config");
    run = await runProgram(
      { prometheusRemoteWrite: JSON.stringify(TARGETS) },
      "dev",
      scratch.root,
      SECRET_KEYS,
    );
    plain = await runProgram({}, "dev", scratch.root, SECRET_KEYS);
  });
  afterAll(() => scratch.cleanup());

  test("Prometheus reads the stack's config from its own read-only directory", () => {
    const prom = run.one("Container", "prometheus-container");
    expect(mountsOf(prom)).toContainEqual({
      type: "bind",
      source: dir,
      target: "/etc/prometheus-stack",
      readOnly: true,
    });
    expect(prom.inputs.command).toContain("--config.file=/etc/prometheus-stack/prometheus.yml");
    // The committed directory stays mounted: the rules come from there.
    expect(mountsOf(prom).map((m) => m.target)).toContain("/etc/prometheus");
  });

  test("the generated config is the committed one plus remote_write with credential file paths only", () => {
    const text = fs.readFileSync(path.join(dir, "prometheus.yml"), "utf8");
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(TOKEN);
    const doc = YAML.parse(text) as Record<string, unknown>;
    const committed = YAML.parse(
      fs.readFileSync(path.join(scratch.root, "provisioning", "prometheus", "prometheus.yml"), "utf8"),
    ) as Record<string, unknown>;
    const { remote_write: rw, ...rest } = doc;
    expect(rest).toEqual(committed);
    expect(rw).toEqual([
      expect.objectContaining({
        name: "mimir",
        url: "https://mimir.example.com/api/v1/push",
        basic_auth: { username: "team", password_file: "/run/secrets/k6obs-remote-write/mimir" },
        write_relabel_configs: [{ source_labels: ["__name__"], regex: "k6_.*", action: "keep" }],
      }),
      expect.objectContaining({
        name: "vm",
        authorization: { type: "Bearer", credentials_file: "/run/secrets/k6obs-remote-write/vm" },
        queue_config: expect.objectContaining({ max_shards: 4, capacity: 10000, retry_on_http_429: true }),
      }),
    ]);
    expect((rw as Record<string, unknown>[])[1]).not.toHaveProperty("write_relabel_configs");
  });

  test("credentials are uploads, secret in state and outputs, and appear in no other input", () => {
    const prom = run.one("Container", "prometheus-container");
    // After the stack's own Prometheus password (always uploaded, components/prometheus.ts).
    expect((prom.inputs.uploads as { file: string }[]).slice(1)).toEqual([
      { file: "/run/secrets/k6obs-remote-write/mimir", content: PASSWORD },
      { file: "/run/secrets/k6obs-remote-write/vm", content: TOKEN },
    ]);
    expect(prom.secretInputs).toContain("uploads");
    expect(prom.opts.additionalSecretOutputs).toContain("uploads");
    // docker cp is refused into a read-only root filesystem, and every stack uploads its own
    // Prometheus password (exposure), so Prometheus' root filesystem is writable on every stack.
    expect(prom.inputs.readOnly).toBe(false);
    expect(plain.one("Container", "prometheus-container").inputs.readOnly).toBe(false);
    for (const r of run.resources) {
      const shown = JSON.stringify({ ...r.inputs, uploads: undefined });
      expect([r.name, shown.includes(PASSWORD) || shown.includes(TOKEN)]).toEqual([r.name, false]);
    }
    expect(JSON.stringify(run.outputs)).not.toContain(PASSWORD);
  });

  test("a remote-write change reloads Prometheus through the trigger's hash", () => {
    const hash = (r: ProgramRun) => r.one("Container", "prometheus-reload").inputs.envs;
    expect(hash(run)).not.toEqual(hash(plain));
  });

  test("without targets nothing changes for existing stacks: committed config, no uploads", () => {
    const prom = plain.one("Container", "prometheus-container");
    expect(prom.inputs.command).toContain("--config.file=/etc/prometheus/prometheus.yml");
    // Only the stack's own Prometheus password file, no remote-write credential.
    expect((prom.inputs.uploads as { file: string }[]).map((u) => u.file)).toEqual([
      "/etc/prometheus-auth/password",
    ]);
    expect(mountsOf(prom).map((m) => m.target)).not.toContain("/etc/prometheus-stack");
  });

  test("plaintext credentials fail before anything is declared, without echoing them", async () => {
    const error = await runProgram({ prometheusRemoteWrite: JSON.stringify(TARGETS) }, "dev", scratch.root, [
      "grafanaAdminPassword",
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProgramError);
    expect((error as ProgramError).declared).toBe(0);
    expect((error as ProgramError).message).toMatch(/k6-observatory:prometheusRemoteWrite .*plaintext/);
    expect((error as ProgramError).message).not.toContain(PASSWORD);
  });
});
