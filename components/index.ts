/**
 * The stack's components, for this program and for any Pulumi program that wants the same
 * stack: `new Observatory("k6obs", { stack: pulumi.getStack(), k6: { script: "scripts/smoke.js" } })`.
 */
export { Observatory, checkProvisioning, provisioningPaths } from "./observatory";
export {
  DEFAULT_PROVISIONING_DIR,
  ObservatoryArgs,
  observatoryArgsFromConfig,
  resolveObservatoryArgs,
} from "./observatory-args";
export { ConfigError } from "../config";
export { DataVolumes, DataVolumesArgs } from "./data-volumes";
export { Prometheus, PrometheusArgs } from "./prometheus";
export { Grafana, GrafanaArgs } from "./grafana";
export { Alertmanager, AlertmanagerArgs } from "./alertmanager";
export { K6Run, K6RunArgs } from "./k6-run";
export { TREND_MODES, TrendMode } from "../model/trend-mode";
