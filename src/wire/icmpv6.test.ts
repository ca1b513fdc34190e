import { describe, expect, it } from 'vitest';
import { hex, ipv6FromString, u16 } from './bytes.js';
import { IpProtocol } from './ip-protocol.js';
import { emitIpv6 } from './ipv6.js';
import { emitUdp } from './udp.js';
import { writeIcmpMessage } from './icmp.js';
import {
  emitIcmpv6, icmpv6ChecksumOk, icmpv6CodeName, icmpv6Length, icmpv6TypeName, isIcmpv6Error, parseIcmpv6,
} from './icmpv6.js';
import { pseudoHeaderSum } from './checksum.js';
import type { WireIssue } from './issues.js';
import { pcapOf, withTempCapture } from '../../test/helpers/pcap.js';
import { hasTshark, tsharkFields } from '../../test/helpers/tshark.js';

// No capture in captures/ holds an ICMPv6 error: these packets are built with the real emitters and
// checked against tshark through a pcap written here.
const SERVER = '2001:db8::2';
const CLIENT = '2001:db8::150';
const outerPseudo = { src: ipv6FromString(SERVER), dst: ipv6FromString(CLIENT) };

/** The DHCPv6 Solicit-like datagram that gets answered with an error: IPv6 + UDP 546 → 547. */
function invoking(extension?: Uint8Array): Uint8Array {
  const pseudo = { src: ipv6FromString(CLIENT), dst: ipv6FromString(SERVER) };
  const udp = emitUdp({ srcPort: 546, dstPort: 547 }, Uint8Array.of(1, 0, 0, 7), pseudo);
  const repr = { trafficClass: 0, flowLabel: 0, hopLimit: 64, nextHeader: IpProtocol.UDP, src: CLIENT, dst: SERVER };
  return extension
    ? emitIpv6({ ...repr, extensionBytes: extension, headerNextHeader: IpProtocol.IPV6_OPTS }, udp)
    : emitIpv6(repr, udp);
}

function portUnreachable(extension?: Uint8Array): Uint8Array {
  return emitIcmpv6({ type: 1, code: 4, rest: 0, body: invoking(extension) }, outerPseudo);
}

/** An Ethernet frame of `icmp` inside IPv6, SERVER → CLIENT. */
function frameOf(icmp: Uint8Array): Uint8Array {
  const ip = emitIpv6({ trafficClass: 0, flowLabel: 0, hopLimit: 64, nextHeader: IpProtocol.ICMPV6, src: SERVER, dst: CLIENT }, icmp);
  const frame = new Uint8Array(14 + ip.length);
  frame.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd]);
  frame.set(ip, 14);
  return frame;
}

describe('parseIcmpv6', () => {
  it('reads a port unreachable quoting a UDP 546 → 547 datagram', () => {
    const m = portUnreachable();
    const issues: WireIssue[] = [];
    const p = parseIcmpv6(m, issues, 54)!;
    expect(issues).toEqual([]);
    expect(p).toMatchObject({ type: 1, code: 4, rest: 0, bodyOffset: 62 });
    expect(p.quoted).toEqual({ ipVersion: 6, src: CLIENT, dst: SERVER, protocol: 17, srcPort: 546, dstPort: 547, length: 52 });
    expect([icmpv6TypeName(1), icmpv6CodeName(1, 4)]).toEqual(['destination unreachable', 'port unreachable']);
    expect(icmpv6ChecksumOk(m, outerPseudo)).toBe(true);
    expect(icmpv6ChecksumOk(m, { src: outerPseudo.dst, dst: ipv6FromString('2001:db8::3') })).toBe(false);
  });

  it('walks quoted extension headers to the UDP ports', () => {
    const hbh = Uint8Array.of(IpProtocol.UDP, 0, 1, 4, 0, 0, 0, 0); // Next header UDP, PadN
    const p = parseIcmpv6(portUnreachable(hbh), [])!;
    expect(p.quoted).toMatchObject({ protocol: 17, srcPort: 546, dstPort: 547, length: 60 });
  });

  it.skipIf(!hasTshark())('agrees with tshark on icmpv6.type, icmpv6.code, the quoted ports and the checksum', () => {
    const cases = [portUnreachable(), emitIcmpv6({ type: 3, code: 0, rest: 0, body: invoking() }, outerPseudo),
      emitIcmpv6({ type: 1, code: 1, rest: 0, body: invoking().subarray(0, 48) }, outerPseudo)];
    for (const m of cases) {
      const rows = withTempCapture(pcapOf([frameOf(m)]), (file) => tsharkFields(file, ['icmpv6.type', 'icmpv6.code',
        'udp.srcport', 'udp.dstport', 'icmpv6.checksum.status'], { numeric: true, occurrence: 'f' }));
      const p = parseIcmpv6(m, [])!;
      expect([[String(p.type), String(p.code), String(p.quoted!.srcPort), String(p.quoted!.dstPort), icmpv6ChecksumOk(m, outerPseudo) ? '1' : '2']])
        .toEqual(rows);
    }
  });

  it('emit(parse(x)) gives x back, also into a 0xa5-filled buffer at an offset', () => {
    const m = portUnreachable();
    const p = parseIcmpv6(m, [])!;
    expect(hex(emitIcmpv6(p, outerPseudo))).toBe(hex(m));
    expect(icmpv6Length(p)).toBe(m.length);
    const out = new Uint8Array(m.length + 3).fill(0xa5);
    writeIcmpMessage(p, out, 1, pseudoHeaderSum(outerPseudo.src, outerPseudo.dst, IpProtocol.ICMPV6, m.length));
    expect(hex(out)).toBe('a5' + hex(m) + 'a5a5');
    const wrong = emitIcmpv6({ ...p, checksum: 0x1234 }, outerPseudo, { computeChecksum: false });
    expect(u16(wrong, 2)).toBe(0x1234);
  });

  it('a truncation sweep: every prefix decodes without throwing and reports truncation', () => {
    const m = portUnreachable();
    for (let n = 0; n < m.length; n++) {
      const issues: WireIssue[] = [];
      const p = parseIcmpv6(m.subarray(0, n), issues, 54);
      if (n < 8) expect(p).toBeNull();
      if (n < 8 + 40 + 8) expect(issues).toEqual([expect.objectContaining({ kind: 'truncated', layer: 'icmpv6', offset: 54 + n })]);
      else expect(issues).toEqual([]);
      if (p?.quoted) expect(p.quoted.dstPort).toBe(n >= 52 ? 547 : null);
      else if (p) expect(n).toBeLessThan(48);
    }
  });

  it('neighbour discovery and echo are not errors: no quote, no issue, names from the table', () => {
    const ns = emitIcmpv6({ type: 135, code: 0, rest: 0, body: ipv6FromString('fe80::1') }, outerPseudo);
    const issues: WireIssue[] = [];
    expect(parseIcmpv6(ns, issues)).toMatchObject({ type: 135, quoted: null });
    expect(issues).toEqual([]);
    expect(icmpv6TypeName(135)).toBe('neighbor solicitation');
    expect([isIcmpv6Error(1), isIcmpv6Error(127), isIcmpv6Error(128)]).toEqual([true, true, false]);
    expect(icmpv6TypeName(200)).toBeNull();
  });
});
