// Changes against the last deployment that lose or migrate data need consent or a backup: the pure
// review (config/changes.ts), the backup search (config/migration-backup.ts) and the program, which
// refuses before declaring any resource (only its read of the last deployment exists by then).
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ConfigError, ConfigKey, parseConfig } from "../../config";
import { PreviousDeployment, reviewChanges } from "../../config/changes";
import { checkDeployment } from "../../config/deployment";
import { MANIFEST_FORMAT } from "../../ops/backup/manifest";
import { ProgramError, REPO_ROOT, runProgram } from "../harness/program";

const cfg = (values: Partial<Record<ConfigKey, string>> = {}) =>
  parseConfig((k) => values[k], { stack: "dev", repoRoot: REPO_ROOT });

/** What a default dev stack exports. */
const DEPLOYED: PreviousDeployment = {
  prometheusRetentionTime: "30d",
  prometheusRetentionSize: "10GB",
  prometheusImage: "prom/prometheus:v3.15.1",
  grafanaImage: "grafana/grafana:13.0.1",
  k6Image: "grafana/k6:1.8.1",
  prometheusVolume: "k6obs-dev-prometheus-data",
  grafanaVolume: "k6obs-dev-grafana-data",
};

describe("retention decrease", () => {
  test.each([
    ["prometheusRetentionTime", "7d", '"30d"', "time"],
    ["prometheusRetentionTime", "29d23h", '"30d"', "time"],
    ["prometheusRetentionSize", "9GB", '"10GB"', "size"],
    ["prometheusRetentionSize", "10239MB", '"10GB"', "size"],
  ] as const)(
    "%s = %s is refused without consent, naming old value and consent key",
    (key, value, old, what) => {
      const review = reviewChanges(DEPLOYED, cfg({ [key]: value }));
      expect(review.problems).toHaveLength(1);
      for (const fragment of [
        `k6-observatory:${key} = "${value}"`,
        `lowers the retention ${what} from ${old}`,
        "k6-observatory:allowRetentionDecrease to true",
      ])
        expect(review.problems[0]).toContain(fragment);
    },
  );

  test("the same retention in other words, or more, needs nothing", () => {
    for (const values of [
      { prometheusRetentionTime: "720h", prometheusRetentionSize: "10240MB" },
      { prometheusRetentionTime: "1y", prometheusRetentionSize: "1TB" },
    ]) {
      expect(reviewChanges(DEPLOYED, cfg(values))).toEqual({ problems: [], warnings: [], migrations: [] });
    }
  });

  test("with consent the decrease passes, with a warning to take the consent back", () => {
    const review = reviewChanges(
      DEPLOYED,
      cfg({ prometheusRetentionTime: "7d", prometheusRetentionSize: "2GB", allowRetentionDecrease: "true" }),
    );
    expect(review.problems).toEqual([]);
    expect(review.warnings.join("\n")).toContain('retention lowered from "30d" to "7d"');
    expect(review.warnings.join("\n")).toContain('retention lowered from "10GB" to "2GB"');
  });

  test("consent left on with nothing to consent to is pointed out", () => {
    expect(reviewChanges(DEPLOYED, cfg({ allowRetentionDecrease: "true" })).warnings).toEqual([
      "k6-observatory:allowRetentionDecrease is true but this update lowers no retention; set it back to false so the next decrease asks again",
    ]);
  });

  test("a last retention this version cannot read is reported, not compared", () => {
    const review = reviewChanges({ ...DEPLOYED, prometheusRetentionTime: "forever" }, cfg());
    expect(review).toEqual({
      problems: [],
      warnings: [
        'k6-observatory:prometheusRetentionTime: the last deployment\'s value "forever" cannot be compared',
      ],
      migrations: [],
    });
  });

  test("a retention this config holds but cannot read is reported, not compared", () => {
    // parseConfig refuses such a value first; the review does not rely on that.
    const review = reviewChanges(DEPLOYED, { ...cfg(), prometheusRetentionSize: "a lot" });
    expect(review.problems).toEqual([]);
    expect(review.warnings).toEqual([
      'k6-observatory:prometheusRetentionSize: the last deployment\'s value "10GB" cannot be compared',
    ]);
  });

  test("a first deployment (no previous outputs) compares nothing", () => {
    expect(
      reviewChanges({}, cfg({ prometheusRetentionTime: "2h", prometheusRetentionSize: "512MB" })),
    ).toEqual({
      problems: [],
      warnings: [],
      migrations: [],
    });
  });
});

