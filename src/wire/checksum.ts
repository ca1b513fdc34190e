import { onesSum } from './bytes.js';

/** RFC 1071 internet checksum helpers shared by IPv4, UDP and TCP. */

/** Folds a running sum to 16 bits (sums here may exceed 32 bits only in theory). */
export function foldSum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** The final checksum value to put on the wire: the complement of the folded sum. */
export function finishChecksum(sum: number): number {
  return ~foldSum(sum) & 0xffff;
}

/** RFC 1624 eqn. 3: the checksum once bytes whose ones' complement sum was `oldSum` are replaced,
 *  in the same positions, by bytes summing to `newSum` (both folded to 16 bits). Never yields
 *  0xffff from a checksum a full computation made, so it matches one bit for bit. */
export function updateChecksum(checksum: number, oldSum: number, newSum: number): number {
  return finishChecksum((~checksum & 0xffff) + (~oldSum & 0xffff) + newSum);
}

/** The complemented RFC 1071 checksum of `b`. */
export function internetChecksum(b: Uint8Array): number {
  return finishChecksum(onesSum(b));
}

/** Sum of the IPv4 (RFC 768/9293) or IPv6 (RFC 8200 §8.1) pseudo-header: both are the addresses,
 *  the upper-layer length and the protocol, so one function serves both address sizes. */
export function pseudoHeaderSum(
  src: Uint8Array,
  dst: Uint8Array,
  protocol: number,
  upperLength: number,
): number {
  let sum = onesSum(src);
  sum = onesSum(dst, sum);
  sum += protocol;
  // IPv6 upper-layer lengths are 32 bits; add both halves.
  sum += (upperLength >>> 16) & 0xffff;
  sum += upperLength & 0xffff;
  return foldSum(sum);
}

/** Source and destination addresses of the enclosing IP header (4 or 16 bytes each). */
export interface PseudoHeader {
  src: Uint8Array;
  dst: Uint8Array;
}

/** Outcome of verifying a transport checksum. `absent`: zero checksum over IPv4 (UDP: not
 *  computed); `truncated`: bytes are missing so it cannot be verified. */
export type ChecksumStatus = 'ok' | 'bad' | 'absent' | 'truncated';

