import { describe, expect, it } from 'vitest';
import { fromHex, hex, ipv4FromString, ipv6FromString, u16 } from './bytes.js';
import { emitIpv4 } from './ipv4.js';
import { emitIpv6 } from './ipv6.js';
import type { WireIssue } from './issues.js';
import { LinkType } from './link-type.js';
import { pcapOf, withTempCapture } from '../../test/helpers/pcap.js';
import { hasTshark, tsharkFields } from '../../test/helpers/tshark.js';
import {
  decodeTcpOptions, emitTcp, emitTcpOptions, tcpOptionsLength, parseTcp, tcpFlagsToString, tcpHeaderLength, TcpFlag, verifyTcpChecksum, writeTcpHeader, type TcpOption, type TcpRepr,
} from './tcp.js';

const v4 = { src: ipv4FromString('198.51.100.10'), dst: ipv4FromString('203.0.113.20') };
const v6 = { src: ipv6FromString('2001:db8::10'), dst: ipv6FromString('2001:db8::20') };

// MSS 1460, SACK permitted, timestamps, NOP, window scale 7 (a Linux SYN)
const SYN_OPTIONS = fromHex('020405b4 0402 080a 0001e240 00000000 01 030307');

const syn: TcpRepr = {
  srcPort: 49152, dstPort: 80, seq: 0xfffffff0, ack: 0, flags: TcpFlag.SYN | TcpFlag.ECE | TcpFlag.CWR, window: 64240, urgent: 0,
  options: SYN_OPTIONS,
};
const data: TcpRepr = { srcPort: 80, dstPort: 49152, seq: 1000, ack: 0xfffffff1, flags: TcpFlag.ACK | TcpFlag.PSH, window: 501, urgent: 0 };
const BODY = new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');

