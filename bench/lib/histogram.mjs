// A small HDR-like log-linear histogram of non-negative integers (microseconds here).
// Values below 128 have their own bucket; above, each power of two is split into 64 linear
// sub-buckets, so a recorded value is off by at most 1/64 (1.6 %) of itself. Histograms from
// different worker processes merge by adding counts.

const SUB = 64;
const LINEAR = 2 * SUB; // values 0..127 exactly
const MAX_SHIFT = 32; // up to ~2^38 µs, far beyond any bounded run
const SIZE = LINEAR + MAX_SHIFT * SUB;

function indexOf(v) {
  if (v < LINEAR) return v;
  const msb = Math.floor(Math.log2(v));
  const shift = msb - 6; // (v >> shift) is in [64, 127]
  const top = Math.floor(v / 2 ** shift);
  return Math.min(SIZE - 1, LINEAR + (shift - 1) * SUB + (top - SUB));
}

/** The midpoint of a bucket: the value a percentile reports. */
function valueOf(idx) {
  if (idx < LINEAR) return idx;
  const shift = Math.floor((idx - LINEAR) / SUB) + 1;
  const top = ((idx - LINEAR) % SUB) + SUB;
  return top * 2 ** shift + 2 ** shift / 2;
}

export class Histogram {
  constructor() {
    this.counts = new Float64Array(SIZE);
    this.n = 0;
    this.min = Infinity;
    this.max = 0;
    this.sum = 0;
  }

  /** Records one value (negative values count as 0). */
  record(value) {
    const v = value > 0 ? Math.round(value) : 0;
    this.counts[indexOf(v)]++;
    this.n++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** The value at percentile p (0..100); exact min/max at the ends. */
  percentile(p) {
    if (this.n === 0) return null;
    if (p <= 0) return this.min;
    if (p >= 100) return this.max;
    const rank = Math.ceil((p / 100) * this.n);
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, valueOf(i)));
    }
    return this.max;
  }

  get mean() {
    return this.n ? this.sum / this.n : null;
  }

  merge(other) {
    const o = other instanceof Histogram ? other : Histogram.fromJSON(other);
    for (let i = 0; i < SIZE; i++) this.counts[i] += o.counts[i];
    this.n += o.n;
    this.sum += o.sum;
    if (o.n) {
      this.min = Math.min(this.min, o.min);
      this.max = Math.max(this.max, o.max);
    }
    return this;
  }

  /** Sparse, IPC- and JSON-friendly form. */
  toJSON() {
    const buckets = [];
    for (let i = 0; i < SIZE; i++) if (this.counts[i]) buckets.push([i, this.counts[i]]);
    return { n: this.n, min: this.n ? this.min : 0, max: this.max, sum: this.sum, buckets };
  }

  static fromJSON(j) {
    const h = new Histogram();
    for (const [i, c] of j.buckets) h.counts[i] = c;
    h.n = j.n;
    h.min = j.n ? j.min : Infinity;
    h.max = j.max;
    h.sum = j.sum;
    return h;
  }

  /** Summary in milliseconds (values are recorded in microseconds). */
  summaryMs() {
    const ms = (v) => (v === null ? null : Math.round(v) / 1000);
    return {
      n: this.n,
      mean: this.n ? Math.round(this.mean) / 1000 : null,
      p50: ms(this.percentile(50)),
      p90: ms(this.percentile(90)),
      p95: ms(this.percentile(95)),
      p99: ms(this.percentile(99)),
      p999: ms(this.percentile(99.9)),
      max: ms(this.n ? this.max : null),
    };
  }
}
