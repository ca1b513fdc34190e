import { describe, it, expect } from 'vitest';
import { fromHex, hex, ipv6FromString } from './bytes.js';
import { icmpv6ChecksumOk } from './icmpv6.js';
import type { WireIssue } from './issues.js';
import {
  checkNdpIpHeader, emitNdp, emptyNdpOptions, ndpLength, ndpOptions, parseNdp, writeNdp,
  type NdpMessage, type RouterAdvert,
} from './ndp.js';
import { ndpSummary, ndpToJson } from './ndp-format.js';

const ROUTER = 'fe80::b8f9:2cff:fe0b:3c00';
const pseudo = (src: string, dst: string) => ({ src: ipv6FromString(src), dst: ipv6FromString(dst) });
const RA_PSEUDO = pseudo(ROUTER, 'ff02::1');

/** dnsmasq 2.90's RA, captures/lab-v6/uefi-pxe6-dnsmasq.pcapng frame 5 (ICMPv6 message only). */
const DNSMASQ_RA = fromHex(
  '86006f6140c00708000000000000000003044080000002580000025800000000' +
  '20010db8000100000000000000000000050100000000 05dc0101baf92c0b3c00',
);

/** iPXE's DAD probe with a nonce option (RFC 3971 §5.3.2), captures/lab/broken-ipxe-loop.pcapng frame 2. */
const IPXE_DAD_NS = fromHex('87003d2d00000000fe80000000000000 94d3f0fffe33217c 0e01d5001d267797');

function parse(b: Uint8Array, base = 0): { m: NdpMessage | null; issues: WireIssue[] } {
  const issues: WireIssue[] = [];
  return { m: parseNdp(b, issues, base), issues };
}

describe('parseNdp on real messages', () => {
  it('reads dnsmasq\'s RA completely: flags, timers, prefix, MTU, source link-layer address', () => {
    const { m, issues } = parse(DNSMASQ_RA);
    expect(issues).toEqual([]);
    expect(m).toEqual({
      kind: 'ra', curHopLimit: 64, managed: true, other: true, homeAgent: false, preference: 'medium', proxy: false,
      routerLifetime: 1800, reachableTime: 0, retransTimer: 0,
      options: {
        ...emptyNdpOptions(), sourceLinkAddr: 'ba:f9:2c:0b:3c:00', mtu: 1500,
        prefixes: [{ prefix: '2001:db8:1::', length: 64, onLink: true, autonomous: false, valid: 600, preferred: 600 }],
      },
    });
    expect(icmpv6ChecksumOk(DNSMASQ_RA, RA_PSEUDO)).toBe(true);
  });

  it('keeps the nonce option of iPXE\'s DAD probe raw, with its offset in the message', () => {
    const { m, issues } = parse(IPXE_DAD_NS);
    expect(issues).toEqual([]);
    expect(m).toEqual({
      kind: 'ns', target: 'fe80::94d3:f0ff:fe33:217c',
      options: { ...emptyNdpOptions(), raw: [{ type: 14, offset: 24, data: fromHex('d5001d267797') }] },
    });
    const again = emitNdp(m!, pseudo('::', 'ff02::1:ff33:217c'));
    expect(hex(again)).toBe(hex(IPXE_DAD_NS));
  });

  it('emit reproduces the RA field by field; only the option order differs (dnsmasq: prefix, MTU, SLLA)', () => {
    const m = parse(DNSMASQ_RA).m!;
    const again = emitNdp(m, RA_PSEUDO);
    expect(again.length).toBe(DNSMASQ_RA.length);
    expect(hex(again.subarray(4, 16))).toBe(hex(DNSMASQ_RA.subarray(4, 16)));
    // Canonical order: SLLA (8) + MTU (8) + prefix (32).
    expect(hex(again.subarray(16))).toBe(hex(DNSMASQ_RA.subarray(56, 64)) + hex(DNSMASQ_RA.subarray(48, 56)) + hex(DNSMASQ_RA.subarray(16, 48)));
    expect(icmpv6ChecksumOk(again, RA_PSEUDO)).toBe(true);
    expect(parse(again).m).toEqual(m);
  });
});

const FULL_OPTIONS = ndpOptions({
  sourceLinkAddr: '52:54:00:00:0e:f6', mtu: 1280,
  prefixes: [
    { prefix: '2001:db8:1::', length: 64, onLink: true, autonomous: true, valid: 86400, preferred: 14400 },
    { prefix: '2001:db8:2::', length: 48, onLink: false, autonomous: false, valid: 0xffffffff, preferred: 0 },
  ],
  routes: [
    { prefix: '::', length: 0, preference: 'low', lifetime: 30 },
    { prefix: '2001:db8:10::', length: 48, preference: 'high', lifetime: 1800 },
    { prefix: '2001:db8:20::1', length: 128, preference: 'reserved', lifetime: 0xffffffff },
  ],
  rdnss: ['2001:db8:1::53', '2001:db8:1::54'], rdnssLifetime: 600,
  dnssl: ['example.com', 'lab.example.org'], dnsslLifetime: 1200,
  raw: [{ type: 200, offset: 16 + 8 + 8 + 64 + 8 + 16 + 24 + 40 + 40, data: fromHex('0102030405060708090a0b0c0d0e') }],
});

