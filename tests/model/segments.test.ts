import {
  ExecutionTuple,
  SegmentSequence,
  filledSequence,
  parseSegment,
  parseSequence,
  runnerSegments,
  scaleBySegment,
  segmentString,
  sequenceString,
} from "../../model/segments";

// Golden cases from k6's own tests (lib/execution_segment_test.go at the pinned k6), read not copied.

const tuple = (seg: string, seq = ""): ExecutionTuple =>
  new ExecutionTuple(parseSegment(seg), parseSequence(seq));

describe("segment parsing (TestExecutionSegmentUnmarshalText)", () => {
  it.each([
    ["0:1", "0:1"],
    ["0.5:0.75", "1/2:3/4"],
    ["1/2:3/4", "1/2:3/4"],
    ["50%:75%", "1/2:3/4"],
    ["2/4:75%", "1/2:3/4"],
    ["75%", "0:3/4"],
    ["", "0:1"],
  ])("%j is %s", (input, expected) => {
    expect(segmentString(parseSegment(input))).toBe(expected);
    expect(segmentString(parseSegment(segmentString(parseSegment(input))))).toBe(expected);
  });

  it.each(["125%", "1a5%", "1a5", "1a5%:2/3", "125%:250%", "55%:50%"])("%j is refused", (input) => {
    expect(() => parseSegment(input)).toThrow();
  });

  it("words errors as k6 does", () => {
    expect(() => parseSegment("55%:50%")).toThrow("segment start(0.55) must be less than its end(0.50)");
    expect(() => parseSegment("125%")).toThrow("segment end value can't be more than 1 but was 1.25");
  });
});

describe("sequence parsing (TestExecutionSegmentStringSequences)", () => {
  it.each([
    ["", []],
    ["0.5,1", ["1/2:1"]],
    ["0.5,0.7", ["1/2:7/10"]],
    ["0.5,0.7,1", ["1/2:7/10", "7/10:1"]],
    ["0,1/3,2/3,1", ["0:1/3", "1/3:2/3", "2/3:1"]],
    ["0,1/13,2/13,1/3,1/2,3/4,1", ["0:1/13", "1/13:2/13", "2/13:1/3", "1/3:1/2", "1/2:3/4", "3/4:1"]],
  ])("%j", (seq, expected) => {
    expect(parseSequence(seq).map(segmentString)).toEqual(expected);
  });

  it.each(["0.5", "1,1", "-0.5,1", "1/2,1/2", "1/2,1/3", "0,1,1/2"])("%j is refused", (seq) => {
    expect(() => parseSequence(seq)).toThrow();
  });

  it("round-trips", () => {
    expect(sequenceString(parseSequence("0,1/3,2/3,1"))).toBe("0,1/3,2/3,1");
  });
});

describe("LCD and striped offsets (TestSequenceLCD, TestGetStripedOffsets)", () => {
  it.each([
    ["0,0.3,0.5,0.6,0.7,0.8,0.9,1", 10],
    ["0,0.1,0.5,0.6,0.7,0.8,0.9,1", 10],
    ["0,1/3,5/6", 6],
    ["0,1/3,4/7", 21],
  ])("LCD of %s is %d", (seq, lcd) => {
    expect(new SegmentSequence(filledSequence(parseSequence(seq), undefined)).lcd).toBe(lcd);
  });

  it.each([
    ["0,0.3,0.5,0.6,0.7,0.8,0.9,1", "0:0.3", 0, [4, 3, 3], 10],
    ["0,0.3,0.5,0.6,0.7,0.8,0.9,1", "0.3:0.5", 1, [4, 6], 10],
    ["0,0.3,0.5,0.6,0.7,0.8,0.9,1", "0.5:0.6", 2, [10], 10],
    ["0,0.3,0.5,0.6,0.7,0.8,0.9,1", "0.6:0.7", 3, [10], 10],
    ["0,0.3,0.5,0.6,0.7,0.8,0.9,1", "0.8:0.9", 8, [10], 10],
    ["0,0.3,0.5,0.6,0.7,0.8,0.9,1", "0.9:1", 9, [10], 10],
    ["0,0.2,0.5,0.6,0.7,0.8,0.9,1", "0.9:1", 9, [10], 10],
    ["0,0.2,0.5,0.6,0.7,0.8,0.9,1", "0:0.2", 1, [4, 6], 10],
    ["0,0.2,0.5,0.6,0.7,0.8,0.9,1", "0.6:0.7", 3, [10], 10],
    ["0,0.2,0.5", "0:0.2", 3, [6, 4], 10],
    ["0,0.2,0.5", "0.2:0.5", 1, [4, 2, 4], 10],
    ["0,2/5,4/5", "0:2/5", 0, [3, 2], 5],
    ["0,2/5,4/5", "2/5:4/5", 1, [3, 2], 5],
    ["", "0:0.2", 1, [5], 5],
    ["", "0:1/5", 1, [5], 5],
    ["", "0:2/10", 1, [5], 5],
    ["", "0:0.4", 1, [2, 3], 5],
    ["", "2/5:4/5", 1, [3, 2], 5],
    ["", "1/10:5/10", 1, [2, 2, 4, 2], 10],
  ])("seq %j segment %s: start %d offsets %j lcd %d", (seq, seg, start, offsets, lcd) => {
    const et = tuple(seg, seq);
    expect(et.sequence.offsets[et.index]).toEqual([start, ...offsets]);
    expect(et.sequence.lcd).toBe(lcd);
  });
});

