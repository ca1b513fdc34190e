/**
 * Boot attempts and device roles, from a device's steps alone. A new attempt starts when the
 * firmware starts over: a DHCP DISCOVER/SOLICIT with a firmware identity after a stage ended, a
 * different boot entry (PXE over IPv4 → PXE over IPv6 → HTTP boot…), a long gap, or the device's
 * own OS traffic in between. The device's OS DHCP stretches are attempts of entry `os` (not boots).
 */
import { DhcpV6MsgType, isHttpBootArch } from '../wire/dhcpv6/index.js';
import { baseName, knownName, looksLikeBootProgram, looksLikeKernel } from './classify.js';
import type { AttemptEntry, AttemptFacts, DeviceRole, StepFacts } from './facts.js';
import { attemptProgress } from './progress.js';

/** How each boot entry reads in messages and reports. */
const ENTRY_TEXT: Record<AttemptEntry, string> = {
  pxe4: 'PXE over IPv4', pxe6: 'PXE over IPv6', http4: 'HTTP boot over IPv4', http6: 'HTTP boot over IPv6',
  ipxe: 'iPXE', phone: 'phone', provision: 'provisioning', transfer: 'a transfer without its DHCP', os: 'OS',
};

export function entryText(e: AttemptEntry): string {
  return ENTRY_TEXT[e];
}

/** A device's own DHCP this long after its boot traffic is its OS (closer in time, it is the
 *  firmware's own helper exchange: EDK2's DHCPv6 driver binds a second address mid-boot). */
export const OS_GAP_S = 10;

/** Silence after which a device's next boot start is a new attempt even at the same entry
 *  (EDK2 spends at most 60 s in one DHCP round: 4 + 8 + 16 + 32 s). */
export const REBOOT_GAP_S = 60;

const { SOLICIT, REQUEST, CONFIRM, RENEW, REBIND, INFORMATION_REQUEST } = DhcpV6MsgType;
/** Client messages that begin an exchange (a Release or Decline ends one). */
const V6_CLIENT_FIRST: ReadonlySet<number> = new Set([SOLICIT, REQUEST, CONFIRM, RENEW, REBIND, INFORMATION_REQUEST]);

/** What a step says about where the device is in its boot. */
type Phase =
  | { kind: 'start'; entry: AttemptEntry; why: string }
  | { kind: 'ipxe'; why: string }
  | { kind: 'os' }
  | { kind: 'transfer'; why: string }
  | { kind: 'follow' };

function phaseOf(s: StepFacts, named: ReadonlySet<string>): Phase {
  switch (s.kind) {
    case 'dhcp4': {
      if (!s.stageKnown) return { kind: 'follow' }; // only server messages seen
      const st = s.step.stage;
      if (st === 'firmware') return { kind: 'start', entry: 'pxe4', why: `PXE firmware (${s.step.vendorClass ?? 'option 93'})` };
      if (st === 'httpboot') return { kind: 'start', entry: 'http4', why: `UEFI HTTP boot (${s.step.vendorClass ?? 'HTTPClient'})` };
      if (st === 'phone') return { kind: 'start', entry: 'phone', why: `phone (${s.step.vendorClass ?? 'vendor class'})` };
      if (st === 'ipxe') return { kind: 'ipxe', why: 'iPXE (user class iPXE / option 175)' };
      return { kind: 'os' };
    }
    case 'dhcp6': {
      if (!V6_CLIENT_FIRST.has(s.firstType)) return { kind: 'follow' };
      if (s.bootClient) {
        if (s.step.userClass.some((u) => u === 'iPXE')) return { kind: 'ipxe', why: 'iPXE over DHCPv6 (user class iPXE)' };
        if (s.ipxeByCut) return { kind: 'ipxe', why: 'iPXE over DHCPv6 (its request cut, after a boot program)' };
        if (/^HTTPClient/.test(s.step.vendorClass ?? '')) return { kind: 'start', entry: 'http6', why: 'UEFI HTTP boot over DHCPv6 (HTTPClient)' };
        // Its vendor class cut away by the snap length: the arch (option 61) says HTTP boot too.
        if (!s.requestWhole && s.step.vendorClass === null && s.step.arch !== null && isHttpBootArch(s.step.arch)) {
          return { kind: 'start', entry: 'http6', why: `UEFI HTTP boot over DHCPv6 (option 61 arch ${s.step.arch})` };
        }
        return { kind: 'start', entry: 'pxe6', why: `DHCPv6 boot client (${s.step.arch !== null ? `option 61 arch ${s.step.arch}` : s.step.vendorClass ?? 'PXEClient'})` };
      }
      if (s.wantsBootfileUrl) return { kind: 'start', entry: 'provision', why: 'DHCPv6 client asking for a boot file URL (option 59 in its ORO)' };
      return { kind: 'os' };
    }
    case 'tftp':
      // An upload (a device saving its config or a log) is not a boot.
      if (s.step.direction === 'upload') return { kind: 'follow' };
      return { kind: 'transfer', why: `TFTP ${s.step.opcode} of "${s.step.file}"` };
    case 'http':
      // Web traffic of an OS is not a boot: only a fetch of a boot file counts.
      if (named.has(baseName(s.step.url)) || looksLikeBootProgram(s.step.url)) return { kind: 'transfer', why: `HTTP fetch of ${s.step.url}` };
      return { kind: 'follow' };
    case 'proxydhcp':
    case 'ra':
      return { kind: 'follow' };
  }
}

