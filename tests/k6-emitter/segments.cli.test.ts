// The emitter's execution segments, golden cases from k6's own executor tests (grafana/k6,
// lib/executor/*_test.go, read not copied), then the CLI end to end: `--execution-segment` and
// `--execution-segment-sequence` split one test over processes that together run it exactly once,
// and the emitter records its argv for the stack's tests.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { ExecutionTuple, parseSegment, parseSequence } from "../../model/segments";
import { argvFile } from "../harness/k6-emitter/argv-file";
import { k6Command } from "../harness/k6-emitter/command";
import {
  Scenario,
  maxVUs,
  rampingTarget,
  scenariosFrom,
  segmentScenarios,
} from "../harness/k6-emitter/scenarios";

const tuple = (seg: string, seq = ""): ExecutionTuple =>
  new ExecutionTuple(parseSegment(seg), parseSequence(seq));
const THIRDS = "0,1/3,2/3,1";
const THIRTEENTHS = "0,1/13,2/13,3/13,4/13,5/13,6/13,7/13,8/13,9/13,10/13,11/13,12/13,1";

describe("scaling scenarios as k6's executors do", () => {
  const ishared = scenariosFrom({
    scenarios: { ishared: { executor: "shared-iterations", iterations: 22, vus: 12, maxDuration: "100s" } },
  });

  // executors_test.go, the "ishared" case: GetDescription per segment.
  it.each([
    ["0:1/3", THIRDS, 8, 4],
    ["1/3:2/3", THIRDS, 7, 4],
    ["2/3:1", THIRDS, 7, 4],
  ])(
    "shared-iterations 22 among 12 VUs, segment %s of %s: %d iterations among %d VUs",
    (seg, seq, it, vus) => {
      const [s] = segmentScenarios(ishared, tuple(seg, seq));
      expect(s).toMatchObject({ executor: "shared-iterations", iterations: it, vus });
    },
  );

  it("shared-iterations: segment 12/13:1 of thirteenths has no work (0 iterations among 0 VUs) and is dropped", () => {
    expect(segmentScenarios(ishared, tuple("12/13:1", THIRTEENTHS))).toEqual([]);
  });

  // ramping_vus_test.go TestRampingVUsConfigExecutionPlanExampleOneThird: segment 0:1/3, no sequence.
  it("ramping-vus: planned VUs of segment 0:1/3 step exactly where k6's raw execution steps do", () => {
    const [s] = segmentScenarios(
      scenariosFrom({
        scenarios: {
          test: {
            executor: "ramping-vus",
            startVUs: 4,
            stages: [
              { target: 6, duration: "2s" },
              { target: 1, duration: "5s" },
              { target: 5, duration: "4s" },
              { target: 1, duration: "4s" },
              { target: 4, duration: "3s" },
              { target: 4, duration: "2s" },
              { target: 1, duration: "0s" },
              { target: 1, duration: "3s" },
            ],
          },
        },
      }),
      tuple("0:1/3"),
    ) as [Scenario & { executor: "ramping-vus" }];
    const steps: [number, number][] = [
      [0, 1],
      [1, 2],
      [4, 1],
      [7, 0],
      [8, 1],
      [11, 2],
      [12, 1],
      [15, 0],
      [16, 1],
      [20, 0],
    ];
    for (const [sec, vus] of steps) expect([sec, rampingTarget(s, sec * 1000)]).toEqual([sec, vus]);
    // Between steps the value holds: one millisecond before each step it is the previous one.
    for (let i = 1; i < steps.length; i++) {
      const [sec] = steps[i]!;
      expect([sec, rampingTarget(s, sec * 1000 - 1)]).toEqual([sec, steps[i - 1]![1]]);
    }
    expect(maxVUs(s)).toBe(2);
  });

  it("constant-vus and per-vu-iterations keep their own duration/iterations and scale VUs (GetVUs)", () => {
    const both = scenariosFrom({
      scenarios: {
        c: { executor: "constant-vus", vus: 10, duration: "1m" },
        p: { executor: "per-vu-iterations", vus: 10, iterations: 3 },
      },
    });
    const parts = ["0:1/3", "1/3:2/3", "2/3:1"].map((seg) => segmentScenarios(both, tuple(seg, THIRDS)));
    expect(parts.map((p) => p.map((s) => ("vus" in s ? s.vus : -1)))).toEqual([
      [4, 4],
      [3, 3],
      [3, 3],
    ]);
    for (const p of parts) expect(p[1]).toMatchObject({ iterations: 3 });
    for (const p of parts) expect(p[0]).toMatchObject({ durationMs: 60_000 });
  });

  it("without a segment nothing changes", () => {
    expect(segmentScenarios(ishared, tuple(""))).toEqual(ishared);
  });
});

