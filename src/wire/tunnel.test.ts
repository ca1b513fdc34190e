import { describe, expect, it } from 'vitest';
import { bytesEqual } from './bytes.js';
import { EtherType, emitEthernet } from './ethernet.js';
import { emitErspan, parseErspan, type ErspanRepr } from './erspan.js';
import { emitGre, parseGre, type GreRepr } from './gre.js';
import { internetChecksum } from './checksum.js';
import { IpProtocol } from './ip-protocol.js';
import { emitIpv4 } from './ipv4.js';
import { emitIpv6 } from './ipv6.js';
import type { WireIssue } from './issues.js';
import { LinkType } from './link-type.js';
import { UdpPort } from './ports.js';
import { emitUdp } from './udp.js';
import { emitVxlan, parseVxlan } from './vxlan.js';
import { FrameDissector } from './frame/dissect.js';
import { MAX_TUNNEL_DEPTH, tunnelShortText, tunnelText } from './tunnel.js';
import { join } from 'node:path';
import { loadFrames } from '../../test/helpers/frames.js';
import { ROOT } from '../../test/helpers/paths.js';

const PAYLOAD = Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 1, 2, 3);

describe('GRE', () => {
  const reprs: GreRepr[] = [
    { protocolType: EtherType.TEB },
    { protocolType: EtherType.ERSPAN, sequence: 0xfffffffe },
    { protocolType: EtherType.IPV4, key: 42 },
    { protocolType: EtherType.ERSPAN3, checksum: 0, key: 7, sequence: 9 },
  ];
  for (const r of reprs) {
    it(`parse(emit(x)) == x and emit(parse(b)) == b: ${JSON.stringify(r)}`, () => {
      const b = emitGre(r, PAYLOAD);
      const issues: WireIssue[] = [];
      const p = parseGre(b, issues, 100)!;
      expect(issues).toEqual([]);
      expect(p.protocolType).toBe(r.protocolType);
      expect(p.key).toBe(r.key ?? null);
      expect(p.sequence).toBe(r.sequence ?? null);
      expect([...p.payload]).toEqual([...PAYLOAD]);
      expect(p.payloadOffset).toBe(100 + p.headerLength);
      if (r.checksum != null) expect(internetChecksum(b)).toBe(0); // the checksum covers header and payload
      expect(bytesEqual(emitGre(p, p.payload), b)).toBe(true);
    });
  }

  it('reports a cut header, routing (RFC 1701) and version 1 (PPTP) without throwing', () => {
    const b = emitGre({ protocolType: EtherType.TEB, key: 1, sequence: 2 }, new Uint8Array(0));
    for (let n = 0; n < b.length; n++) {
      const issues: WireIssue[] = [];
      expect(parseGre(b.subarray(0, n), issues, 10)).toBeNull();
      expect(issues).toEqual([expect.objectContaining({ kind: 'truncated', layer: 'gre', offset: 10 + n })]);
    }
    const routing = Uint8Array.of(0x40, 0, 0x65, 0x58, 0, 0, 0, 0);
    const pptp = Uint8Array.of(0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0);
    for (const bad of [routing, pptp]) {
      const issues: WireIssue[] = [];
      expect(parseGre(bad, issues)).toBeNull();
      expect(issues[0]?.kind).toBe('unsupported');
    }
  });
});

