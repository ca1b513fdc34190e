/** The pure parts of the lab's fault injector: which server a restart means, the nft rules, their counters, the UDP listen check. */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { dropCounts, dropRules, faultTarget, udpPortBound } from './faults.js';
import type { LabServerInfo } from './labctl.js';

const server = (label: string, ns = 'x-srv'): LabServerInfo => ({ label, program: label, pid: 1, ns, log: '', out: '' });

describe('lab faults', () => {
  it('restart dhcp/tftp: the boot server namespace\'s DHCP server, tftpd-hpa or else dnsmasq\'s own TFTP', () => {
    const kea = { serverNs: 'x-srv', servers: [server('kea'), server('tftpd'), server('nginx')] };
    expect(faultTarget(kea, 'dhcp').label).toBe('kea');
    expect(faultTarget(kea, 'tftp').label).toBe('tftpd');
    const dnsmasq = { serverNs: 'x-srv', servers: [server('kea', 'x-srv2'), server('dnsmasq'), server('nginx')] };
    expect(faultTarget(dnsmasq, 'dhcp').label).toBe('dnsmasq');
    expect(faultTarget(dnsmasq, 'tftp').label).toBe('dnsmasq');
    expect(() => faultTarget({ serverNs: 'x-srv', servers: [server('nginx')] }, 'dhcp')).toThrow(/runs no DHCP server in x-srv/);
  });

  it('drops at the server\'s switch port: its replies come in on it, the clients\' frames go out on it', () => {
    const both = dropRules('c1', 20, 'both');
    expect(both).toMatch(/add table bridge pxecheck_fault/);
    expect(both).toMatch(/hook forward/);
    expect(both).toMatch(/iifname "p-srv" numgen random mod 100 < 20 counter drop/);
    expect(both).toMatch(/oifname "p-srv" numgen random mod 100 < 20 counter drop/);
    const tftp = dropRules('c2', 5, 'server', 'tftp');
    expect(tftp).toMatch(/iifname "p-srv" udp sport != 67 udp dport != 67 numgen random mod 100 < 5 counter drop/);
    expect(tftp).not.toMatch(/oifname/);
    expect(dropRules('c3', 5, 'clients', 'dhcp')).toMatch(/oifname "p-srv" udp dport 67 counter\n/);
    expect(() => dropRules('c4', 0, 'both')).toThrow(/percent/);
  });

  it('reads matched and dropped frames from the chain listing', () => {
    const listing = [
      'iifname "p-srv" counter packets 100 bytes 1',
      'iifname "p-srv" numgen random mod 100 < 20 counter packets 21 bytes 1 drop',
      'oifname "p-srv" counter packets 50 bytes 1',
      'oifname "p-srv" numgen random mod 100 < 20 counter packets 9 bytes 1 drop',
    ].join('\n');
    expect(dropCounts(listing)).toEqual({ matched: 150, dropped: 30 });
  });

  it('sees a UDP socket in a process\'s namespace from /proc/PID/net', async () => {
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    const port = sock.address().port;
    try {
      expect(udpPortBound(process.pid, port)).toBe(true);
    } finally {
      sock.close();
    }
    expect(udpPortBound(process.pid, port)).toBe(false);
    expect(udpPortBound(0x7ffffff0, 67)).toBe(false);
  });
});
