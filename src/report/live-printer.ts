/**
 * Live boot-chain lines for `pxecheck capture`. The builder's `onStep` fires when a step OPENS, and
 * its fields keep filling in afterwards, so a step is printed only once it is done (ACK, NAK, last
 * TFTP block, TFTP ERROR, HTTP body complete) or after a quiet period without a new packet. Pure: no
 * I/O, no clock — every method takes the current time and returns the lines to print.
 */
import type { Severity } from '../findings/catalogue.js';
import type { Finding } from '../findings/types.js';
import type { DeviceIdentity } from '../flow/state.js';
import type { BootStep } from '../flow/types.js';
import { PLAIN, type Palette } from './color.js';
import { dhcp4StageLabel, framesSuffix, printable, severityLabel, stepWhat } from './analyze-text.js';

export interface LivePrinterOptions {
  /** Seconds without a new packet in an open step after which it is printed as it stands. */
  quietSeconds?: number;
  palette?: Palette;
  /** Print times of day in UTC instead of local time (tests, logs from several zones). */
  utc?: boolean;
  /** Quiet-printed steps still watched for their completion (bounded memory). */
  maxWatched?: number;
}

/** How many lines of each kind were printed (for the capture summary). */
export interface LivePrinterCounts {
  /** Steps finalised: printed as done, or flushed at the end. */
  steps: number;
  findings: number;
  /** Findings by severity. */
  bySeverity: Record<Severity, number>;
}

interface Pending {
  chain: DeviceIdentity;
  step: BootStep;
  /** Printed once as still open (quiet): print again only when it completes. */
  quietPrinted: boolean;
}

export const DEFAULT_QUIET_SECONDS = 5;

export class LivePrinter {
  private readonly quiet: number;
  private readonly pal: Palette;
  private readonly utc: boolean;
  private readonly maxWatched: number;
  /** Open steps in the order they opened. */
  private pending: Pending[] = [];
  /** Findings printed, per device ('*': capture-wide), so a released device's can be forgotten. */
  private readonly seenFindings = new Map<string, Set<string>>();
  readonly counts: LivePrinterCounts = { steps: 0, findings: 0, bySeverity: { error: 0, warning: 0, info: 0 } as Record<Severity, number> };

  constructor(opts: LivePrinterOptions = {}) {
    this.quiet = opts.quietSeconds ?? DEFAULT_QUIET_SECONDS;
    this.pal = opts.palette ?? PLAIN;
    this.utc = opts.utc ?? false;
    this.maxWatched = opts.maxWatched ?? 4096;
  }

  /** The builder's `onStep`: a step opened. Nothing is printed yet. */
  stepOpened(chain: DeviceIdentity, step: BootStep): void {
    this.pending.push({ chain, step, quietPrinted: false });
  }

  /** Lines for steps that completed, or went quiet, by `now` (epoch seconds). */
  poll(now: number): string[] {
    const out: string[] = [];
    let keep = 0;
    for (const p of this.pending) {
      if (stepDone(p.step)) {
        this.counts.steps++;
        out.push(this.stepLine(p.chain, p.step, true));
        continue;
      }
      if (!p.quietPrinted && now - stepLastTime(p.step) >= this.quiet) {
        out.push(this.stepLine(p.chain, p.step, false));
        p.quietPrinted = true;
      }
      this.pending[keep++] = p;
    }
    this.pending.length = keep;
    this.bound();
    return out;
  }

  /** End of capture: every step not printed yet, as it stands. */
  flush(): string[] {
    const out: string[] = [];
    for (const p of this.pending) {
      const done = stepDone(p.step);
      this.counts.steps++;
      if (done || !p.quietPrinted) out.push(this.stepLine(p.chain, p.step, done));
    }
    this.pending = [];
    return out;
  }

  /** Lines for the findings not printed before (a finding is printed once, however often it is
   *  evaluated). `now` stands in for a finding without a time. */
  findings(list: readonly Finding[], now: number): string[] {
    const out: string[] = [];
    for (const f of list) {
      const who = f.client ?? '*';
      const key = findingKey(f);
      let seen = this.seenFindings.get(who);
      if (!seen) this.seenFindings.set(who, (seen = new Set()));
      if (seen.has(key)) continue;
      seen.add(key);
      this.counts.findings++;
      this.counts.bySeverity[f.severity]++;
      out.push(this.findingLine(f, now));
    }
    return out;
  }

  /** Devices finished and released: their findings will not come again (memory stays flat). */
  forget(devices: readonly string[]): void {
    for (const d of devices) this.seenFindings.delete(d);
  }

  /** Steps opened and not finalised yet (still open, or quiet-printed and watched). */
  get open(): number {
    return this.pending.length;
  }

  stepLine(chain: DeviceIdentity, step: BootStep, done: boolean): string {
    // A response head the snap length cut is neither ok nor a failure: the detail says "(cut)".
    const result = !done ? this.pal.dim('open') : step.ok ? 'ok' : step.kind === 'http' && step.cut ? 'cut' : this.pal.fail('FAIL');
    const detail = liveDetail(step);
    return [
      timeOfDay(step.start, this.utc),
      chain.key,
      stepKind(step),
      printable(stepWhat(step)),
      result + (detail ? ` ${printable(detail)}` : ''),
      `${step.duration.toFixed(3)}s`,
    ].join(' ');
  }