describe('ERSPAN', () => {
  const reprs: ErspanRepr[] = [
    { type: 2, vlan: 100, cos: 5, encap: 3, truncated: true, session: 1023, index: 0xabcde },
    { type: 3, vlan: 0, cos: 0, encap: 0, truncated: false, session: 7, timestamp: 0x12345678, sgt: 0xbeef, flags: 0x0006 },
    { type: 3, vlan: 4095, cos: 7, encap: 2, truncated: true, session: 1, timestamp: 1, sgt: 2, flags: 0x8007, platform: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
  ];
  for (const r of reprs) {
    it(`parse(emit(x)) == x: type ${r.type === 2 ? 'II' : 'III'}${r.platform ? ' with the platform sub-header' : ''}`, () => {
      const b = emitErspan(r, PAYLOAD);
      const issues: WireIssue[] = [];
      const p = parseErspan(r.type, b, issues, 40)!;
      expect(issues).toEqual([]);
      const { headerLength, payload, payloadOffset, ...repr } = p;
      expect({ ...repr, platform: repr.platform ? [...repr.platform] : repr.platform }).toEqual({
        ...r, ...(r.type === 3 ? { platform: r.platform ? [...r.platform] : null } : {}),
      });
      expect(headerLength).toBe(r.type === 2 ? 8 : r.platform ? 20 : 12);
      expect(payloadOffset).toBe(40 + headerLength);
      expect([...payload]).toEqual([...PAYLOAD]);
      expect(bytesEqual(emitErspan(p, payload), b)).toBe(true);
    });
  }

  it('refuses the wrong version, a frame type that is not Ethernet, a cut header', () => {
    const two = emitErspan(reprs[0]!, PAYLOAD);
    const issues: WireIssue[] = [];
    expect(parseErspan(3, two, issues)).toBeNull(); // version 1 where III (version 2) is due
    const ipFrame = emitErspan({ ...reprs[1]!, flags: 2 << 10 }, PAYLOAD);
    expect(parseErspan(3, ipFrame, issues)).toBeNull();
    expect(parseErspan(3, emitErspan(reprs[2]!, new Uint8Array(0)).subarray(0, 15), issues)).toBeNull();
    expect(issues.map((i) => i.kind)).toEqual(['malformed', 'unsupported', 'truncated']);
  });
});

describe('VXLAN', () => {
  it('the real frames of a kernel VXLAN mirror (captures/lab/remote-mirror-vxlan.pcap): VNI 42, emit(parse(b)) == b', () => {
    const d = new FrameDissector();
    let n = 0;
    for (const f of loadFrames(join(ROOT, 'captures/lab/remote-mirror-vxlan.pcap'))) {
      d.dissect(f.linkType, f.data, []);
      if (d.transport !== IpProtocol.UDP || d.dstPort !== UdpPort.VXLAN) continue;
      const b = d.udpPayload();
      const issues: WireIssue[] = [];
      const p = parseVxlan(b, issues)!;
      expect([p.vni, p.flags, issues]).toEqual([42, 0x08, []]);
      expect(bytesEqual(emitVxlan(p, p.payload), b)).toBe(true);
      n++;
    }
    expect(n).toBeGreaterThan(20);
  });

  it('parse(emit(x)) == x; no I flag is no VXLAN', () => {
    const b = emitVxlan({ vni: 0xabcdef }, PAYLOAD);
    const issues: WireIssue[] = [];
    const p = parseVxlan(b, issues, 50)!;
    expect([p.vni, p.flags, p.payloadOffset, [...p.payload]]).toEqual([0xabcdef, 0x08, 58, [...PAYLOAD]]);
    expect(bytesEqual(emitVxlan(p, p.payload), b)).toBe(true);
    expect(parseVxlan(emitVxlan({ vni: 1, flags: 0 }, PAYLOAD), issues)).toBeNull();
    expect(parseVxlan(b.subarray(0, 7), issues)).toBeNull();
    expect(issues.map((i) => i.kind)).toEqual(['malformed', 'truncated']);
  });
});

// ---- the dissector takes them off ----

const CLIENT_MAC = '02:00:00:00:00:0a';
const SWITCH_MAC = '02:00:00:00:01:01';
const COLLECTOR_MAC = '02:00:00:00:01:02';
const V4 = { dscp: 0, ecn: 0, identification: 1, df: false, mf: false, fragmentOffset: 0, ttl: 64 };
const addr = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));

