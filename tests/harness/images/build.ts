/**
 * About 400 lines: one builder per image plus the shared cache check; each builder is short.
 *
 * Builds the images the e2e suite runs, locally (no registry), each skipped when an image with the
 * same content hash already exists:
 *
 * - `k6obs-e2e/prometheus:v<pinned>`: a REAL Prometheus, the binaries tools/install-tools.sh
 *   builds at the pinned version, in the upstream Dockerfile's layout (busybox for `wget`);
 * - `k6obs-e2e/alertmanager:v<pinned>`: a REAL Alertmanager (`install-tools.sh alertmanager`), in
 *   the upstream Dockerfile's layout; its web UI is a placeholder page, the API is complete;
 * - `k6obs-e2e/grafana-standin:<pinned>`: a Grafana STAND-IN (grafana-standin/standin.ts);
 * - `k6obs-e2e/k6-standin:<pinned>`: a k6 STAND-IN, the k6-compatible emitter's CLI
 *   (tests/harness/k6-emitter/cli.ts), or a placeholder that only records its argv while the
 *   emitter is missing;
 * - `k6obs-e2e/grafana-bump:<tag>-e2e.1`: the Grafana image under test plus one label, a different
 *   image id for the "image bump replaces only that container" class.
 *
 * The names never shadow a real image (`prom/prometheus`, `grafana/*`): the stack is pointed at them
 * through the `prometheusImage` / `grafanaImage` / `k6Image` config keys. Node-based stand-ins carry
 * the host's own `node` and the shared libraries `ldd` lists, on busybox-static, FROM scratch.
 *
 *   npx tsx tests/harness/images/build.ts              # builds into $DOCKER_HOST's engine, prints the refs
 *   npx tsx tests/harness/images/build.ts --real-env   # K6OBS_E2E_*_IMAGE=<pinned real image> lines (CI)
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  ALERTMANAGER_IMAGE,
  GRAFANA_IMAGE,
  K6_IMAGE,
  PROMETHEUS_IMAGE,
  imageRef,
} from "../../../model/images";

/** Label holding the sha256 of everything an image was built from. */
export const CONTENT_LABEL = "org.k6obs.e2e.content-sha256";
/** Label saying what an image is (`real prometheus`, `stand-in`, ...). */
export const KIND_LABEL = "org.k6obs.e2e.kind";

/** The image references a suite run uses, and how each was obtained. */
export interface E2eImages {
  readonly prometheus: string;
  readonly grafana: string;
  readonly k6: string;
  readonly alertmanager: string;
  /** Same as `grafana` plus one label: another image id. */
  readonly grafanaBump: string;
  /** One line per image: built, reused (cache hit) or given. */
  readonly notes: string[];
  /** True when the k6 image is the placeholder (no emitter yet): it sends no samples. */
  readonly k6Placeholder: boolean;
}

