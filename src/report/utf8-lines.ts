/**
 * Lines encoded straight into one reused byte buffer, handed to a `TextOutput` when full. For
 * `decode --format jsonl`, a million short lines: no array of parts, no joined string, no new
 * Buffer per flush (joining and re-encoding was a fifth of the run).
 */
import type { TextOutput } from './output.js';

const CAPACITY = 1 << 18;

export class Utf8Lines {
  private readonly buf = Buffer.allocUnsafe(CAPACITY);
  private used = 0;

  constructor(private readonly out: TextOutput) {}

  line(s: string): void {
    if (this.out.broken) return;
    // A UTF-16 unit takes at most 3 bytes in UTF-8 (a surrogate pair 4 for 2 units).
    if (this.used + s.length * 3 + 1 > CAPACITY) {
      this.flush();
      if (s.length * 3 + 1 > CAPACITY) {
        this.out.line(s); // longer than the whole buffer: the text path
        return;
      }
    }
    this.used += this.buf.write(s, this.used, 'utf8');
    this.buf[this.used++] = 0x0a;
  }

  /** Hands what is held to the output (it writes before returning: the buffer is free again). */
  flush(): void {
    if (this.used === 0) return;
    this.out.bytes(this.buf.subarray(0, this.used));
    this.used = 0;
  }
}
