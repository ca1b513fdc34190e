import { describe, expect, it } from 'vitest';
import { bytesEqual, fromHex, hex, ipv4FromString, u16 } from './bytes.js';
import { emitIpv4, parseIpv4 } from './ipv4.js';
import { emitUdp } from './udp.js';
import {
  emitIcmp, icmpChecksumOk, icmpCodeName, icmpLength, icmpTypeName, isIcmpError, parseIcmp, writeIcmpMessage,
} from './icmp.js';
import type { WireIssue } from './issues.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { ROOT } from '../../test/helpers/paths.js';
import { hasTshark, tsharkFields } from '../../test/helpers/tshark.js';
import { join } from 'node:path';

const CAPTURE = 'captures/lab/broken-two-dhcp-servers.pcapng';

/** Frame 22 of the lab capture: 198.51.100.2 answers a TFTP RRQ with ICMP port unreachable. */
function frame22(): { ip: Uint8Array; icmp: Uint8Array } {
  const f = loadFrames(CAPTURE).find((r) => r.frame === 22)!;
  const ip = f.data.subarray(14);
  const p = parseIpv4(ip, [], 14)!;
  return { ip, icmp: p.payload };
}

/** The quoted datagram a router would send back: IP header + UDP header + a little data. */
function quotedUdp(src: string, dst: string, srcPort: number, dstPort: number, data: Uint8Array): Uint8Array {
  const pseudo = { src: ipv4FromString(src), dst: ipv4FromString(dst) };
  const udp = emitUdp({ srcPort, dstPort }, data, pseudo);
  return emitIpv4({ dscp: 0, ecn: 0, identification: 0x1234, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: 17, src, dst }, udp);
}

