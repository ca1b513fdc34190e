import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesEqual, fromHex, hex, u16 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import { emitIpv4, ipv4HeaderLength, parseIpv4, writeIpv4Header, type Ipv4Repr } from './ipv4.js';
import type { WireIssue } from './issues.js';
import { emitUdp, parseUdp, verifyUdpChecksum } from './udp.js';
import { ethernetPayloads } from '../../test/helpers/frames.js';
import { PUBLIC } from '../../test/helpers/paths.js';
import { hasTshark, tsharkFields } from '../../test/helpers/tshark.js';

/** IPv4 packets of Ethernet captures (IP at byte 14). */
function ipv4Frames(file: string): Uint8Array[] {
  return ethernetPayloads(file, 0x0800);
}

function pcapsIn(dir: string): string[] {
  return readdirSync(join(PUBLIC, dir))
    .filter((f) => f.endsWith('.pcap'))
    .map((f) => join(PUBLIC, dir, f));
}

const ROUND_TRIP_FILES = [...pcapsIn('tcpdump'), ...pcapsIn('zeek')];

describe('parseIpv4 against tshark', () => {
  const files = ['tcpdump/dhcp-rfc3004.pcap', 'zeek/dhcp.pcap', 'spicy-tftp/tftp_rrq.pcap', 'tcpdump/dhcpv4v6-rfc5970-rfc8572.pcap'];
  it.skipIf(!hasTshark()).each(files)('%s: every IPv4/UDP field matches', (name) => {
    const file = join(PUBLIC, name);
    const rows = tsharkFields(file, [
      'ip.src', 'ip.dst', 'ip.id', 'ip.ttl', 'ip.len', 'ip.flags.df', 'ip.flags.mf', 'ip.frag_offset', 'ip.proto',
      'ip.checksum', 'ip.hdr_len', 'ip.dsfield', 'ip.checksum.status', 'udp.srcport', 'udp.dstport', 'udp.length',
      'udp.checksum', 'udp.checksum.status',
    ], { prefs: ['ip.check_checksum:TRUE', 'udp.check_checksum:TRUE'] }).filter((r) => r[0] !== '');
    const frames = ipv4Frames(file);
    expect(frames.length).toBe(rows.length);
    expect(rows.length).toBeGreaterThan(0);
    frames.forEach((f, i) => {
      const issues: WireIssue[] = [];
      const ip = parseIpv4(f, issues, 14)!;
      const udp = parseUdp(ip.payload, issues, ip.payloadOffset)!;
      const got = [
        ip.src, ip.dst, `0x${ip.identification.toString(16).padStart(4, '0')}`, String(ip.ttl), String(ip.totalLength),
        ip.df ? '1' : '0', ip.mf ? '1' : '0', String(ip.fragmentOffset), String(ip.protocol),
        `0x${ip.checksum.toString(16).padStart(4, '0')}`, String(ip.headerLength), `0x${ip.tos.toString(16).padStart(2, '0')}`,
        ip.checksumOk ? '1' : '0', String(udp.srcPort), String(udp.dstPort), String(udp.length),
        `0x${udp.checksum.toString(16).padStart(4, '0')}`,
        verifyUdpChecksum(udp, { src: ip.srcBytes, dst: ip.dstBytes }) === 'ok' ? '1' : '0',
      ];
      // tshark leaves the status empty or 2 (unverified) when the UDP checksum is zero.
      const want = rows[i]!.map((v, k) => (k === 17 && v !== '1' ? '0' : v));
      expect(got).toEqual(want);
      expect(issues).toEqual([]);
      expect(ip.payloadOffset).toBe(34);
      expect(udp.payloadOffset).toBe(42);
    });
  });

  it('keeps the address byte views pointing into the packet', () => {
    const f = ipv4Frames(join(PUBLIC, 'tcpdump/dhcp-rfc5859.pcap'))[1]!;
    const ip = parseIpv4(f, [])!;
    expect(ip.srcBytes.buffer).toBe(f.buffer);
    expect(Array.from(ip.srcBytes)).toEqual([192, 168, 1, 1]);
    expect(Array.from(ip.dstBytes)).toEqual([192, 168, 1, 4]);
  });
});

describe('IPv4/UDP round trip over every Ethernet IPv4 packet', () => {
  it.each(ROUND_TRIP_FILES)('%s', (file) => {
    for (const f of ipv4Frames(file)) {
      const issues: WireIssue[] = [];
      const ip = parseIpv4(f, issues, 14);
      if (!ip) continue;
      const ipBytes = f.subarray(0, ip.headerLength + ip.payload.length); // Ethernet padding cut
      // Exact fields (lengths and checksums as found), whatever their validity.
      const exact = emitIpv4(ip, ip.payload, { fixLength: false, computeChecksum: false });
      expect(hex(exact)).toBe(hex(ipBytes));
      const lengthOk = ip.totalLength === ipBytes.length;
      // Recomputed length and checksum equal the originals where those were right.
      if (lengthOk && ip.checksumOk) expect(bytesEqual(emitIpv4(ip, ip.payload), ipBytes)).toBe(true);
      if (lengthOk && !ip.checksumOk) expect(u16(emitIpv4(ip, ip.payload), 10)).not.toBe(ip.checksum);

      if (ip.protocol !== 17) continue;
      const udp = parseUdp(ip.payload, issues, ip.payloadOffset);
      if (!udp) continue;
      const udpBytes = ip.payload.subarray(0, 8 + udp.payload.length);
      const pseudo = { src: ip.srcBytes, dst: ip.dstBytes };
      expect(hex(emitUdp(udp, udp.payload, pseudo, { fixLength: false, computeChecksum: false }))).toBe(hex(udpBytes));
      const status = verifyUdpChecksum(udp, pseudo);
      if (status === 'ok') expect(hex(emitUdp(udp, udp.payload, pseudo))).toBe(hex(udpBytes));
      if (status === 'absent' && udp.complete) expect(hex(emitUdp(udp, udp.payload, pseudo, { computeChecksum: false }))).toBe(hex(udpBytes));
    }
  });

  it('covers a few hundred packets, nearly all with correct checksums', () => {
    let n = 0;
    let ok = 0;
    for (const file of ROUND_TRIP_FILES) {
      for (const f of ipv4Frames(file)) {
        const ip = parseIpv4(f, []);
        if (!ip) continue;
        n++;
        const udp = parseUdp(ip.payload, []);
        if (ip.checksumOk && udp && verifyUdpChecksum(udp, { src: ip.srcBytes, dst: ip.dstBytes }) !== 'bad') ok++;
      }
    }
    expect(n).toBeGreaterThan(500);
    expect(ok).toBeGreaterThan(n - 5);
  });
});

