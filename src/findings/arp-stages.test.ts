/**
 * ARP seen from a capture point that misses the unicast replies (on the DHCP host, an uplink SPAN):
 * a boot that works asks once per stage (ROM, iPXE, kernel, OS: each its own ARP cache), seconds
 * apart; those single requests are no retries. A ROM that gets no reply retries within one burst.
 */
import { describe, expect, it } from 'vitest';
import { ArpOperation } from '../wire/arp.js';
import { dora, ipxeOptions, pxeOptions, Sim, T0 } from '../flow/sim.test-kit.js';
import type { Analysis } from '../analysis/types.js';

const MAC = '02:00:00:00:01:01';
const IP = '198.51.100.50';
const TFTP = '198.51.100.2';
const ip4 = (s: string): number => s.split('.').reduce((n, x) => n * 256 + Number(x), 0);
const arp = (sim: Sim, target: string, t: number): void => {
  sim.now = t;
  sim.builder.arp({ frame: ++sim.frame, time: T0 + t, operation: ArpOperation.REQUEST, senderMac: MAC, targetMac: '00:00:00:00:00:00', sender4: ip4(IP), target4: ip4(target) });
};
const codes = (a: Analysis): string[] => a.findings.filter((f) => f.severity === 'error').map((f) => f.code);

describe('ARP one request per stage, replies not in the capture', () => {
  it('ROM, then iPXE, then the kernel each ask once, 3–6 s apart: no net.arp-unanswered, no boot.stopped', () => {
    const sim = new Sim();
    dora(sim, { xid: 1, mac: MAC, yiaddr: IP, t: 0, client: pxeOptions(0), siaddr: TFTP, file: 'undionly.kpxe' });
    arp(sim, TFTP, 0.2);
    dora(sim, { xid: 2, mac: MAC, yiaddr: IP, t: 3, client: ipxeOptions(0), siaddr: TFTP, file: `http://${TFTP}/boot.ipxe` });
    arp(sim, TFTP, 3.2);
    arp(sim, TFTP, 9);
    arp(sim, TFTP, 15);
    const a = sim.finish({ end: 120 });
    expect(codes(a)).toEqual([]);
    expect(a.clients[0]!.outcome).not.toBe('failed');
  });

  it('a legacy ROM trying 4 times in 1.75 s and giving up (PXE-E11): found, the root', () => {
    const sim = new Sim();
    dora(sim, { xid: 1, mac: MAC, yiaddr: IP, t: 0, client: pxeOptions(0), siaddr: TFTP, file: 'undionly.kpxe' });
    for (const dt of [0.2, 0.45, 0.95, 1.95]) arp(sim, TFTP, dt);
    const a = sim.finish({ end: 120 });
    expect(codes(a)).toContain('net.arp-unanswered');
    expect(a.clients[0]!.outcome).toBe('failed');
  });
});
