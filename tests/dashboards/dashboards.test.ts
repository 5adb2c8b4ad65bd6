import * as fs from "node:fs";
import * as path from "node:path";
import {
  PROMETHEUS_DATASOURCE,
  allDashboards,
  dashboardQueries,
  dashboardsFor,
  compareUid,
  k6OverviewUid,
  runsUid,
} from "../../dashboards";
import { k6MetricNames, modeOnlyMetricNames } from "../../dashboards/k6-metrics";
import { metricNames } from "../../dashboards/promql";
import { TREND_MODES, TrendMode } from "../../model/trend-mode";
import { provisioningFiles, staleFiles } from "../../tools/build-provisioning";
import { isGeneratedUid } from "../../ops/dashboards-export/paths";

const REPO = path.resolve(__dirname, "..", "..");
const other = (mode: TrendMode): TrendMode => (mode === "stats" ? "nativeHistogram" : "stats");

describe("generated provisioning files", () => {
  const files = provisioningFiles();

  test("the committed files are exactly what the builders produce", () => {
    const drift: string[] = [];
    for (const [rel, text] of files) {
      const abs = path.join(REPO, rel);
      if (!fs.existsSync(abs)) {
        drift.push(`${rel} is missing`);
      } else if (fs.readFileSync(abs, "utf8") !== text) {
        drift.push(`${rel} differs from its builder`);
      }
    }
    drift.push(...staleFiles(REPO, files).map((rel) => `${rel} is not produced by any builder`));
    if (drift.length > 0) {
      throw new Error(
        `Generated provisioning is out of date; run \`npm run provisioning:build\`:\n  ${drift.join("\n  ")}`,
      );
    }
  });

  test("dashboards are 2-space JSON ending in a newline, one folder per trend mode plus common", () => {
    const dashboardFiles = [...files.keys()].filter((f) => f.startsWith("provisioning/grafana/dashboards/"));
    expect(dashboardFiles.sort()).toEqual([
      "provisioning/grafana/dashboards/common/k6obs-prometheus-health.json",
      "provisioning/grafana/dashboards/common/k6obs-system-under-test.json",
      "provisioning/grafana/dashboards/nativeHistogram/k6obs-compare-native.json",
      "provisioning/grafana/dashboards/nativeHistogram/k6obs-k6-overview-native.json",
      "provisioning/grafana/dashboards/nativeHistogram/k6obs-runs-native.json",
      "provisioning/grafana/dashboards/stats/k6obs-compare-stats.json",
      "provisioning/grafana/dashboards/stats/k6obs-k6-overview-stats.json",
      "provisioning/grafana/dashboards/stats/k6obs-runs-stats.json",
    ]);
    for (const f of dashboardFiles) {
      const text = files.get(f)!;
      expect(text.endsWith("}\n")).toBe(true);
      expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
    }
  });
});

