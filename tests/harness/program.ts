import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** Root of the repository (where index.ts lives). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** One resource the program declared, with the options the engine would have received. */
export interface DeclaredResource {
  /** Type token, e.g. `docker:index/volume:Volume`. */
  readonly type: string;
  /** Logical name. */
  readonly name: string;
  /** Inputs, fully resolved (secrets unwrapped, see `secretInputs`). */
  readonly inputs: Record<string, unknown>;
  /** Resource options. */
  readonly opts: {
    readonly protect?: boolean;
    readonly retainOnDelete?: boolean;
    readonly deleteBeforeReplace?: boolean;
    readonly ignoreChanges?: string[];
    readonly replaceOnChanges?: string[];
    readonly additionalSecretOutputs?: string[];
    readonly parent?: string;
    readonly dependsOn?: string[];
  };
  /** Top-level input names whose values were secret. */
  readonly secretInputs: readonly string[];
}

/** Result of running index.ts once under mocks. */
export interface ProgramRun {
  /** Every resource, in declaration order. */
  readonly resources: DeclaredResource[];
  /** Stack outputs, resolved; secret ones listed in `secretOutputs`. */
  readonly outputs: Record<string, unknown>;
  /** Names of stack outputs that are secret. */
  readonly secretOutputs: readonly string[];
  /** Finds exactly one resource by type suffix and logical-name suffix. */
  one(typeSuffix: string, nameSuffix: string): DeclaredResource;
}

/** What the mocked RandomPassword of Prometheus' basic auth generates. */
export const PROMETHEUS_PASSWORD_MOCK = "prometheusPasswordMock0123456789";
/** What every mocked RandomPassword gives as `bcryptHash`: a well-formed bcrypt hash (cost 10). */
export const BCRYPT_HASH_MOCK = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";

