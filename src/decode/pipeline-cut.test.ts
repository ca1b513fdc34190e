/**
 * Which frames the capture cut short, judged by the IP packet's own length: captures that count the
 * FCS in the original length or pad short frames are judged by what the IP header says; a frame the
 * capture recorded whole is never cut, whatever its IP length claims.
 */
import { describe, expect, it } from 'vitest';
import { ipv4FromString } from '../wire/bytes.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { emitEthernet, EtherType } from '../wire/ethernet.js';
import { emitIpv4 } from '../wire/ipv4.js';
import { emitUdp } from '../wire/udp.js';
import { LinkType } from '../wire/link-type.js';
import { buildDhcpV4, emitDhcpV4 } from '../wire/dhcpv4/index.js';
import { buildAck } from '../wire/tftp.js';
import { BootChainBuilder } from '../flow/builder.js';
import { analyzeFacts } from '../analysis/engine.js';
import { DecodePipeline } from './pipeline.js';

const CLIENT = '198.51.100.150';
const SERVER = '198.51.100.1';

function udpFrame(src: string, dst: string, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const udp = emitUdp({ srcPort: sport, dstPort: dport }, payload, { src: ipv4FromString(src), dst: ipv4FromString(dst) });
  const ip = emitIpv4({ dscp: 0, ecn: 0, identification: 1, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.UDP, src, dst }, udp);
  return emitEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: '52:54:00:00:0e:f1', vlans: [], etherType: EtherType.IPV4 }, ip);
}

/** A DISCOVER frame of 342 bytes (IP packet 328 bytes): BOOTP padded to 300 bytes after END, as clients send it. */
function discover(): Uint8Array {
  const msg = buildDhcpV4({ xid: 7, chaddr: '52:54:00:00:0e:f1', options: [{ code: 53, value: 'DISCOVER' }, { code: 60, value: 'PXEClient:Arch:00007:UNDI:003016' }] });
  msg.trailer = new Uint8Array(300 - emitDhcpV4(msg).length);
  const f = udpFrame('0.0.0.0', '255.255.255.255', 68, 67, emitDhcpV4(msg));
  expect(f.length).toBe(342);
  return f;
}

/** Pushes each [captured bytes, original length] and returns the cuts the sink was told of. */
function cuts(records: [Uint8Array, number][]): { frame: number; captured: number; missing: number }[] {
  const seen: { frame: number; captured: number; missing: number }[] = [];
  const pipe = new DecodePipeline({ message: () => {}, frameCut: (frame, captured, missing) => seen.push({ frame, captured, missing }) });
  records.forEach(([data, origLen], i) => pipe.push({ frame: i + 1, time: 100 + i, linkType: LinkType.ETHERNET, interfaceId: 0, data, origLen }));
  pipe.finish();
  return seen;
}

describe('frames cut short: the IP packet\'s own length against the bytes captured', () => {
  it('a whole packet is not cut, whatever the original length counts (FCS, padding, a trailer)', () => {
    const d = discover();
    // A TFTP ACK: 32-byte IP packet padded to the 60-byte Ethernet minimum.
    const ack = udpFrame(CLIENT, SERVER, 2001, 40000, buildAck(1));
    const padded = new Uint8Array(60);
    padded.set(ack);
    // A trailer after the IP packet (a switch's metadata) cut by the snap length.
    const trailer = new Uint8Array(d.length + 16);
    trailer.set(d);
    expect(cuts([[d, d.length + 4], [padded, 64], [padded, 60], [trailer.subarray(0, d.length + 2), trailer.length]])).toEqual([]);
  });

  it('a cut packet counts the IP bytes missing, not the FCS the original length holds', () => {
    const d = discover();
    expect(cuts([[d.subarray(0, 96), 346], [d.subarray(0, 300), 342]])).toEqual([
      { frame: 1, captured: 96, missing: 246 },
      { frame: 2, captured: 300, missing: 42 },
    ]);
  });

  it('a frame the capture recorded whole is never cut, whatever its IP length claims (a bogus length, offload)', () => {
    // The IP length says 328 bytes, the frame and its original length hold 128: no cut (a tunnelled
    // mirror slice is judged by its IP length alone: test/capture/remote-mirror.test.ts).
    const d = discover().subarray(0, 128);
    expect(cuts([[d, 128]])).toEqual([]);
    // IPv4 total length 0 (TSO on the sender) with the FCS counted in the original length.
    const tso = discover().slice();
    tso[16] = 0; tso[17] = 0;
    expect(cuts([[tso, tso.length + 4]])).toEqual([]);
    // A real cut stays a cut, by no more than the capture says it cut.
    expect(cuts([[discover().subarray(0, 96), 200]])).toEqual([{ frame: 1, captured: 96, missing: 200 - 96 }]);
  });

  it('a frame cut inside its IP header falls back to the original length; a frame with no IP is not judged', () => {
    const d = discover();
    const arp = new Uint8Array(42);
    arp.set(emitEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: '52:54:00:00:0e:f1', vlans: [], etherType: EtherType.ARP }, new Uint8Array(28)));
    expect(cuts([[d.subarray(0, 30), 346], [arp, 64]])).toEqual([{ frame: 1, captured: 30, missing: 316 }]);
  });

  it('the analysis: a whole DISCOVER whose original length counts the FCS raises no capture.snaplen; a cut one does', () => {
    const analyze = (captured: number): string[] => {
      const builder = new BootChainBuilder();
      const pipe = new DecodePipeline(builder, { dropDuplicates: true });
      const d = discover();
      pipe.push({ frame: 1, time: 100, linkType: LinkType.ETHERNET, interfaceId: 0, data: d.subarray(0, captured), origLen: d.length + 4 });
      pipe.finish();
      return analyzeFacts(builder.facts({ file: 'x', packets: 1, warnings: [], truncated: false })).findings.map((f) => f.code);
    };
    expect(analyze(342)).not.toContain('capture.snaplen');
    expect(analyze(96)).toContain('capture.snaplen');
  });
});
