/**
 * net.arp-unanswered: a PXE ROM that asks by ARP for the server (or router) its DHCP named and
 * gets no reply stops with PXE-E11, and no TFTP request is ever on the wire. Built from a real
 * UEFI PXE boot (captures/lab/uefi-pxe-dnsmasq.pcapng) cut after the ROM's first ARP request, with
 * the firmware's retries added; and simulated exchanges for the router and the negatives.
 */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { analyzeCapture } from '../analysis/capture.js';
import type { Analysis } from '../analysis/types.js';
import { ethernetPcap } from '../../test/helpers/splice.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { ArpOperation, emitArp, ethernetIpv4Arp } from '../wire/arp.js';
import { emitEthernet, EtherType } from '../wire/ethernet.js';
import { dora, pxeOptions, Sim, SERVER, T0 } from '../flow/sim.test-kit.js';
import { ARP_ASKS_KEPT } from '../flow/arp.js';

const LAB = 'captures/lab/uefi-pxe-dnsmasq.pcapng';
const CLIENT_MAC = '52:54:00:00:0e:f1';
const CLIENT_IP = '198.51.100.187';
const NEXT_SERVER = '198.51.100.1';
const BROADCAST = 'ff:ff:ff:ff:ff:ff';

function analyzeBytes(bytes: Uint8Array): Promise<Analysis> {
  return analyzeCapture({ name: 'arp.pcap', stream: Readable.from([Buffer.from(bytes)]) });
}

function arpFrame(op: number, srcMac: string, dstMac: string, senderIp: string, targetMac: string, targetIp: string): Uint8Array {
  const arp = emitArp(ethernetIpv4Arp(op, srcMac, senderIp, targetMac, targetIp));
  return emitEthernet({ dst: dstMac, src: srcMac, vlans: [], etherType: EtherType.ARP }, arp);
}

const request = (senderIp: string, targetIp: string, senderMac = CLIENT_MAC): Uint8Array =>
  arpFrame(ArpOperation.REQUEST, senderMac, BROADCAST, senderIp, '00:00:00:00:00:00', targetIp);

/** The lab boot up to the ROM's first ARP request for its next server (frame 11), nothing after;
 *  `after`: frames added that many seconds after it. */
function deadServer(after: { dt: number; data: Uint8Array }[]): Uint8Array {
  const frames = loadFrames(LAB);
  const ask = frames[10]!;
  const kept = frames.slice(0, 11).map((f) => ({ time: f.time, data: f.data }));
  return ethernetPcap([...kept, ...after.map((x) => ({ time: ask.time + x.dt, data: x.data }))]);
}

const retries = (n: number, data = request(CLIENT_IP, NEXT_SERVER)): { dt: number; data: Uint8Array }[] =>
  Array.from({ length: n }, (_, i) => ({ dt: 2 ** i, data }));

const codes = (a: Analysis, code: string): string[] => a.findings.filter((f) => f.code === code).map((f) => f.severity);

