/** A real capture followed by itself: the same machines booting again (bench/field-truth.mjs's
 *  `twice`, with a gap of the test's choosing), for reboot tests built from field captures. */
import { PcapWriter } from '../../src/capture/writer.js';
import { EtherType, emitEthernet, isVlanTpid, parseEthernet } from '../../src/wire/ethernet.js';
import { emitIpv4, parseIpv4 } from '../../src/wire/ipv4.js';
import { IpProtocol } from '../../src/wire/ip-protocol.js';
import { LinkType } from '../../src/wire/link-type.js';
import { onesSum, u16 } from '../../src/wire/bytes.js';
import { finishChecksum, pseudoHeaderSum } from '../../src/wire/checksum.js';
import { emitTcp, parseTcp, TcpFlag } from '../../src/wire/tcp.js';
import type { WireIssue } from '../../src/wire/issues.js';
import { loadFrames, type FixtureFrame } from './frames.js';

export interface SpliceOptions {
  /** Added to every TCP sequence and acknowledgement number of the copy (both directions): the
   *  machines drew other ISNs. 0 (default): the same ISNs, as a reset machine re-seeded alike. */
  isnShift?: number;
}

/**
 * The capture (an Ethernet one), then its copy starting `gap` seconds after its last frame: same
 * MACs, addresses, ports and xids. A little-endian microsecond pcap; the copy's frames are numbered
 * after the original's (frame n + count).
 */
export function spliceAfterItself(file: string, gap: number, opts: SpliceOptions = {}): { bytes: Uint8Array; frames: number; last: number; shift: number } {
  const frames = loadFrames(file);
  if (frames.some((f) => f.linkType !== LinkType.ETHERNET)) throw new Error(`${file}: not all Ethernet`);
  const first = frames[0]!.time;
  const last = frames.at(-1)!.time;
  const shift = last - first + gap;
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c), LinkType.ETHERNET, { snaplen: 262144 });
  for (const f of frames) w.writePacket(f.time, f.data);
  for (const f of frames) w.writePacket(f.time + shift, opts.isnShift ? shiftTcp(f.data, opts.isnShift) : f.data);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return { bytes: out, frames: frames.length, last, shift };
}

/**
 * The capture with a copy of each frame that `copied` picks (by 0-based index) `delay` seconds
 * after it, in time order: what two mirror sessions, merged taps or `-i any` on a hypervisor
 * record (`editcap -t delay` of those frames, then `mergecap`). A little-endian microsecond pcap.
 */
export function withLateCopies(file: string, delay: number, copied: (index: number) => boolean): Uint8Array {
  const frames = loadFrames(file);
  if (frames.some((f) => f.linkType !== LinkType.ETHERNET)) throw new Error(`${file}: not all Ethernet`);
  const all = frames.map((f) => ({ time: f.time, data: f.data }));
  frames.forEach((f, i) => { if (copied(i)) all.push({ time: f.time + delay, data: f.data }); });
  all.sort((a, b) => a.time - b.time); // stable: an original before its copy at the same time
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c), LinkType.ETHERNET, { snaplen: 262144 });
  for (const f of all) w.writePacket(f.time, f.data);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

/**
 * The capture as a late-started or snap-length-limited capture records it: the frames from index
 * `from` on (field truth's `late` drops the first third), each cut to `snap` bytes with its
 * original length kept (`tcpdump -s`, `editcap -s`). A little-endian microsecond pcap.
 */
export function cutCapture(file: string, opts: { from?: number; snap?: number }): Uint8Array {
  const frames = loadFrames(file);
  if (frames.some((f) => f.linkType !== LinkType.ETHERNET)) throw new Error(`${file}: not all Ethernet`);
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c), LinkType.ETHERNET, { snaplen: opts.snap ?? 262144 });
  for (const f of frames.slice(opts.from ?? 0)) w.writePacket(f.time, opts.snap === undefined ? f.data : f.data.subarray(0, opts.snap), f.data.length);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

/** A copy of an untagged Ethernet/IPv4/TCP frame with seq (and ack, when ACK is set) + `by`, its
 *  checksum recomputed; any other frame as it is. A VLAN-tagged frame or IPv6 that may carry TCP
 *  throws: its TCP would keep the old numbers, a splice that silently tests nothing. */
