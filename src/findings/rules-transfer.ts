/**
 * Transfer rules: TFTP steps, and ICMP unreachables that refused a device's boot-chain datagram.
 */
import type { DeviceFacts, StepFacts, TftpFacts, UnreachableFact } from '../flow/facts.js';
import { add, attemptAt, firmwareOf, firmwareRunsAt, fmt, type Ctx, type PxeCodes } from './rules-context.js';
import { firstStepStartingFrom, laterPxelinuxConfigComplete, laterTftpOfFile, nextLoadedChainStep } from './step-index.js';
import { baseName, capturedName } from '../flow/classify.js';
import { UdpPort } from '../wire/ports.js';
import { TftpErrorCode } from '../wire/tftp.js';

/** TFTP error codes (RFC 1350 §5, RFC 2347) and what to check for each. */
const TFTP_ERROR_HINTS: Record<number, (file: string) => string> = {
  0: () => 'The server gave up on its own and said why in its message (e.g. it timed out waiting for an ACK: loss, or a firewall that does not follow the transfer port).',
  1: (f) => `"${f}" was not found: check that it exists under the TFTP root with this exact name and case (and the path prefix the server adds).`,
  2: (f) => `The server may not read (or write) "${f}": check file permissions and the server's secure/chroot options (tftpd-hpa -s, -c for uploads).`,
  3: () => 'The server ran out of disk space (an upload).',
  4: () => 'The server refused the request as an illegal TFTP operation: a client or server bug, or a mode it does not support.',
  5: () => 'A packet reached a transfer port it did not belong to (unknown transfer ID): NAT or a firewall rewriting ports, or a late duplicate.',
  6: (f) => `"${f}" already exists and the server does not overwrite (an upload).`,
  7: () => 'No such user (mail mode).',
  8: () => 'The server (or the client) refused the negotiated options (RFC 2347): check blksize/windowsize/tsize support on both sides.',
};

function tftpErrorPxe(code: number): PxeCodes {
  return { bios: code === 1 ? 'PXE-E3B' : code === 2 ? 'PXE-E3C' : 'PXE-E36', uefi: 'PXE-E23' };
}

