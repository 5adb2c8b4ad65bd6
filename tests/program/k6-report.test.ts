// Each k6 run writes k6's own HTML report beside its JSON summary, named per testid, and the stack
// outputs say how to copy it out.
import { DeclaredResource, ProgramRun, runProgram } from "../harness/program";
import { k6Env, k6ReportEnv, k6ReportPath } from "../../model/k6";

const envOf = (c: DeclaredResource): Record<string, string> =>
  Object.fromEntries(
    (c.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
  );

describe("a report per run", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram({});
  });

  test("the k6 container exports the web dashboard's HTML report into the results volume, per testid, without listening on a port", () => {
    const env = envOf(run.one("Container", "k6-container"));
    expect(env).toMatchObject({
      K6_WEB_DASHBOARD: "true",
      K6_WEB_DASHBOARD_EXPORT: "/home/k6/dev-r4nd0m.report.html",
      K6_WEB_DASHBOARD_PORT: "-1",
    });
    const argv = run.one("Container", "k6-container").inputs.command as string[];
    expect(argv).toContain("/home/k6/dev-r4nd0m.summary.json");
  });

  test("stack outputs give the docker cp command and the source npm run k6:report copies", () => {
    expect(run.outputs.k6Report).toBe("docker cp k6obs-dev-k6:/home/k6/dev-r4nd0m.report.html .");
    expect(run.outputs.k6ReportSource).toBe("k6obs-dev-k6:/home/k6/dev-r4nd0m.report.html");
  });

  test("without k6 there is no report output", async () => {
    const off = await runProgram({ k6Enabled: "false" });
    expect(off.outputs.k6Report).toBeUndefined();
    expect(off.outputs.k6ReportSource).toBeUndefined();
  });
});

describe("k6Env", () => {
  const base = {
    trendMode: "stats",
    remoteWriteUrl: "http://p:9090/api/v1/write",
    pushInterval: "5s",
    targetUrl: "http://t",
  } as const;

  test("adds the report env only when a report file is given", () => {
    expect(Object.keys(k6Env(base)).filter((k) => k.startsWith("K6_WEB_DASHBOARD"))).toEqual([]);
    expect(k6Env({ ...base, reportExport: k6ReportPath("x") })).toMatchObject(
      k6ReportEnv("/home/k6/x.report.html"),
    );
  });
});
