/**
 * Blind spots of the capture: devices whose exchange the capture holds one direction of (a mirror
 * port set to ingress only, a host firewall dropping before the capture point, the wrong side of a
 * relay) and frames the snap length cut short. What the capture cannot show is not a failure of
 * the network: findings that rest on something missing (no answer, no boot file, a device gone
 * quiet) are not raised where the capture could not have shown it, and those boots are left
 * unjudged, each naming its blind spot.
 */
import type { CaptureCutFacts, CutCounts, DeviceFacts } from '../flow/facts.js';
import type { FindingCode } from './catalogue.js';
import { add, type Ctx } from './rules-context.js';
import type { Finding } from './types.js';

export type BlindSpot = Extract<FindingCode, 'capture.one-sided' | 'capture.snaplen'>;

/** Answers alone, with no request of the device: fewer is a capture that began mid-exchange. */
const SERVER_ONLY_ANSWERS = 2;
/** Devices named in the capture finding. */
const LISTED = 3;

/**
 * Which side of the device's exchange the capture holds alone: `client` when it sent requests, got
 * no answer from any server, and yet acted on one (a REQUEST naming the server of an OFFER, packets
 * from an address no ACK gave it, a TFTP ACK of DATA) — a server that is really silent leaves a client retrying, never
 * using an address; `server` when servers answered it and it sent nothing.
 */
export function oneSided(d: DeviceFacts): 'client' | 'server' | null {
  const x = d.exchange;
  if (!x) return null;
  if (x.answers === 0 && x.requests > 0 && (x.selected !== null || x.unleased !== null || x.acked !== null)) return 'client';
  if (x.requests === 0 && x.answers >= SERVER_ONLY_ANSWERS) return 'server';
  return null;
}

/** What a cut must have taken to hide a finding's evidence: `dhcp` either DHCP (the identity,
 *  stages and attempt boundaries of a device come from its options); `reply` a DHCP answer to the
 *  device, which only a frame cut before its client's key can hide (op, xid and chaddr survive
 *  any snap length of 86 bytes or more). */
type Family = keyof Omit<CutCounts, 'frames' | 'identity'> | 'dhcp' | 'reply';

/** Findings that stand on something the capture does not show, and the frames whose cut would
 *  hide it (null: any cut frame of the device). `tftp.timeout` counts blocks by their headers,
 *  which a cut keeps; it is only blind to a one-sided capture. */
const ABSENCE: ReadonlyMap<FindingCode, Family | null | 'one-sided'> = new Map<FindingCode, Family | null | 'one-sided'>([
  ['dhcp.no-offer', 'reply'], ['dhcp.no-ack', 'reply'], ['dhcp.no-address-offer', 'dhcp4'], ['pxe.no-bootfile', 'dhcp4'],
  ['proxydhcp.no-reply', 'reply'], ['phone.no-provisioning-server', 'dhcp4'], ['httpboot.offer-ignored', null],
  ['dhcp6.no-advertise', 'reply'],
  // Stands on the answers the capture holds whole (the rule skips a cut one); a cut request proves no more.
  ['dhcp6.no-bootfile-url', 'one-sided'], ['tftp.timeout', 'one-sided'],
  ['boot.stopped', null], ['ipv6.boot-stall', null], ['ipxe.chainload-loop', 'dhcp'], ['pxe.arch-mismatch', 'dhcp'],
  // A transfer's completion and the client's ACKs are on the side the capture may lack. A black
  // hole's segment length counts what the cut took (wire length), so only a one-sided capture (the
  // receiver's ACKs not in it) hides it, not a cut.
  ['net.port-unreachable', 'one-sided'], ['net.arp-unanswered', 'one-sided'], ['net.pmtu-blackhole', 'one-sided'],
]);

/** Does the device's blind spot hide the evidence of a finding of this code? `cut`: the capture's
 *  cut frames. */
