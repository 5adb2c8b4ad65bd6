/**
 * Just enough PromQL reading to list the metric names an expression selects. The dashboards only
 * use plain `name{matchers}` selectors, so a tokenizer is sufficient: strings, label matchers,
 * ranges and grouping clauses are removed, and every remaining identifier that is not a function
 * call or a keyword is a metric name. Prometheus itself parses every expression in the
 * integration tests.
 */

const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "inf", "nan", "atan2"]);

/** Metric names selected by a PromQL expression, in order of first appearance. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, " ");
  const names: string[] = [];
  const re = /(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*(?![\w(])(?!\s*\()/g;
  for (const m of stripped.matchAll(re)) {
    const name = m[0];
    if (!KEYWORDS.has(name.toLowerCase()) && !names.includes(name)) {
      names.push(name);
    }
  }
  return names;
}
