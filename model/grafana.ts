/**
 * Facts about Grafana that the program, the dashboards, the ops tools and the tests share. Pure (no
 * Pulumi imports), so tools and tests can use them without declaring resources.
 */

/** Network alias of Grafana on the stack network. */
export const GRAFANA_ALIAS = "grafana";

/** The provisioned Prometheus datasource; its pinned uid keeps dashboards saved in grafana.db working. */
export const GRAFANA_DATASOURCE = { type: "prometheus", uid: "prometheus" } as const;

/** UID the official Grafana image runs as and that owns /var/lib/grafana (its Dockerfile: GF_UID 472, GF_GID 0). */
export const GRAFANA_USER = "472";
/** Owner of Grafana's data files, as restore must leave them. */
export const GRAFANA_OWNER = { uid: 472, gid: 0 } as const;
/** Grafana's port inside the container. */
export const GRAFANA_INTERNAL_PORT = 3000;
/** Where Grafana keeps grafana.db, UI-saved dashboards, users and API keys: the data volume. */
export const GRAFANA_DATA_DIR = "/var/lib/grafana";
/** Grafana's provisioning directory (datasources, dashboard providers). */
export const GRAFANA_PROVISIONING_DIR = "/etc/grafana/provisioning";
/** Parent of the dashboard directories the providers read. */
export const GRAFANA_DASHBOARDS_DIR = "/etc/grafana/dashboards";

/**
 * Where the admin password is uploaded into the Grafana container (before it starts). Grafana's
 * own run.sh turns GF_SECURITY_ADMIN_PASSWORD__FILE into GF_SECURITY_ADMIN_PASSWORD, so the
 * password never appears in the container's env, in `docker inspect` or in a preview.
 */
export const GRAFANA_ADMIN_PASSWORD_FILE = "/run/secrets/k6obs-grafana-admin-password";

/**
 * Start command that makes the configured admin password authoritative on every start.
 * GF_SECURITY_ADMIN_PASSWORD alone only applies when grafana.db is created, so on an existing
 * volume a rotated password would be silently ignored. The reset reads the password from stdin
 * (never argv), from GF_SECURITY_ADMIN_PASSWORD__FILE or else GF_SECURITY_ADMIN_PASSWORD (the two
 * ways Grafana takes it), and fails harmlessly on a brand-new database, where Grafana applies it.
 */
export function grafanaStartScript(runScript = "/run.sh"): string {
  return [
    'if { if [ -n "${GF_SECURITY_ADMIN_PASSWORD__FILE:-}" ]; then cat "$GF_SECURITY_ADMIN_PASSWORD__FILE"; else printf "%s" "$GF_SECURITY_ADMIN_PASSWORD"; fi; } \\',
    '  | grafana cli --homepath "$GF_PATHS_HOME" --config "$GF_PATHS_CONFIG" admin reset-admin-password --password-from-stdin >/tmp/k6obs-admin-reset.log 2>&1; then',
    '  echo "k6-observatory: admin password applied to the existing database"',
    "else",
    '  echo "k6-observatory: admin password not reset (new database: GF_SECURITY_ADMIN_PASSWORD applies): $(tail -n 1 /tmp/k6obs-admin-reset.log)"',
    "fi",
    `exec ${runScript}`,
  ].join("\n");
}
