import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, hex, u16 } from './bytes.js';
import { emitIpv6, ipv6HeaderLength, parseIpv6, walkIpv6Extensions, writeIpv6Header, type Ipv6Repr } from './ipv6.js';
import type { WireIssue } from './issues.js';
import { emitUdp, parseUdp, verifyUdpChecksum } from './udp.js';
import { ethernetPayloads } from '../../test/helpers/frames.js';
import { PUBLIC } from '../../test/helpers/paths.js';
import { hasTshark, tsharkFields } from '../../test/helpers/tshark.js';

const FILES = [
  'arkime/wireshark-dhcpv6.pcap',
  'tcpdump/dhcpv6-ia-na.pcap',
  'tcpdump/dhcpv6-mud.pcap',
  'tcpdump/dhcpv4v6-rfc5970-rfc8572.pcap',
  'tcpdump/dhcpv6-rfc6355-duid-uuid.pcap',
  'tcpdump/dhcpv6-vendor-specific-information.pcap',
];

/** IPv6 packets of Ethernet captures (IP at byte 14). */
function ipv6Frames(file: string): Uint8Array[] {
  return ethernetPayloads(file, 0x86dd);
}

describe('parseIpv6 against tshark', () => {
  it.skipIf(!hasTshark()).each(FILES)('%s', (name) => {
    const file = join(PUBLIC, name);
    const fields = ['ipv6.src', 'ipv6.dst', 'ipv6.plen', 'ipv6.nxt', 'ipv6.hlim', 'ipv6.flow', 'ipv6.tclass', 'udp.length', 'udp.checksum.status'];
    const rows = tsharkFields(file, fields, { prefs: ['udp.check_checksum:TRUE'], filter: 'ipv6' });
    const frames = ipv6Frames(file);
    expect(frames.length).toBe(rows.length);
    frames.forEach((f, i) => {
      const issues: WireIssue[] = [];
      const ip = parseIpv6(f, issues, 14)!;
      const row = rows[i]!;
      // tshark's ipv6.nxt is the fixed header's field.
      expect([ip.src, ip.dst, String(ip.payloadLength), String(ip.headerNextHeader), String(ip.hopLimit)]).toEqual(row.slice(0, 5));
      expect(ip.flowLabel).toBe(parseInt(row[5]!, 16));
      expect(ip.trafficClass).toBe(parseInt(row[6]!, 16));
      expect(issues).toEqual([]);
      if (ip.headerNextHeader === 0) {
        // Hop-by-hop (MLD reports): walked through to ICMPv6.
        expect(ip.extensions).toEqual([{ type: 0, offset: 54, length: 8 }]);
        expect(ip.nextHeader).toBe(58);
        expect(ip.payloadOffset).toBe(14 + 48);
      }
      if (ip.nextHeader === 17) {
        const udp = parseUdp(ip.payload, issues, ip.payloadOffset)!;
        expect(String(udp.length)).toBe(row[7]);
        expect(verifyUdpChecksum(udp, { src: ip.srcBytes, dst: ip.dstBytes })).toBe(row[8] === '1' ? 'ok' : 'bad');
        expect(hex(emitUdp(udp, udp.payload, { src: ip.srcBytes, dst: ip.dstBytes }))).toBe(hex(ip.payload.subarray(0, udp.length)));
      }
    });
  });

  it('round-trips every IPv6 packet byte for byte (extension headers verbatim)', () => {
    let n = 0;
    for (const name of FILES) {
      for (const f of ipv6Frames(join(PUBLIC, name))) {
        const ip = parseIpv6(f, [])!;
        const bytes = f.subarray(0, 40 + ip.payloadLength);
        expect(hex(emitIpv6(ip, ip.payload))).toBe(hex(bytes));
        n++;
      }
    }
    expect(n).toBeGreaterThan(30);
  });
});

