// A small coverage-guided fuzzer (libFuzzer's loop, in JavaScript): mutate an input from the
// corpus, run the target, keep the input when it reached a new (counter, hit-count bucket) pair
// of the istanbul counters (fuzz/build.mjs), report any unexpected exception as a crash.
// Deterministic for a seed on the same code; bounded by runs and seconds. Why not Jazzer.js:
// docs/fuzzing.md.

/** mulberry32: small, fast, seedable. */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, below: (n) => Math.floor(next() * n), byte: () => Math.floor(next() * 256) };
}

/** AFL's hit-count classes: 1, 2, 3, 4–7, 8–15, 16–31, 32–127, 128+ → bit 0..7. */
function bucket(n) {
  if (n <= 3) return n - 1;
  if (n < 8) return 3;
  if (n < 16) return 4;
  if (n < 32) return 5;
  if (n < 128) return 6;
  return 7;
}

/**
 * Coverage over the counter arrays of an instrumented bundle. `arrays` are typed arrays the
 * instrumented code increments; `virgin` keeps, per counter, the buckets seen so far.
 */
export class CoverageMap {
  constructor(arrays) {
    this.arrays = arrays;
    this.virgin = arrays.map((a) => new Uint8Array(a.length));
  }
  reset() {
    for (const a of this.arrays) a.fill(0);
  }
  /** Forget what was seen (a new target starts from nothing). */
  forget() {
    for (const v of this.virgin) v.fill(0);
  }
  /** Buckets reached for the first time by the run just made (0: nothing new). */
  collect() {
    let fresh = 0;
    const { arrays, virgin } = this;
    for (let i = 0; i < arrays.length; i++) {
      const a = arrays[i];
      const v = virgin[i];
      for (let j = 0; j < a.length; j++) {
        const n = a[j];
        if (n === 0) continue;
        const bit = 1 << bucket(n);
        if ((v[j] & bit) === 0) { v[j] |= bit; fresh++; }
      }
    }
    return fresh;
  }
  /** Counters (statements, branch arms, functions) ever reached: the "edges" figure. */
  edges() {
    let n = 0;
    for (const v of this.virgin) for (let j = 0; j < v.length; j++) if (v[j] !== 0) n++;
    return n;
  }
  total() {
    return this.arrays.reduce((s, a) => s + a.length, 0);
  }
}

const INTERESTING8 = [0, 1, 0x7f, 0x80, 0xff];
const INTERESTING16 = [0, 1, 0x7fff, 0x8000, 0xffff, 0x100, 0x200, 0x400, 0x5dc, 0x5ea, 0xffe];
const INTERESTING32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 0x40000, 0x0a0d0d0a, 0xa1b2c3d4, 0x1a2b3c4d];

/** One mutation of `src` (a fresh array, at most maxLen bytes); `other` for crossover. */
export function mutate(src, r, maxLen, other, dict) {
  let d = src;
  const k = 1 + r.below(4);
  for (let m = 0; m < k; m++) d = mutateOnce(d, r, maxLen, other, dict);
  return d.length > maxLen ? d.subarray(0, maxLen) : d;
}

