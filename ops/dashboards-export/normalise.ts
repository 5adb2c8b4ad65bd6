/**
 * Normalisation: a dashboard as Grafana returns it becomes stable, reviewable JSON (volatile fields
 * dropped, datasource references pointed at the provisioned datasource, keys sorted).
 */
import { GRAFANA_DATASOURCE } from "../../model/grafana";
import { isObject } from "../lib/json";

/** The provisioned datasource (one definition, checked against its provisioning YAML by a test). */
export const PROMETHEUS_DATASOURCE: Readonly<{ type: string; uid: string }> = GRAFANA_DATASOURCE;

/**
 * Top-level fields that change without anyone editing the dashboard: the database id, the save
 * counter, the import marker, and the sections "Export for sharing externally" adds (`__inputs`
 * is read first, to resolve `${DS_...}` references).
 */
const VOLATILE_TOP_LEVEL = ["id", "version", "iteration", "__inputs", "__requires", "__elements"];

/** Set on every panel by the Grafana version that last saved it: noise on every Grafana upgrade. */
const VOLATILE_ANY_LEVEL = ["pluginVersion"];

/** Grafana's built-in pseudo datasources, referenced by uid or (before Grafana 8.3) by name. */
const BUILTIN_DATASOURCES = new Set([
  "grafana",
  "-- Grafana --",
  "-- Mixed --",
  "-- Dashboard --",
  "__expr__",
]);

const DS_INPUT = /^\$\{(DS_[A-Za-z0-9_]+)\}$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `${DS_X}` input names of an exported-for-sharing dashboard, mapped to their plugin id. */
function datasourceInputs(dashboard: Record<string, unknown>): Map<string, string | undefined> {
  const inputs = new Map<string, string | undefined>();
  if (Array.isArray(dashboard.__inputs)) {
    for (const input of dashboard.__inputs) {
      if (isObject(input) && typeof input.name === "string" && input.type === "datasource") {
        inputs.set(input.name, typeof input.pluginId === "string" ? input.pluginId : undefined);
      }
    }
  }
  return inputs;
}

/**
 * One datasource reference, normalised to the provisioned Prometheus where it means Prometheus:
 * - `{type: "prometheus", uid: <anything>}` (a uid from another Grafana, or a renamed datasource);
 * - `${DS_...}` inputs from "Export for sharing externally", as a string or as the uid, unless
 *   `__inputs` or the reference's type names another plugin;
 * - legacy string references by datasource name (Grafana < 8.3): only Prometheus is provisioned
 *   in this stack, so a name means it.
 * Built-in datasources (-- Grafana --, -- Mixed --, -- Dashboard --, expressions), references to a
 * dashboard variable (`$ds`, `${ds}`), `null` (the default datasource) and other plugin types are
 * left as they are.
 */
export function normalizeDatasourceRef(
  ref: unknown,
  inputs: ReadonlyMap<string, string | undefined> = new Map(),
): unknown {
  const viaInput = (value: string, type: unknown): unknown | undefined => {
    const input = DS_INPUT.exec(value);
    if (!input?.[1]) {
      return undefined;
    }
    const pluginId = inputs.get(input[1]) ?? (typeof type === "string" ? type : undefined);
    if (pluginId === undefined || pluginId === "prometheus") {
      return { ...PROMETHEUS_DATASOURCE };
    }
    // Another plugin: keep the input, but as an object carrying its type, so that normalising again
    // (when __inputs is gone) leaves it alone.
    return { type: pluginId, uid: value };
  };
  if (typeof ref === "string") {
    if (BUILTIN_DATASOURCES.has(ref)) {
      return ref;
    }
    const resolved = viaInput(ref, undefined);
    if (resolved !== undefined) {
      return resolved;
    }
    return ref.startsWith("$") ? ref : { ...PROMETHEUS_DATASOURCE };
  }
  if (isObject(ref)) {
    const uid = ref.uid;
    if (typeof uid === "string") {
      if (BUILTIN_DATASOURCES.has(uid)) {
        return ref;
      }
      const resolved = viaInput(uid, ref.type);
      if (resolved !== undefined) {
        return resolved;
      }
      if (uid.startsWith("$")) {
        return ref;
      }
    }
    if (ref.type === "prometheus" || (ref.type === undefined && uid === PROMETHEUS_DATASOURCE.uid)) {
      return { ...PROMETHEUS_DATASOURCE };
    }
  }
  return ref;
}

/** Deep copy with object keys in code-point order, volatile fields dropped, datasources normalised. */
function normalizeValue(value: unknown, inputs: ReadonlyMap<string, string | undefined>): Json {
  if (Array.isArray(value)) {
    return value.map((item) => normalizeValue(item, inputs));
  }
  if (isObject(value)) {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) {
      if (VOLATILE_ANY_LEVEL.includes(key) || value[key] === undefined) {
        continue;
      }
      const child = key === "datasource" ? normalizeDatasourceRef(value[key], inputs) : value[key];
      out[key] = normalizeValue(child, inputs);
    }
    return out;
  }
  if (
    value === null ||
    typeof value === "boolean" ||
    typeof value === "number" ||
    typeof value === "string"
  ) {
    return value;
  }
  throw new Error(`dashboard JSON holds a ${typeof value}, which JSON cannot represent`);
}

/**
 * A dashboard model as stored in git: volatile fields removed, every datasource reference pointing
 * at the provisioned Prometheus, keys sorted at every level (array order is meaningful and kept).
 * Idempotent: normalising a normalised dashboard changes nothing.
 */
export function normalizeDashboard(dashboard: unknown): Record<string, Json> {
  if (!isObject(dashboard)) {
    throw new Error("a dashboard must be a JSON object");
  }
  const inputs = datasourceInputs(dashboard);
  const trimmed: Record<string, unknown> = { ...dashboard };
  for (const key of VOLATILE_TOP_LEVEL) {
    delete trimmed[key];
  }
  return normalizeValue(trimmed, inputs) as Record<string, Json>;
}

/** File content of a normalised dashboard: 2-space JSON with a trailing newline. */
export function serializeDashboard(dashboard: unknown): string {
  return `${JSON.stringify(normalizeDashboard(dashboard), null, 2)}\n`;
}
