/**
 * tshark as the oracle for Neighbour Discovery: every ND field pxecheck decodes, frame by frame,
 * over every capture where tshark sees ND, and over a capture built by our own encoder with every
 * option type we structure (route information, RDNSS, DNSSL, Redirect: none of the real captures
 * has them).
 *
 * tshark 4.0 shares `icmpv6.opt.prefix` / `icmpv6.opt.prefix.length` between prefix information
 * (type 3) and route information (type 24), and gives no prefix for a ::/0 route: the option type
 * sequence is used to split them.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { captureFiles, decodeCapture, ROOT } from '../helpers/fixtures.js';
import { hasTshark, tsharkFields } from '../helpers/tshark.js';
import { pcapOf } from '../helpers/pcap.js';
import { ipv6FromString } from '../../src/wire/bytes.js';
import { emitEthernet } from '../../src/wire/ethernet.js';
import { emitIpv6 } from '../../src/wire/ipv6.js';
import { emitNdp, ndpOptions, preferenceBits, type NdpMessage } from '../../src/wire/ndp.js';
import type { NdpDecoded } from '../../src/decode/messages.js';

const FIELDS = [
  'frame.number', 'ipv6.hlim', 'icmpv6.type', 'icmpv6.checksum.status',
  'icmpv6.nd.ra.cur_hop_limit', 'icmpv6.nd.ra.flag.m', 'icmpv6.nd.ra.flag.o', 'icmpv6.nd.ra.flag.h', 'icmpv6.nd.ra.flag.prf',
  'icmpv6.nd.ra.flag.p', 'icmpv6.nd.ra.router_lifetime', 'icmpv6.nd.ra.reachable_time', 'icmpv6.nd.ra.retrans_timer',
  'icmpv6.nd.ns.target_address', 'icmpv6.nd.na.target_address', 'icmpv6.nd.na.flag.r', 'icmpv6.nd.na.flag.s', 'icmpv6.nd.na.flag.o',
  'icmpv6.nd.rd.target_address', 'icmpv6.rd.na.destination_address',
  'icmpv6.opt.type', 'icmpv6.opt.src_linkaddr', 'icmpv6.opt.target_linkaddr', 'icmpv6.opt.mtu',
  'icmpv6.opt.prefix', 'icmpv6.opt.prefix.length', 'icmpv6.opt.prefix.flag.l', 'icmpv6.opt.prefix.flag.a',
  'icmpv6.opt.prefix.valid_lifetime', 'icmpv6.opt.prefix.preferred_lifetime',
  'icmpv6.opt.route_info.flag.route_preference', 'icmpv6.opt.route_lifetime',
  'icmpv6.opt.rdnss', 'icmpv6.opt.rdnss.lifetime', 'icmpv6.opt.dnssl', 'icmpv6.opt.dnssl.lifetime',
] as const;
type Field = (typeof FIELDS)[number];
type Row = Record<Field, string[]>;

// ND messages only, not the copy of one that an ICMP error quotes (tshark decodes the quote: a
// collector's port unreachable for a VXLAN datagram carrying a Router Solicitation).
const ND_FILTER = 'icmpv6.type >= 133 && icmpv6.type <= 137 && !icmp && !(icmpv6.type < 128)';
const KIND_TYPE: Record<NdpMessage['kind'], number> = { rs: 133, ra: 134, ns: 135, na: 136, redirect: 137 };

function tsharkNd(file: string): Map<number, Row> {
  const rows = tsharkFields(file, FIELDS, { numeric: true, filter: ND_FILTER, occurrence: 'a', aggregator: '|' });
  const out = new Map<number, Row>();
  for (const cols of rows) {
    const r = {} as Row;
    FIELDS.forEach((f, i) => (r[f] = cols[i] ? cols[i]!.split('|') : []));
    out.set(Number(cols[0]), r);
  }
  return out;
}

const num = (xs: string[]): number[] => xs.map(Number);
const bool = (b: boolean): string => (b ? '1' : '0');

/** What tshark shows for one message, rebuilt from our decode in tshark's terms. */
function compare(m: NdpDecoded, t: Row, note: (what: string, ours: unknown, theirs: unknown) => void): void {
  const msg = m.msg;
  const o = msg.options;
  note('type', KIND_TYPE[msg.kind], Number(t['icmpv6.type'][0]));
  note('hop limit', m.hopLimit, Number(t['ipv6.hlim'][0]));
  switch (msg.kind) {
    case 'ra':
      note('ra header', [msg.curHopLimit, bool(msg.managed), bool(msg.other), bool(msg.homeAgent), preferenceBits(msg.preference), bool(msg.proxy),
        msg.routerLifetime, msg.reachableTime, msg.retransTimer],
      [Number(t['icmpv6.nd.ra.cur_hop_limit'][0]), t['icmpv6.nd.ra.flag.m'][0], t['icmpv6.nd.ra.flag.o'][0], t['icmpv6.nd.ra.flag.h'][0],
        Number(t['icmpv6.nd.ra.flag.prf'][0]), t['icmpv6.nd.ra.flag.p'][0], Number(t['icmpv6.nd.ra.router_lifetime'][0]),
        Number(t['icmpv6.nd.ra.reachable_time'][0]), Number(t['icmpv6.nd.ra.retrans_timer'][0])]);
      break;
    case 'ns': note('ns target', msg.target, t['icmpv6.nd.ns.target_address'][0]); break;
    case 'na':
      note('na', [bool(msg.router), bool(msg.solicited), bool(msg.override), msg.target],
        [t['icmpv6.nd.na.flag.r'][0], t['icmpv6.nd.na.flag.s'][0], t['icmpv6.nd.na.flag.o'][0], t['icmpv6.nd.na.target_address'][0]]);
      break;
    case 'redirect':
      note('redirect', [msg.target, msg.destination], [t['icmpv6.nd.rd.target_address'][0], t['icmpv6.rd.na.destination_address'][0]]);
      break;
    case 'rs': break;
  }
  // Options as a multiset of types (one RDNSS / DNSSL option each in these captures).
  const types: number[] = [];
  if (o.sourceLinkAddr !== null) types.push(1);
  if (o.targetLinkAddr !== null) types.push(2);
  if (o.mtu !== null) types.push(5);
  for (const _ of o.prefixes) types.push(3);
  for (const _ of o.routes) types.push(24);
  if (o.rdnss.length > 0) types.push(25);
  if (o.dnssl.length > 0) types.push(31);
  for (const r of o.raw) types.push(r.type);
  const ttypes = num(t['icmpv6.opt.type']);
  note('option types', [...types].sort((a, b) => a - b), [...ttypes].sort((a, b) => a - b));
  note('source lladdr', o.sourceLinkAddr, t['icmpv6.opt.src_linkaddr'][0] ?? null);
  note('target lladdr', o.targetLinkAddr, t['icmpv6.opt.target_linkaddr'][0] ?? null);
  note('mtu', o.mtu, t['icmpv6.opt.mtu'][0] === undefined ? null : Number(t['icmpv6.opt.mtu'][0]));
  // Split tshark's shared prefix fields by option type, in wire order.
  const lengths = num(t['icmpv6.opt.prefix.length']);
  const prefixes = [...t['icmpv6.opt.prefix']];
  const pinfo: string[] = [];
  const routes: string[] = [];
  for (const ty of ttypes) {
    if (ty !== 3 && ty !== 24) continue;
    const len = lengths.shift();
    const p = ty === 24 && len === 0 ? '::' : prefixes.shift();
    (ty === 3 ? pinfo : routes).push(`${p}/${len}`);
  }
  note('prefix information', o.prefixes.map((p) => `${p.prefix}/${p.length}`), pinfo);
  note('prefix flags and lifetimes', o.prefixes.map((p) => [bool(p.onLink), bool(p.autonomous), p.valid, p.preferred]),
    t['icmpv6.opt.prefix.flag.l'].map((l, i) => [l, t['icmpv6.opt.prefix.flag.a'][i],
      Number(t['icmpv6.opt.prefix.valid_lifetime'][i]), Number(t['icmpv6.opt.prefix.preferred_lifetime'][i])]));
  note('routes', o.routes.map((r) => [`${r.prefix}/${r.length}`, preferenceBits(r.preference), r.lifetime]),
    routes.map((r, i) => [r, Number(t['icmpv6.opt.route_info.flag.route_preference'][i]), Number(t['icmpv6.opt.route_lifetime'][i])]));
  note('rdnss', [o.rdnss, o.rdnss.length ? o.rdnssLifetime : null],
    [t['icmpv6.opt.rdnss'], t['icmpv6.opt.rdnss.lifetime'][0] === undefined ? null : Number(t['icmpv6.opt.rdnss.lifetime'][0])]);
  note('dnssl', [o.dnssl, o.dnssl.length ? o.dnsslLifetime : null],
    [t['icmpv6.opt.dnssl'], t['icmpv6.opt.dnssl.lifetime'][0] === undefined ? null : Number(t['icmpv6.opt.dnssl.lifetime'][0])]);
}

