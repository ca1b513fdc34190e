/**
 * Test aids for remote mirrors: a capture's frames as a collector receives them from a switch's
 * ERSPAN / gretap / IP-in-GRE session or a VXLAN mirror, built with the wire emitters (what a kernel
 * without ip_gre cannot make for real), optionally truncated to a mirror MTU (ERSPAN's T bit) or
 * fragmented on the way (a tunnel packet past the path MTU).
 */
import { writeCapture } from './duplicate-frames.test-kit.js';
import { readCaptureBuffer } from '../capture/index.js';
import { ipv4FromString } from '../wire/bytes.js';
import { EtherType, emitEthernet } from '../wire/ethernet.js';
import { emitErspan } from '../wire/erspan.js';
import { emitGre } from '../wire/gre.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { emitIpv4 } from '../wire/ipv4.js';
import { LinkType } from '../wire/link-type.js';
import { UdpPort } from '../wire/ports.js';
import { emitUdp } from '../wire/udp.js';
import { emitVxlan } from '../wire/vxlan.js';

export type MirrorKind = 'erspan1' | 'erspan2' | 'erspan3' | 'gretap' | 'ip-gre' | 'vxlan';

export interface MirrorOptions {
  kind: MirrorKind;
  /** ERSPAN session, GRE key, VXLAN VNI (default 7). */
  session?: number;
  /** The switch and the collector (default 203.0.113.1 → 203.0.113.2). */
  src?: string;
  dst?: string;
  /** ERSPAN: cut mirrored frames to this many bytes and set T (a mirror MTU). */
  mirrorMtu?: number;
  /** Fragment the outer IPv4 packet into pieces of this many payload bytes (a multiple of 8). */
  fragmentAt?: number;
  /** ERSPAN II/III: the original frame's VLAN in the header (default 0), and type II's En
   *  (default 0, "originally without VLAN tag"; 3: the tag stayed in the frame). */
  vlan?: number;
  encap?: number;
}

export interface CaptureRecordOut {
  time: number;
  data: Uint8Array;
  linkType: number;
  /** Length on the wire (default data.length): more for a snap-length cut. */
  origLen?: number;
}

const SWITCH_MAC = '02:00:5e:00:01:01';
const COLLECTOR_MAC = '02:00:5e:00:01:02';

/** The outer frames that carry `frame` (Ethernet; IP-in-GRE takes its IP packet) from the mirror. */
export function mirrored(frame: Uint8Array, seq: number, o: MirrorOptions): Uint8Array[] {
  const session = o.session ?? 7;
  const src = o.src ?? '203.0.113.1';
  const dst = o.dst ?? '203.0.113.2';
  let inner = frame;
  let truncated = false;
  if (o.mirrorMtu !== undefined && inner.length > o.mirrorMtu) {
    inner = inner.subarray(0, o.mirrorMtu);
    truncated = true;
  }
  let payload: Uint8Array;
  let protocol: number = IpProtocol.GRE;
  switch (o.kind) {
    case 'erspan1': payload = emitGre({ protocolType: EtherType.ERSPAN }, inner); break;
    case 'erspan2':
      payload = emitGre({ protocolType: EtherType.ERSPAN, sequence: seq },
        emitErspan({ type: 2, vlan: o.vlan ?? 0, cos: 0, encap: o.encap ?? 0, truncated, session, index: 1 }, inner));
      break;
    case 'erspan3':
      payload = emitGre({ protocolType: EtherType.ERSPAN3, sequence: seq },
        emitErspan({ type: 3, vlan: o.vlan ?? 0, cos: 0, encap: 0, truncated, session, timestamp: seq * 1000, sgt: 0, flags: 0x0001, platform: new Uint8Array(8) }, inner));
      break;
    case 'gretap': payload = emitGre({ protocolType: EtherType.TEB, key: session }, inner); break;
    case 'ip-gre': payload = emitGre({ protocolType: EtherType.IPV4 }, inner.subarray(14)); break;
    case 'vxlan':
      protocol = IpProtocol.UDP;
      payload = emitUdp({ srcPort: 49152 + (seq % 1000), dstPort: UdpPort.VXLAN }, emitVxlan({ vni: session }, inner), { src: ipv4FromString(src), dst: ipv4FromString(dst) });
      break;
  }
  const ip = { dscp: 0, ecn: 0, identification: seq & 0xffff, df: false, ttl: 62, protocol, src, dst };
  const eth = { dst: COLLECTOR_MAC, src: SWITCH_MAC, vlans: [], etherType: EtherType.IPV4 };
  const step = o.fragmentAt;
  if (step === undefined || payload.length <= step) return [emitEthernet(eth, emitIpv4({ ...ip, mf: false, fragmentOffset: 0 }, payload))];
  const out: Uint8Array[] = [];
  for (let at = 0; at < payload.length; at += step) {
    const more = at + step < payload.length;
    out.push(emitEthernet(eth, emitIpv4({ ...ip, mf: more, fragmentOffset: at }, payload.subarray(at, at + step))));
  }
  return out;
}

/** Every Ethernet record of `capture` through mirror session(s) `sessions`, each copy `delay` s
 *  after the previous session's (two sessions: both directions of two mirrored ports). */
export function throughMirror(capture: Uint8Array, sessions: readonly MirrorOptions[], delay = 0.000_02): CaptureRecordOut[] {
  const out: CaptureRecordOut[] = [];
  let seq = 0;
  readCaptureBuffer(capture, (r) => {
    if (r.linkType !== LinkType.ETHERNET) return;
    sessions.forEach((o, i) => {
      for (const data of mirrored(r.data, seq++, o)) out.push({ time: r.time + i * delay, data, linkType: LinkType.ETHERNET });
    });
  });
  return out.sort((a, b) => a.time - b.time);
}

/** The records of `capture`, each cut to `snap` bytes (its original length kept). */
export function snapped(capture: Uint8Array, snap: number): CaptureRecordOut[] {
  const out: CaptureRecordOut[] = [];
  readCaptureBuffer(capture, (r) => void out.push({ time: r.time, data: r.data.slice(0, snap), linkType: r.linkType, origLen: r.origLen }));
  return out;
}

/** A pcapng file of `recs` in the order given. */
export const writeRecords = (recs: readonly CaptureRecordOut[]): Uint8Array => writeCapture(recs);

/** The Ethernet records of `capture`, each in an 802.1Q tag with VLAN id `vid` (a trunk port's capture). */
export function tagged(capture: Uint8Array, vid: number): CaptureRecordOut[] {
  const out: CaptureRecordOut[] = [];
  readCaptureBuffer(capture, (r) => {
    if (r.linkType !== LinkType.ETHERNET || r.data.length < 14) return;
    const b = r.data;
    const data = new Uint8Array(b.length + 4);
    data.set(b.subarray(0, 12), 0);
    data.set([0x81, 0x00, vid >> 8, vid & 0xff], 12);
    data.set(b.subarray(12), 16);
    out.push({ time: r.time, data, linkType: r.linkType });
  });
  return out;
}
