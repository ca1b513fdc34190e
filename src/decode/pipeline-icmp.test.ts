import { describe, it, expect } from 'vitest';
import { ipv4FromString, ipv6FromString } from '../wire/bytes.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { emitEthernet } from '../wire/ethernet.js';
import { emitIpv4 } from '../wire/ipv4.js';
import { emitIpv6 } from '../wire/ipv6.js';
import { emitUdp } from '../wire/udp.js';
import { emitIcmp } from '../wire/icmp.js';
import { emitIcmpv6 } from '../wire/icmpv6.js';
import { LinkType } from '../wire/link-type.js';
import { DecodePipeline } from './pipeline.js';
import type { DecodedMessage, IcmpDecoded, UndecodedFrame } from './messages.js';

const CLIENT6 = '2001:db8::150';
const SERVER6 = '2001:db8::2';

function frame(etherType: number, ip: Uint8Array): Uint8Array {
  return emitEthernet({ dst: '52:54:00:00:0e:f1', src: '02:00:00:00:00:fe', vlans: [], etherType }, ip);
}

function v6(src: string, dst: string, next: number, payload: Uint8Array): Uint8Array {
  return emitIpv6({ trafficClass: 0, flowLabel: 0, hopLimit: 64, nextHeader: next, src, dst }, payload);
}

function v4(src: string, dst: string, protocol: number, payload: Uint8Array): Uint8Array {
  return emitIpv4({ dscp: 0, ecn: 0, identification: 1, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol, src, dst }, payload);
}

function decode(frames: Uint8Array[], protos?: Set<'icmp' | 'dhcp6'>): { messages: DecodedMessage[]; undecoded: UndecodedFrame[] } {
  const messages: DecodedMessage[] = [];
  const undecoded: UndecodedFrame[] = [];
  const pipe = new DecodePipeline({ message: (m) => messages.push(m), undecoded: (f) => undecoded.push(f) }, protos ? { protos } : {});
  frames.forEach((data, i) => pipe.push({ frame: i + 1, time: 100 + i, linkType: LinkType.ETHERNET, interfaceId: 0, data, origLen: data.length }));
  pipe.finish();
  return { messages, undecoded };
}

/** A DHCPv6 Solicit to a server that answers ICMPv6 port unreachable. */
function v6PortUnreachable(): Uint8Array {
  const udp = emitUdp({ srcPort: 546, dstPort: 547 }, Uint8Array.of(1, 0, 0, 7), { src: ipv6FromString(CLIENT6), dst: ipv6FromString(SERVER6) });
  const icmp = emitIcmpv6({ type: 1, code: 4, rest: 0, body: v6(CLIENT6, SERVER6, IpProtocol.UDP, udp) },
    { src: ipv6FromString(SERVER6), dst: ipv6FromString(CLIENT6) });
  return frame(0x86dd, v6(SERVER6, CLIENT6, IpProtocol.ICMPV6, icmp));
}

describe('DecodePipeline: ICMP and ICMPv6', () => {
  it('delivers an ICMPv6 port unreachable with names and the quoted DHCPv6 datagram', () => {
    const { messages, undecoded } = decode([v6PortUnreachable()]);
    expect(undecoded).toEqual([]);
    expect(messages).toHaveLength(1);
    const m = messages[0] as IcmpDecoded;
    expect(m).toMatchObject({
      proto: 'icmp', ipVersion: 6, type: 1, code: 4, typeName: 'destination unreachable', codeName: 'port unreachable',
      frame: 1, srcAddr: SERVER6, dstAddr: CLIENT6, srcPort: 0, dstPort: 0, issues: [],
      quoted: { src: CLIENT6, dst: SERVER6, protocol: 17, srcPort: 546, dstPort: 547 },
    });
    expect(m.msg.bodyOffset).toBe(14 + 40 + 8);
  });

  it('ignores echo; neighbour solicitation is not an icmp message (it is ndp); --proto without icmp drops errors too', () => {
    const echo = frame(0x0800, v4('198.51.100.1', '198.51.100.150', IpProtocol.ICMP, emitIcmp({ type: 8, code: 0, rest: 1, body: new Uint8Array(8) })));
    const ns = frame(0x86dd, v6('fe80::1', 'ff02::1:ff00:2', IpProtocol.ICMPV6,
      emitIcmpv6({ type: 135, code: 0, rest: 0, body: ipv6FromString(SERVER6) }, { src: ipv6FromString('fe80::1'), dst: ipv6FromString('ff02::1:ff00:2') })));
    expect(decode([echo, ns]).messages.map((m) => m.proto)).toEqual(['ndp']);
    expect(decode([echo, ns], new Set(['icmp'])).messages).toEqual([]);
    expect(decode([v6PortUnreachable()], new Set(['dhcp6'])).messages).toEqual([]);
    expect(decode([v6PortUnreachable()], new Set(['icmp'])).messages).toHaveLength(1);
  });

  it('an ICMPv4 error whose quote is cut inside the IP header: delivered with quoted null and a frame offset', () => {
    const udp = emitUdp({ srcPort: 1062, dstPort: 69 }, new Uint8Array(4), { src: ipv4FromString('198.51.100.150'), dst: ipv4FromString('198.51.100.2') });
    const quote = v4('198.51.100.150', '198.51.100.2', IpProtocol.UDP, udp).subarray(0, 12);
    const f = frame(0x0800, v4('198.51.100.2', '198.51.100.150', IpProtocol.ICMP, emitIcmp({ type: 3, code: 3, rest: 0, body: quote })));
    const m = decode([f]).messages[0] as IcmpDecoded;
    expect(m.quoted).toBeNull();
    expect(m.issues).toEqual([expect.objectContaining({ kind: 'truncated', layer: 'icmp', offset: 14 + 20 + 8 + 12 })]);
  });
});