export function hidesEvidence(d: DeviceFacts, code: FindingCode, cut: CaptureCutFacts | undefined): boolean {
  const family = ABSENCE.get(code);
  if (family === undefined) return false;
  if (oneSided(d) !== null) return true;
  // The device's requests are its own (keyed by their chaddr); an answer to them is missing from
  // the capture unless some cut frame may hold it where no device could be given it.
  if (family === 'reply') return (cut?.unplaced ?? 0) > 0;
  if (!d.cut || family === 'one-sided') return false;
  if (family === null) return d.cut.frames > 0;
  return family === 'dhcp' ? d.cut.dhcp4 + d.cut.dhcp6 > 0 : d.cut[family] > 0;
}

/** An HTTP request seen without its response, where the device's TCP data was cut or its
 *  answers are not in the capture. */
export function hidesHttpResponse(d: DeviceFacts): boolean {
  return oneSided(d) !== null || (d.cut?.tcp ?? 0) > 0;
}

/** The blind spot that keeps the device's boot from being judged, if any: a one-sided exchange,
 *  or cut frames that carried DHCP or TCP (a cut TFTP block still counts by its headers). */
export function blindSpot(d: DeviceFacts): BlindSpot | null {
  if (oneSided(d) !== null) return 'capture.one-sided';
  const c = d.cut;
  if (c && c.dhcp4 + c.dhcp6 + c.tcp > 0) return 'capture.snaplen';
  return null;
}

/** The cut took what some request of the device says of itself (message type, vendor or user
 *  class, arch): which boot stage sent it, and so where one attempt ends and the next begins. */
export function identityCut(d: DeviceFacts): boolean {
  return (d.cut?.identity ?? 0) > 0;
}

/** What kind of device it is cannot be told from the capture: only the servers' answers to it
 *  are there, or the cut took its requests' identity (a device that looks like no boot client may
 *  be one). */
export function roleUnknown(d: DeviceFacts): boolean {
  return oneSided(d) === 'server' || identityCut(d);
}

/** Drops the findings of `out[start..]` (one device's) that its blind spot hides. */
export function dropHidden(d: DeviceFacts, out: Finding[], start: number, cut: CaptureCutFacts | undefined): void {
  let w = start;
  for (let i = start; i < out.length; i++) {
    const f = out[i]!;
    if (!hidesEvidence(d, f.code, cut)) out[w++] = f;
  }
  out.length = w;
}

/** `capture.one-sided`: the devices whose exchange the capture holds one side of, with the evidence. */
export function oneSidedFinding(ctx: Ctx, devices: readonly DeviceFacts[]): void {
  const seen: { d: DeviceFacts; side: 'client' | 'server' }[] = [];
  for (const d of devices) {
    const side = oneSided(d);
    if (side !== null) seen.push({ d, side });
  }
  if (seen.length === 0) return;
  const frames: number[] = [];
  const texts = seen.slice(0, LISTED).map(({ d, side }) => {
    const x = d.exchange!;
    if (side === 'server') return `${d.key} got ${x.answers} answers from servers and sent no request the capture holds`;
    const used: string[] = [];
    const address = x.unleased?.address ?? x.selected?.address ?? null;
    if (address !== null) used.push(`address ${address}`);
    if (x.selected?.server) used.push(`server ${x.selected.server}`);
    if (used.length === 0) used.push('a server');
    const proof: string[] = [];
    if (x.selected !== null) {
      proof.push(`${x.selected.what}, frame ${x.selected.frame}`);
      frames.push(x.selected.frame);
    }
    if (x.unleased !== null) {
      proof.push(`it sent ${x.unleased.what} from ${x.unleased.address} (frame ${x.unleased.frame})`);
      frames.push(x.unleased.frame);
    }
    if (x.acked !== null) {
      proof.push(x.acked.what);
      frames.push(x.acked.frame);
    }
    if (x.selected === null && x.unleased === null) return `client ${d.key} acknowledged answers the capture does not hold (${proof.join('; ')}); ${x.requests} request${x.requests === 1 ? '' : 's'} and no answer from any server`;
    return `client ${d.key} used ${used.join(' and ')} from a DHCP answer the capture does not hold (${proof.join('; ')}); ${x.requests} request${x.requests === 1 ? '' : 's'} and no answer from any server`;
  });
  for (const { d } of seen.slice(0, LISTED)) if (d.exchange!.unleased === null && d.exchange!.selected === null && d.exchange!.acked === null) frames.push(...d.steps[0]!.step.frames.slice(0, 1));
  const more = seen.length > LISTED ? `; and ${seen.length - LISTED} more device(s)` : '';
  const sides = new Set(seen.map((s) => s.side));
  const which = sides.size === 2 ? 'one direction' : sides.has('client') ? 'the clients\' side' : 'the servers\' side';
  add(ctx, 'capture.one-sided', null, Math.min(...seen.map((s) => s.d.first)), frames,
    `The capture holds ${which} of the exchange only: ${texts.join('; ')}${more}. The answers exist but are not in the capture, so ${seen.length === 1 ? 'this boot' : 'these boots'} cannot be judged from it.`);
}

