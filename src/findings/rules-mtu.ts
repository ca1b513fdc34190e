/**
 * Path-MTU rules ("big files hang"): a transfer that stalls because its big packets never make it
 * across a link with a smaller MTU. Each finding names the transfer, the packet sizes that got
 * through and those that did not, and the MTU evidence; when the transfer did not complete it is
 * an error (the root cause of the tftp.timeout / PXE-E32 that follows), else a warning.
 * Fragmented transfers whose fragments all arrive raise nothing: real networks fragment fine.
 */
import type { DeviceFacts, HttpFacts, StepFacts, TftpFacts } from '../flow/facts.js';
import type { BlackHoleFact, FragmentLossFact, TooBigFact } from '../flow/mtu.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { add, attemptAt, firmwareOf, fmt, type Ctx, type PxeCodes } from './rules-context.js';

/** Seconds of no progress after which a transfer's first block counts as stalled. */
const STALL_S = 4;
/** IPv4 / IPv6 header plus UDP and the TFTP DATA header: blksize + this = the IP packet. */
const TFTP_OVERHEAD = { 4: 32, 6: 52 } as const;

export function mtuRules(ctx: Ctx, d: DeviceFacts): void {
  const mtu = d.mtu;
  const handled = new Set<TftpFacts>();
  for (const f of mtu?.fragments ?? []) if (f.lost > 0) fragmentRule(ctx, d, f, handled);
  for (const g of groupTooBig(d, mtu?.tooBig ?? [])) tooBigRule(ctx, d, g, handled);
  for (const b of mtu?.blackHoles ?? []) blackHoleRule(ctx, d, b);
  // A TFTP transfer stuck at its first full-size block with nothing else said (the capture point
  // sees the big DATA sent again and again, or none at all while the client repeats ACK 0).
  for (const s of d.steps) if (s.kind === 'tftp' && !handled.has(s) && firstBlockStall(ctx, s)) tftpBlackHole(ctx, d, s);
}

/** The transfer a packet from `server` to the device at `time` belongs to. */
function transferAt<K extends 'tftp' | 'http'>(d: DeviceFacts, kind: K, server: string, time: number): Extract<StepFacts, { kind: K }> | null {
  let found: Extract<StepFacts, { kind: K }> | null = null;
  for (const s of d.steps) {
    if (s.kind !== kind || s.step.server !== server) continue;
    if (s.step.start <= time + 0.001) found = s as Extract<StepFacts, { kind: K }>;
  }
  return found;
}

function place(ctx: Ctx, d: DeviceFacts, time: number): void {
  ctx.attempt = attemptAt(d, time);
  ctx.firmware = ctx.attempt ? firmwareOf(d, ctx.attempt) : null;
}

/** PXE errors of a TFTP stall: no block ever arrived (E32, open timeout) or one did (E35). */
function stallPxe(s: TftpFacts): PxeCodes {
  return s.highestAck <= 0 ? { bios: 'PXE-E32', uefi: 'PXE-E18' } : { bios: 'PXE-E35', uefi: 'PXE-E18' };
}