const MESSAGES: NdpMessage[] = [
  { kind: 'rs', options: ndpOptions({ sourceLinkAddr: '52:54:00:00:0e:f6' }) },
  { kind: 'rs', options: emptyNdpOptions() },
  {
    kind: 'ra', curHopLimit: 64, managed: true, other: false, homeAgent: true, preference: 'high', proxy: true,
    routerLifetime: 9000, reachableTime: 30000, retransTimer: 1000, options: FULL_OPTIONS,
  },
  {
    kind: 'ra', curHopLimit: 0, managed: false, other: true, homeAgent: false, preference: 'low', proxy: false,
    routerLifetime: 0, reachableTime: 0, retransTimer: 0, options: emptyNdpOptions(),
  },
  { kind: 'ns', target: '2001:db8:1::100', options: ndpOptions({ sourceLinkAddr: '02:00:00:00:00:01' }) },
  { kind: 'na', router: true, solicited: false, override: true, target: 'fe80::1', options: ndpOptions({ targetLinkAddr: '02:00:00:00:00:01' }) },
  { kind: 'na', router: false, solicited: true, override: false, target: '2001:db8::2', options: emptyNdpOptions() },
  {
    kind: 'redirect', target: 'fe80::2', destination: '2001:db8:99::1',
    // The redirected header stays raw (6 reserved bytes + the start of the packet, padded to 8).
    options: ndpOptions({ targetLinkAddr: '02:00:00:00:00:02', raw: [{ type: 4, offset: 48, data: new Uint8Array(46).fill(0x60, 6, 7) }] }),
  },
];

describe('emitNdp / parseNdp round trip', () => {
  for (const m of MESSAGES) {
    it(`${m.kind} with ${m.options.raw.length + m.options.prefixes.length + m.options.routes.length} listed options`, () => {
      const p = pseudo('fe80::1', 'ff02::1');
      const bytes = emitNdp(m, p);
      expect(bytes.length).toBe(ndpLength(m));
      expect(bytes.length % 8).toBe(0);
      expect(icmpv6ChecksumOk(bytes, p)).toBe(true);
      const { m: back, issues } = parse(bytes);
      expect(issues).toEqual([]);
      expect(back).toEqual(m);
    });
  }

  it('writes every byte: into a buffer pre-filled with 0xa5, at an offset, the neighbours untouched', () => {
    for (const m of MESSAGES) {
      const len = ndpLength(m);
      const buf = new Uint8Array(len + 12).fill(0xa5);
      expect(writeNdp(m, buf, 5, RA_PSEUDO)).toBe(len);
      expect(hex(buf.subarray(5, 5 + len))).toBe(hex(emitNdp(m, RA_PSEUDO)));
      expect([...buf.subarray(0, 5), ...buf.subarray(5 + len)].every((b) => b === 0xa5)).toBe(true);
    }
  });

  it('lays out the RA header and each option at the RFC byte positions', () => {
    const m = MESSAGES[2] as RouterAdvert;
    const b = emitNdp(m, RA_PSEUDO);
    expect(hex(b.subarray(0, 2))).toBe('8600');
    expect(hex(b.subarray(4, 16))).toBe('40' + 'ac' + '2328' + '00007530' + '000003e8'); // M=1 O=0 H=1 Prf=01 P=1
    expect(hex(b.subarray(16, 24))).toBe('0101525400000ef6');
    expect(hex(b.subarray(24, 32))).toBe('0501000000000500');
    expect(hex(b.subarray(32, 64))).toBe('030440c00001518000003840' + '00000000' + '20010db8000100000000000000000000');
    // Route information: ::/0 low in one unit, /48 high in two, /128 reserved in three (RFC 4191 §2.3).
    expect(hex(b.subarray(96, 104))).toBe('1801001800' + '00001e'.padStart(6, '0'));
    expect(hex(b.subarray(104, 120))).toBe('1802300800000708' + '20010db800100000');
    expect(b[120]).toBe(24);
    expect(b[121]).toBe(3);
    expect(b[123]).toBe(0x10);
    // RDNSS: length 5 for two addresses.
    expect(hex(b.subarray(144, 152))).toBe('1905000000000258');
    // DNSSL: lifetime 1200, then 7example3com0 3lab7example3org0, padded to 8.
    const dnssl = b.subarray(184);
    expect(dnssl[0]).toBe(31);
    expect(hex(dnssl.subarray(4, 8))).toBe('000004b0');
    expect(new TextDecoder().decode(dnssl.subarray(8, 21))).toBe('\x07example\x03com\x00');
    expect(dnssl.length).toBe(40 + 16);
    expect(dnssl[1]! * 8).toBe(40);
    expect(hex(dnssl.subarray(40, 42))).toBe('c802');
  });

  it('NA flags and the Redirect addresses sit where RFC 4861 §4.4/§4.5 put them', () => {
    const na = emitNdp(MESSAGES[5]!, RA_PSEUDO);
    expect(hex(na.subarray(0, 8))).toBe('8800' + hex(na.subarray(2, 4)) + 'a0000000');
    const rd = emitNdp(MESSAGES[7]!, RA_PSEUDO);
    expect(hex(rd.subarray(24, 40))).toBe(hex(ipv6FromString('2001:db8:99::1')));
    expect(hex(rd.subarray(40, 48))).toBe('0201020000000002');
    expect(hex(rd.subarray(48, 50))).toBe('0406');
  });

  it('computeChecksum false leaves a zero checksum (negative tests)', () => {
    const b = emitNdp(MESSAGES[0]!, RA_PSEUDO, { computeChecksum: false });
    expect(hex(b.subarray(2, 4))).toBe('0000');
    expect(icmpv6ChecksumOk(b, RA_PSEUDO)).toBe(false);
  });

  it('an absent RDNSS/DNSSL lifetime is emitted as 1800 s', () => {
    const m: NdpMessage = { kind: 'rs', options: ndpOptions({ rdnss: ['2001:db8::53'], dnssl: ['x.test'] }) };
    const back = parse(emitNdp(m, RA_PSEUDO)).m!;
    expect([back.options.rdnssLifetime, back.options.dnsslLifetime]).toEqual([1800, 1800]);
  });
});

