import { describe, it, expect } from 'vitest';
import { macFromString } from '../wire/bytes.js';
import { buildRrq } from '../wire/tftp.js';
import type { DhcpV6OptionSpec } from '../wire/dhcpv6/index.js';
import { ndpOptions } from '../wire/ndp.js';
import { Sim, tftpRead, routerAdvert, ALL_NODES, ROUTER_MAC, type Endpoint } from './sim.test-kit.js';
import type { Dhcp6Step, RaStep, TftpStep } from './types.js';

const MAC = '52:54:00:00:0e:f6';
const LL = 'fe80::5054:ff:fe00:ef6';
const CLI: Endpoint = { addr: LL, port: 546, mac: MAC };
const ALL_DHCP: Endpoint = { addr: 'ff02::1:2', port: 547, mac: '33:33:00:01:00:02' };
const SRV: Endpoint = { addr: 'fe80::1', port: 547, mac: ROUTER_MAC };
const TO_CLI: Endpoint = { ...CLI, port: 546 };
const ROUTER: Endpoint = { addr: 'fe80::1', port: 0, mac: ROUTER_MAC };

const llt: DhcpV6OptionSpec = { code: 1, value: { kind: 'llt', hwType: 1, time: 1, linkLayer: macFromString(MAC) } };
const zeroUuid: DhcpV6OptionSpec = { code: 1, value: { kind: 'uuid', uuid: '00000000-0000-0000-0000-000000000000' } };
const sid: DhcpV6OptionSpec = { code: 2, value: { kind: 'll', hwType: 1, linkLayer: macFromString(ROUTER_MAC) } };
const pxe: DhcpV6OptionSpec[] = [
  { code: 61, value: [7] },
  { code: 16, value: { enterprise: 343, data: [new TextEncoder().encode('PXEClient:Arch:00007:UNDI:003000')] } },
];
const url: DhcpV6OptionSpec = { code: 59, value: 'tftp://[2001:db8:1::1]/snponly.efi' };
const ia = (iaid: number, addr?: string, status?: { status: number; message: string }): DhcpV6OptionSpec => ({
  code: 3,
  value: {
    iaid, t1: 300, t2: 525,
    options: [
      ...(addr ? [{ code: 5 as const, value: { address: addr, preferred: 600, valid: 900, options: [] } }] : []),
      ...(status ? [{ code: 13 as const, value: status }] : []),
    ],
  },
});

