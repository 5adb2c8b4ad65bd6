/** Connection settings: flags, then environment, then the stack's outputs. */
import { GrafanaConnection } from "./client";

/** Connection settings given as flags. */
export interface ConnectionFlags {
  readonly url?: string;
  readonly user?: string;
  readonly password?: string;
}

/** The stack outputs this exporter reads (see index.ts). */
export interface StackOutputs {
  readonly grafanaUrl?: string;
  readonly grafanaAdminUser?: string;
  readonly grafanaAdminPassword?: string;
}

/**
 * Each setting from its flag, else GRAFANA_URL / GRAFANA_USER / GRAFANA_PASSWORD, else the stack
 * output. The stack is only asked (through `readOutputs`, which may be slow or fail) when a
 * setting is still missing; its failure is then reported together with the way around it.
 */
export function resolveConnection(
  flags: ConnectionFlags,
  env: Readonly<Record<string, string | undefined>>,
  readOutputs: () => StackOutputs,
): GrafanaConnection {
  const url = flags.url ?? (env.GRAFANA_URL || undefined);
  const user = flags.user ?? (env.GRAFANA_USER || undefined);
  const password = flags.password ?? (env.GRAFANA_PASSWORD || undefined);
  if (url !== undefined && user !== undefined && password !== undefined) {
    return { url, user, password };
  }
  let outputs: StackOutputs;
  try {
    outputs = readOutputs();
  } catch (err) {
    const missing = [url ? "" : "--url", user ? "" : "--user", password ? "" : "--password"].filter(Boolean);
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}\n` +
        `Pass ${missing.join(", ")} (or GRAFANA_URL, GRAFANA_USER, GRAFANA_PASSWORD) instead.`,
      { cause: err },
    );
  }
  const resolved = {
    url: url ?? outputs.grafanaUrl,
    user: user ?? outputs.grafanaAdminUser,
    password: password ?? outputs.grafanaAdminPassword,
  };
  const missing = Object.entries(resolved)
    .filter(([, value]) => !value)
    .map(([key]) => key);
  if (missing.length > 0 || !resolved.url || !resolved.user || !resolved.password) {
    throw new Error(`The stack outputs do not provide Grafana's ${missing.join(", ")}; pass them as flags.`);
  }
  return { url: resolved.url, user: resolved.user, password: resolved.password };
}