describe('parseIcmp on a real packet', () => {
  it('reads frame 22: destination unreachable / port unreachable, quoting the TFTP RRQ', () => {
    const { icmp } = frame22();
    const issues: WireIssue[] = [];
    const m = parseIcmp(icmp, issues, 34)!;
    expect(issues).toEqual([]);
    expect(m).toMatchObject({ type: 3, code: 3, checksum: 0x524a, rest: 0, bodyOffset: 42 });
    expect(m.quoted).toEqual({
      ipVersion: 4, src: '198.51.100.150', dst: '198.51.100.2', protocol: 17, srcPort: 1062, dstPort: 69, length: 80,
    });
    expect(icmpTypeName(m.type)).toBe('destination unreachable');
    expect(icmpCodeName(m.type, m.code)).toBe('port unreachable');
    expect(icmpChecksumOk(icmp)).toBe(true);
  });

  it.skipIf(!hasTshark())('matches tshark icmp.type, icmp.code and the quoted udp ports', () => {
    const rows = tsharkFields(join(ROOT, CAPTURE), ['frame.number', 'icmp.type', 'icmp.code', 'udp.srcport', 'udp.dstport', 'icmp.checksum.status'],
      { numeric: true, filter: 'icmp', occurrence: 'a' });
    const frames = loadFrames(CAPTURE);
    let compared = 0;
    for (const [frame, type, code, sport, dport, status] of rows) {
      const f = frames.find((r) => r.frame === Number(frame))!;
      const ip = parseIpv4(f.data.subarray(14), [], 14)!;
      const m = parseIcmp(ip.payload, [], ip.payloadOffset)!;
      const got = [String(m.type), String(m.code), String(m.quoted?.srcPort ?? ''), String(m.quoted?.dstPort ?? ''), icmpChecksumOk(ip.payload) ? '1' : '2'];
      expect(got).toEqual([type, code, sport, dport, status]);
      compared++;
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('emit(parse(x)) gives x back, also into a 0xa5-filled buffer at an offset', () => {
    const { icmp } = frame22();
    const m = parseIcmp(icmp, [])!;
    expect(hex(emitIcmp(m))).toBe(hex(icmp));
    expect(icmpLength(m)).toBe(icmp.length);
    const out = new Uint8Array(icmp.length + 4).fill(0xa5);
    expect(writeIcmpMessage(m, out, 2, 0)).toBe(icmp.length);
    expect(hex(out)).toBe('a5a5' + hex(icmp) + 'a5a5');
  });

  it('a truncation sweep: every prefix decodes without throwing and reports truncation', () => {
    const { icmp } = frame22();
    for (let n = 0; n < icmp.length; n++) {
      const issues: WireIssue[] = [];
      const m = parseIcmp(icmp.subarray(0, n), issues, 34);
      if (n < 8) {
        expect(m).toBeNull();
        expect(issues).toEqual([expect.objectContaining({ kind: 'truncated', layer: 'icmp', offset: 34 + n })]);
      } else if (n < 8 + 20 + 8) {
        // The quote lacks the IP header or the 8 bytes of original data RFC 792 promises.
        expect(issues).toEqual([expect.objectContaining({ kind: 'truncated', layer: 'icmp', offset: 34 + n })]);
        expect(m!.quoted === null).toBe(n < 28);
        // Ports are read as soon as their 4 bytes are there.
        if (m!.quoted) expect(m!.quoted.dstPort).toBe(n >= 32 ? 69 : null);
      } else {
        // A quote cut anywhere past the UDP header is normal (routers quote 8 bytes only).
        expect(issues).toEqual([]);
        expect(m!.quoted).toMatchObject({ srcPort: 1062, dstPort: 69, length: n - 8 });
      }
    }
  });
});

describe('emitIcmp', () => {
  it('writes every field, with a checksum that verifies', () => {
    const body = quotedUdp('198.51.100.150', '198.51.100.2', 1062, 4011, new Uint8Array(0));
    const out = emitIcmp({ type: 3, code: 3, rest: 0, body: body.subarray(0, 28) });
    expect(out.length).toBe(36);
    expect(hex(out.subarray(0, 2))).toBe('0303');
    expect(hex(out.subarray(4, 8))).toBe('00000000');
    expect(bytesEqual(out.subarray(8), body.subarray(0, 28))).toBe(true);
    expect(icmpChecksumOk(out)).toBe(true);
    const m = parseIcmp(out, [])!;
    expect(m.quoted).toMatchObject({ src: '198.51.100.150', dst: '198.51.100.2', srcPort: 1062, dstPort: 4011, protocol: 17 });
  });

  it('keeps the rest-of-header word (fragmentation needed: next-hop MTU) and a wrong checksum on purpose', () => {
    const body = quotedUdp('203.0.113.5', '198.51.100.9', 68, 67, fromHex('0102030405060708'));
    const m = emitIcmp({ type: 3, code: 4, rest: 1400, body, checksum: 0xbeef }, { computeChecksum: false });
    expect(u16(m, 2)).toBe(0xbeef);
    expect(u16(m, 6)).toBe(1400);
    expect(icmpChecksumOk(m)).toBe(false);
    expect(parseIcmp(m, [])).toMatchObject({ type: 3, code: 4, rest: 1400, checksum: 0xbeef });
  });

  it('echo is not an error: no quote read, no issue', () => {
    const echo = emitIcmp({ type: 8, code: 0, rest: 0x00010002, body: fromHex('6162') });
    const issues: WireIssue[] = [];
    expect(parseIcmp(echo, issues)).toMatchObject({ type: 8, rest: 0x00010002, quoted: null });
    expect(issues).toEqual([]);
    expect(isIcmpError(8)).toBe(false);
    expect(isIcmpError(11)).toBe(true);
  });

  it('keeps unknown types and codes as numbers, without names', () => {
    const m = parseIcmp(emitIcmp({ type: 200, code: 7, rest: 0, body: new Uint8Array(0) }), [])!;
    expect([m.type, m.code, icmpTypeName(200), icmpCodeName(3, 99)]).toEqual([200, 7, null, null]);
  });

  it('reports a quote that is not IPv4 as malformed; no ports from a non-first fragment', () => {
    const issues: WireIssue[] = [];
    const bad = emitIcmp({ type: 11, code: 0, rest: 0, body: new Uint8Array(28).fill(0x60) });
    expect(parseIcmp(bad, issues, 10)!.quoted).toBeNull();
    expect(issues).toEqual([expect.objectContaining({ kind: 'malformed', layer: 'icmp', offset: 18 })]);
    const frag = quotedUdp('198.51.100.150', '198.51.100.2', 1062, 69, new Uint8Array(8));
    frag[6] = 0x00; frag[7] = 0x10; // fragment offset 128 bytes: these bytes are not a UDP header
    const m = parseIcmp(emitIcmp({ type: 11, code: 1, rest: 0, body: frag }), [])!;
    expect(m.quoted).toMatchObject({ protocol: 17, srcPort: null, dstPort: null });
    expect(icmpCodeName(11, 1)).toBe('fragment reassembly time exceeded');
  });
});
