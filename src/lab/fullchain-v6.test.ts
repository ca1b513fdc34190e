import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findBinary } from './binaries.js';
import {
  bootScript6,
  dnsmasq6DualLines,
  fullChainDnsmasq6Config,
  fullChainFiles6,
  fullChainKea6Config,
  fullChainRadvdConfig,
  vendorClassTupleHex,
} from './fullchain-v6.js';
import { fullChainDnsmasqConfig } from './fullchain.js';
import { checkIpv6Options, neededBinaries } from './labctl.js';
import { neededBinaries6, raSender } from './labctl-v6.js';
import { run } from './run.js';
import { nginxConfig } from './servers.js';

const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-fullchain6-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface KeaClass { name: string; test: string; 'option-data': { name: string; data: string; 'always-send'?: boolean }[] }

describe('IPv6 boot URLs and script', () => {
  it('uses bracketed IPv6 URLs for the IPv4 full chain files', () => {
    const f = fullChainFiles6();
    expect(f.pxeUrl).toBe('tftp://[2001:db8:1::1]/snponly.efi');
    expect(f.httpBootUrl).toBe('http://[2001:db8:1::1]/ipxe.efi');
    expect(f.ipxeScriptUrl).toBe('http://[2001:db8:1::1]/boot.ipxe');
    const s = bootScript6(f);
    expect(s).toContain('kernel http://[2001:db8:1::1]/vmlinuz');
    expect(s).toContain('initrd http://[2001:db8:1::1]/initrd.img');
    expect(s).not.toContain('198.51.100');
  });
  it('encodes a vendor-class tuple as 2-byte length + text', () => {
    expect(vendorClassTupleHex('HTTPClient')).toBe('000a48545450436c69656e74');
  });
});