/** `capture.snaplen`: frames cut short, the snap length, and what the cut hides. */
export function snaplenFinding(ctx: Ctx, packets: number, cut: CaptureCutFacts): void {
  const hides: string[] = [];
  if (cut.dhcp4 > 0) hides.push(`DHCP options are not in the capture (message types, boot file, client identity: ${cut.dhcp4} DHCPv4 message(s) cut)`);
  if (cut.dhcp6 > 0) hides.push(`DHCPv6 options are not in the capture (${cut.dhcp6} message(s) cut)`);
  if (cut.tcp > 0) hides.push(`HTTP and other TCP streams cannot be rebuilt (${cut.tcp} segment(s) with data cut)`);
  if (cut.tftp > 0) hides.push(`TFTP data is not in the capture (${cut.tftp} packet(s) cut; block sizes are taken from their headers)`);
  if (cut.unplaced > 0) hides.push(`${cut.unplaced} frame(s) were cut before the client they concern can be told (their IP header, UDP ports, or the DHCP fields naming the client), so a DHCP answer missing from a device may be among them`);
  const what = hides.length > 0 ? hides.join('; ') : 'the end of those frames is not in the capture';
  const { by, fix } = cutBy(cut);
  add(ctx, 'capture.snaplen', null, ctx.end, cut.sample,
    `${cut.frames} of ${packets} frames were cut to ${cut.snap} bytes by ${by} (first ${cut.sample.slice(0, 4).join(', ')}): ${what}. Boots that depend on what was cut cannot be judged: ${fix}.`);
}

/** What cut the frames, and how to capture them whole: a remote mirror's frames are cut by the
 *  switch (ERSPAN's T bit, the session's MTU) or by the collector, whose snap length counts the
 *  tunnel headers in front of the mirrored frame. */
function cutBy(cut: CaptureCutFacts): { by: string; fix: string } {
  const outside = cut.frames - cut.byMirror - cut.byCollector;
  // Frames outside the tunnel on a collector capture (the collector's own ICMP) were cut by the
  // same snap length: one cause, counted with the mirrored frames it cut.
  const collector = cut.byCollector > 0 ? cut.byCollector + outside : 0;
  const own = cut.byCollector > 0 ? 0 : outside;
  const by: string[] = [];
  const fix: string[] = [];
  if (cut.byMirror > 0) {
    by.push(`the mirroring switch${own + collector > 0 ? ` (${cut.byMirror} frame(s))` : ''}, which truncated the mirrored frames before sending them (ERSPAN's truncated bit, the session's MTU; the collector recorded its packets whole)`);
    fix.push('raise the mirror session\'s MTU or turn its truncation off');
  }
  if (cut.byCollector > 0) {
    const counts = [...(cut.byMirror > 0 ? [`${collector} frame(s)`] : []), ...(outside > 0 ? [`${outside} of them its own traffic`] : [])];
    by.push(`the collector's snap length${counts.length > 0 ? ` (${counts.join(', ')})` : ''}, which counts the ${cut.encapsulation} bytes of tunnel headers in front of each mirrored frame`);
    fix.push('re-capture on the collector with `tcpdump -s 0`');
  }
  if (own > 0) {
    by.push(`the capture's snap length${by.length > 0 ? ` (${own} frame(s))` : ''}`);
    if (cut.byCollector === 0) fix.push('re-capture with `tcpdump -s 0`');
  }
  return { by: by.join(' and '), fix: fix.join('; ') };
}