describe('parseNdp: bad input never throws and says where', () => {
  const at = 100;
  it('returns null for non-ND types and for a fixed part cut short (truncated at the end)', () => {
    expect(parse(fromHex('80000000 00010001')).m).toBeNull();
    expect(parse(fromHex('80000000 00010001')).issues).toEqual([]);
    expect(parse(new Uint8Array(0)).m).toBeNull();
    const { m, issues } = parse(DNSMASQ_RA.subarray(0, 15), at);
    expect(m).toBeNull();
    expect(issues).toEqual([expect.objectContaining({ kind: 'truncated', layer: 'ndp', offset: at + 15 })]);
  });

  it('every prefix of real messages decodes without throwing; a cut option is truncated', () => {
    for (const msg of [DNSMASQ_RA, IPXE_DAD_NS]) {
      for (let n = 0; n < msg.length; n++) {
        const { m, issues } = parse(msg.subarray(0, n), at);
        if (m) expect(issues.length > 0 || (n - (msg[0] === 134 ? 16 : 24)) % 8 === 0).toBe(true);
        for (const i of issues) expect(i.offset).toBeLessThanOrEqual(at + n);
      }
    }
    const cut = parse(DNSMASQ_RA.subarray(0, 40), at);
    expect(cut.issues).toEqual([expect.objectContaining({ kind: 'truncated', offset: at + 40 })]);
    expect(cut.m!.options.raw).toEqual([{ type: 3, offset: 16, data: DNSMASQ_RA.subarray(18, 40) }]);
  });

  it('an option of length 0 stops the walk (RFC 4861 §6.1.2) and what came before is kept', () => {
    const b = fromHex('85000000 00000000 0101525400000ef6 0e00000000000000 0101000000000001');
    const { m, issues } = parse(b, at);
    expect(issues).toEqual([expect.objectContaining({ kind: 'malformed', offset: at + 17 })]);
    expect(m!.options.sourceLinkAddr).toBe('52:54:00:00:0e:f6');
    expect(m!.options.raw).toEqual([]);
  });

  it('flags a non-zero code, a prefix length over 128 and a multicast NS target', () => {
    const ra = DNSMASQ_RA.slice();
    ra[1] = 1;
    ra[18] = 129;
    const r = parse(ra, at);
    expect(r.issues.map((i) => [i.kind, i.offset])).toEqual([['malformed', at + 1], ['malformed', at + 18]]);
    expect((r.m as RouterAdvert).options.prefixes[0]!.length).toBe(129);
    const ns = IPXE_DAD_NS.slice();
    ns[8] = 0xff;
    expect(parse(ns, at).issues).toEqual([expect.objectContaining({ kind: 'malformed', offset: at + 8 })]);
  });

  it('structured options that break their rules stay raw with an issue: MTU length 2, RDNSS length 2, route /64 in one unit, DNSSL label overrun', () => {
    const b = fromHex(
      '85000000 00000000' +
      '0502000000000000 0000000000000000' + // MTU of length 2
      '1902000000000000 0000000000000000' + // RDNSS with half an address
      '1801400000000000' + // route /64 in 1 unit
      '1f02000000000000 0961626300000000', // DNSSL whose first label (9 bytes) runs past the option end
    );
    const { m, issues } = parse(b, at);
    expect(m!.options.mtu).toBeNull();
    expect(m!.options.rdnss).toEqual([]);
    expect(m!.options.routes).toEqual([]);
    expect(m!.options.dnssl).toEqual([]);
    expect(m!.options.raw.map((r) => [r.type, r.offset])).toEqual([[5, 8], [25, 24], [24, 40], [31, 48]]);
    expect(issues.map((i) => i.offset)).toEqual([at + 9, at + 25, at + 41, at + 48 + 8]);
    // Raw entries of the structured types are not written back.
    expect(emitNdp(m!, RA_PSEUDO).length).toBe(8);
  });

  it('a second source link-layer address option is kept raw (and not emitted again)', () => {
    const b = fromHex('85000000 00000000 0101020000000001 0101020000000002');
    const m = parse(b).m!;
    expect(m.options.sourceLinkAddr).toBe('02:00:00:00:00:01');
    expect(m.options.raw).toEqual([{ type: 1, offset: 16, data: fromHex('020000000002') }]);
  });
});

