/**
 * The edge between the command line and the capture readers: which files a list of arguments
 * names (folders expand to the captures in them), warnings on stderr, and the rule that an output
 * file never replaces an input.
 */
import { closeSync, openSync, readdirSync, readSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, constants as zlibConstants } from 'node:zlib';
import { CaptureFormatError, STDIN_NAME } from '../capture/index.js';
import type { WireIssue } from '../wire/issues.js';
import { fileErrorMessage, UsageError } from './exit-codes.js';

const MAGICS = new Set([0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1, 0x0a0d0d0a]);
/** Enough of a gzip file to inflate the first four bytes of what it holds. */
const SNIFF_BYTES = 4096;

/** Do the first bytes say pcap, pcapng, or a gzip holding one? (Folders are filtered by it.) */
export function looksLikeCapture(head: Uint8Array): boolean {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    try {
      return looksLikeCapture(gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH }));
    } catch {
      return false;
    }
  }
  if (head.length < 4) return false;
  return MAGICS.has(((head[0]! << 24) | (head[1]! << 16) | (head[2]! << 8) | head[3]!) >>> 0);
}

function sniff(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(SNIFF_BYTES);
    return looksLikeCapture(buf.subarray(0, readSync(fd, buf, 0, SNIFF_BYTES, 0)));
  } finally {
    closeSync(fd);
  }
}

/**
 * Arguments → inputs in order: a folder stands for the capture files directly in it (by magic,
 * sorted by name; other files skipped); anything else (file, FIFO, `-`, /dev/stdin) as given.
 * A missing path throws ENOENT; a folder with no capture is a UsageError.
 */
export function expandInputs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    // statSync throws ENOENT for a missing path: reported before anything is read or drawn.
    if (a === STDIN_NAME || !statSync(a).isDirectory()) {
      out.push(a);
      continue;
    }
    const found = readdirSync(a).sort().map((n) => join(a, n)).filter((p) => isRegular(p) && sniff(p));
    if (found.length === 0) throw new UsageError(`${a}: folder holds no pcap or pcapng capture`);
    out.push(...found);
  }
  if (out.filter((i) => i === STDIN_NAME).length > 1) throw new UsageError('standard input (-) can be read only once');
  return out;
}

function isRegular(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Size of a regular file (for a progress percentage), null for pipes, stdin and the like. */
export function regularFileSize(input: string): number | null {
  if (input === STDIN_NAME) return null;
  try {
    const st = statSync(input);
    return st.isFile() ? st.size : null;
  } catch {
    return null;
  }
}

/**
 * `-o FILE` must not be one of the inputs (today's mistake: `analyze x.pcap -o x.pcap` replaced
 * the capture by its report). Compared by device and inode, so links and other spellings count.
 */
export function refuseOverwrite(output: string | undefined, inputs: readonly (string | undefined)[], flag = '--output'): void {
  if (output === undefined || output === '-') return;
  let out: { dev: number; ino: number; real: string };
  try {
    const st = statSync(output);
    out = { dev: st.dev, ino: st.ino, real: realpathSync(output) };
  } catch {
    return; // does not exist yet: it cannot be an input
  }
  for (const i of inputs) {
    if (i === undefined || i === STDIN_NAME) continue;
    try {
      const st = statSync(i);
      if ((st.dev === out.dev && st.ino === out.ino) || realpathSync(i) === out.real) {
        throw new UsageError(`${flag} ${output} is the input ${i}: refusing to overwrite it (write the report to another file)`);
      }
    } catch (e) {
      if (e instanceof UsageError) throw e;
    }
  }
}

/** At most this many warning lines per input on stderr; the report has them all (grouped). */
export const MAX_WARNING_LINES = 20;

/** Prints reader warnings as they come, one line each, then a count of the ones left out. */
export class WarningPrinter {
  private counts = new Map<string, number>();

  constructor(private readonly write: (s: string) => void) {}

  readonly onWarning = (w: WireIssue, name: string): void => {
    const n = (this.counts.get(name) ?? 0) + 1;
    this.counts.set(name, n);
    if (n <= MAX_WARNING_LINES) this.write(`pxecheck: warning: ${name}: ${w.message} (at byte ${w.offset})\n`);
  };

  /** Prints warnings collected elsewhere (a worker thread): the first ones, then the count of the rest. */
  replay(warnings: readonly { issue: WireIssue; name: string }[], more: number): void {
    for (const w of warnings) this.onWarning(w.issue, w.name);
    const name = warnings[0]?.name;
    if (name !== undefined && more > 0) this.counts.set(name, (this.counts.get(name) ?? 0) + more);
    this.finish();
  }

  /** The "… more" line for each input over the limit. */
  finish(): void {
    for (const [name, n] of this.counts) {
      if (n > MAX_WARNING_LINES) this.write(`pxecheck: warning: ${name}: ${n - MAX_WARNING_LINES} more warning(s) not shown\n`);
    }
    this.counts.clear();
  }
}

/** The one-line message for an input that could not be read (not a capture, missing, a folder…),
 *  or null when `err` is something else (an internal error). */
export function inputErrorMessage(err: unknown): string | null {
  if (err instanceof CaptureFormatError || err instanceof UsageError) return err.message;
  return fileErrorMessage(err);
}