/** Boot file names the device's DHCP answers named (for telling a boot fetch from web traffic). */
function namedFiles(steps: readonly StepFacts[]): Set<string> {
  const out = new Set<string>();
  for (const s of steps) {
    const f = s.kind === 'dhcp4' || s.kind === 'proxydhcp' ? s.step.bootfile : s.kind === 'dhcp6' ? s.step.bootfileUrl : null;
    if (f) out.add(baseName(f));
  }
  return out;
}

function namedFilesWhole(steps: readonly StepFacts[]): string[] {
  const out = new Set<string>();
  for (const s of steps) {
    const f = s.kind === 'dhcp4' || s.kind === 'proxydhcp' ? s.step.bootfile : s.kind === 'dhcp6' ? s.step.bootfileUrl : null;
    if (f) out.add(f);
  }
  return [...out];
}

/** Did the attempt get past this point: an address or boot answer, a transfer, iPXE? */
function progressed(s: StepFacts): boolean {
  switch (s.kind) {
    case 'dhcp4': return s.ack !== null || s.cutReply !== null;
    case 'dhcp6': return s.replied || (s.answered && s.step.bootfileUrl !== null);
    case 'proxydhcp': return s.step.ok;
    case 'tftp': case 'http': return true;
    case 'ra': return false;
  }
}

/** `namedWhole`: boot file names as DHCP gave them (a cut name counts as the one it starts). */
function kernelLoaded(s: StepFacts, namedWhole: readonly string[]): boolean {
  if (s.kind === 'tftp') {
    if (!s.step.complete || s.step.error || s.step.probe) return false;
    const file = knownName(s.step.file, s.step.cut === 'file', namedWhole);
    return file !== null && looksLikeKernel(file);
  }
  if (s.kind === 'http') return s.step.ok && looksLikeKernel(s.step.url);
  return false;
}

interface Open {
  entry: AttemptEntry;
  firstStep: number;
  lastStep: number;
  start: number;
  end: number;
  progressed: boolean;
  /** A proxyDHCP answer or a transfer made (an address given back does not undo those). */
  fetched: boolean;
  kernel: boolean;
  /** Only steps that follow others so far (an RS, a server's answer): it takes the entry of the
   *  first step that says what the device is doing. */
  undecided: boolean;
}

export interface AttemptSplit {
  attempts: AttemptFacts[];
  role: DeviceRole;
  roleReason: string;
}

