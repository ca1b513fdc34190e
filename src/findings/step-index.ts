/**
 * Per-attempt indexes for the rules that look at a step's neighbours ("is there a later fetch of
 * this file?", "when does the next step start?", "has iPXE taken over yet?"). Scanning for each
 * step made one device's million steps quadratic; each index is built once per attempt, on first
 * use, and answers in O(1) or O(log n). Keyed by the steps array: an attempt's (one per attempt),
 * or the device's for the look across its attempts (the DHCPv6 lease after a DISCOVER).
 */
import type { Dhcp6Facts, StepFacts } from '../flow/facts.js';
import { httpFetched, looksLikeBootProgram, looksLikeKernel, looksLikeKernelCompanion } from '../flow/classify.js';
import { REBOOT_GAP_S } from '../flow/attempts.js';

interface StepIndex {
  /** Index of the first step run by iPXE (a DHCPv4 `ipxe` stage or a DHCPv6 iPXE user class); steps.length when none. */
  firstIpxe: number;
  /** TFTP file → index of its last TFTP step. */
  lastTftpOf: Map<string, number> | null;
  /** Index of the last completed TFTP step of a pxelinux.cfg/ file; -1 when none. */
  lastPxelinuxConfigOk: number;
  /** Max-tree over the steps' start times (leaves at [size, size + n)), built on first use. */
  starts: MaxTree | null;
  /** Index of the last DHCPv4 step; -1 when none. */
  lastDhcp4: number;
  /** Index of the last answered DHCPv6 step; -1 when none. */
  lastAnsweredDhcp6: number;
  /** HTTP URL → index of its last HTTP step. */
  lastHttpOf: Map<string, number> | null;
  /** Per step: index of the first later step that loaded a file of the chain; -1 none. */
  nextLoaded: Int32Array | null;
  /** Per step: bit 1, a proxyDHCP step with a boot file comes after it before the next DHCPv4 step;
   *  bit 2, one with an unanswered request does. */
  proxyAhead: Uint8Array | null;
  /** Per step: the client architecture of the nearest earlier DHCPv4 step that has one; -1 none. */
  archBefore: Int32Array | null;
  /** The DHCPv6 steps that got a lease, in step order, and a max-tree over their start times. */
  leased6: { steps: Dhcp6Facts[]; starts: MaxTree } | null;
  /** The TFTP and HTTP steps with a server over IPv6, in step order, and a max-tree over their starts. */
  fetched6: { steps: TransferFacts[]; starts: MaxTree } | null;
  /** The device's reboot-sized silences (no DHCP, TFTP or HTTP step of its own for over
   *  REBOOT_GAP_S; router advertisements come whether it is on or not), as [from, to] pairs in
   *  time order. */
  silences: Float64Array | null;
}

type TransferFacts = Extract<StepFacts, { kind: 'tftp' | 'http' }>;

interface MaxTree { size: number; max: Float64Array }

function maxTree(n: number, value: (k: number) => number): MaxTree {
  let size = 1;
  while (size < n) size *= 2;
  const max = new Float64Array(2 * size).fill(-Infinity);
  for (let k = 0; k < n; k++) max[size + k] = value(k);
  for (let k = size - 1; k >= 1; k--) max[k] = Math.max(max[2 * k]!, max[2 * k + 1]!);
  return { size, max };
}

const indexes = new WeakMap<readonly StepFacts[], StepIndex>();
/** The last two arrays asked about and their indexes: the rules ask about one attempt's steps
 *  (and its device's) many times in a row, and a WeakMap lookup each time was a visible cost. */
let recentSteps: readonly StepFacts[] | null = null;
let recentIndex: StepIndex | null = null;
let olderSteps: readonly StepFacts[] | null = null;
let olderIndex: StepIndex | null = null;

/** Lets go of the arrays remembered above (findings of a part are done: a released device's steps
 *  must not stay alive in a long-running `capture` through this cache). */
export function forgetRecentSteps(): void {
  recentSteps = recentIndex = olderSteps = olderIndex = null;
}

function indexOf(steps: readonly StepFacts[]): StepIndex {
  if (steps === recentSteps) return recentIndex!;
  const x = steps === olderSteps ? olderIndex! : indexes.get(steps) ?? buildIndex(steps);
  olderSteps = recentSteps;
  olderIndex = recentIndex;
  recentSteps = steps;
  recentIndex = x;
  return x;
}

