import { parser } from "@prometheus-io/lezer-promql";

/**
 * Grafana's variables are not PromQL: the interval variables become a duration, any other
 * `$var`/`${var}` outside a string a number, so Prometheus' own grammar can read the rest.
 */
function withoutGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$\{?__(?:rate_interval|interval|range)(?:_ms|_s)?\}?/g, "1m")
    .replace(
      /("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g,
      (_match: string, str: string | undefined) => (str !== undefined ? str : "1"),
    );
}

/**
 * Metric names selected by a PromQL expression, in order of first appearance: the identifiers of
 * its vector selectors, read with Prometheus' own PromQL grammar (@prometheus-io/lezer-promql, the
 * parser of Prometheus' web UI). Throws when the expression does not parse.
 */
export function metricNames(expr: string): string[] {
  const text = withoutGrafanaVariables(expr);
  const names: string[] = [];
  const cursor = parser.parse(text).cursor();
  do {
    if (cursor.type.isError) {
      throw new Error(`not PromQL at offset ${cursor.from}: ${expr}`);
    }
    if (cursor.name === "Identifier" && cursor.node.parent?.name === "VectorSelector") {
      const name = text.slice(cursor.from, cursor.to);
      if (!names.includes(name)) names.push(name);
    }
  } while (cursor.next());
  return names;
}