/** The mirrored frame: a DHCP DISCOVER-sized UDP datagram from 0.0.0.0 to broadcast. */
function innerFrame(dataLength = 300): Uint8Array {
  const udp = emitUdp({ srcPort: UdpPort.DHCP_CLIENT, dstPort: UdpPort.DHCP_SERVER }, new Uint8Array(dataLength).fill(7), { src: addr('0.0.0.0'), dst: addr('255.255.255.255') });
  const ip = emitIpv4({ ...V4, protocol: IpProtocol.UDP, src: '0.0.0.0', dst: '255.255.255.255' }, udp);
  return emitEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: CLIENT_MAC, vlans: [], etherType: EtherType.IPV4 }, ip);
}

/** Outer Ethernet + IPv4 (switch 198.51.100.1 → collector 198.51.100.2) around `payload` of `protocol`. */
function outer(protocol: number, payload: Uint8Array, src = '198.51.100.1', dst = '198.51.100.2'): Uint8Array {
  const ip = emitIpv4({ ...V4, protocol, src, dst }, payload);
  return emitEthernet({ dst: COLLECTOR_MAC, src: SWITCH_MAC, vlans: [], etherType: EtherType.IPV4 }, ip);
}

function vxlanDatagram(inner: Uint8Array, vni: number): Uint8Array {
  return emitUdp({ srcPort: 50000, dstPort: UdpPort.VXLAN }, emitVxlan({ vni }, inner), { src: addr('198.51.100.1'), dst: addr('198.51.100.2') });
}

const erspan2 = (inner: Uint8Array, session: number, truncated = false): Uint8Array =>
  emitGre({ protocolType: EtherType.ERSPAN, sequence: 1 }, emitErspan({ type: 2, vlan: 0, cos: 0, encap: 0, truncated, session, index: 0 }, inner));

