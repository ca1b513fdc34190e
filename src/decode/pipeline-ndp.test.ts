import { describe, it, expect } from 'vitest';
import { ipv6FromString } from '../wire/bytes.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { emitEthernet } from '../wire/ethernet.js';
import { emitIpv6 } from '../wire/ipv6.js';
import { emitNdp, ndpOptions, type NdpMessage } from '../wire/ndp.js';
import { LinkType } from '../wire/link-type.js';
import { decodeCapture } from '../../test/helpers/fixtures.js';
import { DecodePipeline } from './pipeline.js';
import type { AppProto, DecodedMessage, NdpDecoded } from './messages.js';

const ROUTER = 'fe80::1';
const RA: NdpMessage = {
  kind: 'ra', curHopLimit: 64, managed: true, other: false, homeAgent: false, preference: 'medium', proxy: false,
  routerLifetime: 1800, reachableTime: 0, retransTimer: 0,
  options: ndpOptions({
    sourceLinkAddr: '02:00:00:00:00:fe',
    prefixes: [{ prefix: '2001:db8:1::', length: 64, onLink: true, autonomous: true, valid: 86400, preferred: 14400 }],
  }),
};

function ndFrame(m: NdpMessage, src: string, dst: string, hopLimit = 255): Uint8Array {
  const icmp = emitNdp(m, { src: ipv6FromString(src), dst: ipv6FromString(dst) });
  const ip = emitIpv6({ trafficClass: 0, flowLabel: 0, hopLimit, nextHeader: IpProtocol.ICMPV6, src, dst }, icmp);
  return emitEthernet({ dst: '33:33:00:00:00:01', src: '02:00:00:00:00:fe', vlans: [], etherType: 0x86dd }, ip);
}

function decode(frames: Uint8Array[], protos?: Set<AppProto>): DecodedMessage[] {
  const out: DecodedMessage[] = [];
  const pipe = new DecodePipeline({ message: (m) => out.push(m) }, protos ? { protos } : {});
  frames.forEach((data, i) => pipe.push({ frame: i + 1, time: 10 + i, linkType: LinkType.ETHERNET, interfaceId: 0, data, origLen: data.length }));
  pipe.finish();
  return out;
}

describe('DecodePipeline: neighbour discovery', () => {
  it('delivers an RA as proto ndp with the message, hop limit, ports 0 and the ICMPv6 bytes', () => {
    const [m, ...rest] = decode([ndFrame(RA, ROUTER, 'ff02::1')]);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({
      proto: 'ndp', frame: 1, time: 10, srcAddr: ROUTER, dstAddr: 'ff02::1', srcPort: 0, dstPort: 0,
      srcMac: '02:00:00:00:00:fe', hopLimit: 255, issues: [], msg: RA,
    });
    expect((m as NdpDecoded).payload.length).toBe(16 + 8 + 32);
    expect((m as NdpDecoded).payload[0]).toBe(134);
  });

  it('reports the IP-level RFC 4861 rules with frame offsets: hop limit 64, RA from a global address', () => {
    const [m] = decode([ndFrame(RA, '2001:db8:1::1', 'ff02::1', 64)]) as NdpDecoded[];
    expect(m!.hopLimit).toBe(64);
    expect(m!.issues).toEqual([
      expect.objectContaining({ kind: 'malformed', layer: 'ndp', offset: 14 + 7 }),
      expect.objectContaining({ kind: 'malformed', layer: 'ndp', offset: 14 + 8 }),
    ]);
  });

  it('option issues carry frame offsets (option of length 0 in the first option)', () => {
    const f = ndFrame({ kind: 'rs', options: ndpOptions({ sourceLinkAddr: '02:00:00:00:00:01' }) }, 'fe80::2', 'ff02::2');
    f[14 + 40 + 8 + 1] = 0; // the option's length byte (checksum now wrong: not checked)
    const [m] = decode([f]);
    expect(m!.issues).toEqual([expect.objectContaining({ kind: 'malformed', layer: 'ndp', offset: 14 + 40 + 9 })]);
  });

  it('--proto ndp selects ND only; --proto icmp excludes it', () => {
    const frames = [ndFrame(RA, ROUTER, 'ff02::1')];
    expect(decode(frames, new Set(['ndp']))).toHaveLength(1);
    expect(decode(frames, new Set(['icmp', 'dhcp6']))).toEqual([]);
  });

  it('a real capture: every ND frame tshark lists comes out, RS/RA/NS/NA all present', async () => {
    const d = await decodeCapture('captures/lab-v6/uefi-pxe6-kea.pcapng');
    const nd = d.messages.filter((m): m is NdpDecoded => m.proto === 'ndp');
    expect(nd).toHaveLength(28);
    expect(new Set(nd.map((m) => m.msg.kind))).toEqual(new Set(['rs', 'ra', 'ns', 'na']));
    expect(nd.every((m) => m.hopLimit === 255 && m.issues.length === 0)).toBe(true);
    const ra = nd.find((m) => m.msg.kind === 'ra')!;
    expect(ra.frame).toBe(1);
    expect(ra.msg).toMatchObject({ kind: 'ra', managed: true, other: true, options: { prefixes: [{ prefix: '2001:db8:1::', length: 64, autonomous: false }] } });
  });
});