function fragmentRule(ctx: Ctx, d: DeviceFacts, f: FragmentLossFact, handled: Set<TftpFacts>): void {
  place(ctx, d, f.first);
  const t = transferAt(d, 'tftp', f.sender, f.first);
  const failed = t !== null ? !t.step.complete : true;
  if (t !== null && t.step.complete) return; // lost now and then, resent, done: tftp.retransmit says it
  if (t) handled.add(t);
  const missingFirst = f.lostFirst === 0 ? '' : f.lostFirst === f.lost ? ' (their first fragment never arrived)' : ` (${f.lostFirst} without their first fragment)`;
  const sizes = `${f.lost} of ${f.datagrams} fragmented datagram(s) from ${f.sender} never arrived whole${missingFirst}`;
  const sent = f.senderFragment !== null ? `the sender cut them into fragments of ${f.senderFragment} bytes` : 'the sender fragmented them';
  const seen = `the largest fragment that arrived was ${f.largestArrived} bytes`;
  const mtuText = f.senderFragment !== null && f.largestArrived < f.senderFragment
    ? `: the path MTU is below ${f.senderFragment} (${seen}, none of ${f.senderFragment})`
    : ` (${seen})`;
  const fix = t ? fixText(t, f.ipVersion, f.largestArrived) : '';
  const what = t
    ? `TFTP "${t.step.file}" from ${t.step.server} with blksize ${t.step.blksize}: each DATA block is a ${t.step.blksize + 12}-byte UDP datagram, bigger than the path MTU; `
    : `UDP datagrams of ${f.lostSize ?? '?'} bytes from ${f.sender} to ${f.receiver}: `;
  const stall = t ? `; the transfer stalled after ${t.highestAck <= 0 ? 'the OACK, before its first block' : `block ${t.highestAck}`}` : '';
  add(ctx, 'net.fragments-lost', d.key, f.first, f.frames,
    `${what}${sizes}; ${sent}${mtuText}${stall}.${fix}`,
    undefined, failed ? 'error' : 'warning', t ? stallPxe(t) : undefined);
}

/** One finding per reporter and MTU in each boot attempt (a rebooted machine meets the router again). */
function groupTooBig(d: DeviceFacts, list: readonly TooBigFact[]): TooBigFact[][] {
  const m = new Map<string, TooBigFact[]>();
  for (const t of list) {
    const k = `${t.reporter}|${t.mtu}|${t.src}|${attemptAt(d, t.time)?.index ?? -1}`;
    const g = m.get(k);
    if (g) g.push(t);
    else m.set(k, [t]);
  }
  return [...m.values()];
}

function tooBigRule(ctx: Ctx, d: DeviceFacts, g: TooBigFact[], handled: Set<TftpFacts>): void {
  const t0 = g[0]!;
  place(ctx, d, t0.time);
  const icmp = t0.ipVersion === 4 ? 'ICMP fragmentation needed' : 'ICMPv6 packet too big';
  const mtuText = t0.mtu > 0 ? `MTU ${t0.mtu}` : 'no MTU given';
  const proto = t0.protocol === IpProtocol.UDP ? 'UDP' : t0.protocol === IpProtocol.TCP ? 'TCP' : `protocol ${t0.protocol}`;
  const ports = t0.srcPort !== null ? ` ${t0.srcPort}→${t0.dstPort}` : '';
  const tftp = transferAt(d, 'tftp', t0.src, t0.time);
  const http = transferAt(d, 'http', t0.src, t0.time);
  const icmpText = `${t0.reporter} answered ${g.length} ${proto} packet(s) ${t0.src}${ports} → ${t0.dst} with ${icmp} (${mtuText})`;
  let text: string;
  let failed = false;
  let pxe: PxeCodes | undefined;
  if (tftp && !handled.has(tftp)) {
    handled.add(tftp);
    failed = !tftp.step.complete;
    pxe = failed ? stallPxe(tftp) : undefined;
    const fits = t0.mtu > 0 && tftp.step.blksize + TFTP_OVERHEAD[t0.ipVersion] > t0.mtu ? `; blksize ${Math.max(512, t0.mtu - TFTP_OVERHEAD[t0.ipVersion])} fits` : '';
    text = `TFTP "${tftp.step.file}" from ${tftp.step.server} with blksize ${tftp.step.blksize}: ${icmpText}; ${failed ? 'the transfer stalled' : 'the transfer completed anyway (the sender resent smaller packets)'}${fits}.`;
  } else if (http) {
    failed = !http.step.complete;
    text = `HTTP ${http.step.method} ${http.step.url}: ${icmpText}; ${failed ? 'the download stalled' : 'the download completed (the sender adapted)'}.`;
  } else {
    text = `${icmpText}: the path MTU is ${t0.mtu > 0 ? t0.mtu : 'smaller than these packets'}.`;
  }
  add(ctx, 'net.packet-too-big', d.key, t0.time, g.slice(0, 8).map((x) => x.frame), text,
    undefined, failed ? 'error' : 'warning', pxe);
}