/** Compares every ND message of `file` (relative to ROOT or absolute); returns how many. */
async function check(file: string): Promise<{ compared: number; tsharkCount: number; mismatches: string[] }> {
  const abs = isAbsolute(file) ? file : join(ROOT, file);
  const theirs = tsharkNd(abs);
  const ours = (await decodeCapture(relative(ROOT, abs))).messages.filter((m): m is NdpDecoded => m.proto === 'ndp');
  const mismatches: string[] = [];
  let compared = 0;
  for (const m of ours) {
    const t = theirs.get(m.frame);
    if (!t) { mismatches.push(`frame ${m.frame}: pxecheck decodes ND, tshark does not`); continue; }
    compared++;
    compare(m, t, (what, a, b) => {
      if (JSON.stringify(a) !== JSON.stringify(b)) mismatches.push(`frame ${m.frame} ${what}: pxecheck ${JSON.stringify(a)} tshark ${JSON.stringify(b)}`);
    });
  }
  const oursFrames = new Set(ours.map((m) => m.frame));
  for (const frame of theirs.keys()) if (!oursFrames.has(frame)) mismatches.push(`frame ${frame}: tshark decodes ND, pxecheck does not`);
  return { compared, tsharkCount: theirs.size, mismatches };
}

let total = 0;

