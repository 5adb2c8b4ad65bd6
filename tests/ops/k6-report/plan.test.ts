import { reportCopy } from "../../../ops/k6-report/plan";

test("copies the output's source into the directory under the report's own name", () => {
  expect(reportCopy({ k6ReportSource: "k6obs-dev-k6:/home/k6/dev-abc123.report.html" }, "/tmp/out")).toEqual({
    argv: ["cp", "k6obs-dev-k6:/home/k6/dev-abc123.report.html", "/tmp/out/dev-abc123.report.html"],
    file: "/tmp/out/dev-abc123.report.html",
  });
});

test("a stack without a k6 run says what is missing and why", () => {
  expect(() => reportCopy({ k6TestId: "x" }, ".")).toThrow(
    "stack outputs lack k6ReportSource; is k6 enabled (k6Enabled) and has the stack run it (npm run up)?",
  );
});
