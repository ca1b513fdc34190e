/**
 * One capture record into the analysis, the same for a file (`analyzeCapture`) and a live capture
 * (`LiveSession`): its time onto the steady clock (a jump tells the decoder, whose mirror-copy
 * filter must not match frames across it), then the decoder (which judges a cut frame itself).
 * Pure: the clock and decoder are injected; no allocation per record (the span is kept in a
 * Float64Array, not in fields that would box a new double per packet).
 */
import type { SteadyClock } from '../capture/clock.js';
import type { CaptureRecord } from '../capture/types.js';
import type { DecodePipeline } from '../decode/pipeline.js';
import type { WireIssue } from '../wire/issues.js';

export class RecordStep {
  /** Records pushed. */
  records = 0;
  /** First and latest steady time. */
  private readonly span = new Float64Array(2);

  constructor(readonly clock: SteadyClock, readonly pipeline: DecodePipeline) {}

  /** `rec.time` becomes its steady time; `rec.data` is read during the call only. */
  push(rec: CaptureRecord): void {
    const jumps = this.clock.count;
    const t = (rec.time = this.clock.steady(rec.time, rec.frame));
    if (this.clock.count !== jumps) this.pipeline.clockJumped();
    if (this.records++ === 0) this.span[0] = this.span[1] = t;
    else if (t > this.span[1]!) this.span[1] = t;
    this.pipeline.push(rec);
  }

  /** The latest steady time (0 before the first record). */
  get last(): number {
    return this.span[1]!;
  }

  get firstPacket(): number | null {
    return this.records === 0 ? null : this.span[0]!;
  }

  get lastPacket(): number | null {
    return this.records === 0 ? null : this.span[1]!;
  }

  /** The capture's own warnings: the reader's, the clock's jumps, the decoder's limits and its
   *  mirror copies and remote-mirror tunnels (the capture findings of every path that reads frames come from here). */
  warnings(reader: readonly WireIssue[] = []): WireIssue[] {
    return [...reader, ...this.clock.warnings(), ...this.pipeline.limitWarnings(), ...this.pipeline.duplicateWarnings(), ...this.pipeline.tunnelWarnings()];
  }
}
