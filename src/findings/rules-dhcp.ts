/**
 * DHCPv4 and proxyDHCP rules over one step of a chain (with a look at the steps around it), and the
 * checks they share: boot program vs client architecture, phone provisioning options.
 */
import type { Dhcp4Facts, ProxyFacts, StepFacts } from '../flow/facts.js';
import { isBiosArch, isBiosProgram, isEfiProgram, isIpxeBinary, isUefiArch, phoneVendor } from '../flow/classify.js';
import { PXE_BOOT_SERVER_PORT } from '../wire/dhcpv4/index.js';
import { add, countOf, fmt, unanswered, unique, type ChainOnce, type Ctx, type PxeCodes } from './rules-context.js';
// The looks at a step's neighbours answer from per-attempt indexes: a scan per step was count² work.
import { archBefore, ipv6TransferFrom, laterDhcp4Step, leasedDhcp6From, proxyBootfileAhead, proxyPendingAhead } from './step-index.js';

export function dhcp4Rules(ctx: Ctx, mac: string, s: Dhcp4Facts, states: readonly StepFacts[], i: number, once: ChainOnce): void {
  const step = s.step;
  const real = step.offers.filter((o) => !o.proxy);
  const proxies = step.offers.filter((o) => o.proxy);
  // A request whose type the snap length cut wants an answer only if the client repeats it: one
  // sent once may be a DECLINE or a RELEASE, which get none.
  const untyped = s.untypedRequests;
  if (s.firstDiscover !== null && step.offers.length === 0 && !s.ack && s.cutReply === null && unanswered(ctx, { time: s.firstDiscover }) && (untyped === 0 || untyped >= 2)) {
    const text = untyped === 0
      ? `DISCOVER (xid 0x${step.xid.toString(16)}) sent ${countOf(step.messages, 'DISCOVER')} time(s), no OFFER in ${fmt(ctx.end - s.firstDiscover)} s.`
      : `Request (xid 0x${step.xid.toString(16)}, its message type cut by the snap length) sent ${untyped + countOf(step.messages, 'DISCOVER')} time(s), no answer in ${fmt(ctx.end - s.firstDiscover)} s.`;
    // On an IPv6-only segment firmware and iPXE try DHCPv4 first (or alongside) and go on over
    // DHCPv6: the wait is a delay to point at, not the reason the boot failed.
    // (Across the device's attempts: EDK2 goes on over IPv6 as its next boot entry; never across a
    // reboot-sized silence: another power-on's IPv6 says nothing of this one's.)
    // A fetch over IPv6 shows it as well when the capture does not show the lease (cut, started late).
    const deviceSteps = ctx.device?.steps ?? states;
    const v6 = leasedDhcp6From(deviceSteps, s.firstDiscover) ?? ipv6TransferFrom(deviceSteps, s.firstDiscover);
    if (v6 === undefined) add(ctx, 'dhcp.no-offer', mac, s.firstDiscover, step.frames.slice(0, 8), text, undefined, undefined, fw(step.stage, { bios: 'PXE-E51', uefi: 'PXE-E18' }));
    else {
      const dt = v6.step.start - s.firstDiscover;
      const how = v6.kind !== 'dhcp6'
        ? `The client ${dt >= 0 ? 'went on to fetch' : 'had already fetched'} ${v6.kind === 'tftp' ? v6.step.file : v6.step.url} over IPv6 (${fmt(Math.abs(dt))} s ${dt >= 0 ? 'later' : 'before'})`
        : dt >= 0 ? `The client went on over DHCPv6 ${fmt(dt)} s later` : `The client already had an IPv6 address by DHCPv6 (${fmt(-dt)} s before) and waited for DHCPv4 anyway`;
      add(ctx, 'dhcp.no-offer', mac, s.firstDiscover, step.frames.slice(0, 8),
        `${text} ${how}: the DHCPv4 attempt only cost time.`,
        'No DHCPv4 server is expected on an IPv6-only segment: to save the wait, disable IPv4 network boot in the firmware (UEFI: IPv4 PXE/HTTP support) or, for iPXE, configure only IPv6 in its embedded script (ifconf -c ipv6).',
        ctx.attempt?.loaded ? 'info' : 'warning');
    }
  }
  if (real.length === 0 && proxies.length > 0 && !s.ack && s.cutReply === null && s.firstDiscover !== null && unanswered(ctx, { time: s.firstDiscover })) {
    add(ctx, 'dhcp.no-address-offer', mac, s.firstDiscover, proxies.map((o) => o.frame),
      `Only proxyDHCP offers (from ${unique(proxies.map((o) => o.server)).join(', ')}) reached the client; no server offered an address.`,
      undefined, undefined, fw(step.stage, { bios: 'PXE-E52', uefi: 'PXE-E16' }));
  }
  const servers = unique(real.map((o) => o.server));
  if (servers.length > 1 && !once.multipleServers) {
    once.multipleServers = true;
    add(ctx, 'dhcp.multiple-servers', mac, step.start, real.map((o) => o.frame),
      `${servers.length} DHCP servers offered an address: ${real.map((o) => `${o.server} (${o.yiaddr})`).join(', ')}.`);
  }
  if (s.firstOffer !== null && s.firstDiscover !== null && s.firstOffer - s.firstDiscover > ctx.th.slowOffer) {
    const first = step.offers.reduce((a, o) => (o.delay < a.delay ? o : a));
    add(ctx, 'dhcp.slow-offer', mac, s.firstDiscover, [s.discoverFrame, first.frame],
      `First OFFER (from ${first.server}) came ${fmt(s.firstOffer - s.firstDiscover)} s after the first DISCOVER (threshold ${ctx.th.slowOffer} s).`);
  }
  if (s.nak) {
    add(ctx, 'dhcp.nak', mac, s.nak.time, [s.nak.frame],
      `Server ${s.nak.server} answered REQUEST (xid 0x${step.xid.toString(16)}) with NAK.`);
  }
  if (unanswered(ctx, s.pendingRequest)) {
    add(ctx, 'dhcp.no-ack', mac, s.pendingRequest!.time, [s.pendingRequest!.frame],
      `REQUEST (xid 0x${step.xid.toString(16)}${step.server ? ` to ${step.server}` : ''}) got neither ACK nor NAK in ${fmt(ctx.end - s.pendingRequest!.time)} s.`);
  }
  if (step.stage === 'httpboot' && !once.offerIgnored && step.offers.length > 0 && !s.requestSeen
    && (s.discoversAfterOffer > 0 || laterDhcp4Step(states, i))) {
    const why: string[] = [];
    const bad = step.offers.filter((o, k) => {
      const noVc = !(s.offerVendorClass[k]?.startsWith('HTTPClient') ?? false);
      const noUrl = !/^https?:\/\//i.test(o.bootfile ?? '');
      if (noVc || noUrl) {
        const r: string[] = [];
        if (noVc) r.push('no option 60 "HTTPClient"');
        if (noUrl) r.push(o.bootfile ? `boot file "${o.bootfile}" is not a URL` : 'no boot file URL');
        why.push(`${o.server}: ${r.join(', ')}`);
      }
      return noVc || noUrl;
    });
    if (bad.length > 0) {
      once.offerIgnored = true;
      add(ctx, 'httpboot.offer-ignored', mac, step.start, bad.map((o) => o.frame),
        `The HTTP boot client kept discovering: ${why.join('; ')}.`);
    }
  }
  if (s.ack && step.stage === 'firmware' && step.bootfile === null && !proxyBootfileAhead(states, i)
    && !proxyPendingAhead(states, i)) {
    add(ctx, 'pxe.no-bootfile', mac, s.ack.time, [s.ack.frame],
      `PXE client got address ${step.yiaddr ?? '?'} from ${step.server ?? '?'} but no boot file name from any server${proxies.length ? ' (proxy offers included)' : ''}.`,
      undefined, undefined, fw(step.stage, { bios: 'PXE-E53', uefi: 'PXE-E53' }));
  }
  if (!s.ack && step.stage === 'firmware' && real.length > 0 && proxies.length === 0 && !s.requestSeen
    && !step.offers.some((o) => o.bootfile) && (s.discoversAfterOffer > 0 || unanswered(ctx, { time: s.firstOffer! }))) {
    // EDK2 / PXE ROMs ignore offers without boot information and keep discovering (PXE-E16).
    add(ctx, 'pxe.no-bootfile', mac, s.firstOffer!, s.offerFrames,
      `PXE client ignored ${s.offerCount} address offer(s) from ${unique(real.map((o) => o.server)).join(', ')}: none carried a boot file name, and it kept discovering (${countOf(step.messages, 'DISCOVER')} DISCOVERs).`,
      undefined, undefined, fw(step.stage, { bios: 'PXE-E53', uefi: 'PXE-E16' }));
  }
  archRule(ctx, mac, step.arch, step.bootfile, s.ack?.frame ?? step.frames[0] ?? 0, s.ack?.time ?? step.start);
  if (step.stage === 'ipxe' && step.bootfile && isIpxeBinary(step.bootfile) && s.ack && !once.loop) {
    once.loop = true;
    // The evidence is the message that named the binary (the ACK may carry no boot file at all).
    add(ctx, 'ipxe.chainload-loop', mac, s.ack.time, [s.bootfileFrame || s.ack.frame],
      `A client already running iPXE was handed the iPXE binary "${step.bootfile}" again.`);
  }
  if (step.stage === 'phone' && s.ack) phoneRule(ctx, mac, s);
}