function blackHoleRule(ctx: Ctx, d: DeviceFacts, b: BlackHoleFact): void {
  const h: HttpFacts | null = transferAt(d, 'http', b.sender, b.first);
  // A fetch cut by the snap length stays judged (the segment's length and resends are in the
  // headers), but its end is not in the capture: only a receiver seen answering during the resends
  // shows the segment did not reach it (else the capture stopped there). A capture of the sender's
  // side only cannot tell a black hole from a receiver that left.
  if (h?.step.complete || !b.receiverSeen || (h?.step.cut && !b.receiverAnswered)) return;
  place(ctx, d, b.first);
  const full = b.dataLength >= b.largestSegment ? 'full-size ' : '';
  const what = h ? `HTTP ${h.step.method} ${h.step.url}: ` : `TCP ${b.sender}:${b.senderPort} → ${b.receiver}:${b.receiverPort}: `;
  add(ctx, 'net.pmtu-blackhole', d.key, b.first, b.frames,
    `${what}the ${full}segment at byte ${b.offset} of ${b.sender}'s stream (${b.dataLength} bytes of data, a ${b.packetLength}-byte IP packet) was sent ${b.sends} times over ${fmt(b.last - b.first)} s and never acknowledged, `
      + `while ${b.receiver} kept answering; no ICMP "fragmentation needed" came back: packets of ${b.packetLength} bytes do not cross the path.`,
    undefined, 'error');
}

/** Not complete, no error, OACK with a blksize above 512, and no DATA block acknowledged over
 *  STALL_S seconds although the client is there (it repeated ACK 0). */
function firstBlockStall(ctx: Ctx, s: TftpFacts): boolean {
  const st = s.step;
  if (st.complete || st.error !== null || st.unreachable !== null || st.probe || st.direction !== 'download') return false;
  if (!s.oack || st.blksize <= 512 || s.highestAck > 0 || st.retransmits === 0) return false;
  // The small packets must have got through: the client's ACK 0, or a DATA block the server sends
  // only after one. An OACK sent again and again with no answer is a client that never took it.
  if (s.highestAck < 0 && s.highestBlock === 0) return false;
  return s.last - st.start >= STALL_S || ctx.end - s.progressTime >= ctx.th.tftpIdle;
}

function tftpBlackHole(ctx: Ctx, d: DeviceFacts, s: TftpFacts): void {
  const st = s.step;
  place(ctx, d, st.start);
  const v = st.server.includes(':') ? 6 : 4;
  const packet = st.blksize + TFTP_OVERHEAD[v];
  const data = s.highestBlock > 0
    ? `DATA block 1 (${packet}-byte IP packet${packet > 1500 ? 's, sent as IP fragments' : ''}) was sent again and again and never acknowledged`
    : `no DATA block (${packet}-byte IP packet${packet > 1500 ? 's, sent as IP fragments' : ''}) ever reached the client`;
  add(ctx, 'net.pmtu-blackhole', d.key, st.start, [s.requestFrame, ...s.retransmitFrames.slice(0, 6)],
    `TFTP "${st.file}" from ${st.server} with blksize ${st.blksize}: the small packets got through (the OACK, the client's repeated ACK 0) but ${data}; the transfer stalled before its first block.${fixText(s, v, 0)}`,
    undefined, 'error', stallPxe(s));
}

function fixText(t: TftpFacts, v: 4 | 6, arrived: number): string {
  const over = TFTP_OVERHEAD[v];
  const safe = arrived > over + 512 ? Math.max(512, Math.floor((arrived - over) / 8) * 8) : null;
  return ` Lower blksize below ${t.step.blksize}${safe ? ` (${safe} fits the ${arrived}-byte packets that arrived)` : ''} or fix the MTU of the path.`;
}