function mutateOnce(src, r, maxLen, other, dict) {
  const len = src.length;
  const op = r.below(12);
  const at = (extra = 0) => r.below(len + extra);
  const d = src.slice();
  switch (op) {
    case 0: { // erase bytes
      if (len < 2) return d;
      const from = at(); const n = 1 + r.below(Math.min(len - from, 16));
      return concat(d.subarray(0, from), d.subarray(from + n));
    }
    case 1: { // insert random bytes
      if (len >= maxLen) return d;
      const where = at(1); const n = 1 + r.below(8);
      const ins = new Uint8Array(n).map(() => r.byte());
      return concat(d.subarray(0, where), ins, d.subarray(where));
    }
    case 2: { // insert a repeated byte
      if (len >= maxLen) return d;
      const where = at(1); const n = 1 + r.below(64);
      return concat(d.subarray(0, where), new Uint8Array(n).fill(r.next() < 0.5 ? 0 : r.byte()), d.subarray(where));
    }
    case 3: if (len) d[at()] = r.byte(); return d;
    case 4: if (len) d[at()] ^= 1 << r.below(8); return d;
    case 5: if (len) d[at()] = INTERESTING8[r.below(INTERESTING8.length)]; return d;
    case 6: { // 16-bit field, either byte order
      if (len < 2) return d;
      const o = r.below(len - 1); const v = r.next() < 0.5 ? INTERESTING16[r.below(INTERESTING16.length)] : (d[o] << 8 | d[o + 1]) + r.below(33) - 16;
      if (r.next() < 0.7) { d[o] = (v >> 8) & 0xff; d[o + 1] = v & 0xff; } else { d[o] = v & 0xff; d[o + 1] = (v >> 8) & 0xff; }
      return d;
    }
    case 7: { // 32-bit field, either byte order
      if (len < 4) return d;
      const o = r.below(len - 3); const v = INTERESTING32[r.below(INTERESTING32.length)];
      const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
      dv.setUint32(o, v >>> 0, r.next() < 0.5);
      return d;
    }
    case 8: { // copy a part over another place
      if (len < 2) return d;
      const from = at(); const to = at(); const n = 1 + r.below(Math.min(len - Math.max(from, to), 32));
      d.copyWithin(to, from, from + n);
      return d;
    }
    case 9: { // crossover with another corpus input
      if (!other || other.length === 0) return d;
      const cut = at(1); const ocut = r.below(other.length + 1);
      return concat(d.subarray(0, cut), other.subarray(ocut, ocut + 1 + r.below(256)));
    }
    case 10: { // a dictionary token (protocol keywords) inserted or written over
      if (!dict || dict.length === 0) return d;
      const tok = dict[r.below(dict.length)];
      const where = at(1);
      if (r.next() < 0.5 && len + tok.length <= maxLen) return concat(d.subarray(0, where), tok, d.subarray(where));
      d.set(tok.subarray(0, Math.max(0, len - where)), where);
      return d;
    }
    default: { // ASCII number: change a decimal run (lengths in text protocols)
      const s = r.below(Math.max(1, len));
      let i = s; while (i < len && (d[i] < 0x30 || d[i] > 0x39)) i++;
      if (i >= len) return d;
      let j = i; while (j < len && d[j] >= 0x30 && d[j] <= 0x39) j++;
      const choices = ['0', '1', '65535', '65536', '4294967296', '99999999999999999999', String(r.below(2000)), '-1'];
      return concat(d.subarray(0, i), new TextEncoder().encode(choices[r.below(choices.length)]), d.subarray(j));
    }
  }
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/**
 * Runs one target. opts: { seed, runs, seconds, maxLen, corpus: Uint8Array[], dict, slowMs,
 * onCrash(crash), onProgress(stats), onInput(input, run) (before each run: a watchdog's copy) }. Returns the figures; every unexpected exception is a
 * crash (deduplicated by its first stack line), every run over slowMs a slow input.
 */
export function fuzz(target, coverage, opts) {
  const r = rng(opts.seed);
  const maxLen = opts.maxLen ?? 4096;
  const slowMs = opts.slowMs ?? 1000;
  const deadline = performance.now() + (opts.seconds ?? 60) * 1000;
  const corpus = [];
  const crashes = new Map();
  const slow = [];
  let runs = 0;
  let slowest = 0;
  const heapStart = process.memoryUsage().heapUsed;

  const runOne = (input) => {
    opts.onInput?.(input, runs);
    coverage.reset();
    const t = performance.now();
    try {
      target.fuzz(input);
    } catch (err) {
      if (!(target.expected?.(err) ?? false)) {
        const e = err instanceof Error ? err : new Error(String(err));
        const where = (e.stack ?? '').split('\n').find((l) => /^\s+at /.test(l))?.trim() ?? '';
        const key = `${e.name}: ${e.message.slice(0, 80)} ${where}`;
        if (!crashes.has(key)) {
          const crash = { key, message: `${e.name}: ${e.message}`, stack: e.stack ?? '', input: input.slice() };
          crashes.set(key, crash);
          opts.onCrash?.(crash);
        }
      }
    }
    const ms = performance.now() - t;
    runs++;
    if (ms > slowest) slowest = ms;
    if (ms > slowMs && slow.length < 10) slow.push({ ms, input: input.slice() });
    return coverage.collect();
  };

  // The seeds first: they set the baseline; an empty input always.
  for (const s of [new Uint8Array(0), ...opts.corpus]) {
    const seed = s.length > maxLen ? s.subarray(0, maxLen) : s;
    if (runOne(seed) > 0 || corpus.length === 0) corpus.push(seed);
  }
  const seedEdges = coverage.edges();
  let lastReport = performance.now();
  while (runs < opts.runs) {
    // The clock is read every 64 runs: cheap, and still bounded in time.
    if ((runs & 63) === 0 && performance.now() > deadline) break;
    const base = corpus[r.below(corpus.length)];
    const other = corpus[r.below(corpus.length)];
    const input = mutate(base, r, maxLen, other, opts.dict);
    if (runOne(input) > 0) corpus.push(input);
    if (opts.onProgress && performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      opts.onProgress({ runs, edges: coverage.edges(), corpus: corpus.length, crashes: crashes.size });
    }
  }
  return {
    runs,
    seconds: (performance.now() - (deadline - (opts.seconds ?? 60) * 1000)) / 1000,
    seedEdges,
    edges: coverage.edges(),
    counters: coverage.total(),
    corpus,
    crashes: [...crashes.values()],
    slow,
    slowestMs: slowest,
    heapGrowthMB: (process.memoryUsage().heapUsed - heapStart) / 1048576,
  };
}