describe('FrameDissector with tunnels', () => {
  const inner = innerFrame();
  const cases: [string, Uint8Array, string][] = [
    ['gretap', outer(IpProtocol.GRE, emitGre({ protocolType: EtherType.TEB, key: 5 }, inner)), 'gre key 5 from 198.51.100.1'],
    ['ERSPAN I', outer(IpProtocol.GRE, emitGre({ protocolType: EtherType.ERSPAN }, inner)), 'erspan1 from 198.51.100.1'],
    ['ERSPAN II', outer(IpProtocol.GRE, erspan2(inner, 7)), 'erspan2 session 7 from 198.51.100.1'],
    ['ERSPAN III + platform', outer(IpProtocol.GRE, emitGre({ protocolType: EtherType.ERSPAN3, sequence: 3 },
      emitErspan({ type: 3, vlan: 0, cos: 0, encap: 0, truncated: false, session: 9, flags: 1, platform: new Uint8Array(8) }, inner))), 'erspan3 session 9 from 198.51.100.1'],
    ['VXLAN', outer(IpProtocol.UDP, vxlanDatagram(inner, 4242)), 'vxlan VNI 4242 from 198.51.100.1'],
  ];
  const plain = new FrameDissector();
  plain.dissect(LinkType.ETHERNET, inner, []);
  const want = { srcMac: plain.srcMac, src: plain.src, dst: plain.dst, transport: plain.transport, dstPort: plain.dstPort, ipLength: plain.ipLength, payload: [...plain.udpPayload()] };

  for (const [name, frame, text] of cases) {
    it(`${name}: every slot is the mirrored frame's, offsets in the outer frame; ${text}`, () => {
      const d = new FrameDissector({ tunnels: true });
      const issues: WireIssue[] = [];
      d.dissect(LinkType.ETHERNET, frame, issues, 1);
      expect(issues).toEqual([]);
      expect({ srcMac: d.srcMac, src: d.src, dst: d.dst, transport: d.transport, dstPort: d.dstPort, ipLength: d.ipLength, payload: [...d.udpPayload()] }).toEqual(want);
      expect(d.linkOffset).toBe(frame.length - inner.length);
      expect(bytesEqual(d.frame.subarray(d.linkOffset), inner)).toBe(true);
      expect(tunnelShortText(d.tunnel!)).toBe(text);
      // The same session is the same object frame after frame, and counted.
      const first = d.tunnel;
      d.dissect(LinkType.ETHERNET, frame, [], 2);
      expect(d.tunnel).toBe(first);
      expect(d.tunnelsSeen).toEqual([{ tunnel: first, frames: 2, firstFrame: 1 }]);
      // Without the option, the tunnel packet is what the dissector reports.
      plain.dissect(LinkType.ETHERNET, frame, []);
      expect(plain.src).toBe('198.51.100.1');
    });
  }

  it('IP in GRE: the inner IPv6 packet, no MACs', () => {
    const udp = emitUdp({ srcPort: UdpPort.DHCPV6_CLIENT, dstPort: UdpPort.DHCPV6_SERVER }, Uint8Array.of(1, 2, 3), { src: new Uint8Array(16).fill(1), dst: new Uint8Array(16).fill(2) });
    const ip6 = emitIpv6({ trafficClass: 0, flowLabel: 0, hopLimit: 1, nextHeader: IpProtocol.UDP, src: '2001:db8::1', dst: '2001:db8::2' }, udp);
    const d = new FrameDissector({ tunnels: true });
    const issues: WireIssue[] = [];
    d.dissect(LinkType.ETHERNET, outer(IpProtocol.GRE, emitGre({ protocolType: EtherType.IPV6 }, ip6)), issues);
    expect(issues).toEqual([]);
    expect([d.srcMac, d.ipVersion, d.src, d.dstPort, [...d.udpPayload()]]).toEqual([null, 6, '2001:db8::1', UdpPort.DHCPV6_SERVER, [1, 2, 3]]);
  });

  it(`nests at most ${MAX_TUNNEL_DEPTH} levels: a third is reported, never recursed into`, () => {
    const d = new FrameDissector({ tunnels: true });
    const two = outer(IpProtocol.UDP, vxlanDatagram(outer(IpProtocol.GRE, erspan2(inner, 3), '203.0.113.1', '203.0.113.2'), 77));
    d.dissect(LinkType.ETHERNET, two, []);
    expect([d.src, d.dstPort]).toEqual(['0.0.0.0', UdpPort.DHCP_SERVER]);
    expect(tunnelText(d.tunnel!)).toBe('ERSPAN type II session 3 from 203.0.113.1 to 203.0.113.2 (inside VXLAN VNI 77 from 198.51.100.1 to 198.51.100.2)');
    let hostile: Uint8Array = inner;
    for (let i = 0; i < 50; i++) hostile = outer(IpProtocol.GRE, emitGre({ protocolType: EtherType.TEB }, hostile));
    const issues: WireIssue[] = [];
    d.dissect(LinkType.ETHERNET, hostile, issues);
    expect(issues.map((i) => [i.kind, i.layer])).toEqual([['unsupported', 'tunnel']]);
    expect([d.ipVersion, d.transport]).toEqual([0, -1]);
  });

  it('a bad tunnel header is an issue and leaves the outer packet; a truncated (T) mirror shows in the inner IP length', () => {
    const d = new FrameDissector({ tunnels: true });
    const issues: WireIssue[] = [];
    const badVersion = outer(IpProtocol.GRE, emitGre({ protocolType: EtherType.ERSPAN3, sequence: 1 }, erspan2(inner, 1).subarray(8)));
    d.dissect(LinkType.ETHERNET, badVersion, issues);
    expect([d.src, d.tunnel, issues.map((i) => i.layer)]).toEqual(['198.51.100.1', null, ['erspan']]);
    const cut = outer(IpProtocol.GRE, erspan2(inner.subarray(0, 100), 7, true));
    issues.length = 0;
    d.dissect(LinkType.ETHERNET, cut, issues);
    expect([d.src, d.ipLength, d.frame.length - d.ipOffset]).toEqual(['0.0.0.0', inner.length - 14, 100 - 14]);
    expect(issues.some((i) => i.kind === 'truncated')).toBe(true);
  });
  it('UDP to 4789 that is not clearly VXLAN stays plain UDP, without an issue (a DNS answer whose ID has the I bit)', () => {
    const d = new FrameDissector({ tunnels: true });
    // A DNS answer to a client that picked 4789: ID 0x0812 (first byte 0x08 = VXLAN's I flag), 1 question, 1 or 0 answers.
    for (const answers of [1, 0]) {
      const dns = Uint8Array.of(0x08, 0x12, 0x81, 0x80, 0, 1, 0, answers, 0, 0, 0, 0, 7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0, 0, 1, 0, 1);
      const udp = emitUdp({ srcPort: 53, dstPort: UdpPort.VXLAN }, dns, { src: addr('198.51.100.53'), dst: addr('198.51.100.2') });
      const issues: WireIssue[] = [];
      d.dissect(LinkType.ETHERNET, outer(IpProtocol.UDP, udp, '198.51.100.53'), issues, 1);
      expect(issues).toEqual([]);
      expect([d.tunnel, d.src, d.srcPort, d.dstPort, [...d.udpPayload()]]).toEqual([null, '198.51.100.53', 53, UdpPort.VXLAN, [...dns]]);
    }
    // A TFTP ACK/DATA on a transfer port of 4789: shorter than any VXLAN frame, or flags that are not VXLAN's.
    for (const tftp of [Uint8Array.of(0, 4, 0, 1), Uint8Array.of(0, 3, 0, 2, ...new Uint8Array(512).fill(0x41))]) {
      const udp = emitUdp({ srcPort: 43124, dstPort: UdpPort.VXLAN }, tftp, { src: addr('198.51.100.1'), dst: addr('198.51.100.2') });
      const issues: WireIssue[] = [];
      d.dissect(LinkType.ETHERNET, outer(IpProtocol.UDP, udp), issues, 2);
      expect([issues, d.tunnel, d.srcPort, d.udpPayload().length]).toEqual([[], null, 43124, tftp.length]);
    }
    expect(d.tunnelsSeen).toEqual([]);
  });

  it('GRE that is not a mirror: PPTP (version 1), WCCP, keepalives stay as they are, silently; IP in GRE is a routed tunnel', () => {
    const d = new FrameDissector({ tunnels: true });
    const pptp = Uint8Array.of(0x30, 0x81, 0x88, 0x0b, 0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0x03);
    const wccp = emitGre({ protocolType: 0x883e }, Uint8Array.of(0, 0, 0, 0, ...inner));
    // A Cisco GRE keepalive: IPv4 (R2 → R1) carrying GRE with protocol type 0, inside GRE R1 → R2.
    const keepalive = emitGre({ protocolType: EtherType.IPV4 }, emitIpv4({ ...V4, protocol: IpProtocol.GRE, src: '198.51.100.2', dst: '198.51.100.1' }, emitGre({ protocolType: 0 }, new Uint8Array(0))));
    for (const gre of [pptp, wccp, keepalive]) {
      const issues: WireIssue[] = [];
      d.dissect(LinkType.ETHERNET, outer(IpProtocol.GRE, gre), issues, 1);
      expect([issues, d.tunnel, d.src, d.protocol]).toEqual([[], null, '198.51.100.1', IpProtocol.GRE]);
    }
    expect(d.tunnelsSeen).toEqual([]);
    const ip = emitIpv4({ ...V4, protocol: IpProtocol.UDP, src: '0.0.0.0', dst: '255.255.255.255' }, inner.subarray(34));
    d.dissect(LinkType.ETHERNET, outer(IpProtocol.GRE, emitGre({ protocolType: EtherType.IPV4, key: 9 }, ip)), [], 2);
    expect([d.tunnel?.kind, d.src, tunnelText(d.tunnel!)]).toEqual(['gre-ip', '0.0.0.0', 'the IP-in-GRE tunnel key 9 between 198.51.100.1 and 198.51.100.2']);
  });
});
