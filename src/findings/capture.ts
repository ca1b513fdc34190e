/** Capture-level findings: what the reader warned about, and frames no device could claim. */
import type { CaptureFacts } from '../flow/facts.js';
import { add, type Ctx } from './rules-context.js';

export function captureFindings(ctx: Ctx, cap: CaptureFacts): void {
  if (cap.truncated) {
    const w = cap.warnings.find((i) => i.kind === 'truncated') ?? cap.warnings[0];
    add(ctx, 'capture.truncated', null, cap.last ?? 0, [], `The capture file is truncated${w ? ` (${w.message})` : ''}; the packets before it were analyzed.`);
  }
  if (cap.strayMalformed) {
    const m = cap.strayMalformed;
    add(ctx, 'decode.malformed', null, m.time, m.frames, `${m.count} frame(s) could not be fully decoded: ${m.what.join('; ')}`);
  }
}