/** PXE errors belong to the firmware's own DHCP, not to iPXE's or a phone's. */
function fw(stage: string, codes: PxeCodes): PxeCodes | undefined {
  return stage === 'firmware' ? codes : undefined;
}

export function proxyDhcpRules(ctx: Ctx, mac: string, s: ProxyFacts, states: readonly StepFacts[], i: number, once: ChainOnce): void {
  if (unanswered(ctx, s.pendingRequest)) {
    add(ctx, 'proxydhcp.no-reply', mac, s.pendingRequest!.time, [s.pendingRequest!.frame],
      `REQUEST to ${s.step.server ?? '?'}:4011 (xid 0x${s.step.xid.toString(16)}) got no answer in ${fmt(ctx.end - s.pendingRequest!.time)} s.`,
      undefined, undefined, { bios: 'PXE-E55', uefi: 'PXE-E18' });
  }
  if (s.answer && s.answer.port !== PXE_BOOT_SERVER_PORT && !(s.fromIpxe ? once.proxyPortIpxe : once.proxyPort)) {
    if (s.fromIpxe) once.proxyPortIpxe = true;
    else once.proxyPort = true;
    // EDK2 and PXE ROMs take the answer from any port; iPXE only from 4011 (dhcp_proxy_rx).
    add(ctx, 'proxydhcp.reply-wrong-port', mac, s.last, [s.answer.frame],
      `The boot server ${s.step.server ?? '?'} answered the REQUEST to UDP 4011 (xid 0x${s.step.xid.toString(16)}) from UDP ${s.answer.port}${s.fromIpxe ? ': iPXE drops such answers, so it never gets its boot file' : ''}.`,
      undefined, s.fromIpxe ? 'error' : 'warning');
  }
  if (s.step.bootfile) {
    const arch = archBefore(states, i);
    archRule(ctx, mac, arch, s.step.bootfile, s.step.frames[s.step.frames.length - 1] ?? 0, s.last);
  }
}

