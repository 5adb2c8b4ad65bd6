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
 * Grafana's `secret_key` (the key encrypting data source passwords and other secrets in grafana.db),
 * kept in the data volume beside grafana.db: Pulumi state would not do (destroy deletes random
 * resources, and a new key cannot read what the old one encrypted), the volume survives destroy and
 * backups carry it with the data. Read through GF_SECURITY_SECRET_KEY__FILE, never a plain env var.
 */
export const GRAFANA_SECRET_KEY_FILE = `${GRAFANA_DATA_DIR}/k6obs-secret-key`;

/**
 * The `secret_key` in Grafana's conf/defaults.ini, published with every release: a grafana.db created
 * without a key of its own is encrypted with it, and only it can read that database.
 */
export const GRAFANA_DEFAULT_SECRET_KEY = "SW2YcwTIb9zpOOhoPsMm";

/**
 * Start command. First it makes sure the volume has its secret key (GF_SECURITY_SECRET_KEY__FILE):
 * a volume without grafana.db gets a new random one (32 bytes from /dev/urandom as hex, mode 0600,
 * owned by the user Grafana runs as); a volume that already has a grafana.db but no key file (an
 * adopted docker-compose volume, a stack older than this) was encrypted with Grafana's published
 * default, so that key is written and a warning says how to rotate it. Grafana has no in-place
 * re-keying of secret_key (grafana/grafana#12113, #62737; `secrets-migration re-encrypt-data-keys`
 * re-encrypts data keys with a configured KMS provider, it does not switch secret_key).
 *
 * Then it makes the configured admin password authoritative. GF_SECURITY_ADMIN_PASSWORD alone only
 * applies when grafana.db is created, so on an existing volume a rotated password would be silently
 * ignored. The reset reads the password from stdin (never argv), from
 * GF_SECURITY_ADMIN_PASSWORD__FILE or else GF_SECURITY_ADMIN_PASSWORD (the two ways Grafana takes
 * it), and fails harmlessly on a brand-new database, where Grafana applies it.
 */
export function grafanaStartScript(runScript = "/run.sh"): string {
  return [
    'data="${GF_PATHS_DATA:-' + GRAFANA_DATA_DIR + '}"',
    'key="${GF_SECURITY_SECRET_KEY__FILE:-}"',
    'if [ -n "$key" ] && [ ! -s "$key" ]; then',
    '  if [ -e "$data/grafana.db" ]; then',
    `    (umask 077 && printf "%s" "${GRAFANA_DEFAULT_SECRET_KEY}" > "$key.tmp")`,
    "  else",
    '    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d " \\n" > "$key.tmp")',
    '    echo "k6-observatory: new secret key for this volume in $key"',
    "  fi",
    '  [ -s "$key.tmp" ] && chmod 600 "$key.tmp" && mv -f "$key.tmp" "$key" || { echo "k6-observatory: cannot write $key" >&2; exit 1; }',
    "fi",
    // Said on every start until the key is rotated, not only the first time.
    `if [ -n "$key" ] && [ "$(cat "$key")" = "${GRAFANA_DEFAULT_SECRET_KEY}" ]; then`,
    '  echo "k6-observatory: WARNING: $data/grafana.db is encrypted with the secret_key published in Grafana defaults (it existed before this volume had a key of its own); $key holds that key so Grafana can still read the database." >&2',
    '  echo "k6-observatory: to rotate it: back up the volume, write a new random key into $key, restart Grafana, then re-enter every secret stored in Grafana (data source passwords, contact point credentials); Grafana cannot re-encrypt them from one secret_key to another (grafana/grafana#12113)." >&2',
    "fi",
    // The CLI reads the same key as the server (run.sh only expands __FILE variables for the server).
    'with_key() { if [ -n "$key" ]; then GF_SECURITY_SECRET_KEY="$(cat "$key")" "$@"; else "$@"; fi; }',
    'if { if [ -n "${GF_SECURITY_ADMIN_PASSWORD__FILE:-}" ]; then cat "$GF_SECURITY_ADMIN_PASSWORD__FILE"; else printf "%s" "$GF_SECURITY_ADMIN_PASSWORD"; fi; } \\',
    '  | with_key grafana cli --homepath "$GF_PATHS_HOME" --config "$GF_PATHS_CONFIG" admin reset-admin-password --password-from-stdin >/tmp/k6obs-admin-reset.log 2>&1; then',
    '  echo "k6-observatory: admin password applied to the existing database"',
    "else",
    '  echo "k6-observatory: admin password not reset (new database: GF_SECURITY_ADMIN_PASSWORD applies): $(tail -n 1 /tmp/k6obs-admin-reset.log)"',
    "fi",
    `exec ${runScript}`,
  ].join("\n");
}