/** Options of {@link ensureImages}. */
export interface EnsureImagesOptions {
  /** Repository root (scripts/, node_modules/, tests/harness/). */
  readonly repo: string;
  /** Environment for docker (DOCKER_HOST of the engine the suite uses). */
  readonly env: NodeJS.ProcessEnv;
  /** Real images given from outside (e.g. the GitHub workflow): used as they are, not built. */
  readonly given?: { prometheus?: string; grafana?: string; k6?: string; alertmanager?: string };
  /** Progress lines. */
  readonly log: (line: string) => void;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): string {
  return execFileSync(cmd, args, {
    env,
    encoding: "utf8",
    input,
    stdio: ["pipe", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** sha256 over every file under dir: relative path, mode, symlink target or content. */
export function hashTree(dir: string): string {
  const h = crypto.createHash("sha256");
  const walk = (rel: string): void => {
    const abs = path.join(dir, rel);
    const st = fs.lstatSync(abs);
    h.update(`${rel}\0${st.mode}\0`);
    if (st.isSymbolicLink()) h.update(fs.readlinkSync(abs));
    else if (st.isDirectory()) for (const e of fs.readdirSync(abs).sort()) walk(path.join(rel, e));
    else h.update(fs.readFileSync(abs));
  };
  walk(".");
  return h.digest("hex");
}

function imageLabel(ref: string, label: string, env: NodeJS.ProcessEnv): string | undefined {
  try {
    const out = run(
      "docker",
      ["image", "inspect", "--format", `{{ index .Config.Labels "${label}" }}`, ref],
      env,
    );
    return out.trim();
  } catch {
    return undefined;
  }
}

/** Builds context dir as ref unless an image of that ref with the same content hash exists. */
function buildCached(ref: string, context: string, kind: string, opts: EnsureImagesOptions): string {
  const hash = hashTree(context);
  if (imageLabel(ref, CONTENT_LABEL, opts.env) === hash) {
    opts.log(`image ${ref} (${kind}): up to date (content ${hash.slice(0, 12)})`);
    return `${ref} (${kind}): reused, content sha256 ${hash.slice(0, 12)}`;
  }
  const started = Date.now();
  run(
    "docker",
    [
      "build",
      "-q",
      "--label",
      `${CONTENT_LABEL}=${hash}`,
      "--label",
      `${KIND_LABEL}=${kind}`,
      "-t",
      ref,
      context,
    ],
    opts.env,
  );
  const s = ((Date.now() - started) / 1000).toFixed(1);
  opts.log(`image ${ref} (${kind}): built in ${s}s (content ${hash.slice(0, 12)})`);
  return `${ref} (${kind}): built in ${s}s`;
}

/** Debian's static busybox, from tools/install-tools.sh (the one installer). */
function busybox(repo: string, env: NodeJS.ProcessEnv): string {
  return (
    run("bash", [path.join(repo, "tools", "install-tools.sh"), "busybox"], env)
      .trim()
      .split("\n")
      .pop() ?? ""
  );
}

/** A rootfs with busybox at /bin/busybox, its applets as links, /tmp and the given users. */
function baseRootfs(root: string, busyboxBin: string, passwd: string[], group: string[]): void {
  for (const d of ["bin", "etc", "tmp"]) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.chmodSync(path.join(root, "tmp"), 0o1777);
  fs.copyFileSync(busyboxBin, path.join(root, "bin", "busybox"));
  fs.chmodSync(path.join(root, "bin", "busybox"), 0o755);
  const applets = execFileSync(busyboxBin, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
  for (const a of applets) if (a !== "busybox") fs.symlinkSync("busybox", path.join(root, "bin", a));
  fs.writeFileSync(
    path.join(root, "etc", "passwd"),
    ["root:x:0:0:root:/root:/bin/sh", ...passwd, ""].join("\n"),
  );
  fs.writeFileSync(path.join(root, "etc", "group"), ["root:x:0:", ...group, ""].join("\n"));
}

/** The host's node binary and every shared library ldd lists, at the same paths. */
function addNode(root: string, nodeDest: string): void {
  const node = fs.realpathSync(process.execPath);
  const put = (src: string, dest: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, dest)), { recursive: true });
    fs.copyFileSync(fs.realpathSync(src), path.join(root, dest));
    fs.chmodSync(path.join(root, dest), 0o755);
  };
  put(node, nodeDest);
  const ldd = execFileSync("ldd", [node], { encoding: "utf8" });
  for (const line of ldd.split("\n")) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m?.[1]) put(m[1], m[1]);
  }
}

/** Bundles a TypeScript entry point and its dependencies into one .js file with esbuild. */
function bundle(repo: string, entry: string, outfile: string): void {
  execFileSync(
    path.join(repo, "node_modules", ".bin", "esbuild"),
    [entry, "--bundle", "--platform=node", "--target=node20", "--log-level=warning", `--outfile=${outfile}`],
    { stdio: "pipe" },
  );
}

function write(file: string, text: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  fs.chmodSync(file, mode);
}