describe("image downgrade", () => {
  test.each([
    ["grafanaImage", "grafana/grafana:13.0.0", "Grafana 13.0.1 -> 13.0.0"],
    ["k6Image", "grafana/k6:1.7.9", "k6 1.8.1 -> 1.7.9"],
    ["prometheusImage", "prom/prometheus:v3.14.0", "Prometheus 3.15.1 -> 3.14.0"],
    // Another registry or namespace of the same image cannot hide a downgrade.
    ["prometheusImage", "quay.io/prometheus/prometheus:v3.9.0", "Prometheus 3.15.1 -> 3.9.0"],
  ] as const)("%s = %s is refused without consent", (key, value, change) => {
    const review = reviewChanges(DEPLOYED, cfg({ [key]: value }));
    expect(review.problems).toHaveLength(1);
    for (const fragment of [
      `k6-observatory:${key} = "${value}"`,
      `downgrades ${change}`,
      `the last deployment ran ${DEPLOYED[key]}`,
      "k6-observatory:allowImageDowngrade to true",
    ])
      expect(review.problems[0]).toContain(fragment);
  });

  test("an upgrade, a digest pin of the same version or an unrelated image name needs no consent", () => {
    for (const values of [
      { grafanaImage: "grafana/grafana:13.1.0" },
      { prometheusImage: `prom/prometheus:v3.15.1@sha256:${"a".repeat(64)}` },
      { k6Image: "example/loadgen:0.1.0" },
    ]) {
      expect(reviewChanges(DEPLOYED, cfg(values)).problems).toEqual([]);
    }
  });

  test("with consent a minor downgrade passes with a warning", () => {
    const review = reviewChanges(
      DEPLOYED,
      cfg({ grafanaImage: "grafana/grafana:13.0.0", allowImageDowngrade: "true" }),
    );
    expect(review.problems).toEqual([]);
    expect(review.warnings).toEqual([
      "k6-observatory:grafanaImage: downgraded Grafana 13.0.1 -> 13.0.0 with k6-observatory:allowImageDowngrade; set it back to false",
    ]);
  });

  test("a Prometheus older than 2.55 on a v3 TSDB is refused even with consent", () => {
    const review = reviewChanges(
      DEPLOYED,
      cfg({ prometheusImage: "prom/prometheus:v2.40.0", allowImageDowngrade: "true" }),
    );
    expect(review.problems).toHaveLength(1);
    for (const fragment of [
      'k6-observatory:prometheusImage = "prom/prometheus:v2.40.0" is not allowed',
      "written by Prometheus 3.15.1",
      "from 2.55.0 on only",
      "allowImageDowngrade cannot consent",
      "k6-observatory:prometheusVolumeName",
    ])
      expect(review.problems[0]).toContain(fragment);
  });

  test("on another volume the old Prometheus meets no v3 TSDB: consent and nothing else", () => {
    const review = reviewChanges(
      DEPLOYED,
      cfg({
        prometheusImage: "prom/prometheus:v2.40.0",
        prometheusVolumeName: "restored-v2-tsdb",
        allowImageDowngrade: "true",
      }),
    );
    expect(review.problems).toEqual([]);
    expect(review.migrations).toEqual([]);
  });
});