describe.skipIf(!hasTshark())('tshark oracle: neighbour discovery', () => {
  const files = captureFiles();

  it('has the IPv6 lab captures', () => {
    expect(files).toContain('captures/lab-v6/uefi-pxe6-kea.pcapng');
  });

  for (const file of files) {
    it(`agrees with tshark on every ND message of ${file}`, async () => {
      const r = await check(file);
      expect(r.mismatches).toEqual([]);
      expect(r.compared).toBe(r.tsharkCount);
      if (file.includes('lab-v6/')) expect(r.compared).toBeGreaterThan(0);
      total += r.compared;
    });
  }

  it('agrees on messages built by our encoder with route information, RDNSS, DNSSL, MTU, Redirect; checksums good', async () => {
    const frame = (m: NdpMessage, src: string, dst: string): Uint8Array => {
      const icmp = emitNdp(m, { src: ipv6FromString(src), dst: ipv6FromString(dst) });
      const ip = emitIpv6({ trafficClass: 0, flowLabel: 0, hopLimit: 255, nextHeader: 58, src, dst }, icmp);
      return emitEthernet({ dst: '33:33:00:00:00:01', src: '02:00:00:00:00:fe', vlans: [], etherType: 0x86dd }, ip);
    };
    const ra: NdpMessage = {
      kind: 'ra', curHopLimit: 64, managed: true, other: false, homeAgent: true, preference: 'low', proxy: true,
      routerLifetime: 9000, reachableTime: 30000, retransTimer: 1000,
      options: ndpOptions({
        sourceLinkAddr: '52:54:00:00:0e:f6', mtu: 1280,
        prefixes: [{ prefix: '2001:db8:1::', length: 64, onLink: true, autonomous: true, valid: 86400, preferred: 14400 }],
        routes: [
          { prefix: '::', length: 0, preference: 'low', lifetime: 30 },
          { prefix: '2001:db8:10::', length: 48, preference: 'high', lifetime: 1800 },
          { prefix: '2001:db8:20::1', length: 128, preference: 'medium', lifetime: 7 },
        ],
        rdnss: ['2001:db8:1::53', '2001:db8:1::54'], rdnssLifetime: 600, dnssl: ['example.com', 'lab.example.org'], dnsslLifetime: 1200,
      }),
    };
    const frames = [
      frame(ra, 'fe80::1', 'ff02::1'),
      frame({ kind: 'rs', options: ndpOptions({ sourceLinkAddr: '02:00:00:00:00:01' }) }, 'fe80::5', 'ff02::2'),
      frame({ kind: 'ns', target: '2001:db8:1::100', options: ndpOptions({ sourceLinkAddr: '02:00:00:00:00:01' }) }, 'fe80::5', 'ff02::1:ff00:100'),
      frame({ kind: 'na', router: true, solicited: true, override: false, target: 'fe80::1', options: ndpOptions({ targetLinkAddr: '02:00:00:00:00:fe' }) }, 'fe80::1', 'fe80::5'),
      frame({ kind: 'redirect', target: 'fe80::2', destination: '2001:db8:99::1', options: ndpOptions({ targetLinkAddr: '02:00:00:00:00:02' }) }, 'fe80::1', 'fe80::5'),
    ];
    // Not withTempCapture: its clean-up would not wait for the asynchronous decode.
    const dir = mkdtempSync(join(tmpdir(), 'pxecheck-ndp-'));
    try {
      const path = join(dir, 'nd.pcap');
      writeFileSync(path, pcapOf(frames));
      const r = await check(path);
      expect(r.mismatches).toEqual([]);
      expect(r.compared).toBe(5);
      // 1 = good: tshark verifies ICMPv6 checksums with the pseudo-header.
      expect(tsharkFields(path, ['icmpv6.checksum.status']).map((c) => c[0])).toEqual(['1', '1', '1', '1', '1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('compared a substantial number of real ND messages', () => {
    expect(total).toBeGreaterThan(150);
  });
});