function shiftTcp(frame: Uint8Array, by: number): Uint8Array {
  const type = frame.length >= 14 ? u16(frame, 12) : -1;
  // IPv6 carrying anything but UDP or ICMPv6 directly (TCP, or behind extension headers).
  const ipv6Tcp = type === EtherType.IPV6 && frame.length > 20 && frame[20] !== IpProtocol.UDP && frame[20] !== IpProtocol.ICMPV6;
  if (ipv6Tcp || isVlanTpid(type)) throw new Error(`isnShift handles TCP over untagged IPv4 only (EtherType 0x${type.toString(16)})`);
  if (frame.length < 34 || type !== EtherType.IPV4 || frame[23] !== IpProtocol.TCP) return frame;
  const ihl = (frame[14]! & 0x0f) * 4;
  const end = 14 + u16(frame, 16);
  const t = 14 + ihl;
  if (end > frame.length || t + 20 > end) return frame;
  const out = frame.slice();
  const v = new DataView(out.buffer);
  v.setUint32(t + 4, (v.getUint32(t + 4) + by) >>> 0);
  if ((out[t + 13]! & TcpFlag.ACK) !== 0) v.setUint32(t + 8, (v.getUint32(t + 8) + by) >>> 0);
  v.setUint16(t + 16, 0);
  const sum = onesSum(out.subarray(t, end), pseudoHeaderSum(out.subarray(26, 30), out.subarray(30, 34), IpProtocol.TCP, end - t));
  v.setUint16(t + 16, finishChecksum(sum));
  return out;
}

/** Frames in time order as a little-endian microsecond Ethernet pcap; with `snap`, each cut to
 *  that many bytes with its original length kept (`editcap -s`). Frames of several captures merge
 *  by time (`mergecap`). */
export function ethernetPcap(frames: readonly { time: number; data: Uint8Array }[], opts: { snap?: number } = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c.slice()), LinkType.ETHERNET, { snaplen: opts.snap ?? 262144 });
  for (const f of [...frames].sort((a, b) => a.time - b.time)) w.writePacket(f.time, opts.snap === undefined ? f.data : f.data.subarray(0, opts.snap), f.data.length);
  return Buffer.concat(chunks);
}

/** Frames of an Ethernet capture moved in time so that the first starts at `start` (`editcap -t`). */
export function movedTo(frames: readonly FixtureFrame[], start: number): { time: number; data: Uint8Array }[] {
  if (frames.some((f) => f.linkType !== LinkType.ETHERNET)) throw new Error(`${frames[0]?.file}: not all Ethernet`);
  const shift = start - (frames[0]?.time ?? start);
  return frames.map((f) => ({ time: f.time + shift, data: f.data }));
}

/** The RST a host that has no such connection (it rebooted) sends back to an untagged
 *  Ethernet/IPv4 TCP segment carrying ACK: RFC 9293 §3.10.7.1, `<SEQ=SEG.ACK><CTL=RST>`, from
 *  the segment's destination to its source. */
export function resetAnswering(frame: Uint8Array): Uint8Array {
  const issues: WireIssue[] = [];
  const eth = parseEthernet(frame, issues);
  const ip = eth?.etherType === EtherType.IPV4 && eth.vlans.length === 0 ? parseIpv4(eth.payload, issues) : null;
  const tcp = ip?.protocol === IpProtocol.TCP ? parseTcp(ip.payload, issues) : null;
  if (!eth || !ip || !tcp || (tcp.flags & TcpFlag.ACK) === 0) throw new Error('resetAnswering: not an untagged IPv4 TCP segment with ACK');
  const rst = emitTcp({ srcPort: tcp.dstPort, dstPort: tcp.srcPort, seq: tcp.ack, ack: 0, flags: TcpFlag.RST, window: 0, urgent: 0 },
    new Uint8Array(0), { src: ip.dstBytes, dst: ip.srcBytes });
  const packet = emitIpv4({ dscp: 0, ecn: 0, identification: 0, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.TCP, src: ip.dst, dst: ip.src }, rst);
  return emitEthernet({ ...eth, src: eth.dst, dst: eth.src }, packet);
}