describe("image history", () => {
  test("consent to a downgrade left on with nothing to consent to is pointed out", () => {
    expect(reviewChanges(DEPLOYED, cfg({ allowImageDowngrade: "true" })).warnings).toEqual([
      "k6-observatory:allowImageDowngrade is true but this update downgrades no image; set it back to false so the next downgrade asks again",
    ]);
  });

  test("Prometheus 2.55 reads a v3 TSDB: going back to it is a downgrade like any other", () => {
    const to255 = { prometheusImage: "prom/prometheus:v2.55.0" };
    expect(reviewChanges(DEPLOYED, cfg(to255)).problems).toEqual([
      'k6-observatory:prometheusImage = "prom/prometheus:v2.55.0" is not allowed without consent: it downgrades Prometheus 3.15.1 -> 2.55.0 (the last deployment ran prom/prometheus:v3.15.1), and Prometheus does not promise to read data a newer version wrote in k6obs-dev-prometheus-data; set k6-observatory:allowImageDowngrade to true for this update to consent (`npm run pulumi -- config set allowImageDowngrade true`), and back to false after it',
    ]);
    const consented = reviewChanges(DEPLOYED, cfg({ ...to255, allowImageDowngrade: "true" }));
    expect(consented.problems).toEqual([]);
    expect(consented.migrations).toEqual([
      expect.objectContaining({ service: "prometheus", change: "Prometheus 3.15.1 -> 2.55.0" }),
    ]);
  });

  test("a v2 TSDB may go back to an older Prometheus 2 with consent", () => {
    const review = reviewChanges(
      { ...DEPLOYED, prometheusImage: "prom/prometheus:v2.50.0" },
      cfg({ prometheusImage: "prom/prometheus:v2.40.0", allowImageDowngrade: "true" }),
    );
    expect(review.problems).toEqual([]);
    expect(review.warnings).toEqual([
      "k6-observatory:prometheusImage: downgraded Prometheus 2.50.0 -> 2.40.0 with k6-observatory:allowImageDowngrade; set it back to false",
    ]);
  });

  test("the v3 TSDB rule is Prometheus' own: an old Grafana is an ordinary downgrade", () => {
    const review = reviewChanges(
      DEPLOYED,
      cfg({ grafanaImage: "grafana/grafana:2.6.0", allowImageDowngrade: "true" }),
    );
    expect(review.problems).toEqual([]);
    expect(review.warnings).toEqual([
      "k6-observatory:grafanaImage: downgraded Grafana 13.0.1 -> 2.6.0 with k6-observatory:allowImageDowngrade; set it back to false",
    ]);
  });

  test("a major upgrade of either data service is listed as a migration of its volume", () => {
    const review = reviewChanges(
      DEPLOYED,
      cfg({ prometheusImage: "prom/prometheus:v4.0.0", grafanaImage: "grafana/grafana:14.0.0" }),
    );
    expect(review).toEqual({
      problems: [],
      warnings: [],
      migrations: [
        {
          service: "prometheus",
          key: "prometheusImage",
          volume: "k6obs-dev-prometheus-data",
          fromImage: "prom/prometheus:v3.15.1",
          toImage: "prom/prometheus:v4.0.0",
          change: "Prometheus 3.15.1 -> 4.0.0",
        },
        {
          service: "grafana",
          key: "grafanaImage",
          volume: "k6obs-dev-grafana-data",
          fromImage: "grafana/grafana:13.0.1",
          toImage: "grafana/grafana:14.0.0",
          change: "Grafana 13.0.1 -> 14.0.0",
        },
      ],
    });
  });

  test("a k6 major change holds no data: no migration", () => {
    expect(reviewChanges(DEPLOYED, cfg({ k6Image: "grafana/k6:2.0.0" })).migrations).toEqual([]);
  });

  test("a last image this version cannot read compares nothing", () => {
    for (const previous of [
      { prometheusImage: "prom/prometheus:latest" },
      { grafanaImage: "not an image reference" },
      { k6Image: "grafana/k6:main" },
      { k6Image: "grafana/k6:nightly-2.0.0" },
    ]) {
      const changed = cfg({
        prometheusImage: "prom/prometheus:v2.40.0",
        grafanaImage: "grafana/grafana:12.0.0",
        k6Image: "grafana/k6:0.50.0",
      });
      expect(reviewChanges({ ...previous }, changed)).toEqual({ problems: [], warnings: [], migrations: [] });
    }
  });
});