/** Hex SHA-256, for realistic fake image IDs. */
function sha256(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

/** The program threw; `declared` counts the resources it had registered by then. */
export class ProgramError extends Error {
  constructor(
    readonly error: unknown,
    readonly declared: number,
  ) {
    super(error instanceof Error ? error.message : String(error));
    this.name = "ProgramError";
  }
}

/**
 * Runs index.ts once under Pulumi's mocks with the given stack config (keys without namespace,
 * values as the CLI stores them: strings, objects as JSON). Every resource's inputs and options
 * are recorded through a stack transformation, which sees what mocks do not (protect,
 * retainOnDelete, deleteBeforeReplace, ...). `previousOutputs` are the stack's outputs of its last
 * deployment, as the program's self StackReference reads them (none: a first `up`).
 */
export async function runProgram(
  config: Record<string, string> = {},
  stack = "dev",
  repoRoot: string = programRoot(),
  secretKeys: string[] = ["grafanaAdminPassword"],
  previousOutputs: Record<string, unknown> = {},
): Promise<ProgramRun> {
  let run: ProgramRun | undefined;
  await jest.isolateModulesAsync(async () => {
    const pulumi = await import("@pulumi/pulumi");
    const pending: {
      type: string;
      name: string;
      props: Record<string, unknown>;
      opts: Record<string, unknown>;
      urn?: string;
    }[] = [];
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          const state: Record<string, unknown> = { ...args.inputs };
          switch (args.type) {
            case "docker:index/remoteImage:RemoteImage":
              state.imageId = `sha256:${sha256(String(args.inputs.name))}`;
              break;
            case "docker:index/container:Container":
              state.exitCode = 0;
              state.containerLogs = `logs of ${String(args.inputs.name)}`;
              break;
            case "random:index/randomString:RandomString":
              state.result = "r4nd0m";
              break;
            case "random:index/randomPassword:RandomPassword":
              // Each generated password its own value, so a test can tell which one leaked where.
              state.result = pulumi.secret(
                args.name.endsWith("prometheus-password")
                  ? PROMETHEUS_PASSWORD_MOCK
                  : "generated-password-0123456789",
              );
              state.bcryptHash = pulumi.secret(BCRYPT_HASH_MOCK);
              break;
            case "pulumi:pulumi:StackReference":
              // The stack's own last deployment (index.ts reads it); none unless a test gives one.
              state.outputs = previousOutputs;
              break;
          }
          return { id: `${args.name}-id`, state };
        },
        call(args) {
          throw new Error(`unexpected provider call ${args.token}`);
        },
      },
      "k6-observatory",
      stack,
      false,
      "organization", // what a DIY (file) backend reports; index.ts names its own stack with it
    );
    pulumi.runtime.setAllConfig(
      Object.fromEntries(Object.entries(config).map(([k, v]) => [`k6-observatory:${k}`, v])),
      Object.keys(config)
        .filter((k) => secretKeys.includes(k))
        .map((k) => `k6-observatory:${k}`),
    );

    let outputs: Record<string, unknown> | undefined;
    let programError: ProgramError | undefined;
    await pulumi.runtime.runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation((args) => {
        pending.push({
          type: args.type,
          name: args.name,
          props: args.props as Record<string, unknown>,
          opts: args.opts as Record<string, unknown>,
        });
        return undefined;
      });
      try {
        // The module's own exports, not runInPulumiStack's resolved copy, which drops secretness.
        // index.ts is `export = async () => ({...})`; the import gives it as `default`.
        const mod = (await import(path.join(repoRoot, "index"))) as { default?: unknown };
        const main = typeof mod === "function" ? mod : mod.default;
        outputs =
          typeof main === "function"
            ? { ...((await (main as () => Promise<Record<string, unknown>>)()) ?? {}) }
            : { ...(mod as Record<string, unknown>) };
      } catch (e) {
        programError = new ProgramError(e, pending.length);
      }
      return outputs ?? {};
    });
    if (programError) {
      // The failed stack still registers its outputs with this run's mock monitor; let that
      // finish before the next run replaces the monitor ("unknown resource" otherwise).
      await new Promise((resolve) => setTimeout(resolve, 100));
      throw programError;
    }
    if (!outputs) throw new Error("program returned no outputs");

    const unwrap = async (value: unknown): Promise<{ value: unknown; secret: boolean }> => {
      if (pulumi.Output.isInstance(value)) {
        const o = value as import("@pulumi/pulumi").Output<unknown>;
        const [v, secret] = await Promise.all([
          new Promise<unknown>((resolve) => o.apply((x) => resolve(x))),
          pulumi.isSecret(o),
        ]);
        const inner = await unwrap(v);
        return { value: inner.value, secret: secret || inner.secret };
      }
      if (Array.isArray(value)) {
        const items = await Promise.all(value.map(unwrap));
        return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
      }
      if (value instanceof pulumi.Resource) {
        return { value: await unwrap((value as import("@pulumi/pulumi").CustomResource).urn), secret: false };
      }
      if (value !== null && typeof value === "object") {
        const entries = await Promise.all(
          Object.entries(value).map(async ([k, v]) => [k, await unwrap(v)] as const),
        );
        return {
          value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
          secret: entries.some(([, v]) => v.secret),
        };
      }
      return { value, secret: false };
    };

    const resources: DeclaredResource[] = [];
    for (const r of pending) {
      const inputs: Record<string, unknown> = {};
      const secretInputs: string[] = [];
      for (const [k, v] of Object.entries(r.props ?? {})) {
        const u = await unwrap(v);
        inputs[k] = u.value;
        if (u.secret) secretInputs.push(k);
      }
      const o = r.opts ?? {};
      const parent = o.parent
        ? String((await unwrap((o.parent as import("@pulumi/pulumi").Resource).urn)).value)
        : undefined;
      const deps = Array.isArray(o.dependsOn) ? o.dependsOn : o.dependsOn ? [o.dependsOn] : [];
      const dependsOn = await Promise.all(
        deps.map(async (d) => String((await unwrap((d as import("@pulumi/pulumi").Resource).urn)).value)),
      );
      resources.push({
        type: r.type,
        name: r.name,
        inputs,
        secretInputs,
        opts: {
          protect: o.protect as boolean | undefined,
          retainOnDelete: o.retainOnDelete as boolean | undefined,
          deleteBeforeReplace: o.deleteBeforeReplace as boolean | undefined,
          ignoreChanges: o.ignoreChanges as string[] | undefined,
          replaceOnChanges: o.replaceOnChanges as string[] | undefined,
          additionalSecretOutputs: o.additionalSecretOutputs as string[] | undefined,
          parent,
          dependsOn,
        },
      });
    }

    const resolved: Record<string, unknown> = {};
    const secretOutputs: string[] = [];
    for (const [k, v] of Object.entries(outputs)) {
      const u = await unwrap(v);
      resolved[k] = u.value;
      if (u.secret) secretOutputs.push(k);
    }
    run = {
      resources,
      outputs: resolved,
      secretOutputs,
      one(typeSuffix, nameSuffix) {
        const found = resources.filter((r) => r.type.endsWith(typeSuffix) && r.name.endsWith(nameSuffix));
        if (found.length !== 1) {
          throw new Error(`expected one ${typeSuffix} named *${nameSuffix}, found ${found.length}`);
        }
        return found[0]!;
      },
    };
  });
  if (!run) throw new Error("program did not run");
  return run;
}

let sharedRoot: string | undefined;

/**
 * Where {@link runProgram} runs index.ts by default: one scratch checkout per test process, so the
 * program's own file writes (the per-stack scrape targets under `.k6obs/<stack>/`) never touch the
 * repository, where a user's live dev stack reads them. Removed when the process exits.
 */
export function programRoot(): string {
  if (sharedRoot === undefined) {
    const { root, cleanup } = scratchRepo();
    sharedRoot = root;
    process.once("exit", cleanup);
  }
  return sharedRoot;
}

/**
 * A scratch checkout for tests that edit provisioning files: a copy of index.ts and provisioning/
 * under tests/.tmp, with the source folders linked, so the program runs exactly as from the repo.
 */
export function scratchRepo(): { root: string; cleanup: () => void } {
  const base = path.join(REPO_ROOT, "tests", ".tmp");
  fs.mkdirSync(base, { recursive: true });
  const root = fs.mkdtempSync(path.join(base, "repo-"));
  fs.copyFileSync(path.join(REPO_ROOT, "index.ts"), path.join(root, "index.ts"));
  for (const dir of ["components", "config", "model", "dashboards", "ops"]) {
    fs.symlinkSync(path.join(REPO_ROOT, dir), path.join(root, dir), "dir");
  }
  fs.cpSync(path.join(REPO_ROOT, "provisioning"), path.join(root, "provisioning"), { recursive: true });
  return { root, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}