export function splitAttempts(steps: readonly StepFacts[]): AttemptSplit {
  const named = namedFiles(steps);
  const namedWhole = namedFilesWhole(steps);
  const attempts: AttemptFacts[] = [];
  let cur: Open | null = null;
  let roleReason: string | null = null;
  const close = (): void => {
    if (!cur) return;
    if (cur.undecided) {
      // Only servers' answers: those that hand it a boot file say it was booting.
      const answered = answeredBoot(steps, cur.firstStep, cur.lastStep);
      if (answered) {
        cur.entry = answered.entry;
        roleReason ??= answered.why;
      }
    }
    const p = cur.entry === 'os'
      ? { stage: null, loaded: false, bootProgram: null, timeToBootProgram: null }
      : attemptProgress(steps.slice(cur.firstStep, cur.lastStep + 1), cur.entry, cur.start);
    attempts.push({ index: attempts.length, entry: cur.entry, firstStep: cur.firstStep, lastStep: cur.lastStep, start: cur.start, end: cur.end, ...p });
  };
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    const ph = phaseOf(s, named);
    if (ph.kind !== 'os' && ph.kind !== 'follow') roleReason ??= ph.why;
    const t = s.step.start;
    let entry: AttemptEntry | null = null; // set: open a new attempt with it
    if (cur !== null && cur.undecided && ph.kind !== 'follow') {
      cur.entry = ph.kind === 'start' ? ph.entry : ph.kind === 'ipxe' ? 'ipxe' : ph.kind === 'transfer' ? 'transfer' : 'os';
      cur.undecided = false;
    } else if (cur === null) {
      entry = ph.kind === 'start' ? ph.entry : ph.kind === 'ipxe' ? 'ipxe' : ph.kind === 'transfer' ? 'transfer' : 'os';
    } else if (ph.kind === 'start' && s.kind === 'dhcp4' && s.step.cut === 'identity') {
      // Its stage is a guess from what the cut left (option 93): a reboot only after an OS, a
      // kernel or a reboot-sized silence, never for the stage alone.
      if (cur.entry === 'os' || cur.kernel || t - cur.end > REBOOT_GAP_S) entry = ph.entry;
    } else if (ph.kind === 'start') {
      const sameEntry = cur.entry === ph.entry;
      if (!sameEntry || cur.progressed || t - cur.end > REBOOT_GAP_S) entry = ph.entry;
    } else if (ph.kind === 'ipxe') {
      if (cur.entry === 'os' || cur.kernel || t - cur.end > REBOOT_GAP_S) entry = 'ipxe';
    } else if (ph.kind === 'os') {
      if (cur.entry !== 'os' && (cur.kernel || t - cur.end > OS_GAP_S)) entry = 'os';
    } else if (ph.kind === 'transfer' && cur.entry === 'os') {
      cur.entry = 'transfer'; // a device whose DHCP had no boot identity, fetching a boot file
    }
    if (entry !== null) {
      close();
      cur = { entry, firstStep: i, lastStep: i, start: t, end: stepEnd(s), progressed: false, fetched: false, kernel: false, undecided: ph.kind === 'follow' };
    }
    const c = cur!;
    c.lastStep = i;
    c.end = Math.max(c.end, stepEnd(s));
    if (progressed(s)) c.progressed = true;
    // A DECLINE gives the address back and starts the configuration over (RFC 2131 §3.1 5): the
    // DISCOVER that follows continues this attempt, it is no reboot. (A transfer made since stays.)
    if (s.kind === 'dhcp4' && s.decline !== null && !c.fetched) c.progressed = false;
    if (s.kind !== 'dhcp4' && s.kind !== 'dhcp6' && progressed(s)) c.fetched = true;
    if (kernelLoaded(s, namedWhole)) c.kernel = true;
  }
  close();
  const boot = attempts.some((a) => a.entry !== 'os');
  return {
    attempts,
    role: boot ? 'boot' : 'other',
    roleReason: boot ? roleReason ?? 'boot traffic' : otherReason(steps),
  };
}

/** The boot entry that DHCP answers naming a boot file point at, for steps that hold only
 *  answers (the device's own messages are not in the capture). */
function answeredBoot(steps: readonly StepFacts[], first: number, last: number): { entry: AttemptEntry; why: string } | null {
  for (let i = first; i <= last; i++) {
    const s = steps[i]!;
    const file = s.kind === 'dhcp4' || s.kind === 'proxydhcp' ? s.step.bootfile : s.kind === 'dhcp6' ? s.step.bootfileUrl : null;
    if (!file) continue;
    const ipxe = /^https?:\/\//i.test(file) || /\.ipxe$/i.test(file);
    const entry: AttemptEntry = ipxe ? 'ipxe' : s.kind === 'dhcp6' ? 'pxe6' : 'pxe4';
    return { entry, why: `DHCP answers to it name the boot file ${file} (its own requests are not in the capture)` };
  }
  return null;
}

function stepEnd(s: StepFacts): number {
  return s.step.start + s.step.duration;
}

function otherReason(steps: readonly StepFacts[]): string {
  if (steps.some((s) => s.kind === 'dhcp4' && s.stageKnown)) return 'DHCP client without a boot identity (no PXEClient/HTTPClient, iPXE or phone vendor class)';
  if (steps.some((s) => s.kind === 'dhcp6')) return 'DHCPv6 client without boot options (no option 61, vendor class or option 59 request)';
  return 'no boot traffic';
}