describe('IPv6 emit', () => {
  const repr: Ipv6Repr = {
    trafficClass: 0xb8, flowLabel: 0x12345, hopLimit: 64, nextHeader: 17, src: '2001:db8::1', dst: '2001:db8:0:1::2',
  };

  it('writes the fixed header (0xa5 prefill)', () => {
    const out = new Uint8Array(44).fill(0xa5);
    expect(writeIpv6Header(repr, 300, out, 2)).toBe(40);
    expect(hex(out.subarray(2, 42))).toBe(
      '6b812345' + '012c' + '11' + '40' + '20010db8000000000000000000000001' + '20010db8000000010000000000000002',
    );
    expect([out[0], out[1], out[42], out[43]]).toEqual([0xa5, 0xa5, 0xa5, 0xa5]);
  });

  it('writes a fragment header and parses it back', () => {
    const r: Ipv6Repr = { ...repr, fragment: { offset: 1448, more: true, identification: 0xdeadbeef } };
    expect(ipv6HeaderLength(r)).toBe(48);
    const out = new Uint8Array(50).fill(0xa5);
    writeIpv6Header(r, 16, out, 0);
    expect(hex(out.subarray(4, 8))).toBe('0018' + '2c' + '40');
    expect(hex(out.subarray(40, 48))).toBe('11' + '00' + (1448 | 1).toString(16).padStart(4, '0') + 'deadbeef');
    const pkt = emitIpv6(r, fromHex('00112233445566778899aabbccddeeff'));
    const back = parseIpv6(pkt, [], 0)!;
    expect(back.fragment).toEqual({ offset: 1448, more: true, identification: 0xdeadbeef });
    expect(back.nextHeader).toBe(17);
    expect(back.payloadOffset).toBe(48);
    expect(hex(back.payload)).toBe('00112233445566778899aabbccddeeff');
  });

  it('emits a wrong payload length on purpose', () => {
    const pkt = emitIpv6({ ...repr, payloadLength: 7 }, new Uint8Array(20), { fixLength: false });
    expect(u16(pkt, 4)).toBe(7);
  });
});

describe('IPv6 extension headers and bad input', () => {
  it('walks hop-by-hop, routing and destination options, stops at ESP', () => {
    const ext = fromHex('2b00 0000 0000 0000' + '3c02 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000' + '3200 0000 0000 0000');
    const exts: { type: number; offset: number; length: number }[] = [];
    const walk = walkIpv6Extensions(ext, 0, exts, [], 40);
    expect(exts).toEqual([
      { type: 0, offset: 40, length: 8 },
      { type: 43, offset: 48, length: 24 },
      { type: 60, offset: 72, length: 8 },
    ]);
    expect(walk).toEqual({ nextHeader: 50, end: 40 });
  });

  it('rejects version != 6', () => {
    const issues: WireIssue[] = [];
    expect(parseIpv6(new Uint8Array(40).fill(0x45), issues, 14)).toBeNull();
    expect(issues).toMatchObject([{ kind: 'malformed', offset: 14 }]);
  });

  it('truncation sweep: every prefix of a hop-by-hop and a UDP packet', () => {
    const frames = ipv6Frames(join(PUBLIC, 'arkime/wireshark-dhcpv6.pcap'));
    for (const f of [frames[0]!, frames[1]!]) {
      const full = f.subarray(0, 40 + u16(f, 4));
      for (let n = 0; n < full.length; n++) {
        const issues: WireIssue[] = [];
        const ip = parseIpv6(full.subarray(0, n), issues, 14);
        if (ip && ip.nextHeader === 17) {
          const udp = parseUdp(ip.payload, issues, ip.payloadOffset);
          if (udp) verifyUdpChecksum(udp, { src: ip.srcBytes, dst: ip.dstBytes });
        }
        expect(issues.some((i) => i.kind === 'truncated')).toBe(true);
        for (const i of issues) expect(i.offset).toBeLessThanOrEqual(14 + n);
      }
    }
  });
});