describe('kea-dhcp6 full chain', () => {
  const cfg = JSON.parse(fullChainKea6Config('/tmp/k6')) as { Dhcp6: Record<string, unknown> };
  const classes = cfg.Dhcp6['client-classes'] as KeaClass[];
  const byName = (n: string): KeaClass => classes.find((c) => c.name === n) ?? ({} as KeaClass);
  it('has the subnet, pool and interface of the lab', () => {
    const [sn] = cfg.Dhcp6['subnet6'] as Record<string, unknown>[];
    expect(sn?.['subnet']).toBe('2001:db8:1::/64');
    expect(sn?.['interface']).toBe('eth0');
    expect(sn?.['pools']).toEqual([{ pool: '2001:db8:1::100-2001:db8:1::1ff' }]);
  });
  it('classes iPXE, HTTP boot, PXE in that order, disjoint, each with option 59', () => {
    expect(classes.map((c) => c.name)).toEqual(['ipxe', 'httpclient', 'pxe']);
    expect(byName('ipxe').test).toContain("option[15]");
    expect(byName('httpclient').test).toMatch(/^not member\('ipxe'\) and /);
    expect(byName('httpclient').test).toContain("'HTTPClient'");
    expect(byName('httpclient').test).toContain('option[61].hex == 0x0010');
    expect(byName('pxe').test).toContain("not member('httpclient')");
    expect(byName('pxe').test).toContain('option[61].hex == 0x0007 or option[61].hex == 0x0009');
    const url = (n: string): string | undefined => byName(n)['option-data'].find((o) => o.name === 'bootfile-url')?.data;
    expect(url('ipxe')).toBe('http://[2001:db8:1::1]/boot.ipxe');
    expect(url('httpclient')).toBe('http://[2001:db8:1::1]/ipxe.efi');
    expect(url('pxe')).toBe('tftp://[2001:db8:1::1]/snponly.efi');
  });
  it('echoes vendor class 16 "HTTPClient" (enterprise 343) to HTTP boot clients', () => {
    const vc = byName('httpclient')['option-data'].find((o) => o.name === 'vendor-class');
    expect(vc).toEqual({ name: 'vendor-class', data: '343, 000a48545450436c69656e74', 'always-send': true });
  });
  it('binds the global address too, for relayed (unicast) DHCPv6', () => {
    expect(cfg.Dhcp6['interfaces-config']).toMatchObject({ interfaces: ['eth0/2001:db8:1::1'] });
  });
  // `kea-dhcp6 -t` checks that eth0 holds 2001:db8:1::1: check inside a namespace that has it
  // (a veth: this kernel has no dummy links).
  const isRoot = process.getuid?.() === 0;
  it.skipIf(findBinary('kea6') === undefined || !isRoot)('kea-dhcp6 -t accepts it (needs kea-dhcp6 and root)', () => {
    const file = join(tmp, 'kea-dhcp6.conf');
    writeFileSync(file, fullChainKea6Config(tmp));
    const ns = `pxfc6-${process.pid}`;
    try {
      for (const cmd of [['netns', 'add', ns], ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p'], ['-n', ns, 'link', 'set', 'eth0', 'up'],
        ['-n', ns, 'addr', 'add', '2001:db8:1::1/64', 'dev', 'eth0', 'nodad']]) expect(run('ip', cmd).code).toBe(0);
      const r = run('ip', ['netns', 'exec', ns, findBinary('kea6') ?? 'kea-dhcp6', '-t', file]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    } finally {
      run('ip', ['netns', 'del', ns]);
    }
  });
});

describe('dnsmasq IPv6 full chain', () => {
  const only = fullChainDnsmasq6Config('/tmp/d6', '/tmp/boot');
  it('IPv6 only: DHCPv6 range, own RA, TFTP, the three classes', () => {
    expect(only).toContain('dhcp-range=2001:db8:1::100,2001:db8:1::1ff,64,10m\n');
    expect(only).toContain('\nenable-ra\nra-param=eth0,10,1800\n');
    expect(only).toContain('enable-tftp\ntftp-root=/tmp/boot\n');
    expect(only).toContain('dhcp-userclass=set:ipxe6,iPXE\n');
    expect(only).toContain('dhcp-vendorclass=set:http6,enterprise:343,HTTPClient\n');
    expect(only).toContain('dhcp-match=set:pxe6,option6:61,7\n');
    expect(only).toContain('dhcp-option-force=tag:ipxe6,option6:bootfile-url,http://[2001:db8:1::1]/boot.ipxe\n');
    expect(only).toContain('dhcp-option-force=tag:!ipxe6,tag:http6,option6:bootfile-url,http://[2001:db8:1::1]/ipxe.efi\n');
    expect(only).toContain('dhcp-option-force=tag:!ipxe6,tag:http6,option6:16,XX,HTTPClient\n');
    expect(only).toContain('dhcp-option-force=tag:!ipxe6,tag:!http6,tag:pxe6,option6:bootfile-url,tftp://[2001:db8:1::1]/snponly.efi\n');
    expect(only).not.toMatch(/198\.51\.100\.\d+,198/);
  });
  it('no RA lines unless managed (radvd or nobody sends them)', () => {
    expect(fullChainDnsmasq6Config('/d', '/b', undefined, { ra: 'unmanaged' })).not.toContain('enable-ra');
    expect(fullChainDnsmasq6Config('/d', '/b', undefined, { ra: 'none' })).not.toContain('enable-ra');
    expect(dnsmasq6DualLines(undefined, { ra: 'none' })).not.toContain('enable-ra');
    expect(dnsmasq6DualLines()).toContain('enable-ra');
  });
  it.skipIf(findBinary('dnsmasq') === undefined)('dnsmasq --test accepts IPv6-only and dual-stack (skipped without dnsmasq)', () => {
    const dual = fullChainDnsmasqConfig(tmp, tmp) + dnsmasq6DualLines().join('\n') + '\n';
    for (const [n, t] of [['only.conf', fullChainDnsmasq6Config(tmp, tmp)], ['dual.conf', dual]] as const) {
      writeFileSync(join(tmp, n), t);
      const r = run(findBinary('dnsmasq') ?? 'dnsmasq', ['--test', `--conf-file=${join(tmp, n)}`]);
      expect(r.code, r.stderr).toBe(0);
    }
  });
});

describe('radvd', () => {
  it('managed: M=1 O=1, prefix on-link not autonomous, RA every 3-10 s', () => {
    const c = fullChainRadvdConfig();
    expect(c).toContain('AdvManagedFlag on;');
    expect(c).toContain('AdvOtherConfigFlag on;');
    expect(c).toContain('prefix 2001:db8:1::/64 {');
    expect(c).toContain('AdvAutonomous off;');
    expect(c).toContain('MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 10;');
  });
  it('unmanaged: M=0 O=0', () => {
    const c = fullChainRadvdConfig({ managed: false });
    expect(c).toContain('AdvManagedFlag off;');
    expect(c).toContain('AdvOtherConfigFlag off;');
  });
  it.skipIf(findBinary('radvd') === undefined)('radvd -c accepts both (skipped without radvd)', () => {
    for (const managed of [true, false]) {
      const file = join(tmp, `radvd-${managed}.conf`);
      writeFileSync(file, fullChainRadvdConfig({ managed }));
      const r = run(findBinary('radvd') ?? 'radvd', ['-c', '-C', file]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const bad = join(tmp, 'radvd-bad.conf');
    writeFileSync(bad, fullChainRadvdConfig().replace('AdvManagedFlag on', 'AdvManagedFlag maybe'));
    expect(run(findBinary('radvd') ?? 'radvd', ['-c', '-C', bad]).code).not.toBe(0);
  });
});

describe('nginx on IPv6', () => {
  it('dual stack: a second server block on [addr]:80 serving boot6.ipxe as /boot.ipxe', () => {
    const c = nginxConfig('/n', { root: '/r', address6: '2001:db8:1::1', bootScript6: 'boot6.ipxe' });
    expect(c).toContain('listen 198.51.100.1:80;');
    expect(c).toContain('listen [2001:db8:1::1]:80;');
    expect(c).toContain('location = /boot.ipxe { try_files /boot6.ipxe =404; }');
  });
  it('IPv6 only: no IPv4 listener; IPv4 default unchanged', () => {
    expect(nginxConfig('/n', { root: '/r', address: null, address6: '2001:db8:1::1' })).not.toContain('198.51.100.1');
    expect(nginxConfig('/n', { root: '/r' })).toContain('  server {\n    listen 198.51.100.1:80;\n    root /r;\n  }\n}\n');
  });
});

describe('labUp IPv6 options', () => {
  it('plans kea-dhcp6 + radvd, or dnsmasq doing RA itself', () => {
    expect(checkIpv6Options({ ipv6: true }, 'kea', false)).toEqual({ mode: 'dual', ra: 'managed', dhcp6: 'kea' });
    expect(checkIpv6Options({ ipv6: 'only', ra: 'unmanaged' }, 'dnsmasq', false)).toEqual({ mode: 'only', ra: 'unmanaged', dhcp6: 'dnsmasq' });
    expect(checkIpv6Options({}, 'dnsmasq', false)).toBeUndefined();
    expect(neededBinaries6('kea', 'managed')).toEqual(['kea6', 'radvd']);
    expect(neededBinaries6('dnsmasq', 'managed')).toEqual(['dnsmasq']);
    expect(neededBinaries6('dnsmasq', 'unmanaged')).toEqual(['dnsmasq', 'radvd']);
    expect(neededBinaries6('kea', 'none')).toEqual(['kea6']);
    expect(raSender('dnsmasq', 'managed')).toBe('dnsmasq');
    expect(raSender('dnsmasq', 'unmanaged')).toBe('radvd');
    expect(raSender('kea', 'none')).toBe('none');
    expect(neededBinaries('kea', false, false)[0]).toBe('kea');
  });
  it('rejects what cannot work', () => {
    expect(() => checkIpv6Options({ ra: 'managed' }, 'kea', false)).toThrow(/need ipv6/);
    expect(() => checkIpv6Options({ ipv6: true }, 'dnsmasq', true)).toThrow(/--proxy/);
    expect(() => checkIpv6Options({ ipv6: true, config6: '/x' }, 'dnsmasq', false)).toThrow(/--server kea/);
    expect(() => checkIpv6Options({ ipv6: true, config6: '/nonexistent/k6.json' }, 'kea', false)).toThrow(/not found/);
    expect(() => checkIpv6Options({ ipv6: 'only', config: '/x' }, 'kea', false)).toThrow(/no DHCPv4/);
    expect(() => checkIpv6Options({ ipv6: true, ra: 'bogus' as 'none' }, 'kea', false)).toThrow(/ra must be/);
  });
});