export function tftpRules(ctx: Ctx, mac: string, s: TftpFacts, ignored: Set<string>, steps: readonly StepFacts[], i: number): void {
  const step = s.step;
  const firmware = firmwareRunsAt(steps, i);
  const pxe = (codes: PxeCodes): PxeCodes | undefined => (firmware ? codes : undefined);
  if (step.probe) {
    add(ctx, 'tftp.tsize-probe', mac, step.start, [s.requestFrame, s.errorFrame],
      `Size probe of "${step.file}" (tsize ${step.tsize ?? '?'}) ended by the client with ERROR ${step.error?.code ?? '?'} before the transfer.`);
  } else if (step.error) {
    if (!(step.error.code === TftpErrorCode.FILE_NOT_FOUND && /pxelinux\.cfg\//i.test(step.file) && laterPxelinuxConfigOk(steps, i))) {
      const who = s.errorFromClient ? 'the client' : `server ${step.server}`;
      const k = nextLoadedChainStep(steps, i);
      const loaded = k < 0 ? null : fileOf(steps[k]!);
      const name = baseName(step.file);
      const missing = step.error.code === TftpErrorCode.FILE_NOT_FOUND;
      if (missing && CISCO_DEVICE_CONFIG.test(name) && loaded !== null && CISCO_DEFAULT_CONFIG.test(baseName(loaded))) {
        add(ctx, 'phone.default-config', mac, step.start, [s.requestFrame, s.errorFrame],
          `The phone's own configuration "${step.file}" is missing (ERROR ${step.error.code} from ${who}); it was provisioned with the defaults of "${loaded}".`);
      } else {
        // A missing CTL/ITL is a phone without security configured: it goes on without them. Any
        // other error is lowered only by a later file of the chain that loaded, not by a request.
        const fileCut = step.cut === 'file';
        const optional = missing && (CISCO_SECURITY_FILE.test(name) || (fileCut && mayBeCiscoSecurityFile(baseName(capturedName(step.file, fileCut)))));
        add(ctx, 'tftp.error', mac, step.start, [s.requestFrame, s.errorFrame],
          `${step.opcode} "${step.file}": ERROR ${step.error.code} (${step.error.message || 'no message'}) from ${who}${optional ? ' (an optional security file: a phone without security goes on without it)' : ''}${loaded !== null ? `; the client went on and loaded "${loaded}"` : ''}.`,
          (TFTP_ERROR_HINTS[step.error.code] ?? TFTP_ERROR_HINTS[0]!)(step.file), optional || loaded !== null ? 'warning' : undefined, pxe(tftpErrorPxe(step.error.code)));
      }
    }
  } else if (!step.complete && (step.unreachable === null || wentOnAfterIcmp(s))) {
    // Idle since it last moved on (a new block, a higher ACK): a server resending one block until
    // the capture ends, or until it gives up, is stalled, not busy.
    const idle = ctx.end - s.progressTime;
    const stalled = nextPacketGap(steps, i, s.progressTime) >= ctx.th.tftpIdle || idle >= ctx.th.tftpIdle
      || (laterTftpSameFile(steps, i) && s.highestBlock > 0);
    const noAnswer = !s.serverAnswered && ctx.end - step.start >= ctx.th.noReply;
    if (stalled || noAnswer) {
      const resends = s.resentSinceProgress > 0 && s.highestBlock > 0
        ? `; block ${s.highestBlock} was sent ${s.resentSinceProgress} more time(s)` : '';
      add(ctx, 'tftp.timeout', mac, s.progressTime, [s.requestFrame, step.frames[step.frames.length - 1] ?? s.requestFrame],
        s.serverAnswered
          ? `Transfer of "${step.file}" from ${step.server} stopped after ${step.blocks} block(s) / ${step.bytes} bytes${step.tsize !== null ? ` of ${step.tsize}` : ''} (idle ${fmt(Math.max(idle, 0))} s${resends}).`
          : `${step.opcode} "${step.file}" to ${step.server} was never answered (${fmt(ctx.end - step.start)} s).`,
        undefined, undefined, pxe(s.serverAnswered ? { bios: 'PXE-E35', uefi: 'PXE-E18' } : { bios: 'PXE-E32', uefi: 'PXE-E18' }));
    }
  }
  if (s.oversize !== null) oversizeRule(ctx, mac, s, pxe({ bios: 'PXE-E35', uefi: 'PXE-E18' }));
  if (step.retransmits > 0) {
    add(ctx, 'tftp.retransmit', mac, step.start, s.retransmitFrames,
      `Transfer of "${step.file}": ${step.retransmits} packet(s) sent again over ${step.blocks} block(s).`);
  }
  if (step.serverPort === UdpPort.TFTP && (s.highestBlock > 0 || s.oack)) {
    add(ctx, 'tftp.no-new-tid', mac, step.start, [s.requestFrame, ...step.frames.slice(1, 3), ...s.icmpFrames.slice(0, 4)],
      `Server ${step.server} answered "${step.file}" from port 69 instead of a port of its own for the transfer (RFC 1350 §4)${s.icmpFrames.length > 0 ? `; its host sent ICMP unreachables for ${s.icmpFrames.length} of the client's packets` : ''}${step.complete ? ', yet the transfer completed' : ''}.`);
  }
  // Options the cut took from the request or the OACK were neither asked for nor refused as far as
  // the capture shows.
  if (s.serverAnswered && (s.oack || s.highestBlock > 0) && !s.optionsCut) {
    const acked = new Set(Object.keys(step.acknowledgedOptions).map((k) => k.toLowerCase()));
    const missing = Object.keys(step.requestedOptions).filter((k) => !acked.has(k.toLowerCase()) && !ignored.has(k.toLowerCase()));
    if (missing.length > 0) {
      for (const k of missing) ignored.add(k.toLowerCase());
      add(ctx, 'tftp.option-ignored', mac, step.start, [s.requestFrame],
        `Server ${step.server} did not acknowledge ${missing.map((k) => `${k}=${step.requestedOptions[k]}`).join(', ')} for "${step.file}"${step.blksize !== 512 ? ` (blksize ${step.blksize} was acknowledged)` : ''}.`,
        optionIgnoredHint(missing.map((k) => k.toLowerCase()), s.oack));
    }
  }
}

/** A DATA block longer than the block size in effect: an error where the receiver never took it
 *  (not acknowledged, and the transfer then stalled or the block was sent again), as a PXE ROM that
 *  drops it shows; a warning where the receiver took it or the capture ends before it could say. */
function oversizeRule(ctx: Ctx, mac: string, s: TftpFacts, codes: PxeCodes | undefined): void {
  const o = s.oversize!;
  const step = s.step;
  const taken = step.complete || s.highestAck >= o.block;
  const stalled = !taken && (s.resentSinceProgress > 0 || ctx.end - s.progressTime >= ctx.th.tftpIdle);
  const sender = step.direction === 'download' ? `Server ${step.server}` : 'The client';
  const oackBlksize = Object.keys(step.acknowledgedOptions).some((k) => k.toLowerCase() === 'blksize');
  const negotiated = !s.oack ? `${o.limit} bytes (no OACK: RFC 1350's size)`
    : oackBlksize ? `the ${o.limit} bytes of its OACK` : `${o.limit} bytes (its OACK did not acknowledge blksize: RFC 1350's size)`;
  const after = taken ? '; the receiver took it' : stalled ? `; the receiver never acknowledged it and the transfer stalled at block ${s.highestBlock}` : '; the capture ends before the receiver answered it';
  add(ctx, 'tftp.block-oversize', mac, step.start, [s.requestFrame, o.frame],
    `${sender} sent block ${o.block} of "${step.file}" with ${o.length} bytes of data, more than ${negotiated}${after}.`,
    undefined, stalled ? undefined : 'warning', stalled ? codes : undefined);
}

/** What the missing acknowledgement of each option costs, from what was really negotiated. */
function optionIgnoredHint(missing: string[], oack: boolean): string {
  const parts: string[] = [];
  if (missing.includes('blksize')) parts.push(oack ? 'blksize was not acknowledged: the transfer uses 512-byte blocks' : 'without an OACK the transfer falls back to RFC 1350 defaults (512-byte blocks, lock-step)');
  if (missing.includes('windowsize')) parts.push('windowsize was not acknowledged: one block per ACK (lock-step), slower on long paths');
  if (missing.includes('tsize')) parts.push('tsize was not acknowledged: the client learns the size only at the end (some firmware then refuses the file)');
  if (missing.includes('timeout')) parts.push('timeout was not acknowledged: the server uses its own retransmission timeout');
  const rest = missing.filter((k) => !['blksize', 'windowsize', 'tsize', 'timeout'].includes(k));
  if (rest.length > 0) parts.push(`${rest.join(', ')} not acknowledged: the server does not support ${rest.length > 1 ? 'them' : 'it'}`);
  return `${parts.join('; ')}. Correct but slower: enable the option on the server if speed matters.`;
}

const UNREACHABLE_HINTS: Partial<Record<UnreachableFact['service'], string>> = {
  proxyDHCP: 'Nothing listens on UDP 4011 at that address: start the proxyDHCP/boot service there (dnsmasq dhcp-range=...,proxy, WDS, FOG) or stop pointing clients at it, and check firewalls.',
  DHCP: 'Nothing listens on UDP 67 at that address: check that the DHCP server runs there (or that the relay helper address points at the right host), and firewalls.',
  DHCPv6: 'Nothing listens on UDP 547 at that address: check that the DHCPv6 server runs there, and firewalls.',
};

const UNREACHABLE_PXE: Partial<Record<UnreachableFact['service'], PxeCodes>> = {
  TFTP: { bios: 'PXE-E32', uefi: 'PXE-E99' },
  'TFTP transfer': { bios: 'PXE-E35', uefi: 'PXE-E99' },
  proxyDHCP: { bios: 'PXE-E55', uefi: 'PXE-E18' },
};

/** One finding per (server, port, reason, reporter) of a device's attempt, naming the request it
 *  refused: a device that reboots into the same refusal failed again, on the wire (not stopped
 *  for no reason). An unreachable that did not stop a transfer (it completed, or went on after
 *  it) is a warning about the server. */
export function unreachableRule(ctx: Ctx, d: DeviceFacts): void {
  if (d.unreachable.length === 0) return;
  const groups = new Map<string, UnreachableFact[]>();
  for (const u of d.unreachable) {
    const k = `${u.server}|${u.port}|${u.reason}|${u.reporter}|${u.transferCompleted || u.transferWentOn}|${attemptIndexAt(d, u.time)}`;
    const g = groups.get(k);
    if (g) g.push(u);
    else groups.set(k, [u]);
  }
  for (const g of groups.values()) {
    const u = g[0]!;
    ctx.attempt = attemptAt(d, u.time);
    ctx.firmware = ctx.attempt ? firmwareOf(d, ctx.attempt) : null;
    const frames: number[] = [];
    for (const x of g) {
      if (x.requestFrame > 0 && !frames.includes(x.requestFrame)) frames.push(x.requestFrame);
      if (!frames.includes(x.icmpFrame)) frames.push(x.icmpFrame);
      if (frames.length >= 16) break;
    }
    const icmpFrames = g.map((x) => x.icmpFrame);
    const where = `frame${icmpFrames.length > 1 ? 's' : ''} ${icmpFrames.slice(0, 4).join(', ')}${icmpFrames.length > 4 ? ', …' : ''}`;
    const svc = u.service === 'TFTP transfer' ? 'TFTP' : u.service;
    const port = u.service === 'TFTP transfer' ? `transfer port UDP ${u.port}` : `UDP ${u.port}`;
    const head = u.reason === 'port unreachable' && u.reporter === u.server
      ? `${svc} server ${u.server} is not listening on ${port} (ICMP port unreachable, ${where})`
      : `${svc} request to ${u.server} (${port}) refused: ICMP ${u.reason} from ${u.reporter} (${where})`;
    if (u.transferCompleted || u.transferWentOn) {
      // Went on without completing: the capture ends during the transfer, or it stalled later
      // (tftp.timeout judges that); the unreachables did not stop it.
      add(ctx, 'net.port-unreachable', d.key, u.time, frames,
        `${head}, but the transfer of "${u.file ?? ''}" ${u.transferCompleted ? 'completed anyway' : 'went on after them'}: the unreachables did not stop it.`,
        'The server\'s host refuses some of the client\'s packets while the transfer goes on: typically a TFTP server that answers from port 69 instead of a port of its own (RFC 1350 §4), or one that closed its transfer socket early. Fix the server; strict clients and firewalls may fail on it.',
        'warning');
      continue;
    }
    let tail = '.';
    const req = u.requestFrame > 0 ? ` (frame ${u.requestFrame})` : '';
    if (u.service === 'TFTP') tail = `: RRQ "${u.file ?? ''}"${req} failed.`;
    else if (u.service === 'TFTP transfer') tail = `: the transfer of "${u.file ?? ''}" was aborted.`;
    else if (u.service === 'proxyDHCP') tail = `: the boot server does not run proxyDHCP${u.requestFrame > 0 ? `, REQUEST${req} unanswered` : ''}.`;
    else if (u.requestFrame > 0) tail = `: REQUEST${req} unanswered.`;
    add(ctx, 'net.port-unreachable', d.key, u.time, frames, head + tail, UNREACHABLE_HINTS[u.service], undefined, UNREACHABLE_PXE[u.service]);
  }
}

/** `attemptAt(d, time)`'s index by binary search (attempts are in time order): a device may have
 *  many attempts and many unreachables. */
function attemptIndexAt(d: DeviceFacts, time: number): number {
  let lo = 0, hi = d.attempts.length - 1, found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (d.attempts[mid]!.start <= time) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return found;
}

// The three look-ups below answer from per-attempt indexes (step-index.ts): a scan per step made
// one device's million TFTP steps quadratic.

function laterPxelinuxConfigOk(steps: readonly StepFacts[], i: number): boolean {
  return laterPxelinuxConfigComplete(steps, i);
}

/** Cisco phones ask for CTL/ITL security files first (absent on a phone without security), then
 *  their own SEP<mac>.cnf.xml, then XMLDefault.cnf.xml when that is missing. */
const CISCO_SECURITY_FILE = /^(ctl|itl)(sep[0-9a-f]{12}|file)\.tlv$/i;
/** The characters of a CTL/ITL name, one class per position: CTLSEP<MAC>.tlv and CTLFile.tlv (ITL alike). */
const HEX = /[0-9a-f]/i;
const CISCO_SECURITY_FORMS: readonly (readonly (string | RegExp)[])[] = [
  [...'sep', ...Array<RegExp>(12).fill(HEX), ...'.tlv'],
  [...'file.tlv'],
];

/** What the capture kept of a name the snap length cut ("CTLSEP5254"): it begins a CTL/ITL name,
 *  its "CTL" or "ITL" at least (a shorter start could be any file). */
function mayBeCiscoSecurityFile(p: string): boolean {
  if (!/^(ctl|itl)/i.test(p)) return false;
  const rest = p.slice(3);
  return CISCO_SECURITY_FORMS.some((form) => rest.length <= form.length
    && [...rest].every((ch, i) => { const c = form[i]!; return typeof c === 'string' ? ch.toLowerCase() === c : c.test(ch); }));
}
const CISCO_DEVICE_CONFIG = /^sep[0-9a-f]{12}\.cnf\.xml$/i;
const CISCO_DEFAULT_CONFIG = /^xmldefault\.cnf\.xml$/i;

function fileOf(s: StepFacts): string | null {
  return s.kind === 'tftp' ? s.step.file : s.kind === 'http' ? s.step.url : null;
}

/** The server kept sending after the transfer's first ICMP: the ICMP did not stop it, so a stall
 *  later is tftp.timeout's to judge (net.port-unreachable is then only a warning). */
function wentOnAfterIcmp(s: TftpFacts): boolean {
  return s.firstIcmp !== null && s.serverLast !== null && s.serverLast > s.firstIcmp;
}

function laterTftpSameFile(steps: readonly StepFacts[], i: number): boolean {
  return laterTftpOfFile(steps, i, (steps[i] as TftpFacts).step.file);
}

/** Seconds from `last` to the next step of the attempt that starts after it; 0 when there is none
 *  (the idle check against the capture's end judges an attempt's last transfer). */
function nextPacketGap(steps: readonly StepFacts[], i: number, last: number): number {
  const k = firstStepStartingFrom(steps, i, last);
  return k < 0 ? 0 : steps[k]!.step.start - last;
}
