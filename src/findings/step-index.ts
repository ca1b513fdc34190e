/**
 * Per-attempt indexes for the rules that look at a step's neighbours ("is there a later fetch of
 * this file?", "when does the next step start?", "has iPXE taken over yet?"). Scanning for each
 * step made one device's million steps quadratic; each index is built once per attempt, on first
 * use, and answers in O(1) or O(log n). Keyed by the attempt's steps array (one per attempt).
 */
import type { StepFacts } from '../flow/facts.js';

interface StepIndex {
  /** Index of the first step run by iPXE (a DHCPv4 `ipxe` stage or a DHCPv6 iPXE user class); steps.length when none. */
  firstIpxe: number;
  /** TFTP file → index of its last TFTP step. */
  lastTftpOf: Map<string, number> | null;
  /** Index of the last completed TFTP step of a pxelinux.cfg/ file; -1 when none. */
  lastPxelinuxConfigOk: number;
  /** Max-tree over the steps' start times (leaves at [size, size + n)), built on first use. */
  starts: { size: number; max: Float64Array } | null;
}

const indexes = new WeakMap<readonly StepFacts[], StepIndex>();

function indexOf(steps: readonly StepFacts[]): StepIndex {
  let x = indexes.get(steps);
  if (x !== undefined) return x;
  let firstIpxe = steps.length;
  let lastPxelinuxConfigOk = -1;
  for (let k = 0; k < steps.length; k++) {
    const s = steps[k]!;
    if (firstIpxe === steps.length && ((s.kind === 'dhcp4' && s.step.stage === 'ipxe') || (s.kind === 'dhcp6' && s.step.userClass.includes('iPXE')))) firstIpxe = k;
    if (s.kind === 'tftp' && s.step.complete && /pxelinux\.cfg\//i.test(s.step.file)) lastPxelinuxConfigOk = k;
  }
  x = { firstIpxe, lastTftpOf: null, lastPxelinuxConfigOk, starts: null };
  indexes.set(steps, x);
  return x;
}

/** Is the firmware itself still running at step `i` (no iPXE step before it)? */
export function firmwareRunsAtIndexed(steps: readonly StepFacts[], i: number): boolean {
  return indexOf(steps).firstIpxe >= i;
}

/** Does a later step fetch the same TFTP file? */
export function laterTftpOfFile(steps: readonly StepFacts[], i: number, file: string): boolean {
  const x = indexOf(steps);
  if (x.lastTftpOf === null) {
    x.lastTftpOf = new Map();
    for (let k = 0; k < steps.length; k++) {
      const s = steps[k]!;
      if (s.kind === 'tftp') x.lastTftpOf.set(s.step.file, k);
    }
  }
  return (x.lastTftpOf.get(file) ?? -1) > i;
}

/** Does a later TFTP step fetch a pxelinux.cfg/ file completely? */
export function laterPxelinuxConfigComplete(steps: readonly StepFacts[], i: number): boolean {
  return indexOf(steps).lastPxelinuxConfigOk > i;
}

/**
 * The first step after `i` (in step order) that starts at or after `time`, or -1: what a scan
 * from i + 1 finds, in O(log n) by descending a max-tree of the start times (starts need not be
 * sorted: a capture may step back a little).
 */
export function firstStepStartingFrom(steps: readonly StepFacts[], i: number, time: number): number {
  const x = indexOf(steps);
  if (x.starts === null) {
    let size = 1;
    while (size < steps.length) size *= 2;
    const max = new Float64Array(2 * size).fill(-Infinity);
    for (let k = 0; k < steps.length; k++) max[size + k] = steps[k]!.step.start;
    for (let k = size - 1; k >= 1; k--) max[k] = Math.max(max[2 * k]!, max[2 * k + 1]!);
    x.starts = { size, max };
  }
  return firstAtLeast(x.starts.max, x.starts.size, 1, 0, x.starts.size, i + 1, time);
}

/** Leftmost leaf ≥ `from` in node's range [lo, hi) whose value is ≥ `time`, or -1. */
function firstAtLeast(max: Float64Array, size: number, node: number, lo: number, hi: number, from: number, time: number): number {
  if (hi <= from || !(max[node]! >= time)) return -1;
  if (node >= size) return node - size;
  const mid = (lo + hi) >> 1;
  const left = firstAtLeast(max, size, 2 * node, lo, mid, from, time);
  return left >= 0 ? left : firstAtLeast(max, size, 2 * node + 1, mid, hi, from, time);
}