describe('DHCPv6 steps', () => {
  it('unanswered RS of two boots a reboot-sized silence apart are two ra steps, not one spanning both', () => {
    const sim = new Sim();
    const rs = (t: number): void => sim.ndp({ addr: '::', port: 0, mac: MAC }, { addr: 'ff02::2', port: 0 }, { kind: 'rs', options: ndpOptions({}) }, t);
    for (const t of [0, 4, 8, 200, 204]) rs(t);
    for (const t of [1, 201]) sim.dhcp6(CLI, ALL_DHCP, { msgType: 1, xid: t, options: [llt, ia(7), ...pxe] }, t);
    const ras = sim.finish({ end: 300 }).clients[0]!.steps.filter((s): s is RaStep => s.kind === 'ra');
    expect(ras.map((r) => [r.start, r.solicitations])).toEqual([[ras[0]!.start, 3], [ras[0]!.start + 200, 2]]);
    expect(ras[0]!.duration).toBeLessThan(60);
  });

  it('SARR with leases, DUIDs, IAID, vendor class and boot URL; RS→RA before it', () => {
    const sim = new Sim();
    sim.ndp({ addr: '::', port: 0, mac: MAC }, { addr: 'ff02::2', port: 0 }, { kind: 'rs', options: ndpOptions({}) }, 0);
    sim.ndp(ROUTER, ALL_NODES, routerAdvert({ managed: true, other: true }), 0.2);
    sim.dhcp6(CLI, ALL_DHCP, { msgType: 1, xid: 0x10, options: [llt, ia(7), ...pxe] }, 0.3);
    sim.dhcp6(SRV, TO_CLI, { msgType: 2, xid: 0x10, options: [llt, sid, ia(7, '2001:db8:1::100'), url, { code: 60, value: ['a=1'] }] }, 0.4);
    sim.dhcp6(CLI, ALL_DHCP, { msgType: 3, xid: 0x11, options: [llt, sid, ia(7, '2001:db8:1::100'), ...pxe] }, 0.5);
    sim.dhcp6(SRV, TO_CLI, { msgType: 7, xid: 0x11, options: [llt, sid, ia(7, '2001:db8:1::100'), url] }, 0.6);
    tftpRead(sim, { addr: '2001:db8:1::100', port: 1500, mac: MAC }, '2001:db8:1::1', 'snponly.efi', 1000, { t: 1 });
    const a = sim.finish();
    expect(a.clients.map((c) => c.mac)).toEqual([MAC]);
    const chain = a.clients[0]!;
    expect(chain.steps.map((s) => s.kind)).toEqual(['ra', 'dhcp6', 'tftp']);
    const ra = chain.steps[0] as RaStep;
    expect(ra).toMatchObject({ ok: true, messages: ['RS', 'RA'], solicitations: 1, router: 'fe80::1', routerMac: ROUTER_MAC });
    expect(ra.advert).toMatchObject({ managed: true, other: true, routerLifetime: 1800, prefixes: [{ prefix: '2001:db8:1::', length: 64, onLink: true }] });
    const d6 = chain.steps[1] as Dhcp6Step;
    expect(d6).toMatchObject({
      ok: true, messages: ['SOLICIT', 'ADVERTISE', 'REQUEST', 'REPLY'], retransmissions: 0, statuses: [], iaids: [7],
      leases: [{ address: '2001:db8:1::100', iaid: 7, preferred: 600, valid: 900 }], addresses: ['2001:db8:1::100'],
      bootfileUrl: 'tftp://[2001:db8:1::1]/snponly.efi', bootfileParams: ['a=1'], vendorEnterprise: 343, arch: 7,
      clientDuid: { type: 1, typeName: 'DUID-LLT' }, serverDuid: { type: 3, typeName: 'DUID-LL' }, relay: null, rapidCommit: false,
    });
    expect((chain.steps[2] as TftpStep).complete).toBe(true);
    expect(a.routers).toHaveLength(1);
    expect(a.routers![0]!.adverts[0]).toMatchObject({ count: 1, managed: true });
    expect(a.ndp).toEqual({ rs: 1, ra: 1, ns: 0, na: 0, redirect: 0 });
    expect(chain.attempts.map((x) => [x.entry, x.stage, x.bootProgram])).toEqual([['pxe6', 'boot-program', 'snponly.efi']]);
  });

  it('iPXE all-zero DUID-UUID joins the MAC chain; two iPXE clients stay apart', () => {
    const sim = new Sim();
    const other = '52:54:00:00:0e:f7';
    sim.dhcp6(CLI, ALL_DHCP, { msgType: 1, xid: 1, options: [llt, ...pxe] }, 0);
    sim.dhcp6(CLI, ALL_DHCP, { msgType: 1, xid: 2, options: [zeroUuid, ...pxe] }, 5);
    sim.dhcp6({ addr: 'fe80::2', port: 546, mac: other }, ALL_DHCP, { msgType: 1, xid: 3, options: [zeroUuid, ...pxe] }, 5.1);
    sim.dhcp6(SRV, { addr: 'fe80::2', port: 546, mac: other }, { msgType: 2, xid: 3, options: [zeroUuid, sid, ia(1, '2001:db8:1::7'), url] }, 5.2);
    const a = sim.finish();
    expect(a.clients.map((c) => c.mac).sort()).toEqual([MAC, other]);
    const second = a.clients.find((c) => c.mac === other)!;
    expect((second.steps[0] as Dhcp6Step).messages).toEqual(['SOLICIT', 'ADVERTISE']);
    expect((second.steps[0] as Dhcp6Step).clientDuid).toMatchObject({ type: 4, typeName: 'DUID-UUID' });
  });

  it('same-xid retransmissions are one step; a failure status makes it fail; a Request joins the Solicit of its IAID', () => {
    const sim = new Sim();
    sim.dhcp6(CLI, ALL_DHCP, { msgType: 1, xid: 1, options: [llt, ia(0xa), ...pxe] }, 0);
    sim.dhcp6(CLI, ALL_DHCP, { msgType: 1, xid: 1, options: [llt, ia(0xa), ...pxe] }, 1);
    sim.dhcp6(SRV, TO_CLI, { msgType: 2, xid: 1, options: [llt, sid, ia(0xa, '2001:db8:1::1a2'), url] }, 1.1);
    // another stack binds a second IAID in between
    sim.dhcp6(CLI, ALL_DHCP, { msgType: 1, xid: 2, options: [llt, ia(0xb)] }, 1.2);
    sim.dhcp6(SRV, TO_CLI, { msgType: 2, xid: 2, options: [llt, sid, ia(0xb, '2001:db8:1::1a2')] }, 1.3);
    sim.dhcp6(CLI, ALL_DHCP, { msgType: 3, xid: 3, options: [llt, sid, ia(0xb, '2001:db8:1::1a2')] }, 1.4);
    sim.dhcp6(SRV, TO_CLI, { msgType: 7, xid: 3, options: [llt, sid, ia(0xb, '2001:db8:1::1a2')] }, 1.5);
    const bad = [llt, sid, ia(0xa, undefined, { status: 1, message: 'address in use' }), { code: 13 as const, value: { status: 2, message: 'no addresses available' } }, url];
    for (let i = 0; i < 5; i++) {
      sim.dhcp6(CLI, ALL_DHCP, { msgType: 3, xid: 4, options: [llt, sid, ia(0xa, '2001:db8:1::1a2'), ...pxe] }, 3 + i * 2);
      sim.dhcp6(SRV, TO_CLI, { msgType: 7, xid: 4, options: bad }, 3.01 + i * 2);
    }
    const a = sim.finish();
    const steps = a.clients[0]!.steps as Dhcp6Step[];
    expect(steps).toHaveLength(2);
    expect(steps[0]).toMatchObject({ ok: false, messages: ['SOLICIT', 'SOLICIT', 'ADVERTISE', 'REQUEST', 'REPLY'], retransmissions: 5, iaids: [0xa], addresses: [] });
    expect(steps[0]!.statuses.map((x) => [x.name, x.scope, x.message])).toEqual([
      ['UnspecFail', 'ia', 'address in use'], ['NoAddrsAvail', 'message', 'no addresses available'],
    ]);
    expect(steps[1]).toMatchObject({ ok: true, iaids: [0xb], addresses: ['2001:db8:1::1a2'] });
  });

  it('Rapid Commit: Solicit with option 14 answered by Reply', () => {
    const sim = new Sim();
    sim.dhcp6(CLI, ALL_DHCP, { msgType: 1, xid: 9, options: [llt, ia(1), { code: 14, value: true }] }, 0);
    sim.dhcp6(SRV, TO_CLI, { msgType: 7, xid: 9, options: [llt, sid, ia(1, '2001:db8:1::9'), { code: 14, value: true }] }, 0.1);
    const step = sim.finish().clients[0]!.steps[0] as Dhcp6Step;
    expect(step).toMatchObject({ ok: true, rapidCommit: true, messages: ['SOLICIT', 'REPLY'], addresses: ['2001:db8:1::9'] });
  });

  it('relayed exchange: relay facts, option 79 names the client, the inner message is the client\'s', () => {
    const sim = new Sim();
    const relayAddr: Endpoint = { addr: '2001:db8:2::1', port: 547, mac: '02:00:00:00:00:99' };
    const server: Endpoint = { addr: '2001:db8:9::1', port: 547, mac: '02:00:00:00:00:98' };
    const relayOpts = (inner: { msgType: number; xid: number; options: DhcpV6OptionSpec[] }): DhcpV6OptionSpec[] => [
      { code: 18, data: new TextEncoder().encode('Gi0/1') },
      { code: 37, value: { enterprise: 9, remoteId: new TextEncoder().encode('sw1') } },
      { code: 79, value: { hwType: 1, address: macFromString(MAC) } },
      { code: 9, value: inner },
    ];
    sim.dhcp6(relayAddr, server, { relay: true, msgType: 12, hopCount: 0, linkAddress: '2001:db8:2::1', peerAddress: LL, options: relayOpts({ msgType: 1, xid: 5, options: [zeroUuid, ...pxe] }) }, 0);
    sim.dhcp6(server, relayAddr, { relay: true, msgType: 13, hopCount: 0, linkAddress: '2001:db8:2::1', peerAddress: LL, options: [{ code: 9, value: { msgType: 2, xid: 5, options: [zeroUuid, sid, ia(1, '2001:db8:2::5'), url] } }] }, 0.1);
    const a = sim.finish();
    expect(a.clients.map((c) => c.mac)).toEqual([MAC]);
    const step = a.clients[0]!.steps[0] as Dhcp6Step;
    expect(step.messages).toEqual(['SOLICIT', 'ADVERTISE']);
    expect(step.relay).toEqual({ linkAddress: '2001:db8:2::1', peerAddress: LL, hops: 1, interfaceId: 'Gi0/1', remoteId: '9:sw1', clientLinkLayer: MAC });
  });

  it('NS/NA are counted, never make chains; a lone unanswered RS of an IPv4 client is not a step', () => {
    const sim = new Sim();
    sim.ndp(ROUTER, { addr: LL, port: 0, mac: MAC }, { kind: 'ns', target: LL, options: ndpOptions({}) }, 0);
    sim.ndp({ addr: LL, port: 0, mac: MAC }, ROUTER, { kind: 'na', router: false, solicited: true, override: true, target: LL, options: ndpOptions({}) }, 0.1);
    sim.ndp({ addr: 'fe80::9', port: 0, mac: '02:00:00:00:00:09' }, { addr: 'ff02::2', port: 0 }, { kind: 'rs', options: ndpOptions({}) }, 0.2);
    const a = sim.finish();
    expect(a.clients).toEqual([]);
    expect(a.ndp).toEqual({ rs: 1, ra: 0, ns: 1, na: 1, redirect: 0 });
  });

  it('a TFTP RRQ over IPv6 from the client link-local joins its chain', () => {
    const sim = new Sim();
    sim.dhcp6(CLI, ALL_DHCP, { msgType: 11, xid: 3, options: [llt, ...pxe] }, 0);
    sim.dhcp6(SRV, TO_CLI, { msgType: 7, xid: 3, options: [llt, sid, url] }, 0.1);
    sim.tftp({ addr: LL, port: 1200, mac: MAC }, { addr: 'fe80::1', port: 69 }, buildRrq('snponly.efi'), 0.2);
    const a = sim.finish();
    expect(a.clients.map((c) => c.mac)).toEqual([MAC]);
    expect(a.clients[0]!.steps.map((s) => s.kind)).toEqual(['dhcp6', 'tftp']);
  });
});
