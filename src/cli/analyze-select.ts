/**
 * `--client` and `--only-failed` applied to a report as its devices finish: the devices kept,
 * their findings and the capture-wide ones, and the summary of what was kept.
 */
import { SummaryAccumulator } from '../analysis/summary.js';
import type { AnalysisSummary, ClientReport } from '../analysis/types.js';
import type { ReportPart } from '../report/analyze-stream.js';
import { UsageError } from './exit-codes.js';
import { clientSpecText, type ClientSpec } from './client-spec.js';
import { chainMatches } from './analyze.js';

const MAX_LISTED = 8;

export class PartSelection {
  private readonly acc = new SummaryAccumulator();
  private readonly matched: boolean[];
  private readonly seen: string[] = [];
  private seenCount = 0;

  constructor(private readonly specs: readonly ClientSpec[] | null, private readonly onlyFailed: boolean) {
    this.matched = (specs ?? []).map(() => false);
  }

  /** What of a part is reported. */
  keep(p: ReportPart): ReportPart {
    for (const c of p.clients) {
      if (this.seen.length < MAX_LISTED) this.seen.push(c.mac);
      this.seenCount++;
    }
    let clients = p.clients;
    let findings = p.findings;
    if (this.specs !== null || this.onlyFailed) {
      clients = p.clients.filter((c) => this.wanted(c));
      const macs = new Set(clients.map((c) => c.mac));
      findings = p.findings.filter((f) => f.client === null || macs.has(f.client));
    }
    this.acc.add(clients, findings);
    return { file: p.file, clients, findings };
  }

  /** Some spec named a device of the capture. */
  get anyMatched(): boolean {
    return this.matched.some((m) => m);
  }

  /** Every spec must name a device: UsageError listing who was seen otherwise. */
  check(file: string): void {
    this.matched.forEach((m, i) => {
      if (m) return;
      const list = this.seenCount === 0 ? 'none' : this.seen.join(', ') + (this.seenCount > MAX_LISTED ? `, … (${this.seenCount - MAX_LISTED} more)` : '');
      throw new UsageError(`--client ${clientSpecText(this.specs![i]!)}: no such client in ${file}; clients seen: ${list}`);
    });
  }

  summary(first: number | null, last: number | null): AnalysisSummary {
    return this.acc.summary(first, last);
  }

  private wanted(c: ClientReport): boolean {
    if (this.specs !== null) {
      let any = false;
      this.specs.forEach((spec, i) => {
        if (chainMatches(c, spec)) this.matched[i] = any = true;
      });
      if (!any) return false;
    }
    return !this.onlyFailed || c.outcome === 'failed';
  }
}