describe('TCP emit judged by tshark', () => {
  it.skipIf(!hasTshark())('tshark decodes our segments with good checksums (IPv4 and IPv6)', () => {
    const ipv4 = { dscp: 0, ecn: 0, identification: 1, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: 6, src: '198.51.100.10', dst: '203.0.113.20' };
    const p1 = emitIpv4(ipv4, emitTcp(syn, new Uint8Array(0), v4));
    const p2 = emitIpv4({ ...ipv4, src: '203.0.113.20', dst: '198.51.100.10' }, emitTcp(data, BODY, { src: v4.dst, dst: v4.src }));
    const p3 = emitIpv6({ trafficClass: 0, flowLabel: 0, hopLimit: 64, nextHeader: 6, src: '2001:db8::10', dst: '2001:db8::20' }, emitTcp({ ...data, urgent: 3, flags: TcpFlag.URG | TcpFlag.ACK | TcpFlag.FIN }, BODY.subarray(0, 5), v6));
    const fields = ['tcp.srcport', 'tcp.dstport', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.hdr_len', 'tcp.flags', 'tcp.window_size_value', 'tcp.urgent_pointer', 'tcp.len', 'tcp.checksum.status', 'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.timestamp.tsval'];
    // Raw IP (linktype 101) packets, for tshark to judge.
    const rows = withTempCapture(pcapOf([p1, p2, p3], LinkType.RAW), (file) => tsharkFields(file, fields, { prefs: ['tcp.check_checksum:TRUE'] }));
    expect(rows).toEqual([
      ['49152', '80', String(0xfffffff0), '0', '40', '0x00c2', '64240', '0', '0', '1', '1460', '7', '123456'],
      ['80', '49152', '1000', String(0xfffffff1), '20', '0x0018', '501', '0', String(BODY.length), '1', '', '', ''],
      ['80', '49152', '1000', String(0xfffffff1), '20', '0x0031', '501', '3', '5', '1', '', '', ''],
    ]);
  });
});

describe('TCP parse / emit', () => {
  it('writes every header byte (0xa5 prefill) and pads options', () => {
    expect(tcpHeaderLength(syn)).toBe(40);
    const out = new Uint8Array(44).fill(0xa5);
    expect(writeTcpHeader(syn, new Uint8Array(0), v4, out, 2)).toBe(40);
    expect(hex(out.subarray(2, 18))).toBe('c0000050' + 'fffffff0' + '00000000' + 'a0c2' + 'faf0');
    expect(hex(out.subarray(20, 42))).toBe('0000' + hex(SYN_OPTIONS));
    expect([out[0], out[1], out[42], out[43]]).toEqual([0xa5, 0xa5, 0xa5, 0xa5]);
    // 3 option bytes: padded with one EOL to a 24-byte header.
    const ws: TcpRepr = { ...syn, options: fromHex('030307') };
    const small = new Uint8Array(26).fill(0xa5);
    expect(writeTcpHeader(ws, new Uint8Array(0), v4, small, 0)).toBe(24);
    expect(hex(small.subarray(12, 13))).toBe('60');
    expect(hex(small.subarray(20))).toBe('03030700a5a5');
  });

  it('round-trips and verifies the checksum (IPv4 and IPv6 pseudo-headers)', () => {
    for (const pseudo of [v4, v6]) {
      const bytes = emitTcp(data, BODY, pseudo);
      const issues: WireIssue[] = [];
      const seg = parseTcp(bytes, issues, 34)!;
      expect(issues).toEqual([]);
      expect(seg).toMatchObject({ srcPort: 80, dstPort: 49152, seq: 1000, ack: 0xfffffff1, flags: 0x18, window: 501, dataOffset: 5, payloadOffset: 54 });
      expect(verifyTcpChecksum(seg, pseudo)).toBe('ok');
      expect(verifyTcpChecksum(seg, pseudo === v4 ? v6 : v4)).toBe('bad');
      expect(hex(emitTcp(seg, seg.payload, pseudo))).toBe(hex(bytes));
      expect(hex(emitTcp(seg, seg.payload, pseudo, { computeChecksum: false, fixLength: false }))).toBe(hex(bytes));
    }
    const odd = emitTcp(syn, fromHex('abcdef'), v4);
    expect(verifyTcpChecksum(parseTcp(odd, [])!, v4)).toBe('ok');
    const flipped = odd.slice();
    flipped[odd.length - 1] ^= 0x10;
    expect(verifyTcpChecksum(parseTcp(flipped, [])!, v4)).toBe('bad');
  });

  it('emits a wrong data offset and checksum on purpose', () => {
    const b = emitTcp({ ...data, dataOffset: 15, checksum: 0x1234 }, BODY, v4, { fixLength: false, computeChecksum: false });
    expect(b[12]! >> 4).toBe(15);
    expect(u16(b, 16)).toBe(0x1234);
    const issues: WireIssue[] = [];
    expect(parseTcp(b.subarray(0, 50), issues, 34)).toBeNull();
    expect(issues).toMatchObject([{ kind: 'truncated', offset: 84 }]);
  });

  it('decodes options and names flags', () => {
    const seg = parseTcp(emitTcp(syn, new Uint8Array(0), v4), [])!;
    expect(decodeTcpOptions(seg.options, [])).toEqual([
      { kind: 2, mss: 1460 },
      { kind: 4 },
      { kind: 8, tsval: 123456, tsecr: 0 },
      { kind: 3, shift: 7 },
    ]);
    expect(tcpFlagsToString(seg.flags)).toBe('SYN|ECE|CWR');
    const sack = fromHex('0101 050a 00000064 000000c8');
    expect(decodeTcpOptions(sack, [])).toEqual([{ kind: 5, blocks: [[100, 200]] }]);
    const issues: WireIssue[] = [];
    expect(decodeTcpOptions(fromHex('0204 05'), issues, 54)).toEqual([]);
    expect(issues).toMatchObject([{ kind: 'malformed', offset: 55 }]);
    const unknown = decodeTcpOptions(fromHex('1e03ff00'), []);
    expect(unknown).toEqual([{ kind: 30, data: fromHex('ff') }]);
  });

  it('emits options that decode to the same list, word-aligned with NOPs', () => {
    const lists: TcpOption[][] = [
      decodeTcpOptions(parseTcp(emitTcp(syn, new Uint8Array(0), v4), [])!.options, []),
      [{ kind: 2, mss: 1440 }, { kind: 3, shift: 8 }, { kind: 4 }],
      [{ kind: 5, blocks: [[0xfffffa23, 499], [3499, 4499], [1, 2], [7, 8]] }],
      [{ kind: 8, tsval: 0xffffffff, tsecr: 1 }, { kind: 30, data: fromHex('ff01') }],
    ];
    for (const list of lists) {
      const bytes = emitTcpOptions(list);
      expect(bytes.length).toBe(tcpOptionsLength(list));
      expect(bytes.length % 4).toBe(0);
      const issues: WireIssue[] = [];
      expect(decodeTcpOptions(bytes, issues)).toEqual(list);
      expect(issues).toEqual([]);
      expect(decodeTcpOptions(emitTcpOptions(decodeTcpOptions(bytes, [])), [])).toEqual(list);
    }
    // Four SACK blocks and their two NOPs take 36 of the 40 option bytes (RFC 2018 §3).
    expect(tcpOptionsLength([{ kind: 5, blocks: [[1, 2], [3, 4], [5, 6], [7, 8]] }])).toBe(36);
  });

  it('truncation sweep and bad data offset', () => {
    const bytes = emitTcp(syn, fromHex('0102'), v4);
    for (let n = 0; n < 40; n++) {
      const issues: WireIssue[] = [];
      expect(parseTcp(bytes.subarray(0, n), issues, 34)).toBeNull();
      expect(issues).toEqual([expect.objectContaining({ kind: 'truncated', offset: 34 + n })]);
    }
    const bad = bytes.slice();
    bad[12] = 0x40;
    const issues: WireIssue[] = [];
    expect(parseTcp(bad, issues, 34)).toBeNull();
    expect(issues).toMatchObject([{ kind: 'malformed', offset: 46 }]);
  });
});
