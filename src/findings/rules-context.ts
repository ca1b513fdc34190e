/**
 * What every finding rule shares: the context a run collects findings into, `add` (which fills
 * severity and hint from the catalogue, and the PXE error the device showed), and small text and
 * list helpers.
 */
import type { AttemptFacts, DeviceFacts } from '../flow/facts.js';
import { isUefiArch } from '../flow/classify.js';
import { findingDef, type FindingCode, type Severity } from './catalogue.js';
import { firmwareRunsAtIndexed } from './step-index.js';
import type { AnalysisThresholds, Finding } from './types.js';

/** Which console a firmware failure shows on: legacy BIOS PXE ROMs (Intel PXE codes) or UEFI
 *  (EDK2 PxeBcDxe and the firmware built on it), see docs/analyze.md "PXE errors". */
export type FirmwareFamily = 'bios' | 'uefi';

/** The PXE error each family prints for a finding, where one applies. */
export interface PxeCodes {
  bios?: string;
  uefi?: string;
}

export interface Ctx {
  out: Finding[];
  end: number;
  th: AnalysisThresholds;
  /** The device and attempt being evaluated (null: capture-wide rules). */
  device: DeviceFacts | null;
  attempt: AttemptFacts | null;
  /** The firmware of the attempt when a firmware (not iPXE, not a phone) runs it. */
  firmware: FirmwareFamily | null;
}

/** Findings raised at most once per attempt (the first occurrence stands for the rest). */
export interface ChainOnce {
  multipleServers: boolean;
  offerIgnored: boolean;
  loop: boolean;
  /** proxydhcp.reply-wrong-port raised for the firmware's request, for iPXE's. */
  proxyPort: boolean;
  proxyPortIpxe: boolean;
}

export function add(ctx: Ctx, code: FindingCode, client: string | null, time: number, frames: readonly number[], message: string, hint?: string, severity?: Severity, pxe?: PxeCodes): void {
  const def = findingDef(code);
  const pxeError = pxe && ctx.firmware ? pxe[ctx.firmware] ?? null : null;
  ctx.out.push({
    id: '', code, severity: severity ?? def.severity, client, attempt: client === null ? null : ctx.attempt?.index ?? null,
    causedBy: null, pxeError, frames: uniqueSorted(frames), message, hint: hint ?? def.hint, time,
  });
}

function uniqueSorted(frames: readonly number[]): number[] {
  const out = [...new Set(frames.filter((f) => f > 0))];
  return out.sort((a, b) => a - b);
}

/** An unanswered request is a failure only if the capture went on for `noReply` seconds after it. */
export function unanswered(ctx: Ctx, sent: { time: number } | null): boolean {
  return sent !== null && ctx.end - sent.time >= ctx.th.noReply;
}

export const fmt = (n: number): string => (Math.round(n * 1000) / 1000).toString();

export function countOf(list: readonly string[], name: string): number {
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

/** The attempt a time falls in: the last one that started at or before it. */
export function attemptAt(d: DeviceFacts, time: number): AttemptFacts | null {
  let found: AttemptFacts | null = d.attempts[0] ?? null;
  for (const a of d.attempts) if (a.start <= time) found = a;
  return found;
}

/** Legacy BIOS PXE ROMs and UEFI firmware print different PXE errors; iPXE, HTTP boot and phones
 *  print none. */
export function firmwareOf(d: DeviceFacts, a: AttemptFacts): FirmwareFamily | null {
  if (a.entry !== 'pxe4' && a.entry !== 'pxe6') return null;
  let arch: number | null = null;
  for (let i = a.firstStep; i <= a.lastStep && arch === null; i++) {
    const s = d.steps[i]!;
    if (s.kind === 'dhcp4' || s.kind === 'dhcp6') arch = s.step.arch;
  }
  arch ??= d.arch;
  if (arch === null) return a.entry === 'pxe6' ? 'uefi' : null;
  return isUefiArch(arch) ? 'uefi' : arch === 0 ? 'bios' : null;
}

/** Is the firmware itself still running at step `i` of an attempt (no iPXE stage before it)? O(1) after the attempt's first call. */
export const firmwareRunsAt = firmwareRunsAtIndexed;
