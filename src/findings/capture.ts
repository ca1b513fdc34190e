/**
 * Capture-level findings: what the reader said about the file itself (truncated, corrupt,
 * unsupported link types). Pure: the reader's warnings in, findings out. One finding per code,
 * naming the first few warnings, so a file with a thousand bad blocks stays readable.
 */
import type { WireIssue } from '../wire/issues.js';
import type { Finding } from '../flow/types.js';
import { findingDef, type FindingCode } from './catalogue.js';

export interface CaptureFacts {
  truncated: boolean;
  warnings: readonly WireIssue[];
  /** Epoch seconds of the last packet (the findings' time), null when there was none. */
  last: number | null;
}

const LISTED = 3;

/** Which catalogue code a reader warning belongs to. */
export function captureCode(w: WireIssue): FindingCode {
  if (w.kind === 'truncated') return 'capture.truncated';
  if (w.kind === 'malformed') return 'capture.corrupt';
  return w.layer === 'link' ? 'capture.unsupported-link' : 'capture.unsupported';
}

export function captureFindings(info: CaptureFacts): Finding[] {
  const byCode = new Map<FindingCode, WireIssue[]>();
  for (const w of info.warnings) {
    const code = captureCode(w);
    const list = byCode.get(code);
    if (list) list.push(w);
    else byCode.set(code, [w]);
  }
  // A gzip cut short sets `truncated` with a malformed warning: still say it is truncated.
  if (info.truncated && !byCode.has('capture.truncated')) byCode.set('capture.truncated', []);
  const out: Finding[] = [];
  for (const [code, ws] of byCode) {
    const def = findingDef(code);
    out.push({ code, severity: def.severity, client: null, frames: [], message: message(code, ws), hint: def.hint, time: info.last ?? 0 });
  }
  return out;
}

function message(code: FindingCode, ws: readonly WireIssue[]): string {
  const listed = ws.slice(0, LISTED).map((w) => `${w.message} (at byte ${w.offset})`);
  const more = ws.length > LISTED ? `; and ${ws.length - LISTED} more` : '';
  const what = listed.length > 0 ? ` (${listed.join('; ')}${more})` : '';
  switch (code) {
    case 'capture.truncated':
      return `The capture file is truncated${what}; the packets before it were analyzed.`;
    case 'capture.corrupt':
      return `The capture file is corrupt${what}; only what could be read was analyzed.`;
    case 'capture.unsupported-link':
      return `Packets were skipped${what}.`;
    default:
      return `Parts of the capture file were skipped${what}.`;
  }
}