function prometheusContext(ctx: string, opts: EnsureImagesOptions, bb: string): void {
  const out = run("bash", [path.join(opts.repo, "tools", "install-tools.sh")], opts.env)
    .trim()
    .split("\n");
  const binDir = out[out.length - 1] ?? "";
  const root = path.join(ctx, "rootfs");
  baseRootfs(root, bb, ["nobody:x:65534:65534:nobody:/home:/bin/false"], ["nobody:x:65534:"]);
  for (const b of ["prometheus", "promtool"]) {
    fs.copyFileSync(path.join(binDir, b), path.join(root, "bin", b));
    fs.chmodSync(path.join(root, "bin", b), 0o755);
  }
  // documentation/examples/prometheus.yml upstream: scrape itself.
  write(
    path.join(root, "etc", "prometheus", "prometheus.yml"),
    "global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: [localhost:9090]\n",
  );
  // The upstream Dockerfile, minus the license files, on Debian's busybox-static instead of
  // quay.io/prometheus/busybox.
  write(
    path.join(ctx, "Dockerfile"),
    [
      "FROM scratch",
      'LABEL org.opencontainers.image.source="https://github.com/prometheus/prometheus"',
      "COPY rootfs/ /",
      "WORKDIR /prometheus",
      "RUN chown -R nobody:nobody /etc/prometheus /prometheus && chmod g+w /prometheus",
      "USER       nobody",
      "EXPOSE     9090",
      'VOLUME     [ "/prometheus" ]',
      'ENTRYPOINT [ "/bin/prometheus" ]',
      'CMD        [ "--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus" ]',
      "",
    ].join("\n"),
  );
}

function alertmanagerContext(ctx: string, opts: EnsureImagesOptions, bb: string): void {
  const out = run("bash", [path.join(opts.repo, "tools", "install-tools.sh"), "alertmanager"], opts.env)
    .trim()
    .split("\n");
  const binDir = out[out.length - 1] ?? "";
  const root = path.join(ctx, "rootfs");
  baseRootfs(root, bb, ["nobody:x:65534:65534:nobody:/home:/bin/false"], ["nobody:x:65534:"]);
  for (const b of ["alertmanager", "amtool"]) {
    fs.copyFileSync(path.join(binDir, b), path.join(root, "bin", b));
    fs.chmodSync(path.join(root, "bin", b), 0o755);
  }
  // doc/examples/simple.yml upstream, reduced to one receiver.
  write(
    path.join(root, "etc", "alertmanager", "alertmanager.yml"),
    "route:\n  receiver: default\nreceivers:\n  - name: default\n",
  );
  // The upstream Dockerfile, on Debian's busybox-static instead of quay.io/prometheus/busybox.
  write(
    path.join(ctx, "Dockerfile"),
    [
      "FROM scratch",
      'LABEL org.opencontainers.image.source="https://github.com/prometheus/alertmanager"',
      "COPY rootfs/ /",
      "RUN mkdir -p /alertmanager && chown -R nobody:nobody /etc/alertmanager /alertmanager",
      "USER       nobody",
      "EXPOSE     9093",
      'VOLUME     [ "/alertmanager" ]',
      "WORKDIR    /alertmanager",
      'ENTRYPOINT [ "/bin/alertmanager" ]',
      'CMD        [ "--config.file=/etc/alertmanager/alertmanager.yml", "--storage.path=/alertmanager" ]',
      "",
    ].join("\n"),
  );
}

