import type { AlertingRule, RuleGroup } from "./prometheus";

/** Jobs the stack-health rules select (model/prometheus.ts passes its own job names). */
export interface StackHealthJobs {
  /** Prometheus' self-scrape job. */
  readonly prometheus: string;
  /** Grafana's scrape job. */
  readonly grafana: string;
  /** Alertmanager's scrape job. */
  readonly alertmanager: string;
}

/**
 * TSDB failure counters of Prometheus (tsdb/db.go, tsdb/head.go, tsdb/wlog) and what each means.
 * A full disk shows up here first: WAL writes, checkpoints and compactions fail once the volume
 * has no space left (Prometheus itself exports no free-space figure).
 */
export const TSDB_FAILURE_COUNTERS: readonly { readonly metric: string; readonly failure: string }[] = [
  { metric: "prometheus_tsdb_compactions_failed_total", failure: "compaction" },
  { metric: "prometheus_tsdb_head_truncations_failed_total", failure: "head truncation" },
  { metric: "prometheus_tsdb_reloads_failures_total", failure: "block reload" },
  { metric: "prometheus_tsdb_wal_corruptions_total", failure: "WAL corruption" },
  { metric: "prometheus_tsdb_wal_writes_failed_total", failure: "WAL write" },
  { metric: "prometheus_tsdb_wal_truncations_failed_total", failure: "WAL truncation" },
  { metric: "prometheus_tsdb_checkpoint_creations_failed_total", failure: "checkpoint creation" },
  { metric: "prometheus_tsdb_checkpoint_deletions_failed_total", failure: "checkpoint deletion" },
];

/**
 * Faults of the stack itself: a service down, TSDB/WAL errors, failing rule evaluations and alerts
 * that do not reach Alertmanager or leave it. Prometheus sends them to the stack's Alertmanager,
 * which delivers them to the configured webhook; Grafana lists them through its Alertmanager
 * datasource. An alert about Alertmanager itself can only be seen in Prometheus' /alerts and in
 * Grafana's list of Prometheus rules.
 */
export function stackHealthRuleGroup(jobs: StackHealthJobs): RuleGroup {
  const self = `job="${jobs.prometheus}"`;
  // One series per failure kind that increased; label_replace names it (increase() drops the
  // metric name, so the kinds would otherwise collide).
  const tsdbFailures = TSDB_FAILURE_COUNTERS.map(
    (c) => `label_replace(increase(${c.metric}{${self}}[15m]), "failure", "${c.failure}", "", "") > 0`,
  ).join(" or ");
  const down = (job: string, what: string, consequence: string): AlertingRule => ({
    alert: `${what}Down`,
    expr: `up{job="${job}"} == 0`,
    for: "2m",
    labels: { severity: "critical" },
    annotations: {
      summary: `${what} is down ({{ $labels.instance }})`,
      description: `Prometheus has not been able to scrape ${what} for 2 minutes: ${consequence}`,
    },
  });
  return {
    file: "k6obs-stack-health.yml",
    name: "k6obs-stack-health",
    rules: [
      down(
        jobs.grafana,
        "Grafana",
        "the dashboards are unreachable. Docker restarts the container when it exits; check `docker logs` of the Grafana container.",
      ),
      down(
        jobs.alertmanager,
        "Alertmanager",
        "no alert is delivered to the webhook nor shown in Grafana's Alertmanager view until it is back.",
      ),
      {
        alert: "PrometheusTsdbErrors",
        expr: tsdbFailures,
        for: "1m",
        labels: { severity: "critical" },
        annotations: {
          summary: "Prometheus TSDB: {{ $labels.failure }} failures in the last 15 minutes",
          description:
            "Stored k6 data may be incomplete or lost. A full disk is the usual cause of WAL write, checkpoint and compaction failures; check Prometheus' log and the space left on the Docker data volume.",
        },
      },
      {
        alert: "PrometheusRuleEvaluationFailures",
        expr: `sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total{${self}}[10m])) > 0`,
        for: "5m",
        labels: { severity: "warning" },
        annotations: {
          summary: "Rules of {{ $labels.rule_group }} fail to evaluate",
          description: "Alerts of that group cannot fire while its rules fail; check Prometheus' log.",
        },
      },
      {
        alert: "PrometheusAlertsNotDelivered",
        // `or vector(0)`: the errors counter has no series until an Alertmanager is discovered,
        // and an empty side would make the whole sum empty.
        expr:
          `(sum(increase(prometheus_notifications_errors_total{${self}}[10m])) or vector(0)) + ` +
          `(sum(increase(prometheus_notifications_dropped_total{${self}}[10m])) or vector(0)) > 0`,
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: "Prometheus fails to send alerts to Alertmanager",
          description:
            "Alerts fire in Prometheus but do not reach Alertmanager, so no webhook is called; check that the Alertmanager container is up.",
        },
      },
      {
        alert: "PrometheusNoAlertmanager",
        expr: `max(prometheus_notifications_alertmanagers_discovered{${self}}) < 1`,
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: "Prometheus knows no Alertmanager",
          description: "Its configuration has no reachable alerting target: no alert is delivered.",
        },
      },
      {
        alert: "AlertmanagerNotificationsFailing",
        expr: `sum by (integration) (increase(alertmanager_notifications_failed_total{job="${jobs.alertmanager}"}[10m])) > 0`,
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
          summary: "Alertmanager cannot deliver to its {{ $labels.integration }} receiver",
          description:
            "The webhook (alertWebhookUrl) refuses or does not answer; alerts still show in Grafana. Check the URL and Alertmanager's log.",
        },
      },
    ],
  };
}