/**
 * dhcp.decline, once per device: the addresses it declined, each with the ACK that had given it.
 * A DECLINE says another host answered the client's ARP probe for its new address (RFC 2131 §2.2,
 * §4.4.4): an address conflict on the network, a warning naming the address. The client draws a
 * new xid for it and starts over (§3.1 5), so the conflict is the device's, not one exchange's.
 * A RELEASE (§4.4.6: a client leaving, at shutdown) is normal and raises nothing.
 */
export function declineRule(ctx: Ctx, mac: string, steps: readonly StepFacts[]): void {
  const declined = new Map<string, { count: number; first: number; frames: number[]; server: string | null }>();
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.kind !== 'dhcp4' || s.decline === null) continue;
    const d = s.decline;
    const given = ackOf(steps, i, d.address);
    const address = d.address ?? given?.step.yiaddr ?? 'its address';
    let e = declined.get(address);
    if (!e) declined.set(address, e = { count: 0, first: d.time, frames: [], server: null });
    e.count++;
    if (e.frames.length < FRAMES_PER_ADDRESS) {
      e.frames.push(d.frame);
      if (given?.ack) e.frames.push(given.ack.frame);
    }
    e.server ??= d.server ?? given?.step.server ?? null;
  }
  if (declined.size === 0) return;
  // A client stuck declining (a subnet full of squatters, a server handing out a taken pool) may
  // decline hundreds: the finding names the first few addresses and the frames of those.
  const listed = [...declined].slice(0, LISTED_DECLINES);
  const texts = listed.map(([address, e]) => `${address}${e.server ? `, given by ${e.server}` : ''}${e.count > 1 ? `, ${e.count} times` : ''}`);
  if (declined.size > LISTED_DECLINES) texts.push(`and ${declined.size - LISTED_DECLINES} more address(es)`);
  const first = Math.min(...[...declined.values()].map((e) => e.first));
  add(ctx, 'dhcp.decline', mac, first, listed.flatMap(([, e]) => e.frames),
    `The client declined ${texts.join('; ')} (DHCPDECLINE): another host already uses ${declined.size === 1 ? 'it' : 'them'}.`);
}