function grafanaContext(ctx: string, opts: EnsureImagesOptions, bb: string): void {
  const root = path.join(ctx, "rootfs");
  baseRootfs(root, bb, ["grafana:x:472:0::/usr/share/grafana:/bin/false"], []);
  addNode(root, "/usr/share/grafana/standin/node");
  bundle(
    opts.repo,
    path.join(opts.repo, "tests", "harness", "images", "grafana-standin", "standin.ts"),
    path.join(root, "usr", "share", "grafana", "standin", "standin.js"),
  );
  const call = (mode: string) =>
    `#!/bin/sh\n# Grafana STAND-IN (k6-observatory e2e), not Grafana.\nexec /usr/share/grafana/standin/node /usr/share/grafana/standin/standin.js ${mode} "$@"\n`;
  // Grafana's run.sh turns every GF_<X>__FILE into GF_<X> (the file's content) for the server.
  const fileVars = [
    "for v in $(env | sed -n 's/^\\(GF_[A-Za-z0-9_]*\\)__FILE=.*/\\1/p'); do",
    '  eval "f=\\${${v}__FILE}"',
    '  eval "export $v=\\"\\$(cat \\"\\$f\\")\\""',
    '  unset "${v}__FILE"',
    "done",
    "",
  ].join("\n");
  write(path.join(root, "run.sh"), call("server").replace("\nexec ", `\n${fileVars}exec `), 0o755);
  write(
    path.join(root, "usr", "share", "grafana", "bin", "grafana"),
    `#!/bin/sh\n[ "$1" = cli ] && shift\n${call("cli").split("\n").slice(1).join("\n")}`,
    0o755,
  );
  write(path.join(root, "usr", "bin", "curl"), call("curl"), 0o755);
  write(path.join(root, "etc", "grafana", "grafana.ini"), "; Grafana stand-in: read by nothing\n");
  fs.mkdirSync(path.join(root, "etc", "grafana", "provisioning"), { recursive: true });
  fs.mkdirSync(path.join(root, "var", "lib", "grafana"), { recursive: true });
  // The official image's paths and env (grafana/grafana Dockerfile).
  write(
    path.join(ctx, "Dockerfile"),
    [
      "FROM scratch",
      "COPY rootfs/ /",
      "RUN chown -R 472:0 /var/lib/grafana && chmod 0770 /var/lib/grafana",
      "ENV PATH=/usr/share/grafana/bin:/usr/bin:/bin \\",
      "    GF_PATHS_CONFIG=/etc/grafana/grafana.ini \\",
      "    GF_PATHS_DATA=/var/lib/grafana \\",
      "    GF_PATHS_HOME=/usr/share/grafana \\",
      "    GF_PATHS_LOGS=/var/log/grafana \\",
      "    GF_PATHS_PLUGINS=/var/lib/grafana/plugins \\",
      "    GF_PATHS_PROVISIONING=/etc/grafana/provisioning",
      "WORKDIR /usr/share/grafana",
      'USER "472"',
      "EXPOSE 3000",
      'ENTRYPOINT [ "/run.sh" ]',
      "",
    ].join("\n"),
  );
}

function k6Context(ctx: string, opts: EnsureImagesOptions, bb: string): boolean {
  const root = path.join(ctx, "rootfs");
  baseRootfs(root, bb, ["k6:x:12345:12345::/home/k6:/bin/sh"], ["k6:x:12345:"]);
  addNode(root, "/usr/lib/k6-standin/node");
  const emitterDir = path.join(opts.repo, "tests", "harness", "k6-emitter");
  const emitter = path.join(emitterDir, "cli.ts");
  const placeholder = !fs.existsSync(emitter);
  const lib = path.join(root, "usr", "lib", "k6-standin");
  if (placeholder) {
    bundle(
      opts.repo,
      path.join(opts.repo, "tests", "harness", "images", "k6-standin", "placeholder.ts"),
      path.join(lib, "k6.js"),
    );
  } else {
    bundle(opts.repo, emitter, path.join(lib, "k6.js"));
    // The emitter starts each VU as a worker thread from `vu-worker.js` beside its own file.
    for (const f of fs.readdirSync(emitterDir).filter((n) => n.endsWith("-worker.ts"))) {
      bundle(opts.repo, path.join(emitterDir, f), path.join(lib, f.replace(/\.ts$/, ".js")));
    }
  }
  // vm modules: the emitter runs the scripts' ES modules (the flag is inherited by its workers).
  write(
    path.join(root, "usr", "bin", "k6"),
    '#!/bin/sh\n# k6 STAND-IN (k6-observatory e2e), not k6.\nexec /usr/lib/k6-standin/node --experimental-vm-modules --no-warnings /usr/lib/k6-standin/k6.js "$@"\n',
    0o755,
  );
  fs.mkdirSync(path.join(root, "home", "k6"), { recursive: true });
  // The official grafana/k6 image: USER k6 (12345), WORKDIR /home/k6, ENTRYPOINT ["k6"].
  write(
    path.join(ctx, "Dockerfile"),
    [
      "FROM scratch",
      "COPY rootfs/ /",
      "RUN chown -R 12345:12345 /home/k6",
      "ENV PATH=/usr/bin:/bin HOME=/home/k6",
      "WORKDIR /home/k6",
      "USER 12345",
      'ENTRYPOINT [ "k6" ]',
      "",
    ].join("\n"),
  );
  return placeholder;
}

