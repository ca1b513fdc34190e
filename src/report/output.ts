import { writeSync, openSync, closeSync } from 'node:fs';

/**
 * Buffered text output to a file descriptor. Decoding a million frames prints a million lines:
 * batching them into large writes keeps output from dominating the run.
 */
export class TextOutput {
  private parts: string[] = [];
  private size = 0;
  private closed = false;
  /** Set once the reader went away (EPIPE: `pxecheck decode x | head`). */
  broken = false;

  constructor(private readonly fd: number, private readonly ownsFd = false) {}

  static open(path: string | undefined): TextOutput {
    if (!path || path === '-') return new TextOutput(1);
    return new TextOutput(openSync(path, 'w'), true);
  }

  line(s: string): void {
    if (this.broken) return;
    this.parts.push(s, '\n');
    this.size += s.length + 1;
    if (this.size >= 1 << 16) this.flush();
  }

  /** Text as it is (no newline added). */
  text(s: string): void {
    if (this.broken || s.length === 0) return;
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 16) this.flush();
  }

  /** UTF-8 bytes as they are, after the text before them. */
  bytes(b: Uint8Array): void {
    if (this.broken || b.length === 0) return;
    this.flush();
    writeBytes(this.fd, b, this);
  }

  flush(): void {
    if (this.parts.length === 0 || this.broken) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    writeAll(this.fd, text, this);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.ownsFd) closeSync(this.fd);
  }
}

function writeAll(fd: number, text: string, out: TextOutput): void {
  writeBytes(fd, Buffer.from(text, 'utf8'), out);
}

function writeBytes(fd: number, buf: Uint8Array, out: TextOutput): void {
  if (out.broken) return;
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue; // non-blocking stdout pipe: retry
      if (code === 'EPIPE') { out.broken = true; return; }
      throw err;
    }
  }
}