describe('net.arp-unanswered from a real PXE ROM boot', () => {
  it('the next server never answers the ROM\'s ARP: the root cause, the boot failed', async () => {
    const a = await analyzeBytes(deadServer(retries(3)));
    const f = a.findings.find((x) => x.code === 'net.arp-unanswered');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain(NEXT_SERVER);
    expect(f?.message).toMatch(/next server/);
    // A UEFI ROM (EDK2) reports the ARP timeout as PXE-E18, a server response timeout.
    expect(f?.pxeError).toBe('PXE-E18');
    const c = a.clients.find((x) => x.mac === CLIENT_MAC)!;
    expect(c.outcome).toBe('failed');
    expect(c.attempts.some((x) => x.rootCauseId === f!.id)).toBe(true);
  });

  it('a reply to the ROM (from the server or a proxy ARP) is no failure', async () => {
    const reply = arpFrame(ArpOperation.REPLY, '02:00:00:00:aa:01', CLIENT_MAC, NEXT_SERVER, CLIENT_MAC, CLIENT_IP);
    const a = await analyzeBytes(deadServer([...retries(3), { dt: 4.5, data: reply }]));
    expect(codes(a, 'net.arp-unanswered')).toEqual([]);
  });

  it('one request whose reply the capture misses (a one-way mirror, a capture on another host) is not judged', async () => {
    const a = await analyzeBytes(deadServer([]));
    expect(codes(a, 'net.arp-unanswered')).toEqual([]);
  });

  // A frame of another host a minute later: the capture went on past the stall time.
  const later = (dt: number): { dt: number; data: Uint8Array } => ({ dt, data: request(NEXT_SERVER, '198.51.100.9', '36:e2:9c:31:15:b8') });

  it('the ROM got its ARP reply and then nothing: the capture sees its link, its silence is a stopped boot', async () => {
    const reply = arpFrame(ArpOperation.REPLY, '36:e2:9c:31:15:b8', CLIENT_MAC, NEXT_SERVER, CLIENT_MAC, CLIENT_IP);
    const a = await analyzeBytes(deadServer([{ dt: 0.001, data: reply }, later(60)]));
    expect(codes(a, 'net.arp-unanswered')).toEqual([]);
    expect(codes(a, 'boot.stopped')).toEqual(['error']);
    expect(a.clients.find((x) => x.mac === CLIENT_MAC)!.outcome).toBe('failed');
  });

  it('one ARP broadcast, its reply not in the capture, then a minute of nothing: not judged (the capture may be on another host)', async () => {
    const a = await analyzeBytes(deadServer([later(60)]));
    expect(a.findings.filter((f) => f.client === CLIENT_MAC && f.severity === 'error')).toEqual([]);
    expect(a.clients.find((x) => x.mac === CLIENT_MAC)!.outcome).toBe('incomplete');
  });

  it('ARP probes and gratuitous ARP of its own address ask for no server', async () => {
    const probe = request('0.0.0.0', CLIENT_IP);
    const gratuitous = request(CLIENT_IP, CLIENT_IP);
    const frames = loadFrames(LAB).slice(0, 10).map((f) => ({ time: f.time, data: f.data }));
    const t = frames[frames.length - 1]!.time;
    const added = [0.5, 1.5, 2.5, 3.5].flatMap((dt) => [{ time: t + dt, data: probe }, { time: t + dt + 0.1, data: gratuitous }]);
    const a = await analyzeBytes(ethernetPcap([...frames, ...added]));
    expect(codes(a, 'net.arp-unanswered')).toEqual([]);
  });

  it('a capture of the ROM\'s side only (no DHCP answer in it) does not call its retries unanswered', async () => {
    const frames = loadFrames(LAB).slice(0, 11).filter((f) => f.data.subarray(6, 12).join(':') === [0x52, 0x54, 0, 0, 0x0e, 0xf1].join(':'));
    const ask = frames[frames.length - 1]!;
    const a = await analyzeBytes(ethernetPcap([...frames.map((f) => ({ time: f.time, data: f.data })),
      ...retries(3).map((x) => ({ time: ask.time + x.dt, data: x.data }))]));
    expect(codes(a, 'net.arp-unanswered')).toEqual([]);
  });
});