  findingLine(f: Finding, now: number): string {
    return `${timeOfDay(f.time ?? now, this.utc)} ${f.client ?? '*'} ${this.pal.severity(f.severity, severityLabel(f.severity).trim())} ${f.code}: ${printable(f.message)}${framesSuffix(f.frames)}`;
  }

  /** Quiet-printed steps that never complete are forgotten, oldest first, past `maxWatched`. */
  private bound(): void {
    if (this.pending.length <= this.maxWatched) return;
    let drop = this.pending.length - this.maxWatched;
    this.pending = this.pending.filter((p) => !(p.quietPrinted && drop-- > 0));
  }
}

/** Has the step reached its last packet? (ok or failed: either way its fields are final.) */
export function stepDone(step: BootStep): boolean {
  switch (step.kind) {
    case 'dhcp4': {
      const last = step.messages[step.messages.length - 1];
      return step.ok || last === 'NAK';
    }
    case 'proxydhcp':
    case 'ra':
      return step.ok;
    case 'dhcp6':
      // A failure status in a Reply is final too (the client may retry the same request).
      return step.ok || (step.statuses.length > 0 && step.messages[step.messages.length - 1] === 'REPLY');
    case 'tftp':
      return step.complete || step.error !== null;
    case 'http':
      return step.complete || step.ok;
  }
}

function stepLastTime(step: BootStep): number {
  return step.start + step.duration;
}

function stepKind(step: BootStep): string {
  switch (step.kind) {
    case 'dhcp4': return `dhcp4 (${dhcp4StageLabel(step)})`;
    case 'tftp': return step.probe ? 'tftp (probe)' : 'tftp';
    default: return step.kind;
  }
}

/** Address, boot file, bytes, throughput, status, error — space separated, like a log line. */
export function liveDetail(step: BootStep): string {
  const parts: string[] = [];
  switch (step.kind) {
    case 'dhcp4':
      if (step.yiaddr) parts.push(step.yiaddr);
      if (step.bootfile) parts.push(`boot ${step.bootfile}`);
      if (step.offers.length > 1) parts.push(`(${step.offers.length} offers)`);
      break;
    case 'proxydhcp':
      if (step.bootfile) parts.push(`boot ${step.bootfile}`);
      if (step.server) parts.push(`from ${step.server}`);
      break;
    case 'dhcp6':
      parts.push(...step.addresses);
      if (step.bootfileUrl) parts.push(`boot ${step.bootfileUrl}`);
      break;
    case 'tftp':
      if (step.probe) {
        parts.push(`tsize ${step.tsize ?? '?'} (probe ended by the client)`);
        break;
      }
      parts.push(`${step.bytes} bytes`);
      if (step.throughput !== null) parts.push(formatRate(step.throughput));
      if (step.blksize !== 512) parts.push(`blksize ${step.blksize}`);
      if (step.retransmits > 0) parts.push(`${step.retransmits} retransmits`);
      if (step.error) parts.push(`ERROR ${step.error.code} ${step.error.message}`);
      break;
    case 'http':
      if (step.cut) {
        parts.push(step.status === null ? 'response (cut)' : `${step.status} (cut)`);
        break;
      }
      parts.push(step.status === null ? 'no response' : `${step.status}`);
      parts.push(`${step.bytes} bytes`);
      if (step.throughput !== null) parts.push(formatRate(step.throughput));
      break;
  }
  return parts.join(' ');
}

/** Bytes per second as `812 B/s`, `45.3 kB/s`, `11.9 MB/s` (decimal units, like curl). */
export function formatRate(bytesPerSecond: number): string {
  if (bytesPerSecond < 1e3) return `${Math.round(bytesPerSecond)} B/s`;
  if (bytesPerSecond < 1e6) return `${(bytesPerSecond / 1e3).toFixed(1)} kB/s`;
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}

/** `HH:MM:SS.mmm` of an epoch time, local or UTC. */
export function timeOfDay(epochSeconds: number, utc = false): string {
  const ms = Math.round(epochSeconds * 1000);
  const d = new Date(ms);
  const h = utc ? d.getUTCHours() : d.getHours();
  const m = utc ? d.getUTCMinutes() : d.getMinutes();
  const s = utc ? d.getUTCSeconds() : d.getSeconds();
  const frac = ((ms % 1000) + 1000) % 1000;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(frac, 3)}`;
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/**
 * What makes a finding the same one at the next snapshot. A capture.* finding's time is the
 * capture's last packet and its message a growing count (mirror copies, clock jumps, limits):
 * the same finding while its code and first frame are. Any other finding keeps its time; a
 * capture-wide one (client null) also its second frame, as no client tells them apart: one
 * ra.conflict per router pair (A,B) then (A,C), both pointing at A's advert first.
 */
function findingKey(f: Finding): string {
  if (f.client === null && f.code.startsWith('capture.')) return `${f.code}||${f.frames[0] ?? ''}`;
  const key = `${f.code}|${f.time ?? ''}|${f.frames[0] ?? ''}`;
  return f.client === null ? `${key}|${f.frames[1] ?? ''}` : key;
}
