import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LinkType } from '../../capture/types.js';
import { loadFrames, prng, type FixtureFrame } from '../../../test/helpers/frames.js';
import { ROOT } from '../../../test/helpers/paths.js';
import { IpProtocol } from '../checksum.js';
import { EtherType, emitEthernet } from '../ethernet.js';
import { emitIpv4 } from '../ipv4.js';
import { emitIpv6 } from '../ipv6.js';
import type { WireIssue } from '../issues.js';
import { parseLink } from '../link.js';
import { parseIpv4 } from '../ipv4.js';
import { parseIpv6 } from '../ipv6.js';
import { emitSll2 } from '../sll.js';
import { parseTcp } from '../tcp.js';
import { emitUdp, parseUdp } from '../udp.js';
import { UdpPort } from '../ports.js';
import { FrameDissector } from './dissect.js';

/** What a frame holds, as the dissector says it. */
interface View {
  linkOk: boolean;
  srcMac: string | null;
  dstMac: string | null;
  vlans: number[];
  etherType: number;
  ipVersion: number;
  src: string;
  dst: string;
  protocol: number;
  fragment: boolean;
  transport: number;
  srcPort: number;
  dstPort: number;
  /** UDP payload, TCP payload or ICMP message bytes. */
  payload: number[];
  issues: WireIssue[];
}

const d = new FrameDissector();

function viaDissector(linkType: number, frame: Uint8Array): View {
  const issues: WireIssue[] = [];
  d.dissect(linkType, frame, issues);
  const ip = d.ipVersion !== 0;
  let payload: Uint8Array = new Uint8Array(0);
  if (d.transport === IpProtocol.UDP) payload = d.udpPayload();
  else if (d.transport === IpProtocol.TCP) payload = d.tcp.payload;
  else if (d.transport !== -1) payload = d.ipPayload();
  return {
    linkOk: d.linkOk, srcMac: d.srcMac, dstMac: d.dstMac, vlans: [...d.vlans], etherType: d.etherType,
    ipVersion: d.ipVersion, src: ip ? d.src : '', dst: ip ? d.dst : '', protocol: ip ? d.protocol : -1,
    fragment: d.fragment, transport: d.transport, srcPort: d.transport === -1 ? 0 : d.srcPort, dstPort: d.transport === -1 ? 0 : d.dstPort,
    payload: [...payload], issues,
  };
}

/** The same frame taken apart by the canonical per-layer parsers chained by hand: the oracle. */
function viaParsers(linkType: number, frame: Uint8Array): View {
  const issues: WireIssue[] = [];
  const v: View = {
    linkOk: false, srcMac: null, dstMac: null, vlans: [], etherType: -1, ipVersion: 0, src: '', dst: '', protocol: -1,
    fragment: false, transport: -1, srcPort: 0, dstPort: 0, payload: [], issues,
  };
  const link = parseLink(linkType, frame, issues);
  if (!link) return v;
  Object.assign(v, { linkOk: true, srcMac: link.srcMac, dstMac: link.dstMac, vlans: link.vlans, etherType: link.etherType ?? -1 });
  let l4: Uint8Array;
  let base: number;
  let protocol: number;
  if (link.etherType === EtherType.IPV4) {
    const ip = parseIpv4(link.payload, issues, link.payloadOffset);
    if (!ip) return v;
    Object.assign(v, { ipVersion: 4, src: ip.src, dst: ip.dst, protocol: ip.protocol });
    const cutFirst = ip.fragmentOffset === 0 && ip.payload.length < ip.totalLength - ip.headerLength;
    if ((ip.mf || ip.fragmentOffset > 0) && !cutFirst) return { ...v, fragment: true };
    [l4, base, protocol] = [ip.payload, ip.payloadOffset, ip.protocol];
  } else if (link.etherType === EtherType.IPV6) {
    const ip = parseIpv6(link.payload, issues, link.payloadOffset);
    if (!ip) return v;
    Object.assign(v, { ipVersion: 6, src: ip.src, dst: ip.dst, protocol: ip.nextHeader });
    if (ip.fragment) return { ...v, fragment: true };
    [l4, base, protocol] = [ip.payload, ip.payloadOffset, ip.nextHeader];
  } else return v;
  if (protocol === IpProtocol.UDP) {
    const udp = parseUdp(l4, issues, base);
    if (udp) Object.assign(v, { transport: protocol, srcPort: udp.srcPort, dstPort: udp.dstPort, payload: [...udp.payload] });
  } else if (protocol === IpProtocol.TCP) {
    const seg = parseTcp(l4, issues, base);
    if (seg) Object.assign(v, { transport: protocol, srcPort: seg.srcPort, dstPort: seg.dstPort, payload: [...seg.payload] });
  } else if (protocol === IpProtocol.ICMP || protocol === IpProtocol.ICMPV6) {
    Object.assign(v, { transport: protocol, payload: [...l4] });
  }
  return v;
}

function capturesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...capturesUnder(p));
    else if (/\.(pcap|pcapng|cap)$/.test(name)) out.push(p);
  }
  return out;
}

const FILES = [...capturesUnder(join(ROOT, 'captures')), ...capturesUnder(join(ROOT, 'fuzz', 'corpus'))].sort();
const FRAMES: FixtureFrame[] = FILES.flatMap((f) => loadFrames(f));

const MAC_A = '02:00:00:00:00:0a';
const MAC_B = '02:00:00:00:00:0b';
const udpTo = (dstPort: number, data: Uint8Array, src: Uint8Array, dst: Uint8Array): Uint8Array =>
  emitUdp({ srcPort: 40000, dstPort }, data, { src, dst });
const V4 = { dscp: 0, ecn: 0, identification: 1, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.UDP, src: '198.51.100.1', dst: '198.51.100.2' };
const V4_SRC = Uint8Array.of(198, 51, 100, 1);
const V4_DST = Uint8Array.of(198, 51, 100, 2);

describe('FrameDissector', () => {
  it('agrees with the canonical parsers on every frame of every capture under captures/ and fuzz/corpus', () => {
    expect(FRAMES.length).toBeGreaterThan(1000);
    let compared = 0;
    for (const f of FRAMES) {
      const [got, want] = [viaDissector(f.linkType, f.data), viaParsers(f.linkType, f.data)];
      // A string compare first: toEqual on a million payload bytes is slow; it names the difference.
      if (JSON.stringify(got) !== JSON.stringify(want)) expect(got, `${f.file} frame ${f.frame}`).toEqual(want);
      compared++;
    }
    expect(compared).toBe(FRAMES.length);
  });

  it('agrees with them on every prefix of a sample of frames, and under random byte flips', () => {
    const rnd = prng(16);
    const sample = FRAMES.filter((_, i) => i % 97 === 0).slice(0, 60);
    for (const f of sample) {
      for (let n = 0; n <= Math.min(f.data.length, 120); n++) {
        const cut = f.data.subarray(0, n);
        expect(viaDissector(f.linkType, cut), `${f.file} frame ${f.frame} cut to ${n}`).toEqual(viaParsers(f.linkType, cut));
      }
      for (let k = 0; k < 40; k++) {
        const bytes = f.data.slice();
        bytes[Math.floor(rnd() * Math.min(bytes.length, 80))] = Math.floor(rnd() * 256);
        expect(viaDissector(f.linkType, bytes)).toEqual(viaParsers(f.linkType, bytes));
      }
    }
  });

  it('reads QinQ tags, then IPv4/UDP in the frame itself', () => {
    const ip = emitIpv4(V4, udpTo(UdpPort.DHCP_SERVER, Uint8Array.of(1, 2, 3), V4_SRC, V4_DST));
    const frame = emitEthernet({ dst: MAC_B, src: MAC_A, vlans: [{ tpid: EtherType.QINQ, pcp: 0, dei: 0, vid: 7 }, { tpid: EtherType.VLAN, pcp: 0, dei: 0, vid: 20 }], etherType: EtherType.IPV4 }, ip);
    const v = viaDissector(LinkType.ETHERNET, frame);
    expect(v).toMatchObject({ vlans: [7, 20], etherType: EtherType.IPV4, src: '198.51.100.1', transport: IpProtocol.UDP, dstPort: UdpPort.DHCP_SERVER, payload: [1, 2, 3], issues: [] });
    expect(d.payloadOffset).toBe(14 + 8 + 20 + 8);
  });

  it('walks IPv6 extension headers to UDP, and stops at a fragment header for the reassembler', () => {
    const src = new Uint8Array(16).fill(1);
    const dst = new Uint8Array(16).fill(2);
    const udp = udpTo(UdpPort.DHCPV6_SERVER, Uint8Array.of(9), src, dst);
    const hopByHop = Uint8Array.of(IpProtocol.UDP, 0, 1, 4, 0, 0, 0, 0);
    const v6 = { trafficClass: 0, flowLabel: 0, hopLimit: 1, nextHeader: IpProtocol.UDP, src: '2001:db8::1', dst: '2001:db8::2' };
    const withExt = emitEthernet({ dst: MAC_B, src: MAC_A, vlans: [], etherType: EtherType.IPV6 },
      emitIpv6({ ...v6, extensionBytes: hopByHop, headerNextHeader: IpProtocol.HOPOPT }, udp));
    expect(viaDissector(LinkType.ETHERNET, withExt)).toMatchObject({ ipVersion: 6, protocol: IpProtocol.UDP, transport: IpProtocol.UDP, dstPort: UdpPort.DHCPV6_SERVER, payload: [9], issues: [] });
    const fragment = emitEthernet({ dst: MAC_B, src: MAC_A, vlans: [], etherType: EtherType.IPV6 },
      emitIpv6({ ...v6, fragment: { offset: 0, more: true, identification: 5 } }, udp));
    expect(viaDissector(LinkType.ETHERNET, fragment)).toMatchObject({ fragment: true, transport: -1, protocol: IpProtocol.UDP });
    expect(d.ip6?.fragment).toEqual({ offset: 0, more: true, identification: 5 });
    // The reassembler hands the whole payload back; the transport is read from it.
    d.dissectTransport(IpProtocol.UDP, udp, 0, udp.length);
    expect([d.transport, d.dstPort, [...d.udpPayload()]]).toEqual([IpProtocol.UDP, UdpPort.DHCPV6_SERVER, [9]]);
  });

  it('takes IPv4 fragments aside, but decodes a first fragment cut by the snap length in place', () => {
    const ip = emitIpv4({ ...V4, mf: true }, udpTo(UdpPort.TFTP, new Uint8Array(64), V4_SRC, V4_DST));
    const frame = emitEthernet({ dst: MAC_B, src: MAC_A, vlans: [], etherType: EtherType.IPV4 }, ip);
    expect(viaDissector(LinkType.ETHERNET, frame)).toMatchObject({ fragment: true, transport: -1 });
    expect(d.ip4?.mf).toBe(true);
    const cut = viaDissector(LinkType.ETHERNET, frame.subarray(0, 14 + 20 + 8 + 10));
    expect(cut).toMatchObject({ fragment: false, transport: IpProtocol.UDP, dstPort: UdpPort.TFTP });
    expect(cut.issues.map((i) => i.kind)).toContain('truncated');
  });

  it('reads Linux cooked v2 and raw IP links', () => {
    const ip = emitIpv4(V4, udpTo(UdpPort.DHCP_CLIENT, Uint8Array.of(5), V4_SRC, V4_DST));
    const sll2 = emitSll2({ protocol: EtherType.IPV4, reserved: 0, interfaceIndex: 3, arphrdType: 1, packetType: 0, addressLength: 6, address: Uint8Array.of(2, 0, 0, 0, 0, 0xa, 0, 0) }, ip);
    expect(viaDissector(LinkType.LINUX_SLL2, sll2)).toMatchObject({ srcMac: MAC_A, dstMac: null, dstPort: UdpPort.DHCP_CLIENT, payload: [5], issues: [] });
    expect(viaDissector(LinkType.RAW, ip)).toMatchObject({ srcMac: null, etherType: EtherType.IPV4, dstPort: UdpPort.DHCP_CLIENT, payload: [5] });
  });

  it('reuses its slots: the TCP header object and the empty VLAN list are the same from frame to frame', () => {
    const tcpFrames = FRAMES.filter((f) => viaDissector(f.linkType, f.data).transport === IpProtocol.TCP).slice(0, 2);
    expect(tcpFrames).toHaveLength(2);
    d.dissect(tcpFrames[0]!.linkType, tcpFrames[0]!.data, []);
    const slot = d.tcp;
    const vlans = d.vlans;
    d.dissect(tcpFrames[1]!.linkType, tcpFrames[1]!.data, []);
    expect(d.tcp).toBe(slot);
    if (d.vlans.length === 0) expect(d.vlans).toBe(vlans);
    expect(Object.isFrozen(d.vlans) || d.vlans.length > 0).toBe(true);
  });
});