/** Addresses a dhcp.decline names, and the frames it cites of each (DECLINE and its ACK, twice). */
const LISTED_DECLINES = 4;
const FRAMES_PER_ADDRESS = 4;

/** The DHCPv4 step at or before `i` whose ACK gave `address` (the latest one with an ACK when the
 *  DECLINE names none). */
function ackOf(steps: readonly StepFacts[], i: number, address: string | null): Dhcp4Facts | null {
  for (let k = i; k >= 0; k--) {
    const s = steps[k]!;
    if (s.kind === 'dhcp4' && s.ack !== null && (address === null || s.step.yiaddr === address)) return s;
  }
  return null;
}

function archRule(ctx: Ctx, mac: string, arch: number | null, bootfile: string | null, frame: number, time: number): void {
  if (arch === null || !bootfile) return;
  if (isUefiArch(arch) && isBiosProgram(bootfile)) {
    add(ctx, 'pxe.arch-mismatch', mac, time, [frame], `BIOS boot program "${bootfile}" handed to a UEFI client (arch ${arch}).`);
  } else if (isBiosArch(arch) && isEfiProgram(bootfile)) {
    add(ctx, 'pxe.arch-mismatch', mac, time, [frame], `UEFI boot program "${bootfile}" handed to a BIOS client (arch ${arch}).`);
  }
}

/** Which provisioning options each phone vendor reads. */
const PHONE_OPTIONS: Record<string, number[]> = {
  cisco: [150, 66],
  polycom: [160, 66, 43],
  yealink: [66, 43],
  avaya: [242, 66],
  mitel: [43, 125, 66],
  other: [150, 66, 160, 43, 242],
};

function phoneRule(ctx: Ctx, mac: string, s: Dhcp4Facts): void {
  const vendor = phoneVendor(s.step.vendorClass) ?? 'other';
  const need = PHONE_OPTIONS[vendor]!;
  if (need.some((o) => s.step.ackOptions.includes(o))) return;
  add(ctx, 'phone.no-provisioning-server', mac, s.ack!.time, [s.ack!.frame],
    `The ACK to phone "${s.step.vendorClass}" has none of options ${need.join('/')} (it has ${s.step.ackOptions.join(', ') || 'none'}).`,
    vendor === 'cisco' ? 'Cisco phones read the TFTP server from option 150 (list of addresses) or 66: add one for this vendor class.' : undefined);
}