describe("argvFile", () => {
  it("is beside the summary export, named by the run", () => {
    expect(argvFile({}, "/home/k6/dev-abc.summary.json")).toBe("/home/k6/dev-abc.argv.json");
    expect(argvFile({ K6OBS_EMITTER_ARGV_FILE: "/tmp/x.json" }, "/home/k6/a.json")).toBe("/tmp/x.json");
    expect(argvFile({}, undefined)).toBeUndefined();
  });
});

describe("the CLI split over processes", () => {
  let target: http.Server;
  let targetUrl = "";
  let hits = 0;
  let dir = "";

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "k6obs-emitter-seg-"));
    target = http.createServer((_req, res) => {
      hits += 1;
      res.writeHead(200).end("ok");
    });
    await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    target.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(name: string, extra: string[]) {
    const summary = path.join(dir, `${name}.summary.json`);
    const k6 = k6Command(undefined);
    const args = [
      ...k6.args,
      "run",
      "--tag",
      "testid=seg",
      "--vus",
      "3",
      "--iterations",
      "10",
      "--summary-export",
      summary,
      "--quiet",
      ...extra,
      path.join(__dirname, "../../provisioning/k6/scripts/smoke.js"),
    ];
    const env = { PATH: process.env.PATH ?? "", TARGET_URL: targetUrl, SLEEP: "0", NOT_FOUND_EVERY: "0" };
    const child = spawn(k6.file, args, { env });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.once("close", r));
    const read = (f: string): Record<string, unknown> | undefined =>
      fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, "utf8")) as Record<string, unknown>) : undefined;
    const doc = read(summary) as { metrics: Record<string, Record<string, number>> } | undefined;
    return { code, stderr, doc, argv: read(path.join(dir, `${name}.argv.json`)) };
  }

  it("two complementary segments make exactly the requests of one unsegmented run, and record their argv", async () => {
    const whole = await run("whole", []);
    expect({ code: whole.code, stderr: whole.code === 0 ? "" : whole.stderr }).toEqual({
      code: 0,
      stderr: "",
    });
    const wholeHits = hits;
    expect(whole.doc!.metrics.http_reqs!.count).toBe(40); // 10 iterations × 4 paths
    expect(whole.argv).toMatchObject({ segment: null, sequence: null });

    hits = 0;
    const seq = ["--execution-segment-sequence", "0,1/2,1"];
    const [a, b] = await Promise.all([
      run("a", ["--execution-segment", "0:1/2", ...seq]),
      run("b", ["--execution-segment", "1/2:1", ...seq]),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    // 3 VUs split 2 + 1; the 10 iterations follow the VUs (7 + 3), as k6's shared-iterations does.
    expect([a.doc!.metrics.http_reqs!.count, b.doc!.metrics.http_reqs!.count]).toEqual([28, 12]);
    expect(a.doc!.metrics.http_reqs!.count! + b.doc!.metrics.http_reqs!.count!).toBe(wholeHits);
    expect(hits).toBe(wholeHits);
    expect(a.argv).toMatchObject({ segment: "0:1/2", sequence: "0,1/2,1" });
    expect(a.argv!.argv).toEqual(expect.arrayContaining(["--execution-segment", "0:1/2", ...seq]));
    expect(b.argv).toMatchObject({ segment: "1/2:1", sequence: "0,1/2,1" });
  }, 120_000);

  it("refuses a segment that is not in the sequence, with k6's message and exit code 104", async () => {
    const r = await run("bad", ["--execution-segment", "0:1/3", "--execution-segment-sequence", "0,1/2,1"]);
    expect(r.code).toBe(104);
    expect(r.stderr).toContain("couldn't find segment 0:1/3 in sequence 0,1/2,1");
  }, 60_000);
});