describe('net.arp-unanswered, simulated', () => {
  const MAC = '02:00:00:00:01:01';
  const IP = '198.51.100.50';
  const ROUTER = '198.51.100.254';
  const ip4 = (s: string): number => s.split('.').reduce((n, x) => n * 256 + Number(x), 0);
  const arp = (sim: Sim, op: number, senderMac: string, senderIp: string, targetMac: string, targetIp: string, t: number): void => {
    sim.now = t;
    sim.builder.arp({ frame: ++sim.frame, time: T0 + t, operation: op, senderMac, targetMac, sender4: ip4(senderIp), target4: ip4(targetIp) });
  };

  it('a router (option 3) never answering, for a server off the link: the boot fails on it', () => {
    const sim = new Sim();
    dora(sim, { xid: 1, mac: MAC, yiaddr: IP, t: 0, client: pxeOptions(7), siaddr: '203.0.113.5', file: 'ipxe.efi',
      server: [{ code: 3, value: [ROUTER] }] });
    for (const dt of [1, 2, 4, 8]) arp(sim, ArpOperation.REQUEST, MAC, IP, '00:00:00:00:00:00', ROUTER, dt);
    const a = sim.finish({ end: 60 });
    const f = a.findings.find((x) => x.code === 'net.arp-unanswered');
    expect(f?.severity).toBe('error');
    expect(f?.message).toMatch(new RegExp(`${ROUTER}.*router`));
    expect(a.clients[0]!.outcome).toBe('failed');
  });

  it('a device that is no boot client (a laptop) gets nothing', () => {
    const sim = new Sim();
    dora(sim, { xid: 2, mac: MAC, yiaddr: IP, t: 0, server: [{ code: 3, value: [ROUTER] }] });
    for (const dt of [1, 2, 4, 8]) arp(sim, ArpOperation.REQUEST, MAC, IP, '00:00:00:00:00:00', ROUTER, dt);
    const a = sim.finish({ end: 60 });
    expect(a.clients[0]!.outcome).toBe('not-a-boot');
    expect(a.findings.filter((x) => x.code === 'net.arp-unanswered')).toEqual([]);
  });

  it('keeps a few asks per device however many addresses it asks for', () => {
    const sim = new Sim();
    dora(sim, { xid: 4, mac: MAC, yiaddr: IP, t: 0, client: pxeOptions(7), siaddr: SERVER.addr, file: 'ipxe.efi' });
    for (let i = 0; i < 200; i++) arp(sim, ArpOperation.REQUEST, MAC, IP, '00:00:00:00:00:00', `198.51.100.${i % 250}`, 1 + i * 0.01);
    const d = sim.facts({ end: 60 }).devices[0]!;
    const kept = d.attempts.reduce((n, a) => n + (a.arp?.length ?? 0), 0);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(ARP_ASKS_KEPT);
  });

  it('single requests for other addresses, their replies unseen, leave room for the retries for its server', () => {
    const sim = new Sim();
    dora(sim, { xid: 5, mac: MAC, yiaddr: IP, t: 0, client: pxeOptions(7), siaddr: SERVER.addr, file: 'ipxe.efi' });
    // Its router, DNS, NTP and syslog host, once each (a broadcast-only mirror misses the replies).
    for (const [i, other] of ['198.51.100.254', '198.51.100.53', '198.51.100.123', '198.51.100.14'].entries()) {
      arp(sim, ArpOperation.REQUEST, MAC, IP, '00:00:00:00:00:00', other, 0.1 + i * 3);
    }
    for (const dt of [12, 12.5, 13.5]) arp(sim, ArpOperation.REQUEST, MAC, IP, '00:00:00:00:00:00', SERVER.addr, dt);
    const a = sim.finish({ end: 60 });
    expect(a.findings.filter((x) => x.code === 'net.arp-unanswered').map((x) => x.message)).toEqual([expect.stringContaining(SERVER.addr)]);
  });

  it('an address it never was pointed to, and asks spread over minutes (an ARP cache timing out), are not judged', () => {
    const sim = new Sim();
    dora(sim, { xid: 3, mac: MAC, yiaddr: IP, t: 0, client: pxeOptions(7), siaddr: SERVER.addr, file: 'ipxe.efi' });
    for (const dt of [1, 2, 4, 8]) arp(sim, ArpOperation.REQUEST, MAC, IP, '00:00:00:00:00:00', '198.51.100.77', dt);
    for (const dt of [10, 40, 70]) arp(sim, ArpOperation.REQUEST, MAC, IP, '00:00:00:00:00:00', SERVER.addr, dt);
    const a = sim.finish({ end: 120 });
    expect(a.findings.filter((x) => x.code === 'net.arp-unanswered')).toEqual([]);
  });
});
