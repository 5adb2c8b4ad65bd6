/**
 * Consent for data-losing changes, on a real Pulumi engine (local file backend) and a real Docker
 * Engine: the program reads the stack's own last outputs through a self StackReference, so a first
 * `preview`/`up` of a new stack (no outputs yet) works, a retention decrease is refused by `preview`
 * and `up` with the message and Prometheus untouched, and applies with `allowRetentionDecrease`.
 * One ordered story; the sandbox and images are tests/harness/e2e/ (tests/e2e/README.md).
 */
import { E2eSandbox, tail } from "../harness/e2e/sandbox";
import { e2eStory } from "../harness/e2e/story";

jest.setTimeout(15 * 60_000);

let prometheusId: string | undefined;

const { need } = e2eStory("consent");

/** The running Prometheus container's retention flags. */
function retentionFlags(s: E2eSandbox): string[] {
  const args = JSON.parse(
    s.docker_(["inspect", "--format", "{{json .Args}}", "k6obs-dev-prometheus"]),
  ) as string[];
  return args.filter((a) => a.startsWith("--storage.tsdb.retention."));
}

describe("retention decrease needs consent (real engine)", () => {
  test("preview and the first up of a new stack work: the self reference finds no outputs and asks nothing", async () => {
    const s = need();
    await s.configSet("k6Enabled", "false");
    const preview = await s.npm("preview", [], { label: "dev: preview (new stack, no previous outputs)" });
    expect({ code: preview.code, out: preview.code === 0 ? "" : tail(preview.output) }).toEqual({
      code: 0,
      out: "",
    });
    await s.npmOk("up", ["--yes"], { label: "dev: up (cold)" });
    expect(await s.output("prometheusRetentionTime")).toBe("30d");
    expect(await s.output("prometheusRetentionSize")).toBe("10GB");
    prometheusId = s.containerId("k6obs-dev-prometheus");
    expect(prometheusId).toBeDefined();
    expect(retentionFlags(s)).toEqual([
      "--storage.tsdb.retention.time=30d",
      "--storage.tsdb.retention.size=10GB",
    ]);
  });

  test("an unchanged second preview plans no change: the read of the last deployment is not one", async () => {
    const s = need();
    const r = await s.npm("preview", ["--expect-no-changes"], { label: "dev: preview --expect-no-changes" });
    expect({ code: r.code, out: r.code === 0 ? "" : tail(r.output) }).toEqual({ code: 0, out: "" });
  });

  test("a lower retention is refused by preview and by up, naming key, value, old value and consent; Prometheus untouched", async () => {
    const s = need();
    await s.configSet("prometheusRetentionTime", "7d");
    const expected = [
      'k6-observatory:prometheusRetentionTime = "7d" is not allowed without consent',
      'lowers the retention time from "30d"',
      "k6-observatory:allowRetentionDecrease to true",
    ];
    const preview = await s.npm("preview", [], { label: "dev: preview (retention 30d -> 7d, no consent)" });
    const up = await s.npm("up", ["--yes"], { label: "dev: up (retention 30d -> 7d, no consent)" });
    for (const r of [preview, up]) {
      expect(r.code).not.toBe(0);
      for (const fragment of expected) expect(r.output).toContain(fragment);
      expect(r.output).toContain("ConfigError");
    }
    expect(s.containerId("k6obs-dev-prometheus")).toBe(prometheusId);
    expect(retentionFlags(s)).toContain("--storage.tsdb.retention.time=30d");
    // The refused update recorded nothing: the next one still compares with 30d.
    expect(await s.output("prometheusRetentionTime")).toBe("30d");
  });

  test("an older image of the same name is refused too, before anything changes", async () => {
    const s = need();
    await s.configSet("prometheusRetentionTime", "30d");
    const current = await s.output("prometheusImage");
    const older = current.replace(/:v?\d+\.\d+\.\d+$/, ":v3.14.0");
    expect(older).not.toBe(current);
    s.docker_(["tag", current, older]);
    await s.configSet("prometheusImage", older);
    const r = await s.npm("preview", [], { label: "dev: preview (Prometheus image downgrade, no consent)" });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain(`k6-observatory:prometheusImage = "${older}" is not allowed without consent`);
    expect(r.output).toContain("downgrades Prometheus 3.15.1 -> 3.14.0");
    expect(r.output).toContain("k6-observatory:allowImageDowngrade to true");
    await s.configSet("prometheusImage", current);
  });

  test("with allowRetentionDecrease the decrease applies and the next update compares with it", async () => {
    const s = need();
    await s.configSet("prometheusRetentionTime", "7d");
    await s.configSet("allowRetentionDecrease", "true");
    const up = await s.npmOk("up", ["--yes"], { label: "dev: up (retention 30d -> 7d, with consent)" });
    expect(up.output).toContain('retention lowered from "30d" to "7d"');
    expect(s.containerId("k6obs-dev-prometheus")).not.toBe(prometheusId);
    expect(retentionFlags(s)).toContain("--storage.tsdb.retention.time=7d");
    expect(await s.output("prometheusRetentionTime")).toBe("7d");
    // Consent withdrawn: 7d is now the baseline, so nothing is asked and nothing changes.
    await s.configSet("allowRetentionDecrease", "false");
    const r = await s.npm("preview", ["--expect-no-changes"], { label: "dev: preview after consent" });
    expect({ code: r.code, out: r.code === 0 ? "" : tail(r.output) }).toEqual({ code: 0, out: "" });
  });
});
