import { GRAFANA_SECRET_KEY_FILE } from "../../model/grafana";
import { K6_SECRET_ENV_FILE, k6SecretEntrypoint } from "../../model/k6";
import { DeclaredResource, ProgramRun, runProgram } from "../harness/program";

const TOKEN = "tok-4f1c9b7e-SECRET";
const PASSWORD = "pw-93b1-SECRET";
const URL_WITH_CREDENTIALS = `https://bob:${PASSWORD}@api.example:8443/base`;

const envOf = (c: DeclaredResource): Record<string, string> =>
  Object.fromEntries(((c.inputs.envs as string[] | undefined) ?? []).map((e) => e.split(/=(.*)/s, 2)));

describe("secrets reach k6 and Grafana without a plain env var", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(
      {
        k6SecretEnv: JSON.stringify({ API_TOKEN: TOKEN }),
        k6TargetUrl: URL_WITH_CREDENTIALS,
        k6Env: '{"VUS":"2"}',
      },
      "dev",
      undefined,
      ["k6SecretEnv", "k6TargetUrl"],
    );
  }, 120_000);

  test("k6 gets them in a secret upload its entrypoint sources; argv and the rest of the env stay visible", () => {
    const k6 = run.one("Container", "k6-container");
    expect(k6.inputs.entrypoints).toEqual(k6SecretEntrypoint());
    expect((k6.inputs.command as string[]).slice(0, 2)).toEqual(["run", "--out"]);
    const env = envOf(k6);
    expect(env.VUS).toBe("2");
    expect(env.TARGET_URL).toBeUndefined();
    expect(env.API_TOKEN).toBeUndefined();
    expect(k6.inputs.uploads).toEqual([
      {
        file: K6_SECRET_ENV_FILE,
        content: `export API_TOKEN='${TOKEN}'\nexport TARGET_URL='${URL_WITH_CREDENTIALS}'\n`,
      },
    ]);
    expect(k6.secretInputs).toEqual(["uploads"]);
    expect(k6.opts.additionalSecretOutputs).toEqual(["uploads"]);
  });

  test("no resource input but a secret upload, and no plain stack output, holds the token or the password", () => {
    for (const r of run.resources) {
      const visible = JSON.stringify(Object.entries(r.inputs).filter(([k]) => !r.secretInputs.includes(k)));
      expect([r.name, visible]).toEqual([r.name, expect.not.stringContaining(TOKEN)]);
      expect([r.name, visible]).toEqual([r.name, expect.not.stringContaining(PASSWORD)]);
      expect([r.name, r.secretInputs.filter((k) => k !== "uploads")]).toEqual([r.name, []]);
    }
    const plain = Object.entries(run.outputs).filter(([k]) => !run.secretOutputs.includes(k));
    expect(JSON.stringify(plain)).not.toContain(TOKEN);
    expect(JSON.stringify(plain)).not.toContain(PASSWORD);
  });

  test("Grafana reads its per-volume secret key from the data volume, never from an env value", () => {
    const env = envOf(run.one("Container", "grafana-container"));
    expect(env.GF_SECURITY_SECRET_KEY__FILE).toBe(GRAFANA_SECRET_KEY_FILE);
    expect(GRAFANA_SECRET_KEY_FILE.startsWith("/var/lib/grafana/")).toBe(true);
    expect(env.GF_SECURITY_SECRET_KEY).toBeUndefined();
  });

  test("without secrets the k6 container is as before: the image's entrypoint, no upload", async () => {
    const plain = (await runProgram({})).one("Container", "k6-container");
    expect(plain.inputs.entrypoints).toBeUndefined();
    expect(plain.inputs.uploads).toBeUndefined();
    expect(envOf(plain).TARGET_URL).toBe("http://prometheus:9090");
  }, 120_000);
});
