/**
 * k6's execution segments (lib/execution_segment.go at the pinned k6), as pure functions: how one
 * test is split across several k6 processes so that together they run its configured load exactly
 * once. The program uses {@link runnerSegments} for the `--execution-segment` /
 * `--execution-segment-sequence` flags of each runner; the emitter (tests/harness/k6-emitter) uses
 * {@link ExecutionTuple} to scale VUs and iterations the way k6's executors do. Written from k6's
 * source and tests (read, not copied); exact rational arithmetic with bigint, like k6's big.Rat.
 */

/** A rational number, always reduced, denominator positive. */
export interface Rat {
  readonly num: bigint;
  readonly den: bigint;
}

function gcdBig(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** `num/den`, reduced. Throws on a zero denominator. */
export function rat(num: bigint | number, den: bigint | number = 1n): Rat {
  let n = BigInt(num);
  let d = BigInt(den);
  if (d === 0n) throw new Error("denominator 0");
  if (d < 0n) [n, d] = [-n, -d];
  const g = gcdBig(n, d) || 1n;
  return { num: n / g, den: d / g };
}

const ZERO = rat(0);
const ONE = rat(1);
const sub = (a: Rat, b: Rat): Rat => rat(a.num * b.den - b.num * a.den, a.den * b.den);
const mul = (a: Rat, b: Rat): Rat => rat(a.num * b.num, a.den * b.den);
const cmp = (a: Rat, b: Rat): number => {
  const d = a.num * b.den - b.num * a.den;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};

/** Go's big.Rat.RatString: `3`, `1/2`. */
export function ratString(r: Rat): string {
  return r.den === 1n ? `${r.num}` : `${r.num}/${r.den}`;
}

/** Go's big.Rat.FloatString(2), for error messages as k6 words them. */
function float2(r: Rat): string {
  return (Number(r.num) / Number(r.den)).toFixed(2);
}

const FRACTION = /^([+-]?\d+)\/(\d+)$/;
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** k6's stringToRat: a percentage with an integer (`25%`), a decimal (`0.25`) or a fraction (`1/4`). */
export function parseRat(s: string): Rat {
  if (s.endsWith("%")) {
    const before = s.slice(0, -1);
    if (!/^[+-]?\d+$/.test(before)) throw new Error(`'${s}' is not a valid percentage`);
    return rat(BigInt(before), 100n);
  }
  const f = FRACTION.exec(s);
  if (f && BigInt(f[2]!) !== 0n) return rat(BigInt(f[1]!), BigInt(f[2]!));
  const d = DECIMAL.exec(s);
  if (d && (d[2] !== "" || (d[3] ?? "") !== "")) {
    const frac = d[3] ?? "";
    const exp = Number(d[4] ?? "0") - frac.length;
    let n = BigInt(`${d[2] || "0"}${frac}`) * (d[1] === "-" ? -1n : 1n);
    let den = 1n;
    if (exp >= 0) n *= 10n ** BigInt(exp);
    else den = 10n ** BigInt(-exp);
    return rat(n, den);
  }
  throw new Error(`'${s}' is not a valid percentage, decimal, fraction or interval value`);
}

/** A (from, to] part of a test's total work, 0 <= from < to <= 1. */
export interface ExecutionSegment {
  readonly from: Rat;
  readonly to: Rat;
}

/** k6's NewExecutionSegment: validates 0 <= from < to <= 1 with k6's messages. */
export function executionSegment(from: Rat, to: Rat): ExecutionSegment {
  if (cmp(from, ZERO) < 0) throw new Error(`segment start value must be at least 0 but was ${float2(from)}`);
  if (cmp(from, to) >= 0)
    throw new Error(`segment start(${float2(from)}) must be less than its end(${float2(to)})`);
  if (cmp(to, ONE) > 0) throw new Error(`segment end value can't be more than 1 but was ${float2(to)}`);
  return { from, to };
}

/** The whole test, `0:1`. */
export const FULL_SEGMENT: ExecutionSegment = { from: ZERO, to: ONE };

const lengthOf = (s: ExecutionSegment): Rat => sub(s.to, s.from);

/**
 * k6's NewExecutionSegmentFromString: `from:to` (`1/2:3/4`, `50%:75%`) or only the end (`1/4` is
 * `0:1/4`); empty is the whole test.
 */
export function parseSegment(text: string): ExecutionSegment {
  let fromStr: string | undefined;
  let toStr = text === "" ? "1" : text;
  const colon = toStr.indexOf(":");
  if (colon >= 0) {
    fromStr = toStr.slice(0, colon);
    toStr = toStr.slice(colon + 1);
  }
  const from = fromStr === undefined ? ZERO : parseRat(fromStr);
  return executionSegment(from, parseRat(toStr));
}

/** k6's ExecutionSegment.String: `from:to` in lowest terms, e.g. `1/3:2/3`. */
export function segmentString(s: ExecutionSegment): string {
  return `${ratString(s.from)}:${ratString(s.to)}`;
}

const segmentsEqual = (a: ExecutionSegment, b: ExecutionSegment): boolean =>
  cmp(a.from, b.from) === 0 && cmp(a.to, b.to) === 0;

/**
 * k6's NewExecutionSegmentSequenceFromString: `r1,r2,...,rn`, the consecutive segments (r1,r2],
 * (r2,r3], ...; empty is no sequence (`[]`).
 */
export function parseSequence(text: string): ExecutionSegment[] {
  if (text === "") return [];
  const points = text.split(",");
  if (points.length < 2)
    throw new Error(`at least 2 points are needed for an execution segment sequence, ${points.length} given`);
  const rats = points.map(parseRat);
  return rats.slice(1).map((to, i) => executionSegment(rats[i]!, to));
}

/** k6's ExecutionSegmentSequence.String: `0,1/3,2/3,1`. */
export function sequenceString(seq: readonly ExecutionSegment[]): string {
  return seq.length === 0 ? "" : [seq[0]!.from, ...seq.map((s) => s.to)].map(ratString).join(",");
}

/** k6's GetFilledExecutionSegmentSequence: the sequence (or the segment alone) padded to 0..1. */
export function filledSequence(
  sequence: readonly ExecutionSegment[],
  fallback: ExecutionSegment | undefined,
): ExecutionSegment[] {
  let result: ExecutionSegment[];
  if (sequence.length === 0) {
    if (fallback === undefined || cmp(lengthOf(fallback), ONE) === 0) return [FULL_SEGMENT];
    result = [fallback];
  } else {
    result = [...sequence];
  }
  if (cmp(result[0]!.from, ZERO) !== 0) result.unshift({ from: ZERO, to: result[0]!.from });
  const last = result[result.length - 1]!;
  if (cmp(last.to, ONE) !== 0) result.push({ from: last.to, to: ONE });
  return result;
}

function gcdNum(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * k6's ExecutionSegmentSequenceWrapper: a full sequence with its least common denominator and
 * the striped offsets, the order in which the sequence's segments take "elements" (VUs,
 * iterations) so that every prefix of elements is split as fairly as possible and stably.
 */
export class SegmentSequence {
  /** Least common denominator of the segments' lengths: the striping repeats every `lcd` elements. */
  readonly lcd: number;
  /** Per segment: the index of its first element, then the gaps to its next elements (cyclic). */
  readonly offsets: readonly (readonly number[])[];

  constructor(readonly segments: readonly ExecutionSegment[]) {
    if (
      segments.length === 0 ||
      cmp(segments[0]!.from, ZERO) !== 0 ||
      cmp(segments[segments.length - 1]!.to, ONE) !== 0
    ) {
      throw new Error(
        `Cannot wrap around a non-full execution segment sequence '${sequenceString(segments)}'`,
      );
    }
    const lengths = segments.map(lengthOf);
    let lcd = Number(lengths[0]!.den);
    for (const l of lengths.slice(1)) {
      const n = Number(l.den);
      if (lcd % n !== 0) lcd *= n / gcdNum(lcd, n);
    }
    this.lcd = lcd;
    const sorted = lengths
      .map((l, i) => ({ norm: Number(l.num) * (lcd / Number(l.den)), index: i }))
      // Array.prototype.sort is stable, as Go's sort.SliceStable: biggest segments first.
      .sort((a, b) => b.norm - a.norm);
    const offsets: number[][] = segments.map(() => []);
    const prev = segments.map(() => 0);
    const chosen = segments.map(() => 0);
    for (let i = 0; i < lcd; i++) {
      for (let s = 0; s < sorted.length; s++) {
        const num = chosen[s]! * lcd;
        const den = sorted[s]!.norm;
        const q = Math.floor(num / den);
        if (i > q || (i === q && num % den === 0)) {
          chosen[s]! += 1;
          const idx = sorted[s]!.index;
          offsets[idx]!.push(i - prev[idx]!);
          prev[idx] = i;
          if (offsets[idx]!.length === den) offsets[idx]!.push(offsets[idx]![0]! + lcd - i);
          break;
        }
      }
    }
    this.offsets = offsets;
  }

  /** k6's ExecutionSegmentSequenceWrapper.ScaleInt64: segment `index`'s share of `value` elements. */
  scale(index: number, value: number): number {
    const [start, ...gaps] = this.offsets[index]!;
    let result = Math.floor(value / this.lcd) * gaps.length;
    for (let gi = 0, i = start!; i < value % this.lcd; i += gaps[gi]!, gi++) result++;
    return result;
  }

  /**
   * k6's GetNewExecutionSegmentSequenceFromValue: the sequence re-cut so that each segment's length
   * is its share of `value` ÷ `value`, empty segments dropped; `tracked` is a segment's index here,
   * the result holds its index in the new sequence (-1 when it got no share).
   */
  resegment(value: number, tracked: number): { sequence: SegmentSequence; index: number } {
    if (value < 1) throw new Error(`cannot generate new sequence for value ${value}`);
    if (value % this.lcd === 0) return { sequence: this, index: tracked };
    const out: ExecutionSegment[] = [];
    let index = -1;
    let prev = 0;
    this.segments.forEach((_, i) => {
      const share = this.scale(i, value);
      if (share === 0) return;
      if (i === tracked) index = out.length;
      out.push({ from: rat(prev, value), to: rat(prev + share, value) });
      prev += share;
    });
    return { sequence: index === -1 ? this : new SegmentSequence(out), index };
  }
}

/**
 * k6's ExecutionTuple: one k6 process' segment within the (filled) sequence of all processes.
 * What each executor gets is in the methods named after the executor's config (lib/executor).
 */
export class ExecutionTuple {
  /** The full sequence the segment belongs to. */
  readonly sequence: SegmentSequence;
  /** Position of the segment in {@link sequence}. */
  readonly index: number;

  /** k6's NewExecutionTuple: `segment` (default the whole test) within `sequence` (default none). */
  constructor(segment: ExecutionSegment = FULL_SEGMENT, sequence: readonly ExecutionSegment[] = []) {
    this.sequence = new SegmentSequence(filledSequence(sequence, segment));
    this.index = this.sequence.segments.findIndex((s) => segmentsEqual(s, segment));
    if (this.index < 0)
      throw new Error(
        `couldn't find segment ${segmentString(segment)} in sequence ${sequenceString(this.sequence.segments)}`,
      );
  }

  /** This process' segment. */
  get segment(): ExecutionSegment {
    return this.sequence.segments[this.index]!;
  }

  /** k6's ExecutionTuple.ScaleInt64: this segment's share of `value` (the value itself when unsegmented). */
  scale(value: number): number {
    if (this.sequence.segments.length === 1) return value;
    return this.sequence.scale(this.index, value);
  }

  /** VUs of constant-vus, per-vu-iterations and shared-iterations (GetVUs), and ramping-vus targets. */
  vus(vus: number): number {
    return this.scale(vus);
  }

  /**
   * shared-iterations' GetIterations: the iterations are split over the sequence re-cut by the
   * VUs (GetNewExecutionTupleFromValue(vus)), so a segment that gets no VU gets no iteration.
   */
  sharedIterations(vus: number, iterations: number): number {
    if (vus < 1) return 0;
    const { sequence, index } = this.sequence.resegment(vus, this.index);
    if (index < 0) return 0;
    return sequence.segments.length === 1 ? iterations : sequence.scale(index, iterations);
  }

  /** per-vu-iterations: every VU of the segment runs all `iterations`; the total is VUs × iterations. */
  perVuIterationsTotal(vus: number, iterations: number): number {
    return this.scale(vus) * iterations;
  }
}

/**
 * k6's ExecutionSegment.Scale (round(value·to) − round(value·from)): the non-striped scaling k6
 * uses where no sequence is known. The executors use {@link ExecutionTuple.scale}; this one is
 * here because the two differ for uneven sequences and tests show which is which.
 */
export function scaleBySegment(segment: ExecutionSegment, value: number): number {
  const roundHalfUp = (r: Rat): bigint => {
    const q = r.num / r.den;
    const rem = r.num % r.den;
    return rem * 2n >= r.den ? q + 1n : q;
  };
  const v = rat(value);
  const from = roundHalfUp(mul(v, segment.from));
  return Number(roundHalfUp(sub(mul(v, segment.to), rat(from))));
}

/** The two k6 flags of one runner. */
export interface RunnerSegment {
  /** `--execution-segment`, e.g. `1/3:2/3`. */
  readonly segment: string;
  /** `--execution-segment-sequence`, e.g. `0,1/3,2/3,1` (the same for every runner). */
  readonly sequence: string;
}

/**
 * The segments of `weights.length` runners, each getting its weight's share of the test, in order:
 * weights 1,1,1 give `0:1/3`, `1/3:2/3`, `2/3:1` in the sequence `0,1/3,2/3,1` (the k6 docs'
 * three-machine example). One runner needs no flags (`undefined`). Weights are positive integers.
 */
export function runnerSegments(weights: readonly number[]): RunnerSegment[] | undefined {
  for (const w of weights) {
    if (!Number.isInteger(w) || w < 1) throw new Error(`runner weight ${w}: a positive whole number`);
  }
  if (weights.length < 2) return undefined;
  const total = weights.reduce((a, b) => a + b, 0);
  const points: Rat[] = [ZERO];
  let acc = 0;
  for (const w of weights) {
    acc += w;
    points.push(rat(acc, total));
  }
  const sequence = points.map(ratString).join(",");
  return weights.map((_, i) => ({
    segment: segmentString({ from: points[i]!, to: points[i + 1]! }),
    sequence,
  }));
}
