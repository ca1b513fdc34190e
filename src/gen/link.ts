/**
 * Ethernet II header for generated frames. TEMPORARY: src/wire/ethernet.ts (emitEthernet) did not
 * exist yet when the generator was written; once it does, this file should delegate to it so
 * there is one Ethernet encoder. Kept to 14 bytes of dst/src/type: nothing here a codec decides.
 */
import { putU16 } from '../wire/bytes.js';

export const ETHERNET_HEADER = 14;
export const ETHERTYPE_IPV4 = 0x0800;

/** Writes destination, source and EtherType at `offset`; returns the header length. */
export function writeEthernetHeader(dst: Uint8Array, src: Uint8Array, etherType: number, out: Uint8Array, offset = 0): number {
  out.set(dst.subarray(0, 6), offset);
  out.set(src.subarray(0, 6), offset + 6);
  putU16(out, offset + 12, etherType);
  return ETHERNET_HEADER;
}