describe("dashboards", () => {
  test("dashboardsFor(mode) is the common folder plus the mode's own overview, runs and comparison", () => {
    for (const mode of TREND_MODES) {
      expect(dashboardsFor(mode).map((d) => [d.folder, d.dashboard.uid])).toEqual([
        ["common", "k6obs-prometheus-health"],
        ["common", "k6obs-system-under-test"],
        [mode, k6OverviewUid(mode)],
        [mode, runsUid(mode)],
        [mode, compareUid(mode)],
      ]);
    }
    expect(k6OverviewUid("stats")).toBe("k6obs-k6-overview-stats");
    expect(k6OverviewUid("nativeHistogram")).toBe("k6obs-k6-overview-native");
  });

  test.each(TREND_MODES)("%s dashboards use only metrics the %s k6 settings emit", (mode) => {
    const emitted = new Set(k6MetricNames(mode));
    const forbidden = new Set(modeOnlyMetricNames(other(mode)));
    for (const d of dashboardsFor(mode)) {
      for (const q of dashboardQueries(d.dashboard)) {
        const names = metricNames(q.expr);
        expect(names.length).toBeGreaterThan(0);
        for (const name of names) {
          const where = `${d.dashboard.uid} / ${q.panel}: ${name}`;
          expect({ where, otherModeOnly: forbidden.has(name) }).toEqual({ where, otherModeOnly: false });
          if (name.startsWith("k6_")) {
            expect({ where, emitted: emitted.has(name) }).toEqual({ where, emitted: true });
          }
        }
      }
    }
  });

  test("the trend panels cover p95 and p99 in each mode", () => {
    const exprs = (mode: TrendMode) =>
      dashboardsFor(mode).flatMap((d) => dashboardQueries(d.dashboard).map((q) => q.expr));
    expect(exprs("stats").join("\n")).toMatch(/k6_http_req_duration_p95[\s\S]*k6_http_req_duration_p99/);
    const native = exprs("nativeHistogram").join("\n");
    expect(native).toMatch(
      /histogram_quantile\(0\.95, sum by \(testid\) \(rate\(k6_http_req_duration_seconds/,
    );
    expect(native).toMatch(/histogram_quantile\(0\.99,/);
  });

  test("every query targets the pinned Prometheus datasource, and every k6 query selects the chosen runs", () => {
    for (const { dashboard } of allDashboards()) {
      const ids = (dashboard.panels ?? []).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of dashboard.panels ?? []) {
        const targets = "targets" in p ? (p.targets ?? []) : [];
        expect(targets.length).toBeGreaterThan(0);
        for (const t of targets) {
          expect((t as { datasource?: unknown }).datasource).toEqual(PROMETHEUS_DATASOURCE);
        }
      }
      // The overview shows the chosen runs, the comparison its two runs, the Runs table every run.
      const uid = dashboard.uid ?? "";
      const runSelector = uid.includes("-compare-")
        ? /testid=~?"\$(baseline|candidate)(\|\$candidate)?"/
        : uid.includes("-runs-")
          ? /^(?![\s\S]*testid)/
          : /testid=~"\$testid"/;
      for (const q of dashboardQueries(dashboard)) {
        const k6Selectors = q.expr.match(/k6_\w+\{[^}]*\}/g) ?? [];
        for (const sel of k6Selectors) {
          expect({ uid, sel, selectsRuns: runSelector.test(sel) }).toEqual({ uid, sel, selectsRuns: true });
        }
      }
    }
  });

  test("the testid variable is multi-select without All, newest first; endpoints default to All", () => {
    for (const mode of TREND_MODES) {
      const d = dashboardsFor(mode).find((x) => x.folder === mode)!.dashboard;
      const vars = d.templating?.list ?? [];
      const testid = vars.find((v) => v.name === "testid");
      expect(testid).toMatchObject({
        type: "query",
        multi: true,
        includeAll: false,
        query: "query_result(sort_desc(max by (testid) (max_over_time(timestamp(k6_vus)[$__range:1s]))))",
        regex: '/testid="([^"]+)"/',
        // Grafana would re-sort the values alphabetically; the query's order is the point.
        sort: 0,
        datasource: PROMETHEUS_DATASOURCE,
      });
      expect(vars.find((v) => v.name === "endpoint")).toMatchObject({
        multi: true,
        includeAll: true,
        allValue: ".+",
      });
    }
  });
});

describe("runs, comparison and annotations", () => {
  test.each(TREND_MODES)("every %s k6 dashboard marks each run's start and end from Prometheus", (mode) => {
    for (const d of dashboardsFor(mode).filter((x) => x.folder === mode)) {
      const annotations = (d.dashboard.annotations?.list ?? []) as {
        name?: string;
        useValueForTime?: boolean;
        target?: { expr?: string };
      }[];
      expect(annotations.map((a) => [a.name, a.useValueForTime])).toEqual([
        ["Run start", true],
        ["Run end", true],
      ]);
      expect(annotations[0]?.target?.expr).toBe(
        "min by (testid) (min_over_time(timestamp(k6_vus)[$__range:1s] @ end())) * 1000",
      );
    }
  });

  test.each(TREND_MODES)("each %s run row links to the overview of that run over its own time", (mode) => {
    const runs = dashboardsFor(mode).find((x) => x.dashboard.uid === runsUid(mode))!.dashboard;
    const panel = runs.panels?.[0] as {
      description?: string;
      fieldConfig?: {
        overrides?: { matcher: { options: string }; properties: { id: string; value: unknown }[] }[];
      };
    };
    const testid = panel.fieldConfig?.overrides?.find((o) => o.matcher.options === "testid");
    expect(testid?.properties).toEqual([
      {
        id: "links",
        value: [
          {
            title: "Open the k6 overview for this run",
            url: `/d/${k6OverviewUid(mode)}?var-testid=\${__value.raw}&from=\${__data.fields.Start}&to=\${__data.fields.End}`,
          },
        ],
      },
    ]);
    expect(panel.description).toMatch(/Thresholds passed or not cannot be shown/);
  });

  test.each(TREND_MODES)("each %s k6 dashboard links to exactly the mode's k6 dashboards", (mode) => {
    const mine = dashboardsFor(mode).filter((x) => x.folder === mode);
    for (const d of mine) {
      const links = d.dashboard.links ?? [];
      expect(links.map((l) => [l.type, l.tags, l.keepTime])).toEqual([["dashboards", ["k6", mode], true]]);
      const tagged = allDashboards().filter((x) =>
        links[0]!.tags.every((t) => x.dashboard.tags?.includes(t)),
      );
      expect(tagged.map((x) => x.dashboard.uid)).toEqual(mine.map((x) => x.dashboard.uid));
    }
  });

  test.each(TREND_MODES)("the %s comparison takes one baseline and one candidate run", (mode) => {
    const cmp = dashboardsFor(mode).find((x) => x.dashboard.uid === compareUid(mode))!.dashboard;
    expect((cmp.templating?.list ?? []).map((v) => [v.name, v.multi, v.sort])).toEqual([
      ["baseline", false, 0],
      ["candidate", false, 0],
      // Hidden: the seconds between the two starts, which align the time series.
      ["shift", false, 0],
    ]);
  });
});

describe("metricNames", () => {
  test.each([
    [
      'sum by (testid) (rate(k6_http_reqs_total{testid=~"$testid"}[$__rate_interval]))',
      ["k6_http_reqs_total"],
    ],
    [
      'histogram_quantile(0.95, sum by (testid, name) (rate(k6_http_req_duration_seconds{name=~"a|b"}[5m])))',
      ["k6_http_req_duration_seconds"],
    ],
    ['a{x="or"} / b or 0 * c', ["a", "b", "c"]],
    ["sum(x) by (le) + on(job) group_left(foo) y offset 5m", ["x", "y"]],
    [
      "time() - min(prometheus_tsdb_lowest_timestamp_seconds) > bool 1e3",
      ["prometheus_tsdb_lowest_timestamp_seconds"],
    ],
    ['count(k6_vus{testid="a{b}"}) + ${x:raw} * z[${__range}]', ["k6_vus", "z"]],
  ])("%s", (expr, names) => {
    expect(metricNames(expr)).toEqual(names);
  });

  test("an expression that is not PromQL is refused, not guessed at", () => {
    expect(() => metricNames("sum(rate(k6_http_reqs_total[1m])")).toThrow("not PromQL");
  });
});

test("every generated dashboard's uid marks it as generated, so dashboards:export skips it", () => {
  for (const d of allDashboards()) {
    expect(isGeneratedUid(d.dashboard.uid ?? "")).toBe(true);
  }
});