function buildIndex(steps: readonly StepFacts[]): StepIndex {
  let firstIpxe = steps.length;
  let lastPxelinuxConfigOk = -1;
  let lastDhcp4 = -1;
  let lastAnsweredDhcp6 = -1;
  for (let k = 0; k < steps.length; k++) {
    const s = steps[k]!;
    if (s.kind === 'dhcp4') lastDhcp4 = k;
    if (s.kind === 'dhcp6' && s.answered) lastAnsweredDhcp6 = k;
    if (firstIpxe === steps.length && ((s.kind === 'dhcp4' && s.step.stage === 'ipxe') || (s.kind === 'dhcp6' && s.step.userClass.includes('iPXE')))) firstIpxe = k;
    if (s.kind === 'tftp' && s.step.complete && /pxelinux\.cfg\//i.test(s.step.file)) lastPxelinuxConfigOk = k;
  }
  const x: StepIndex = {
    firstIpxe, lastTftpOf: null, lastPxelinuxConfigOk, starts: null,
    lastDhcp4, lastAnsweredDhcp6, lastHttpOf: null, nextLoaded: null, proxyAhead: null, archBefore: null, leased6: null, fetched6: null, silences: null,
  };
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
      // A cut name is no whole name: two requests cut alike may have named two files.
      if (s.kind === 'tftp' && s.step.cut !== 'file') x.lastTftpOf.set(s.step.file, k);
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
  x.starts ??= maxTree(steps.length, (k) => steps[k]!.step.start);
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

/** Does a later step run DHCPv4? */
export function laterDhcp4Step(steps: readonly StepFacts[], i: number): boolean {
  return indexOf(steps).lastDhcp4 > i;
}

/** Does a later DHCPv6 step get an answer? */
export function laterAnsweredDhcp6(steps: readonly StepFacts[], i: number): boolean {
  return indexOf(steps).lastAnsweredDhcp6 > i;
}

/** Does a later HTTP step fetch this URL? */
export function laterHttpOfUrl(steps: readonly StepFacts[], i: number, url: string): boolean {
  const x = indexOf(steps);
  if (x.lastHttpOf === null) {
    x.lastHttpOf = new Map();
    for (let k = 0; k < steps.length; k++) {
      const s = steps[k]!;
      if (s.kind === 'http') x.lastHttpOf.set(s.step.url, k);
    }
  }
  return (x.lastHttpOf.get(url) ?? -1) > i;
}

/** A download of the boot chain that completed: any TFTP download (a phone's config, a loader), or
 *  an HTTP fetch of a boot program or kernel (an OS's web traffic — a connectivity check — is not). */
function loadedChainFile(s: StepFacts): boolean {
  if (s.kind === 'tftp') return s.step.direction === 'download' && s.step.complete && s.step.error === null && !s.step.probe;
  if (s.kind === 'http') return httpFetched(s) && s.step.method !== 'HEAD' && (looksLikeBootProgram(s.step.url) || looksLikeKernel(s.step.url));
  return false;
}

/** The first step after `i` that loaded a file of the boot chain (see loadedChainFile), or -1. A
 *  fetch whose end the snap length cut and that the sequence space did not show delivered (not ok)
 *  counts only when the client went on to another transfer after it: a RST or the capture's end
 *  may follow it. */
export function nextLoadedChainStep(steps: readonly StepFacts[], i: number): number {
  const x = indexOf(steps);
  if (x.nextLoaded === null) {
    const next = new Int32Array(steps.length);
    let k1 = -1;
    let laterTransfer = false;
    for (let k = steps.length - 1; k >= 0; k--) {
      next[k] = k1;
      const s = steps[k]!;
      if (loadedChainFile(s) && (laterTransfer || s.kind !== 'http' || s.step.ok)) k1 = k;
      if (s.kind === 'tftp' || s.kind === 'http') laterTransfer = true;
    }
    x.nextLoaded = next;
  }
  return x.nextLoaded[i] ?? -1;
}

/** Where a file sits in the chain an HTTP error is judged by: the boot program, what it fetches
 *  (a script, a config), the kernel, and what the kernel boots with (initrd, image). */
function chainRank(url: string): number {
  if (looksLikeKernelCompanion(url)) return 3;
  if (looksLikeKernel(url)) return 2;
  return looksLikeBootProgram(url) ? 0 : 1;
}

/** Does a later step load (see nextLoadedChainStep) the same URL, or a file of the same or a later
 *  stage of the chain? A kernel's 404 is not made good by an initrd or image fetched after it, nor a
 *  script's by a boot program; an initrd's only by another initrd or image. */
export function laterLoadedSameOrLaterStage(steps: readonly StepFacts[], i: number, url: string): boolean {
  const rank = chainRank(url);
  for (let k = nextLoadedChainStep(steps, i); k >= 0; k = nextLoadedChainStep(steps, k)) {
    const s = steps[k]!;
    const file = s.kind === 'http' ? s.step.url : s.kind === 'tftp' ? s.step.file : '';
    if (file === url) return true;
    const r = chainRank(file);
    if (rank === 3 ? r === 3 : r >= rank && r !== 3) return true;
  }
  return false;
}

function proxyAheadOf(steps: readonly StepFacts[], i: number): number {
  const x = indexOf(steps);
  if (x.proxyAhead === null) {
    // One pass from the end: what the steps after k hold, up to the next DHCPv4 step.
    const ahead = new Uint8Array(steps.length);
    let bits = 0;
    for (let k = steps.length - 1; k >= 0; k--) {
      ahead[k] = bits;
      const s = steps[k]!;
      if (s.kind === 'dhcp4') bits = 0;
      else if (s.kind === 'proxydhcp') bits |= (s.step.bootfile ? 1 : 0) | (s.pendingRequest ? 2 : 0);
    }
    x.proxyAhead = ahead;
  }
  return x.proxyAhead[i] ?? 0;
}

/** Does a proxyDHCP step with a boot file follow step `i` before the next DHCPv4 step? */
export function proxyBootfileAhead(steps: readonly StepFacts[], i: number): boolean {
  return (proxyAheadOf(steps, i) & 1) !== 0;
}

/** Does a proxyDHCP step with an unanswered request follow step `i` before the next DHCPv4 step? */
export function proxyPendingAhead(steps: readonly StepFacts[], i: number): boolean {
  return (proxyAheadOf(steps, i) & 2) !== 0;
}

/** The client architecture of the nearest DHCPv4 step before `i` that has one. */
export function archBefore(steps: readonly StepFacts[], i: number): number | null {
  const x = indexOf(steps);
  if (x.archBefore === null) {
    const before = new Int32Array(steps.length);
    let arch = -1;
    for (let k = 0; k < steps.length; k++) {
      before[k] = arch;
      const s = steps[k]!;
      if (s.kind === 'dhcp4' && s.step.arch !== null) arch = s.step.arch;
    }
    x.archBefore = before;
  }
  const a = x.archBefore[i] ?? -1;
  return a < 0 ? null : a;
}

/**
 * Of the DHCPv6 steps that got a lease, the first (in step order) that starts at or after `time`,
 * else the one before it, in the same power-on as `time` (see samePowerOnFrom), else undefined.
 */
export function leasedDhcp6From(steps: readonly StepFacts[], time: number): Dhcp6Facts | undefined {
  const x = indexOf(steps);
  if (x.leased6 === null) {
    const leased: Dhcp6Facts[] = [];
    for (const s of steps) if (s.kind === 'dhcp6' && s.step.ok && s.step.leases.length > 0) leased.push(s);
    x.leased6 = { steps: leased, starts: maxTree(leased.length, (k) => leased[k]!.step.start) };
  }
  return samePowerOnFrom(steps, x.leased6, time);
}

/**
 * Of the TFTP and HTTP steps to a server over IPv6 (the client had working IPv6, whether or not
 * the capture shows the DHCPv6 lease: a snap length cuts a Reply's IA, a late start misses it), the
 * first (in step order) that starts at or after `time`, else the one before it, in the same power-on
 * as `time` (see samePowerOnFrom), else undefined.
 */
export function ipv6TransferFrom(steps: readonly StepFacts[], time: number): TransferFacts | undefined {
  const x = indexOf(steps);
  if (x.fetched6 === null) {
    const fetched: TransferFacts[] = [];
    for (const s of steps) if ((s.kind === 'tftp' || s.kind === 'http') && s.step.server.includes(':')) fetched.push(s);
    x.fetched6 = { steps: fetched, starts: maxTree(fetched.length, (k) => fetched[k]!.step.start) };
  }
  return samePowerOnFrom(steps, x.fetched6, time);
}

/**
 * Of `list` (in step order), the first that starts at or after `time`, else the one before it (the
 * last one when none starts that late), when no reboot-sized silence of the device lies between it
 * and `time`: a lease or fetch of another power-on says nothing of this one's network.
 */
function samePowerOnFrom<T extends StepFacts>(steps: readonly StepFacts[], list: { steps: T[]; starts: MaxTree }, time: number): T | undefined {
  const { steps: found, starts } = list;
  const k = firstAtLeast(starts.max, starts.size, 1, 0, starts.size, 0, time);
  if (k >= 0 && !silenceBetween(steps, time, found[k]!.step.start)) return found[k];
  const before = found[(k >= 0 ? k : found.length) - 1];
  return before !== undefined && before.step.start < time && !silenceBetween(steps, before.step.start, time) ? before : undefined;
}

/** Was the device silent for over REBOOT_GAP_S somewhere between the times `from` and `to`
 *  (each within one of its steps)? */
function silenceBetween(steps: readonly StepFacts[], from: number, to: number): boolean {
  const x = indexOf(steps);
  if (x.silences === null) {
    const spans = steps.filter((s) => s.kind !== 'ra').map((s) => [s.step.start, s.step.start + s.step.duration] as const).sort((a, b) => a[0] - b[0]);
    const gaps: number[] = [];
    let end = -Infinity;
    for (const [start, last] of spans) {
      if (end !== -Infinity && start - end > REBOOT_GAP_S) gaps.push(end, start);
      end = Math.max(end, last);
    }
    x.silences = Float64Array.from(gaps);
  }
  const g = x.silences;
  const lo = Math.min(from, to);
  const hi = Math.max(from, to);
  // The first silence that ends after `lo`: it lies between when it begins by `hi`.
  let a = 0;
  let b = g.length / 2;
  while (a < b) {
    const m = (a + b) >> 1;
    if (g[2 * m + 1]! <= lo) a = m + 1;
    else b = m;
  }
  return a < g.length / 2 && g[2 * a]! >= lo && g[2 * a + 1]! <= hi;
}