describe('emitIpv4', () => {
  const repr: Ipv4Repr = {
    dscp: 46, ecn: 1, identification: 0x1c46, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: 17,
    src: '198.51.100.1', dst: '203.0.113.9',
  };

  it('writes every header byte (0xa5 prefill) with a checksum that verifies', () => {
    const out = new Uint8Array(24).fill(0xa5);
    const hl = writeIpv4Header(repr, 100, out, 2);
    expect(hl).toBe(20);
    // 45 b9 0078 1c46 4000 40 11 csum c6336401 cb007109
    expect(hex(out.subarray(2, 22))).toBe('45b900781c4640004011' + hex(out.subarray(12, 14)) + 'c6336401cb007109');
    expect(out[0]).toBe(0xa5);
    expect(out[23]).toBe(0xa5);
    expect(internetChecksum(out.subarray(2, 22))).toBe(0);
    // Checksum computed by hand (RFC 1071) over the other nine words.
    const words = [0x45b9, 0x0078, 0x1c46, 0x4000, 0x4011, 0xc633, 0x6401, 0xcb00, 0x7109];
    let s = words.reduce((a, b) => a + b, 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    expect(u16(out, 12)).toBe(~s & 0xffff);
  });

  it('pads options to 4 bytes and sets IHL, fragment fields in 8-byte units', () => {
    const r: Ipv4Repr = { ...repr, df: false, mf: true, fragmentOffset: 1480, reservedFlag: true, options: fromHex('940400') };
    expect(ipv4HeaderLength(r)).toBe(24);
    const pkt = emitIpv4(r, fromHex('deadbeef'));
    expect(pkt.length).toBe(28);
    expect(pkt[0]).toBe(0x46);
    expect(u16(pkt, 6)).toBe(0x8000 | 0x2000 | 185);
    expect(hex(pkt.subarray(20, 24))).toBe('94040000');
    const back = parseIpv4(pkt, [])!;
    expect(back.mf).toBe(true);
    expect(back.fragmentOffset).toBe(1480);
    expect(back.checksumOk).toBe(true);
    expect(hex(back.payload)).toBe('deadbeef');
  });

  it('emits a wrong length and checksum on purpose', () => {
    const pkt = emitIpv4({ ...repr, totalLength: 9999, checksum: 0x1234 }, new Uint8Array(8), { fixLength: false, computeChecksum: false });
    expect(u16(pkt, 2)).toBe(9999);
    expect(u16(pkt, 10)).toBe(0x1234);
    const issues: WireIssue[] = [];
    const back = parseIpv4(pkt, issues)!;
    expect(back.checksumOk).toBe(false);
    expect(issues.map((i) => i.kind)).toEqual(['truncated']);
  });
});

describe('parseIpv4 on bad input', () => {
  const good = ipv4Frames(join(PUBLIC, 'tcpdump/tftp.pcap'))[0]!;

  it('cuts Ethernet padding at totalLength', () => {
    const padded = new Uint8Array(good.length + 6);
    padded.set(good);
    const ip = parseIpv4(padded, [])!;
    expect(ip.payload.length).toBe(ip.totalLength - 20);
  });

  it('reports non-4 versions, IHL < 5 and totalLength < IHL as malformed', () => {
    for (const [byte0, off] of [[0x65, 0], [0x44, 0]] as const) {
      const b = good.slice();
      b[0] = byte0;
      const issues: WireIssue[] = [];
      expect(parseIpv4(b, issues, 14)).toBeNull();
      expect(issues).toMatchObject([{ kind: 'malformed', layer: 'ipv4', offset: 14 + off }]);
    }
    const b = good.slice();
    b[2] = 0;
    b[3] = 10;
    const issues: WireIssue[] = [];
    const ip = parseIpv4(b, issues, 14)!;
    expect(ip.payload.length).toBe(0);
    expect(issues).toMatchObject([{ kind: 'malformed', offset: 16 }]);
  });

  it('truncation sweep: every prefix parses without throwing and reports truncation', () => {
    const ip0 = parseIpv4(good, [])!;
    const full = good.subarray(0, ip0.totalLength);
    for (let n = 0; n < full.length; n++) {
      const issues: WireIssue[] = [];
      const ip = parseIpv4(full.subarray(0, n), issues, 14);
      if (ip) {
        const udp = parseUdp(ip.payload, issues, ip.payloadOffset);
        if (udp) verifyUdpChecksum(udp, { src: ip.srcBytes, dst: ip.dstBytes });
      }
      expect(issues.some((i) => i.kind === 'truncated')).toBe(true);
      for (const i of issues) expect(i.offset).toBeLessThanOrEqual(14 + n);
    }
  });
});