describe("scaling", () => {
  it("TestExecutionTupleScale", () => {
    expect([tuple("0.5").scale(2), tuple("0.5").scale(3)]).toEqual([1, 2]);
    expect([tuple("0.5:1.0").scale(2), tuple("0.5:1.0").scale(3)]).toEqual([1, 1]);
    expect([tuple("0.5", "0,0.5,1").scale(2), tuple("0.5", "0,0.5,1").scale(3)]).toEqual([1, 2]);
    expect([tuple("0.5:1.0", "0,0.5,1").scale(2), tuple("0.5:1.0", "0,0.5,1").scale(3)]).toEqual([1, 1]);
  });

  it("the ExecutionTuple doc table: 50%, 25%, 25% of 1..12", () => {
    const seq = "0,1/2,3/4,1";
    const row = (seg: string) => Array.from({ length: 12 }, (_, i) => tuple(seg, seq).scale(i + 1));
    expect(row("0:1/2")).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    expect(row("1/2:3/4")).toEqual([0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3]);
    expect(row("3/4:1")).toEqual([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3]);
  });

  it("TestGetNewExecutionTupleBesedOnValue: 0,1/3,2/3,1 re-cut by 20 is 0,7/20,7/10,1", () => {
    const et = tuple("0:1/3", "0,1/3,2/3,1");
    expect(sequenceString(et.sequence.resegment(20, et.index).sequence.segments)).toBe("0,7/20,7/10,1");
  });

  it("ExecutionSegment.Scale (not striped) can differ from the tuple's scaling", () => {
    // round(3·1/2) − round(0) = 2 for 0:1/2, and the tuple agrees; 1/2:1 gives round(3) − round(1.5) = 1.
    expect(scaleBySegment(parseSegment("0:1/2"), 3)).toBe(2);
    expect(scaleBySegment(parseSegment("1/2:1"), 3)).toBe(1);
  });

  it("never wobbles: a segment's share only grows with the value (TestExecutionSegmentScaleNoWobble)", () => {
    const et = tuple("1/3:1/2", "0,1/7,1/3,1/2,5/6,1");
    let last = 0;
    for (let v = 1; v < 500; v++) {
      expect(et.scale(v)).toBeGreaterThanOrEqual(last);
      last = et.scale(v);
    }
  });
});

describe("runnerSegments", () => {
  it("splits evenly as the k6 docs' three-machine example", () => {
    expect(runnerSegments([1, 1, 1])).toEqual([
      { segment: "0:1/3", sequence: "0,1/3,2/3,1" },
      { segment: "1/3:2/3", sequence: "0,1/3,2/3,1" },
      { segment: "2/3:1", sequence: "0,1/3,2/3,1" },
    ]);
  });

  it("follows weights, in lowest terms", () => {
    expect(runnerSegments([2, 1, 1])?.map((r) => r.segment)).toEqual(["0:1/2", "1/2:3/4", "3/4:1"]);
    expect(runnerSegments([2, 2])).toEqual([
      { segment: "0:1/2", sequence: "0,1/2,1" },
      { segment: "1/2:1", sequence: "0,1/2,1" },
    ]);
  });

  it("needs no flags for one runner and refuses bad weights", () => {
    expect(runnerSegments([1])).toBeUndefined();
    expect(() => runnerSegments([1, 0])).toThrow("runner weight 0");
    expect(() => runnerSegments([1.5, 1])).toThrow("runner weight 1.5");
  });

  // The property the runners rely on: whatever the load, the per-segment shares of every executor
  // add up to the whole test, so the runners together run it exactly once.
  const splits: number[][] = [
    [1, 1],
    [1, 1, 1],
    [2, 1, 1],
    [3, 5],
    [1, 2, 3, 4, 5, 6, 7],
  ];
  describe.each(splits.map((w) => [w]))("weights %j", (weights) => {
    const tuples = runnerSegments(weights)!.map(
      (r) => new ExecutionTuple(parseSegment(r.segment), parseSequence(r.sequence)),
    );
    const sum = (f: (t: ExecutionTuple) => number) => tuples.reduce((a, t) => a + f(t), 0);
    const values = [0, 1, 2, 3, 7, 10, 13, 50, 99, 100, 1000];

    it("constant-vus and ramping-vus targets: VUs sum to the whole", () => {
      for (const v of values) expect(sum((t) => t.vus(v))).toBe(v);
    });

    it("ramping-vus: at every point of a ramp the runners' VUs sum to the unsegmented target", () => {
      for (let target = 0; target <= 60; target++) expect(sum((t) => t.vus(target))).toBe(target);
    });

    it("shared-iterations: iterations sum to the whole, none to a runner without VUs", () => {
      for (const vus of [1, 2, 3, 5, 10, 40])
        for (const it of values) {
          expect(sum((t) => t.sharedIterations(vus, it))).toBe(it);
          for (const t of tuples) if (t.vus(vus) === 0) expect(t.sharedIterations(vus, it)).toBe(0);
        }
    });

    it("per-vu-iterations: VUs × iterations sum to the whole", () => {
      for (const vus of values) expect(sum((t) => t.perVuIterationsTotal(vus, 7))).toBe(vus * 7);
    });
  });
});
