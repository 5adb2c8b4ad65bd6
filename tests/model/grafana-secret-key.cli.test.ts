import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GRAFANA_DEFAULT_SECRET_KEY, grafanaStartScript } from "../../model/grafana";

/**
 * Runs the Grafana start script with a real sh on a data directory, as the container does, with
 * stand-ins for the `grafana` CLI (records GF_SECURITY_SECRET_KEY it was given) and /run.sh
 * (records GF_SECURITY_SECRET_KEY__FILE, which Grafana's run.sh expands).
 */
function start(
  data: string,
  keyPath = path.join(data, "k6obs-secret-key"),
): { out: string; err: string; cliKey: string; serverKeyFile: string } {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-grafana-key-bin-"));
  try {
    fs.writeFileSync(
      path.join(bin, "grafana"),
      `#!/bin/sh\ncat >/dev/null\nprintf '%s' "\${GF_SECURITY_SECRET_KEY:-}" > "${bin}/cli-key"\nexit 1\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(
      path.join(bin, "run.sh"),
      `#!/bin/sh\nprintf '%s' "$GF_SECURITY_SECRET_KEY__FILE" > "${bin}/server-key-file"\n`,
      { mode: 0o755 },
    );
    const r = spawnSync("sh", ["-c", grafanaStartScript(path.join(bin, "run.sh"))], {
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        GF_PATHS_DATA: data,
        GF_SECURITY_SECRET_KEY__FILE: keyPath,
        GF_SECURITY_ADMIN_PASSWORD: "x",
        GF_PATHS_HOME: "/usr/share/grafana",
        GF_PATHS_CONFIG: "/etc/grafana/grafana.ini",
      },
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`start script exited ${r.status}: ${r.stderr}`);
    return {
      out: r.stdout,
      err: r.stderr,
      cliKey: fs.readFileSync(path.join(bin, "cli-key"), "utf8"),
      serverKeyFile: fs.readFileSync(path.join(bin, "server-key-file"), "utf8"),
    };
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
}

describe("Grafana secret key kept in the data volume", () => {
  let data: string;
  beforeEach(() => {
    data = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-grafana-data-"));
  });
  afterEach(() => fs.rmSync(data, { recursive: true, force: true }));
  const keyFile = () => path.join(data, "k6obs-secret-key");

  test("a new volume gets a random 256-bit key, private to Grafana's user, that the CLI and server both use", () => {
    const r = start(data);
    const key = fs.readFileSync(keyFile(), "utf8");
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.statSync(keyFile()).mode & 0o777).toBe(0o600);
    expect(fs.statSync(keyFile()).uid).toBe(process.getuid?.());
    expect(r.cliKey).toBe(key);
    expect(r.serverKeyFile).toBe(keyFile());
    expect(r.out).toContain("new secret key for this volume");
    expect(r.err).not.toContain("WARNING");
    expect(fs.readdirSync(data)).toEqual(["k6obs-secret-key"]);
  });

  test("the key is kept on every later start (a restart or a new container on the same volume)", () => {
    start(data);
    const key = fs.readFileSync(keyFile(), "utf8");
    fs.writeFileSync(path.join(data, "grafana.db"), "db");
    const again = start(data);
    expect(fs.readFileSync(keyFile(), "utf8")).toBe(key);
    expect(again.cliKey).toBe(key);
    expect(again.out).not.toContain("new secret key");
    expect(again.err).toBe("");
  });

  test("two volumes get different keys", () => {
    start(data);
    const other = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-grafana-data-"));
    try {
      start(other);
      expect(fs.readFileSync(path.join(other, "k6obs-secret-key"), "utf8")).not.toBe(
        fs.readFileSync(keyFile(), "utf8"),
      );
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  test("an existing grafana.db without a key keeps Grafana's default key, with a warning saying how to rotate, on every start", () => {
    fs.writeFileSync(path.join(data, "grafana.db"), "adopted compose volume");
    const first = start(data);
    expect(fs.readFileSync(keyFile(), "utf8")).toBe(GRAFANA_DEFAULT_SECRET_KEY);
    expect(GRAFANA_DEFAULT_SECRET_KEY).toBe("SW2YcwTIb9zpOOhoPsMm");
    expect(fs.statSync(keyFile()).mode & 0o777).toBe(0o600);
    expect(first.cliKey).toBe(GRAFANA_DEFAULT_SECRET_KEY);
    expect(first.err).toContain("WARNING");
    expect(first.err).toContain("published in Grafana defaults");
    expect(first.err).toContain("to rotate it: back up the volume, write a new random key into");
    expect(first.err).toContain("re-enter every secret stored in Grafana");
    expect(start(data).err).toContain("WARNING");
  });

  test("a key the user rotated is used and no longer warned about", () => {
    fs.writeFileSync(path.join(data, "grafana.db"), "db");
    fs.writeFileSync(keyFile(), "rotated-key-0123456789abcdef", { mode: 0o600 });
    const r = start(data);
    expect(fs.readFileSync(keyFile(), "utf8")).toBe("rotated-key-0123456789abcdef");
    expect(r.cliKey).toBe("rotated-key-0123456789abcdef");
    expect(r.err).toBe("");
  });

  test("a key that cannot be written stops the start instead of running Grafana without one", () => {
    expect(() => start(data, path.join(data, "no-such-dir", "k6obs-secret-key"))).toThrow(
      /exited 1: [\s\S]*cannot write/,
    );
  });
});
