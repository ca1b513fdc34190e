import { onesSum, putU16, u16 } from './bytes.js';
import { finishChecksum, foldSum, pseudoHeaderSum, updateChecksum, type ChecksumStatus, type PseudoHeader } from './checksum.js';
import { IpProtocol } from './ip-protocol.js';
import { pushIssue, type WireIssue } from './issues.js';

/* UDP header (RFC 768): 0-1 source port, 2-3 destination port, 4-5 length, 6-7 checksum. */
export const UDP_HEADER = 8;

export interface UdpRepr {
  srcPort: number;
  dstPort: number;
  /** Used by emit only when `fixLength` is false. */
  length?: number;
  /** Used by emit only when `computeChecksum` is false. */
  checksum?: number;
}

export interface UdpDatagram extends UdpRepr {
  length: number;
  checksum: number;
  /** Cut to the length field; shorter when truncated. */
  payload: Uint8Array;
  payloadOffset: number;
  /** False when bytes the length field promises are missing (checksum cannot be verified). */
  complete: boolean;
}

export interface UdpEmitOptions {
  /** Compute the checksum (default true); false writes `repr.checksum ?? 0` (0 = none, IPv4). */
  computeChecksum?: boolean;
  /** Write 8 + payload length (default true); false writes `repr.length ?? computed`. */
  fixLength?: boolean;
}

export function parseUdp(buf: Uint8Array, issues: WireIssue[], base = 0): UdpDatagram | null {
  if (buf.length < UDP_HEADER) {
    pushIssue(issues, 'truncated', 'udp', base + buf.length, `UDP header needs 8 bytes, have ${buf.length}`);
    return null;
  }
  const length = u16(buf, 4);
  let end = length;
  let complete = true;
  if (length < UDP_HEADER) {
    pushIssue(issues, 'malformed', 'udp', base + 4, `UDP length ${length} is below 8`);
    end = buf.length;
    complete = false;
  } else if (length > buf.length) {
    pushIssue(issues, 'truncated', 'udp', base + buf.length, `UDP length ${length}, only ${buf.length} bytes available`);
    end = buf.length;
    complete = false;
  }
  return {
    srcPort: u16(buf, 0),
    dstPort: u16(buf, 2),
    length,
    checksum: u16(buf, 6),
    payload: buf.subarray(UDP_HEADER, end),
    payloadOffset: base + UDP_HEADER,
    complete,
  };
}

function udpSum(srcPort: number, dstPort: number, length: number, checksum: number, payload: Uint8Array, pseudo: PseudoHeader): number {
  let sum = pseudoHeaderSum(pseudo.src, pseudo.dst, IpProtocol.UDP, length);
  sum += srcPort + dstPort + length + checksum;
  return onesSum(payload, foldSum(sum));
}

/** Verifies the checksum against the enclosing IP addresses (4-byte = IPv4, 16-byte = IPv6). */
export function verifyUdpChecksum(d: UdpDatagram, pseudo: PseudoHeader): ChecksumStatus {
  if (d.checksum === 0) return pseudo.src.length === 4 ? 'absent' : 'bad'; // RFC 8200 §8.1
  if (!d.complete) return 'truncated';
  return udpSum(d.srcPort, d.dstPort, d.length, d.checksum, d.payload, pseudo) === 0xffff ? 'ok' : 'bad';
}

export function udpLength(payloadLength: number): number {
  return UDP_HEADER + payloadLength;
}

/** Writes the 8-byte header into `out` at `offset`; the checksum covers `payload` (not written). */
export function writeUdpHeader(
  repr: UdpRepr,
  payload: Uint8Array,
  pseudo: PseudoHeader,
  out: Uint8Array,
  offset = 0,
  opts: UdpEmitOptions = {},
): number {
  const length = opts.fixLength === false ? (repr.length ?? UDP_HEADER + payload.length) : UDP_HEADER + payload.length;
  putU16(out, offset, repr.srcPort);
  putU16(out, offset + 2, repr.dstPort);
  putU16(out, offset + 4, length);
  let checksum: number;
  if (opts.computeChecksum === false) checksum = repr.checksum ?? 0;
  else {
    // The pseudo-header carries the length as written, so a deliberately wrong length still
    // gets the checksum a receiver would compute over it.
    checksum = finishChecksum(udpSum(repr.srcPort, repr.dstPort, length, 0, payload, pseudo));
    if (checksum === 0) checksum = 0xffff; // 0 means "no checksum" (RFC 768)
  }
  putU16(out, offset + 6, checksum);
  return UDP_HEADER;
}

/** Replaces, in place, the payload of the UDP datagram at `offset` by `payload[0..length)` (the
 *  same length as the one there), its checksum updated (RFC 1624) rather than summed over the
 *  pseudo-header again; a zero checksum (none, IPv4) stays zero. */
export function setUdpPayload(datagram: Uint8Array, offset: number, payload: Uint8Array, length: number): void {
  const start = offset + UDP_HEADER;
  if (payload.length < length) throw new RangeError(`setUdpPayload: ${length} bytes asked of a ${payload.length}-byte payload`);
  if (u16(datagram, offset + 4) !== UDP_HEADER + length) throw new RangeError(`setUdpPayload: ${length} bytes for a ${u16(datagram, offset + 4) - UDP_HEADER}-byte payload`);
  let oldSum = 0;
  let newSum = 0;
  for (let i = 0; i < length; i += 2) {
    const last = i + 1 === length;
    oldSum += (datagram[start + i]! << 8) | (last ? 0 : datagram[start + i + 1]!);
    newSum += (payload[i]! << 8) | (last ? 0 : payload[i + 1]!);
    datagram[start + i] = payload[i]!;
    if (!last) datagram[start + i + 1] = payload[i + 1]!;
  }
  const checksum = u16(datagram, offset + 6);
  if (checksum === 0) return;
  const updated = updateChecksum(checksum, foldSum(oldSum), foldSum(newSum));
  putU16(datagram, offset + 6, updated === 0 ? 0xffff : updated); // 0 means "no checksum" (RFC 768)
}

export function emitUdp(repr: UdpRepr, payload: Uint8Array, pseudo: PseudoHeader, opts: UdpEmitOptions = {}): Uint8Array {
  const out = new Uint8Array(UDP_HEADER + payload.length);
  writeUdpHeader(repr, payload, pseudo, out, 0, opts);
  out.set(payload, UDP_HEADER);
  return out;
}
