/**
 * Which DHCP messages close a device's ARP asks, and what a device's life holds. Only the device's
 * own DHCPv4 exchange from scratch (DISCOVER, a REQUEST on a new xid) starts its IPv4 stack over:
 * EDK2's DHCPv6 exchange mid-boot and a server's message seen alone leave its ARP cache, and its
 * retries, as they were. Closed asks are compacted to what the rules use (bounded however long).
 */
import { describe, expect, it } from 'vitest';
import { ArpOperation } from '../wire/arp.js';
import { ipv4FromString, macFromString, u32 } from '../wire/bytes.js';
import { dora, pxeOptions, Sim, SERVER, T0 } from '../flow/sim.test-kit.js';
import { ARP_ASKS_KEPT, ARP_CLOSED_KEPT } from '../flow/arp.js';

const MAC = '02:00:00:00:01:01';
const IP = '198.51.100.50';
const GW = '198.51.100.254';
const NOBODY = '00:00:00:00:00:00';
/** EDK2's ARP tries for its next server after the ACK (0.5 s apart). */
const EDK2_TRIES = [1, 1.5, 2];

function arp(sim: Sim, op: number, senderMac: string, senderIp: string, targetMac: string, targetIp: string, t: number): void {
  sim.now = t;
  sim.builder.arp({ frame: ++sim.frame, time: T0 + t, operation: op, senderMac, targetMac, sender4: u32(ipv4FromString(senderIp), 0), target4: u32(ipv4FromString(targetIp), 0) });
}
const ask = (sim: Sim, target: string, t: number): void => arp(sim, ArpOperation.REQUEST, MAC, IP, NOBODY, target, t);

/** A UEFI PXE boot whose ACK names SERVER (siaddr) at 0 s. */
function pxeBoot(): Sim {
  const sim = new Sim();
  dora(sim, { xid: 4, mac: MAC, yiaddr: IP, t: 0, client: pxeOptions(7), siaddr: SERVER.addr, file: 'ipxe.efi' });
  return sim;
}

const arpErrors = (sim: Sim, end = 60): string[] =>
  sim.finish({ end }).findings.filter((x) => x.code === 'net.arp-unanswered' && x.severity === 'error').map((x) => x.message);

describe('ARP asks across DHCP messages', () => {
  it('EDK2 DHCPv6 Information-request mid-burst does not reset the IPv4 retries: PXE-E11 still found', () => {
    const sim = pxeBoot();
    const duid = { code: 1 as const, value: { kind: 'll' as const, hwType: 1, linkLayer: macFromString(MAC) } };
    ask(sim, SERVER.addr, EDK2_TRIES[0]!);
    ask(sim, SERVER.addr, EDK2_TRIES[1]!);
    sim.dhcp6({ addr: 'fe80::1:1', port: 546, mac: MAC }, { addr: 'ff02::1:2', port: 547 }, { msgType: 11, xid: 0x77, options: [duid] }, 1.7);
    ask(sim, SERVER.addr, EDK2_TRIES[2]!);
    expect(arpErrors(sim)).toHaveLength(1);
  });

  it('a server OFFER seen alone with a new xid mid-burst (another client, a late answer) is no restart: PXE-E11 still found', () => {
    const sim = pxeBoot();
    ask(sim, SERVER.addr, EDK2_TRIES[0]!);
    ask(sim, SERVER.addr, EDK2_TRIES[1]!);
    sim.dhcp4({ addr: '198.51.100.2', port: 67 }, { addr: '255.255.255.255', port: 68 },
      { op: 2, xid: 0x99, chaddr: MAC, yiaddr: '198.51.100.77', options: [{ code: 53, value: 'OFFER' }, { code: 54, value: '198.51.100.2' }] }, 1.7);
    ask(sim, SERVER.addr, EDK2_TRIES[2]!);
    expect(arpErrors(sim)).toHaveLength(1);
  });

  it('iPXE ARPing DNS, syslog, NTP and its router once each before its server: the server burst is still kept', () => {
    const sim = pxeBoot();
    for (const [i, other] of [GW, '198.51.100.53', '198.51.100.123', '198.51.100.14'].entries()) ask(sim, other, 0.1 + i * 0.2);
    for (const t of [1, 1.5, 2, 2.5]) ask(sim, SERVER.addr, t);
    expect(arpErrors(sim)).toHaveLength(1);
  });

  it('twice the room in singles within their retry window, then the server: the oldest singles make room', () => {
    const sim = pxeBoot();
    for (let i = 0; i < 2 * ARP_ASKS_KEPT; i++) ask(sim, `198.51.100.${60 + i}`, 0.5 + i * 0.05);
    for (const t of [1.5, 2, 2.5]) ask(sim, SERVER.addr, t);
    expect(arpErrors(sim)).toHaveLength(1);
  });

  it('a printer renewing every minute, ARPing gateway, DNS and NTP after each: held asks stay bounded, the facts still show each answered and the first boot\'s PXE-E11', () => {
    const sim = pxeBoot();
    for (const t of EDK2_TRIES) ask(sim, SERVER.addr, t); // its first boot: the server dead
    const cli = { addr: IP, port: 68, mac: MAC };
    const targets = [GW, '198.51.100.53', '198.51.100.123'];
    const renewals = 1000;
    for (let k = 1; k <= renewals; k++) {
      const t = 60 * k;
      sim.dhcp4(cli, { addr: SERVER.addr, port: 67 }, { xid: 1000 + k, chaddr: MAC, ciaddr: IP, options: [{ code: 53, value: 'REQUEST' }] }, t);
      sim.dhcp4(SERVER, cli, { op: 2, xid: 1000 + k, chaddr: MAC, yiaddr: IP, options: [{ code: 53, value: 'ACK' }, { code: 54, value: SERVER.addr }, { code: 51, value: 120 }] }, t + 0.01);
      for (const [j, who] of targets.entries()) {
        ask(sim, who, t + 1 + j);
        arp(sim, ArpOperation.REPLY, '02:00:00:00:00:09', who, MAC, IP, t + 1.001 + j);
      }
    }
    const d = sim.facts({ end: 60 * renewals + 60 }).devices[0]!;
    const held = d.attempts.flatMap((a) => a.arp ?? []);
    expect(held.length).toBeLessThanOrEqual(ARP_CLOSED_KEPT + ARP_ASKS_KEPT);
    for (const who of targets) expect(held.some((x) => x.target === who && x.replied !== null), who).toBe(true);
    expect(held.some((x) => x.target === SERVER.addr && x.replied === null && x.requests === EDK2_TRIES.length)).toBe(true);
    expect(arpErrors(sim, 60 * renewals + 60)).toHaveLength(1);
  });
});
