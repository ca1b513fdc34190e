import { describe, expect, it } from 'vitest';
import { planLab, type LabPlanInput } from './lab-plan.js';

const base: LabPlanInput = { server: 'dnsmasq', proxy: false, serverAddr: '198.51.100.1', serverAddr6: '2001:db8::1' };
const kinds = (i: Partial<LabPlanInput>) => planLab({ ...base, ...i }).servers.map((s) => s.kind);

describe('planLab: what labUp builds, decided without root', () => {
  it('dnsmasq does DHCP and TFTP itself; nginx serves HTTP', () => {
    const p = planLab(base);
    expect(p.servers.map((s) => s.kind)).toEqual(['dnsmasq', 'nginx']);
    expect(p.binaries).toEqual(['dnsmasq', 'nginx']);
    expect(p.ready.map((c) => `${c.what} ${c.proto}/${c.port}`)).toEqual(['DHCP udp/67', 'TFTP udp/69', 'HTTP tcp/80']);
  });

  it('a user dnsmasq config without enable-tftp gets tftpd-hpa on the IPv4 address', () => {
    const p = planLab({ ...base, config: '/etc/x.conf', configText: 'dhcp-range=198.51.100.10,198.51.100.20\n' });
    expect(p.servers[0]).toMatchObject({ kind: 'dnsmasq', userConfig: '/etc/x.conf' });
    expect(p.servers).toContainEqual({ kind: 'tftpd', address: '198.51.100.1' });
    expect(p.binaries).toContain('tftpd');
  });

  it('kea and isc-dhcpd need tftpd; proxy mode starts the address-only Kea first and waits on the second server', () => {
    expect(kinds({ server: 'kea' })).toEqual(['kea', 'tftpd', 'nginx']);
    expect(kinds({ server: 'isc-dhcpd' })).toEqual(['isc-dhcpd', 'tftpd', 'nginx']);
    const p = planLab({ ...base, proxy: true });
    expect(p.servers.map((s) => s.kind)).toEqual(['kea-address-only', 'dnsmasq', 'nginx']);
    expect(p.servers[1]).toMatchObject({ config: 'proxy' });
    expect(p.ready.filter((c) => c.ns === 'srv2').map((c) => c.port)).toEqual([67]);
  });

  it('IPv6 only with Kea: no DHCPv4 server, kea6 and radvd, tftpd on the IPv6 address, IPv6 checks only', () => {
    const p = planLab({ ...base, server: 'kea', v6: { mode: 'only', ra: 'managed', dhcp6: 'kea' } });
    expect(p.v4).toBe(false);
    expect(p.servers.map((s) => s.kind)).toEqual(['kea6', 'radvd', 'tftpd', 'nginx']);
    expect(p.servers).toContainEqual({ kind: 'tftpd', address: '[2001:db8::1]' });
    expect(p.servers.at(-1)).toEqual({ kind: 'nginx', v4: false, v6: true });
    expect(p.binaries).not.toContain('kea');
    expect(p.ready.every((c) => c.six)).toBe(true);
  });

  it('dual stack with dnsmasq: one dnsmasq for both families on port 67, tftp on both families', () => {
    const p = planLab({ ...base, v6: { mode: 'dual', ra: 'managed', dhcp6: 'dnsmasq' } });
    expect(p.servers[0]).toMatchObject({ kind: 'dnsmasq', config: 'full', dualV6: true, dhcpPort: 67 });
    expect(p.ready.map((c) => c.six)).toEqual([false, false, false, true, true, true]);
  });
});
