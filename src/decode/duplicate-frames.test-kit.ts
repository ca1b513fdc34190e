/**
 * Test aids for mirror-port copies: the copy a second mirror point records of a frame, and a
 * capture recorded twice (what `mergecap -w dup F F` makes, or a SPAN port mirroring both
 * directions), written with the project's own pcapng writer.
 */
import { PcapngWriter } from '../capture/writer.js';
import { readCaptureBuffer } from '../capture/index.js';
import { u16 } from '../wire/bytes.js';
import { internetChecksum } from '../wire/checksum.js';
import { EtherType } from '../wire/ethernet.js';
import { LinkType } from '../wire/link-type.js';

const VLAN_ID = 100;

/**
 * The frame as a second mirror point sees it: behind an 802.1Q tag (a trunk port), and for IP one
 * router hop later (IPv4 TTL one less with its header checksum redone, IPv6 hop limit one less).
 * Ethernet frames only; anything else comes back unchanged.
 */
export function mirrorCopy(frame: Uint8Array): Uint8Array {
  if (frame.length < 14) return frame.slice();
  const type = u16(frame, 12);
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12), 0);
  out[12] = EtherType.VLAN >> 8;
  out[13] = EtherType.VLAN & 0xff;
  out[14] = VLAN_ID >> 8;
  out[15] = VLAN_ID & 0xff;
  out.set(frame.subarray(12), 16);
  const ip = 18;
  if (type === EtherType.IPV4 && out.length >= ip + 20) {
    const ihl = (out[ip]! & 0x0f) * 4;
    out[ip + 8] = (out[ip + 8]! + 255) & 0xff;
    out[ip + 10] = 0;
    out[ip + 11] = 0;
    const sum = internetChecksum(out.subarray(ip, ip + ihl));
    out[ip + 10] = sum >> 8;
    out[ip + 11] = sum & 0xff;
  } else if (type === EtherType.IPV6 && out.length >= ip + 40) {
    out[ip + 7] = (out[ip + 7]! + 255) & 0xff;
  }
  return out;
}

export interface RecordedTwice {
  /** The pcapng file: every record of the original, then its copy `delay` seconds later, in time order. */
  bytes: Uint8Array;
  /** Per frame number of the new file (index 0 unused): the original's frame number, or null for a copy. */
  original: (number | null)[];
  records: number;
}

/** Every record of `capture` twice: as it is and as `copy` makes it, `delay` s later (mirror copies). */
export function recordTwice(capture: Uint8Array, delay: number, copy: (frame: Uint8Array) => Uint8Array = mirrorCopy): RecordedTwice {
  const recs: { time: number; data: Uint8Array; linkType: number; of: number; copy: boolean }[] = [];
  readCaptureBuffer(capture, (r) => {
    recs.push({ time: r.time, data: r.data.slice(), linkType: r.linkType, of: r.frame, copy: false });
    recs.push({ time: r.time + delay, data: r.linkType === LinkType.ETHERNET ? copy(r.data) : r.data.slice(), linkType: r.linkType, of: r.frame, copy: true });
  });
  // As a capture tool writes them: in time order (stable, so a copy never precedes its original).
  recs.sort((a, b) => a.time - b.time);
  const original: (number | null)[] = [null, ...recs.map((r) => (r.copy ? null : r.of))];
  return { bytes: writeCapture(recs), original, records: recs.length };
}

export interface PlainRecord {
  time: number;
  data: Uint8Array;
  linkType: number;
  /** The length on the wire when `data` was cut (a snap length); `data.length` when absent. */
  origLen?: number;
}

/** The records of a capture file (data copied). */
export function readRecords(capture: Uint8Array): PlainRecord[] {
  const recs: PlainRecord[] = [];
  readCaptureBuffer(capture, (r) => void recs.push({ time: r.time, data: r.data.slice(), linkType: r.linkType }));
  return recs;
}

/** A pcapng file of `recs` in the order given (one interface per link type, ns timestamps). */
export function writeCapture(recs: readonly PlainRecord[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const w = new PcapngWriter((c) => chunks.push(c));
  const ifaces = new Map<number, number>();
  for (const r of recs) {
    let id = ifaces.get(r.linkType);
    if (id === undefined) ifaces.set(r.linkType, (id = w.addInterface(r.linkType, { tsresol: 9 })));
    w.writePacket(id, r.time, r.data, r.origLen ?? r.data.length);
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.length;
  }
  return bytes;
}