describe("major version changes need a backup taken with the running image", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-changes-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Writes a backup directory as `npm run backup` does; returns it. */
  function backup(opts: {
    at: Date;
    image?: string;
    volume?: string;
    corrupt?: boolean;
    where?: string;
    role?: "prometheus" | "grafana";
  }): string {
    const stamp = opts.at
      .toISOString()
      .replace(/\.\d{3}Z$/, "Z")
      .replace(/[-:]/g, "");
    const out = opts.where ?? path.join(dir, "backups", "dev", stamp);
    fs.mkdirSync(out, { recursive: true });
    const volume = opts.volume ?? "k6obs-dev-grafana-data";
    const archive = `${volume}_${stamp}.tar.gz`;
    const content = Buffer.from(`archive of ${volume}`);
    fs.writeFileSync(path.join(out, archive), opts.corrupt ? Buffer.from("changed") : content);
    const manifest = {
      format: MANIFEST_FORMAT,
      createdAt: opts.at.toISOString(),
      stack: "dev",
      helperImage: "prom/prometheus:v3.15.1",
      images: { prometheus: "prom/prometheus:v3.15.1", grafana: opts.image ?? "grafana/grafana:13.0.1" },
      volumes: [
        {
          volume,
          role: opts.role ?? "grafana",
          archive,
          bytes: content.length,
          sha256: createHash("sha256").update(content).digest("hex"),
          driver: "local",
          labels: {},
          options: {},
          stoppedContainers: ["k6obs-dev-grafana"],
          copyMs: 5,
        },
      ],
    };
    fs.writeFileSync(path.join(out, "manifest.json"), JSON.stringify(manifest));
    return out;
  }

  const now = new Date("2026-12-01T12:00:00Z");
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
  const upgrade = { grafanaImage: "grafana/grafana:14.0.0" };
  const refusal = async (values: Partial<Record<ConfigKey, string>>): Promise<string> => {
    try {
      await checkDeployment(DEPLOYED, cfg(values), { repoRoot: dir, now });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      expect(e.problems).toHaveLength(1);
      return e.problems[0]!;
    }
    throw new Error("accepted");
  };

  test("without any backup the major upgrade is refused, saying what to run", async () => {
    const msg = await refusal(upgrade);
    for (const fragment of [
      'k6-observatory:grafanaImage = "grafana/grafana:14.0.0" is not allowed yet',
      "Grafana 13.0.1 -> 14.0.0 migrates the data in volume k6obs-dev-grafana-data",
      "taken with the running grafana/grafana:13.0.1 within the last 24 hours",
      "npm run backup",
      "k6-observatory:migrationBackup",
      `no backup under ${path.join(dir, "backups", "dev")}`,
    ])
      expect(msg).toContain(fragment);
  });

  test.each([
    ["too old", { at: hoursAgo(25) }, "not within the last 24 hours"],
    [
      "taken with another image",
      { at: hoursAgo(1), image: "grafana/grafana:12.4.0" },
      "not the running grafana/grafana:13.0.1",
    ],
    [
      "of the volume, made for another service",
      { at: hoursAgo(1), role: "prometheus" as const },
      "holds no grafana archive of volume k6obs-dev-grafana-data",
    ],
    [
      "of another volume",
      { at: hoursAgo(1), volume: "other-grafana" },
      "holds no grafana archive of volume k6obs-dev-grafana-data",
    ],
    ["whose archive changed", { at: hoursAgo(1), corrupt: true }, "does not match the manifest"],
  ])("a backup %s does not count", async (_name, opts, why) => {
    backup(opts);
    expect(await refusal(upgrade)).toContain(why);
  });

  test("a fresh backup of the volume with the running image lets the upgrade through", async () => {
    const found = backup({ at: hoursAgo(2) });
    const warnings = await checkDeployment(DEPLOYED, cfg(upgrade), { repoRoot: dir, now });
    expect(warnings).toEqual([`Grafana 13.0.1 -> 14.0.0: relying on the backup ${found}`]);
  });

  test("the refusal is one error naming what was checked and every problem", async () => {
    await expect(
      checkDeployment(DEPLOYED, cfg({ ...upgrade, prometheusRetentionTime: "7d" }), { repoRoot: dir, now }),
    ).rejects.toThrow(
      /^Invalid change against the last deployment:\n {2}- k6-observatory:prometheusRetentionTime = "7d" is not allowed without consent[^\n]*\n {2}- k6-observatory:grafanaImage = "grafana\/grafana:14.0.0" is not allowed yet/,
    );
  });

  test("of several good backups the newest is relied on", async () => {
    // Created out of order: the choice follows the names (UTC timestamps), not the listing.
    backup({ at: hoursAgo(4) });
    backup({ at: hoursAgo(2) });
    const newest = backup({ at: hoursAgo(0.5) });
    backup({ at: hoursAgo(3) });
    backup({ at: hoursAgo(5) });
    expect(await checkDeployment(DEPLOYED, cfg(upgrade), { repoRoot: dir, now })).toEqual([
      `Grafana 13.0.1 -> 14.0.0: relying on the backup ${newest}`,
    ]);
  });

  test.each([
    ["exactly 24 hours old", 24],
    ["just made", 0],
    ["dated 5 minutes ahead (clock skew)", -5 / 60],
  ])("a backup %s counts", async (_name, age) => {
    const found = backup({ at: hoursAgo(age) });
    expect(await checkDeployment(DEPLOYED, cfg(upgrade), { repoRoot: dir, now })).toEqual([
      `Grafana 13.0.1 -> 14.0.0: relying on the backup ${found}`,
    ]);
  });

  test("a backup dated 6 minutes or more ahead does not count", async () => {
    backup({ at: hoursAgo(-0.1) });
    expect(await refusal(upgrade)).toContain(
      `made at ${hoursAgo(-0.1).toISOString()}, not within the last 24 hours`,
    );
  });

  test("every backup looked at is named with its reason; stray files are not backups", async () => {
    const unreadable = path.join(dir, "backups", "dev", "20261201T110000Z");
    fs.mkdirSync(unreadable, { recursive: true });
    fs.writeFileSync(path.join(dir, "backups", "dev", "notes.txt"), "not a backup");
    const old = backup({ at: hoursAgo(30) });
    const msg = await refusal(upgrade);
    expect(msg).toContain(
      `Checked: ${unreadable}: cannot read ${path.join(unreadable, "manifest.json")}: ENOENT`,
    );
    expect(msg).toContain(`; ${old}: made at ${hoursAgo(30).toISOString()}`);
    expect(msg).not.toContain("notes.txt");
  });

  test("migrationBackup names the one backup to rely on, anywhere", async () => {
    backup({ at: hoursAgo(1) }); // under backups/dev/, but not the named one
    const elsewhere = backup({ at: hoursAgo(30), where: path.join(dir, "offsite", "b1") });
    expect(await refusal({ ...upgrade, migrationBackup: elsewhere })).toContain(
      `${elsewhere}: made at ${hoursAgo(30).toISOString()}, not within the last 24 hours`,
    );
    expect(() => cfg({ migrationBackup: "offsite/none" })).toThrow(
      /k6-observatory:migrationBackup = "offsite\/none" is not allowed: a backup directory holding manifest.json/,
    );
  });

  test("a minor upgrade or a new volume needs no backup", async () => {
    await expect(
      checkDeployment(DEPLOYED, cfg({ grafanaImage: "grafana/grafana:13.1.0" }), { repoRoot: dir, now }),
    ).resolves.toEqual([]);
    await expect(
      checkDeployment(DEPLOYED, cfg({ ...upgrade, grafanaVolumeName: "fresh-grafana" }), {
        repoRoot: dir,
        now,
      }),
    ).resolves.toEqual([]);
  });
});

