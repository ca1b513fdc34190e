/**
 * Capture-level findings: what the capture reader warned about (truncated, corrupt, unsupported
 * link types, skipped blocks) and frames no device could claim. The reader's warnings are grouped
 * one finding per code, naming the first few with their byte offsets, so a file with a thousand
 * bad blocks stays readable.
 */
import type { WireIssue } from '../wire/issues.js';
import type { CaptureFacts } from '../flow/facts.js';
import type { FindingCode } from './catalogue.js';
import { add, type Ctx } from './rules-context.js';
import { snaplenFinding } from './blind.js';

/** Layers of the decode pipeline's limit warnings (src/decode/pipeline.ts limitWarnings) and of
 *  the clock jumps (src/capture/clock.ts). */
const REASSEMBLY_LIMIT = 'reassembly-limit';
const CLOCK_LAYER = 'clock';
/** The layer of the decode pipeline's mirror-copy warning (src/decode/duplicate-frames.ts). */
const DUPLICATE_LAYER = 'duplicate-frames';
/** The layer of the decode pipeline's remote-mirror note (src/decode/pipeline.ts tunnelWarnings). */
const TUNNEL_LAYER = 'tunnel';
/** Its twin for routed tunnels (IP in GRE between routers): the same code, worded as a tunnel. */
const ROUTED_TUNNEL_LAYER = 'routed-tunnel';

const LISTED = 3;

/** Which catalogue code a reader warning belongs to. */
export function captureCode(w: WireIssue): FindingCode {
  if (w.layer === REASSEMBLY_LIMIT) return 'capture.limit';
  if (w.layer === CLOCK_LAYER) return 'capture.clock-jump';
  if (w.layer === DUPLICATE_LAYER) return 'capture.duplicate-frames';
  if (w.layer === TUNNEL_LAYER || w.layer === ROUTED_TUNNEL_LAYER) return 'capture.remote-mirror';
  if (w.kind === 'truncated') return 'capture.truncated';
  if (w.kind === 'malformed') return 'capture.corrupt';
  return w.layer === 'link' ? 'capture.unsupported-link' : 'capture.unsupported';
}

/** The reader's warnings as (code, message) pairs, one per code, in order of first appearance. */
export function readerFindings(cap: Pick<CaptureFacts, 'truncated' | 'warnings'>): { code: FindingCode; message: string }[] {
  const byCode = new Map<FindingCode, WireIssue[]>();
  for (const w of cap.warnings) {
    const code = captureCode(w);
    const list = byCode.get(code);
    if (list) list.push(w);
    else byCode.set(code, [w]);
  }
  // A gzip stream cut short may set `truncated` with no truncated warning: still say it.
  if (cap.truncated && !byCode.has('capture.truncated')) byCode.set('capture.truncated', []);
  return [...byCode].map(([code, ws]) => ({ code, message: message(code, ws) }));
}

export function captureFindings(ctx: Ctx, cap: CaptureFacts): void {
  for (const f of readerFindings(cap)) {
    // A clock jump points at the frames where the clock jumps; mirror copies at the first copy.
    const layer = f.code === 'capture.clock-jump' ? CLOCK_LAYER : f.code === 'capture.duplicate-frames' ? DUPLICATE_LAYER
      : f.code === 'capture.remote-mirror' ? TUNNEL_LAYER : null;
    const frames = layer === null ? [] : cap.warnings.filter((w) => w.layer === layer || (layer === TUNNEL_LAYER && w.layer === ROUTED_TUNNEL_LAYER)).map((w) => w.offset);
    add(ctx, f.code, null, cap.last ?? 0, frames, f.message);
  }
  if (cap.cut) snaplenFinding(ctx, cap.packets, cap.cut);
  if (cap.strayMalformed) {
    const m = cap.strayMalformed;
    add(ctx, 'decode.malformed', null, m.time, m.frames, `${m.count} frame(s) could not be fully decoded: ${m.what.join('; ')}`);
  }
}

function message(code: FindingCode, ws: readonly WireIssue[]): string {
  if (code === 'capture.limit') return `${ws.map((w) => w.message).join('; ')}.`;
  if (code === 'capture.duplicate-frames') return `${ws.map((w) => w.message).join('; ')}; only the first copies were analyzed.`;
  if (code === 'capture.remote-mirror') {
    const mirrors = ws.filter((w) => w.layer === TUNNEL_LAYER).map((w) => w.message);
    const routed = ws.filter((w) => w.layer === ROUTED_TUNNEL_LAYER).map((w) => w.message);
    const parts: string[] = [];
    if (mirrors.length > 0) parts.push(`The capture is of a remote mirror: ${mirrors.join('; ')}; the mirrored frames inside were analyzed.`);
    if (routed.length > 0) parts.push(`Frames came through a routed tunnel: ${routed.join('; ')}; the packets inside were analyzed.`);
    return parts.join(' ');
  }
  if (code === 'capture.clock-jump') {
    return `The capture clock jumps: ${ws.map((w) => w.message).join('; ')}. Durations are measured on the steady parts only (a jump counts as no time).`;
  }
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