describe('checkNdpIpHeader (RFC 4861 rules that need the IP header)', () => {
  const ip = (src: string, dst: string, hopLimit = 255) => ({ src: ipv6FromString(src), dst: ipv6FromString(dst), hopLimit });
  const run = (m: NdpMessage, h: ReturnType<typeof ip>): [string, number][] => {
    const issues: WireIssue[] = [];
    checkNdpIpHeader(m, h, issues, 14);
    return issues.map((i) => [i.kind, i.offset]);
  };
  it('hop limit other than 255, RA from a global address, DAD NS with SLLA, solicited NA to multicast', () => {
    const ra = parse(DNSMASQ_RA).m!;
    expect(run(ra, ip(ROUTER, 'ff02::1'))).toEqual([]);
    expect(run(ra, ip(ROUTER, 'ff02::1', 64))).toEqual([['malformed', 14 + 7]]);
    expect(run(ra, ip('2001:db8:1::1', 'ff02::1'))).toEqual([['malformed', 14 + 8]]);
    expect(run(MESSAGES[4]!, ip('::', 'ff02::1:ff00:100'))).toEqual([['malformed', 14 + 8]]);
    expect(run(MESSAGES[6]!, ip('2001:db8::2', 'ff02::1'))).toEqual([['malformed', 14 + 24]]);
    expect(run(MESSAGES[6]!, ip('2001:db8::2', 'fe80::1'))).toEqual([]);
  });
});

describe('ndpSummary / ndpToJson', () => {
  it('one tshark-like line per message', () => {
    expect(ndpSummary(parse(DNSMASQ_RA).m!, ROUTER)).toBe(
      `Router Advertisement from ${ROUTER} M=1 O=1 lifetime 1800 pref medium prefix 2001:db8:1::/64 L=1 A=0 mtu 1500 lladdr ba:f9:2c:0b:3c:00`);
    expect(ndpSummary(parse(IPXE_DAD_NS).m!, '::')).toBe('Neighbor Solicitation for fe80::94d3:f0ff:fe33:217c (DAD) option 14 (nonce)');
    expect(ndpSummary(MESSAGES[5]!, 'fe80::1')).toBe('Neighbor Advertisement fe80::1 (rtr, ovr) is at 02:00:00:00:00:01');
    expect(ndpSummary(MESSAGES[7]!, 'fe80::1')).toBe(
      'Redirect to fe80::2 for 2001:db8:99::1 target lladdr 02:00:00:00:00:02 option 4 (redirected header)');
    expect(ndpSummary(MESSAGES[2]!, 'fe80::1')).toContain(
      'route ::/0 pref low lifetime 30 route 2001:db8:10::/48 pref high lifetime 1800');
  });

  it('JSON keeps every field and the raw options as hex', () => {
    const j = ndpToJson(parse(IPXE_DAD_NS).m!);
    expect(j).toEqual({
      type: 135, kind: 'ns', target: 'fe80::94d3:f0ff:fe33:217c',
      options: {
        sourceLinkAddr: null, targetLinkAddr: null, mtu: null, prefixes: [], routes: [], rdnss: [], rdnssLifetime: null,
        dnssl: [], dnsslLifetime: null, raw: [{ type: 14, name: 'nonce', offset: 24, data: 'd5001d267797' }],
      },
    });
    expect(ndpToJson(MESSAGES[2]!)).toMatchObject({ kind: 'ra', managed: true, preference: 'high', options: { rdnss: ['2001:db8:1::53', '2001:db8:1::54'] } });
  });
});
