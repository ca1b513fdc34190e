/**
 * The report summary, added up device by device: a capture analyzed in parts (devices released as
 * they finish) ends with the same summary as one analyzed whole. Times to boot program are kept
 * exactly (8 bytes each) so the median and p95 are the true ones.
 */
import type { Finding } from '../findings/types.js';
import type { AnalysisSummary, ClientReport } from './types.js';

export class SummaryAccumulator {
  private clients = 0;
  private others = 0;
  private booted = 0;
  private failed = 0;
  private incomplete = 0;
  private errors = 0;
  private warnings = 0;
  private infos = 0;
  private times = new Float64Array(1024);
  private n = 0;

  add(clients: readonly ClientReport[], findings: readonly Finding[]): void {
    for (const f of findings) {
      if (f.severity === 'error') this.errors++;
      else if (f.severity === 'warning') this.warnings++;
      else this.infos++;
    }
    for (const c of clients) {
      if (c.role !== 'boot') {
        this.others++;
        continue;
      }
      this.clients++;
      if (c.outcome === 'booted') this.booted++;
      else if (c.outcome === 'failed') this.failed++;
      else if (c.outcome === 'incomplete') this.incomplete++;
      if (c.timeToBootProgram !== null) this.time(c.timeToBootProgram);
    }
  }

  /** Error findings so far (the exit code). */
  get errorCount(): number {
    return this.errors;
  }

  summary(first: number | null, last: number | null): AnalysisSummary {
    const sorted = this.times.slice(0, this.n).sort();
    return {
      clients: this.clients,
      otherClients: this.others,
      booted: this.booted,
      failed: this.failed,
      incomplete: this.incomplete,
      errors: this.errors, warnings: this.warnings, infos: this.infos,
      medianTimeToBootProgram: quantile(sorted, 0.5),
      p95TimeToBootProgram: quantile(sorted, 0.95),
      firstPacket: first,
      lastPacket: last,
    };
  }

  private time(t: number): void {
    if (this.n === this.times.length) {
      const grown = new Float64Array(this.times.length * 2);
      grown.set(this.times);
      this.times = grown;
    }
    this.times[this.n++] = t;
  }
}

/** Nearest-rank quantile of sorted values (null when empty). */
export function quantile(sorted: ArrayLike<number>, q: number): number | null {
  if (sorted.length === 0) return null;
  if (q === 0.5 && sorted.length % 2 === 0) return (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}
