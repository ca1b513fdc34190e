/**
 * The live progress line of a load run on a terminal (stderr): rate, in flight, done, failures,
 * p99 so far — rewritten in place; nothing at all when stderr is not a terminal (the caller decides).
 */
import type { LoadProgress } from '../scenario/load/runner.js';

/** `12.0 s  arrivals 498/s  in flight 32  done 5,970/10,000  failed 3  dora p99 84.2 ms` */
export function progressText(p: LoadProgress): string {
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  const p99 = p.p99 === null ? '' : `  ${p.p99.kind} p99 ${p.p99.ms >= 1000 ? `${(p.p99.ms / 1000).toFixed(2)} s` : `${p.p99.ms.toFixed(1)} ms`}`;
  return `${p.elapsedSeconds.toFixed(1)} s  arrivals ${n(p.rate)}/s  in flight ${n(p.inFlight)}  done ${n(p.done)}/${n(p.planned)}  failed ${n(p.failed)}${p99}`;
}

export class ProgressLine {
  private shown = false;
  constructor(private readonly write: (s: string) => void) {}

  show(p: LoadProgress): void {
    this.write(`\r${progressText(p)}\u001b[K`);
    this.shown = true;
  }

  /** Removes the line before the report is printed. */
  clear(): void {
    if (this.shown) this.write('\r\u001b[K');
    this.shown = false;
  }
}
