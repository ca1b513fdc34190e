/**
 * A percentage-of-bytes progress line on stderr for large captures. Only on a terminal (a log file
 * or CI output must not fill with carriage returns); the clock is injected for tests.
 */
export const PROGRESS_MIN_BYTES = 20 * 1024 * 1024;
const MIN_INTERVAL_MS = 100;

export interface ProgressOptions {
  label: string;
  totalBytes: number;
  /** `process.stderr.isTTY`. */
  isTTY: boolean | undefined;
  write: (s: string) => void;
  now?: () => number;
  minBytes?: number;
}

export class ByteProgress {
  private lastPercent = -1;
  private lastAt = -Infinity;
  private shown = false;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly write: (s: string) => void,
    private readonly now: () => number,
  ) {}

  /** Bytes of the file consumed so far; redraws at most every 100 ms and only on a new percentage. */
  update(bytesRead: number): void {
    const percent = Math.min(100, Math.floor((bytesRead / this.total) * 100));
    if (percent === this.lastPercent) return;
    const t = this.now();
    if (t - this.lastAt < MIN_INTERVAL_MS && percent < 100) return;
    this.lastPercent = percent;
    this.lastAt = t;
    this.shown = true;
    this.write(`\r\x1b[K${this.label} ${percent}%`);
  }

  /** Erases the line so the report (or an error) starts clean. */
  done(): void {
    if (this.shown) this.write('\r\x1b[K');
    this.shown = false;
  }
}

/** A progress line for files above `minBytes` (20 MiB) on a terminal, else null. */
export function createProgress(o: ProgressOptions): ByteProgress | null {
  if (o.isTTY !== true || o.totalBytes < (o.minBytes ?? PROGRESS_MIN_BYTES)) return null;
  return new ByteProgress(o.label, o.totalBytes, o.write, o.now ?? Date.now);
}