describe("the program", () => {
  test("exports what the next update compares against", async () => {
    const run = await runProgram();
    expect(run.outputs).toMatchObject({ ...DEPLOYED });
  });

  test("refuses a retention decrease before declaring any resource, naming key, old value and consent", async () => {
    const failure = await runProgram({ prometheusRetentionSize: "1GB" }, "dev", undefined, undefined, {
      ...DEPLOYED,
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ProgramError);
    const err = failure as ProgramError;
    expect((err.error as Error).name).toBe("ConfigError"); // the program's own copy of the class
    expect(err.message).toContain(
      'k6-observatory:prometheusRetentionSize = "1GB" is not allowed without consent: it lowers the retention size from "10GB"',
    );
    expect(err.message).toContain("k6-observatory:allowRetentionDecrease");
    // Only the read of the last deployment (a StackReference, which creates nothing) came first.
    expect(err.declared).toBe(1);
  });

  test("with consent the same program declares the stack with the lower retention", async () => {
    const run = await runProgram(
      { prometheusRetentionSize: "1GB", allowRetentionDecrease: "true" },
      "dev",
      undefined,
      undefined,
      { ...DEPLOYED },
    );
    const cmd = run.one("container:Container", "prometheus-container").inputs.command as string[];
    expect(cmd).toContain("--storage.tsdb.retention.size=1GB");
    expect(run.outputs.prometheusRetentionSize).toBe("1GB");
  });
});
