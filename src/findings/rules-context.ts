/**
 * What every finding rule shares: the context a run collects findings into, `add` (which fills
 * severity and hint from the catalogue), and small text and list helpers.
 */
import type { AnalysisThresholds, Finding } from '../flow/types.js';
import { findingDef, type FindingCode, type Severity } from './catalogue.js';

export interface Ctx {
  out: Finding[];
  end: number;
  th: AnalysisThresholds;
  /** Frames of every ICMP error of `unreachable`: a TFTP step failed by one is reported by
   *  net.port-unreachable, not tftp.error. */
  icmpFrames: ReadonlySet<number>;
}

/** Findings raised at most once per chain (the first occurrence stands for the rest). */
export interface ChainOnce {
  multipleServers: boolean;
  offerIgnored: boolean;
  loop: boolean;
}

export function add(ctx: Ctx, code: FindingCode, client: string | null, time: number, frames: number[], message: string, hint?: string, severity?: Severity): void {
  const def = findingDef(code);
  ctx.out.push({ code, severity: severity ?? def.severity, client, frames, message, hint: hint ?? def.hint, time });
}

/** An unanswered request is a failure only if the capture went on for `noReply` seconds after it. */
export function unanswered(ctx: Ctx, sent: { time: number } | null): boolean {
  return sent !== null && ctx.end - sent.time >= ctx.th.noReply;
}

export const fmt = (n: number): string => (Math.round(n * 1000) / 1000).toString();

export function countOf(list: string[], name: string): number {
  let n = 0;
  for (const x of list) if (x === name) n++;
  return n;
}

export function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

export function listText(xs: string[]): string {
  return xs.length > 4 ? `${xs.slice(0, 4).join(', ')} and ${xs.length - 4} more` : xs.join(', ');
}