/** Builds (or reuses) every image the suite needs and returns their references. */
export function ensureImages(opts: EnsureImagesOptions): E2eImages {
  const notes: string[] = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-e2e-images-"));
  try {
    const needsBuild =
      !opts.given?.prometheus || !opts.given.grafana || !opts.given.k6 || !opts.given.alertmanager;
    const bb = needsBuild ? busybox(opts.repo, opts.env) : "";
    const one = (
      kind: string,
      given: string | undefined,
      ref: string,
      fill: (ctx: string) => void,
    ): string => {
      if (given) {
        notes.push(`${given} (${kind}): given through the environment, not built`);
        return given;
      }
      const ctx = path.join(work, ref.replace(/[/:]/g, "_"));
      fill(ctx);
      notes.push(buildCached(ref, ctx, kind, opts));
      return ref;
    };
    const prometheus = one(
      "real Prometheus built from source",
      opts.given?.prometheus,
      `k6obs-e2e/prometheus:${PROMETHEUS_IMAGE.tag}`,
      (ctx) => prometheusContext(ctx, opts, bb),
    );
    const alertmanager = one(
      "real Alertmanager built from source",
      opts.given?.alertmanager,
      `k6obs-e2e/alertmanager:${ALERTMANAGER_IMAGE.tag}`,
      (ctx) => alertmanagerContext(ctx, opts, bb),
    );
    const grafana = one(
      "Grafana stand-in",
      opts.given?.grafana,
      `k6obs-e2e/grafana-standin:${GRAFANA_IMAGE.tag}`,
      (ctx) => grafanaContext(ctx, opts, bb),
    );
    let k6Placeholder = false;
    const k6 = one("k6 stand-in", opts.given?.k6, `k6obs-e2e/k6-standin:${K6_IMAGE.tag}`, (ctx) => {
      k6Placeholder = k6Context(ctx, opts, bb);
    });
    if (k6Placeholder) {
      opts.log(
        "k6 stand-in: PLACEHOLDER (tests/harness/k6-emitter/cli.ts is missing): it records argv, sends no samples",
      );
    }
    const bumpTag = `${grafana.split(":").pop()?.split("@")[0] ?? GRAFANA_IMAGE.tag}-e2e.1`;
    const grafanaBump = `k6obs-e2e/grafana-bump:${bumpTag}`;
    const bumpCtx = path.join(work, "grafana-bump");
    write(path.join(bumpCtx, "Dockerfile"), `FROM ${grafana}\nLABEL org.k6obs.e2e.bump="1"\n`);
    // The base image id is part of what the bump is built from.
    write(
      path.join(bumpCtx, "base-id"),
      run("docker", ["image", "inspect", "--format", "{{.Id}}", grafana], opts.env),
    );
    notes.push(buildCached(grafanaBump, bumpCtx, `${grafana} plus one label`, opts));
    return { prometheus, grafana, k6, alertmanager, grafanaBump, notes, k6Placeholder };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Default refs of the real images, for the workflow and the README. */
export const REAL_IMAGES = {
  prometheus: imageRef(PROMETHEUS_IMAGE),
  grafana: imageRef(GRAFANA_IMAGE),
  k6: imageRef(K6_IMAGE),
  alertmanager: imageRef(ALERTMANAGER_IMAGE),
};

if (require.main === module) {
  if (process.argv[2] === "--real-env") {
    // For CI: the pinned real images, as the env the suite reads instead of building stand-ins.
    console.log(`K6OBS_E2E_PROMETHEUS_IMAGE=${REAL_IMAGES.prometheus}`);
    console.log(`K6OBS_E2E_GRAFANA_IMAGE=${REAL_IMAGES.grafana}`);
    console.log(`K6OBS_E2E_K6_IMAGE=${REAL_IMAGES.k6}`);
    console.log(`K6OBS_E2E_ALERTMANAGER_IMAGE=${REAL_IMAGES.alertmanager}`);
  } else {
    const repo = path.resolve(__dirname, "..", "..", "..");
    console.log(JSON.stringify(ensureImages({ repo, env: process.env, log: console.error }), null, 2));
  }
}
