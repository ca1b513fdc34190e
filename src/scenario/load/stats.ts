/**
 * Load statistics per exchange kind: counts (ok, failed, timed out), an HDR latency histogram
 * (hdr-histogram-js, microseconds, 3 significant digits, 1 µs … 1 h), bytes and which server
 * answered. The JSON form carries each histogram in HDR's compressed base64 encoding, so shards
 * merge into exactly the percentiles one run would have given.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { PERCENTILES, STAT_KINDS, type Percentile, type StatKind } from '../load-schema.js';

/** Values above this are recorded as this (a step never runs an hour). */
export const HIGHEST_US = 3_600_000_000;
/** Distinct servers remembered per kind (a flood of spoofed server ids must not grow memory). */
const MAX_SERVERS = 64;

export function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, autoResize: false });
}

/** Percentiles in milliseconds; `max` is exact (kept beside the histogram), the others HDR's. */
export type LatencyMs = Record<Percentile, number> & { mean: number };

export interface KindReport {
  ok: number;
  failed: number;
  timedOut: number;
  /** Latency of every exchange that got its answer (passed, or failed an expectation). */
  latencyMs: LatencyMs | null;
  /** Passing exchanges per second of the run. */
  perSecond: number;
  bytes: number;
  bytesPerSecond: number;
  /** Exchanges answered per server (DHCP server id, TFTP server, HTTP host). */
  servers: Record<string, number>;
  /** HDR histogram, microseconds, compressed base64 (`decodeFromCompressedBase64`). */
  histogram: string;
  /** Exact largest latency, microseconds. */
  maxUs: number;
}

export class KindStats {
  ok = 0;
  failed = 0;
  timedOut = 0;
  bytes = 0;
  maxUs = 0;
  readonly servers = new Map<string, number>();
  constructor(readonly histogram: Histogram = newHistogram()) {}

  /** `us`: null when the exchange got no answer (timed out: counted, not timed). */
  record(outcome: 'ok' | 'failed' | 'timed-out', us: number | null, bytes = 0, server?: string): void {
    if (outcome === 'ok') this.ok++;
    else if (outcome === 'failed') this.failed++;
    else this.timedOut++;
    this.bytes += bytes;
    if (us !== null) {
      const v = Math.min(HIGHEST_US, Math.max(1, Math.round(us)));
      this.histogram.recordValue(v);
      if (v > this.maxUs) this.maxUs = v;
    }
    if (server !== undefined && (this.servers.has(server) || this.servers.size < MAX_SERVERS)) {
      this.servers.set(server, (this.servers.get(server) ?? 0) + 1);
    }
  }

  get total(): number {
    return this.ok + this.failed + this.timedOut;
  }

  percentileMs(p: Percentile): number | null {
    if (this.histogram.totalCount === 0) return null;
    // HDR answers the top of a bucket; never more than the exact largest value.
    const us = p === 'max' ? this.maxUs : Math.min(this.maxUs, this.histogram.getValueAtPercentile(p === 'p99.9' ? 99.9 : Number(p.slice(1))));
    return us / 1000;
  }

  report(durationSeconds: number): KindReport {
    const d = durationSeconds > 0 ? durationSeconds : 0;
    let latencyMs: LatencyMs | null = null;
    if (this.histogram.totalCount > 0) {
      const l = { mean: round(this.histogram.mean / 1000) } as LatencyMs;
      for (const p of PERCENTILES) l[p] = round(this.percentileMs(p)!);
      latencyMs = l;
    }
    return {
      ok: this.ok, failed: this.failed, timedOut: this.timedOut, latencyMs,
      perSecond: d === 0 ? 0 : round(this.ok / d), bytes: this.bytes, bytesPerSecond: d === 0 ? 0 : Math.round(this.bytes / d),
      servers: Object.fromEntries(this.servers), histogram: encodeIntoCompressedBase64(this.histogram), maxUs: this.maxUs,
    };
  }

  /** Rebuilds the statistics of a report (its histogram decoded losslessly). */
  static fromReport(r: KindReport): KindStats {
    const s = new KindStats();
    s.addReport(r);
    return s;
  }

  addReport(r: KindReport): void {
    this.ok += r.ok;
    this.failed += r.failed;
    this.timedOut += r.timedOut;
    this.bytes += r.bytes;
    this.maxUs = Math.max(this.maxUs, r.maxUs);
    for (const [k, v] of Object.entries(r.servers)) this.servers.set(k, (this.servers.get(k) ?? 0) + v);
    if (r.histogram !== '') this.histogram.add(decodeFromCompressedBase64(r.histogram));
  }
}

/** Every kind's statistics for one run (created on first use, so unused kinds cost nothing). */
export class LoadStats {
  readonly kinds = new Map<StatKind, KindStats>();

  kind(k: StatKind): KindStats {
    let s = this.kinds.get(k);
    if (s === undefined) this.kinds.set(k, (s = new KindStats()));
    return s;
  }

  report(durationSeconds: number): Partial<Record<StatKind, KindReport>> {
    const out: Partial<Record<StatKind, KindReport>> = {};
    for (const k of STAT_KINDS) {
      const s = this.kinds.get(k);
      if (s !== undefined) out[k] = s.report(durationSeconds);
    }
    return out;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
