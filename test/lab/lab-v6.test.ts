// `pxecheck lab up` with IPv6 for real: kea-dhcp6 + radvd and dnsmasq (RA + DHCPv6 + TFTP), probed
// from a kernel-IPv6 veth in the client namespace (test/lab/probe6.py: RS/RA and a DHCPv6 Solicit
// per client class), curl over IPv6, then `lab down`. Needs root; skipped otherwise.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  addKernelClient6,
  formatLabStatus,
  keaDhcp6Config,
  labDown,
  labStatus,
  labUp,
  listNamespaces,
  run,
  type LabInfo,
} from '../../src/lab/index.js';

const isRoot = process.getuid?.() === 0;
const have = (c: string): boolean => run('sh', ['-c', `command -v ${c} || test -x /usr/sbin/${c}`]).code === 0;
const tools = ['ip', 'ss', 'python3', 'curl', 'nginx', 'in.tftpd', 'kea-dhcp6', 'radvd', 'dnsmasq'];
const missing = tools.filter((t) => !have(t));
const skipReason = !isRoot ? 'needs root (network namespaces)' : missing.length ? `needs ${missing.join(', ')}` : '';
const PROBE = join(dirname(fileURLToPath(import.meta.url)), 'probe6.py');
const NAMES = ['pxl6-kea', 'pxl6-dm', 'pxl6-m0', 'pxl6-usr'];
const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-lab6-'));

afterAll(async () => {
  if (isRoot) for (const n of NAMES) await labDown(n);
  rmSync(tmp, { recursive: true, force: true });
});

interface Ra { managed: boolean; other: boolean; lifetime: number; src: string; prefixes: { prefix: string; len: number; autonomous: boolean }[] }
interface Reply { type: number | null; options?: Record<string, string> }

function probe<T>(info: LabInfo, iface: string, args: string[]): T {
  const r = run('ip', ['netns', 'exec', info.clientNs, 'python3', PROBE, args[0] ?? '', iface, ...args.slice(1)], { timeoutMs: 20_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

const ascii = (hex: string | undefined): string => Buffer.from(hex ?? '', 'hex').toString('utf8');

function solicit(info: LabInfo, iface: string, extra: string[]): Reply {
  return probe<Reply>(info, iface, ['solicit', '6', ...extra]);
}

function curl(info: LabInfo, url: string): { code: number | null; body: string } {
  const r = run('ip', ['netns', 'exec', info.clientNs, 'curl', '-g', '-sS', '--max-time', '5', url], { timeoutMs: 10_000 });
  return { code: r.code, body: r.stdout + r.stderr };
}

const PXE = ['--vendor', '343:PXEClient:Arch:00007:UNDI:003000', '--arch', '7'];
const HTTP = ['--vendor', '343:HTTPClient:Arch:00016:UNDI:003000', '--arch', '16'];
const IPXE = ['--user-class', 'iPXE', '--vendor', '343:PXEClient:Arch:00007:UNDI:003010', '--arch', '7'];

function expectBootChain(info: LabInfo, iface: string, vendor16: string): void {
  const pxe = solicit(info, iface, PXE);
  expect(pxe.type).toBe(2); // ADVERTISE
  expect(ascii(pxe.options?.['59'])).toBe('tftp://[2001:db8:1::1]/snponly.efi');
  expect(pxe.options?.['16']).toBeUndefined();
  const http = solicit(info, iface, HTTP);
  expect(ascii(http.options?.['59'])).toBe('http://[2001:db8:1::1]/ipxe.efi');
  // EDK2 HttpBootDxe: option 16 at least 16 bytes, "HTTPClient" at byte 6.
  expect(http.options?.['16']).toBe(vendor16);
  const ipxe = solicit(info, iface, IPXE);
  expect(ascii(ipxe.options?.['59'])).toBe('http://[2001:db8:1::1]/boot.ipxe');
}

function expectClientIpv6Off(info: LabInfo): void {
  const r = run('ip', ['netns', 'exec', info.clientNs, 'sysctl', '-n', `net.ipv6.conf.${info.clientIface}.disable_ipv6`]);
  expect(r.stdout.trim()).toBe('1');
  expect(run('ip', ['-n', info.clientNs, '-6', 'addr', 'show', 'dev', info.clientIface]).stdout.trim()).toBe('');
}

async function expectDown(name: string): Promise<void> {
  const d = await labDown(name);
  expect(d.existed).toBe(true);
  expect(listNamespaces().filter((n) => n.startsWith(`${name}-`))).toEqual([]);
  expect(labStatus(name)).toBeUndefined();
}

describe.runIf(skipReason !== '')('pxecheck lab --ipv6 (root)', () => {
  it.skip(`skipped: ${skipReason}`, () => {});
});

describe.skipIf(skipReason !== '')('pxecheck lab up --ipv6 (root)', () => {
  it('kea: dual stack, kea-dhcp6 + radvd M=1 O=1, PXE/HTTP/iPXE classes, HTTP and TFTP over IPv6', { timeout: 90_000 }, async () => {
    const info = await labUp({ name: 'pxl6-kea', server: 'kea', ipv6: true });
    try {
      expect(info.ipv6).toMatchObject({ mode: 'dual', ra: 'managed', raSender: 'radvd', dhcp6Server: 'kea', serverAddr6: '2001:db8:1::1' });
      expect(info.servers.map((s) => s.label).sort()).toEqual(['kea', 'kea6', 'nginx', 'radvd', 'tftpd']);
      expectClientIpv6Off(info);
      const k6 = addKernelClient6(info.clientNs, 'k6');
      const ra = probe<{ ra: Ra | null }>(info, k6, ['ra', '12']).ra;
      expect(ra).toMatchObject({ managed: true, other: true });
      expect(ra?.prefixes).toEqual([{ prefix: '2001:db8:1::', len: 64, onLink: true, autonomous: false }]);
      expectBootChain(info, k6, '00000157000a48545450436c69656e74');
      const script6 = curl(info, 'http://[2001:db8:1::1]/boot.ipxe');
      expect(script6.code, script6.body).toBe(0);
      expect(script6.body).toContain('kernel http://[2001:db8:1::1]/vmlinuz');
      // Same path over IPv4: the IPv4 script.
      expect(curl(info, 'http://198.51.100.1/boot.ipxe').body).toContain('kernel http://198.51.100.1/vmlinuz');
      const efi = run('ip', ['netns', 'exec', info.clientNs, 'curl', '-g', '-sS', '--max-time', '8', '-o', join(tmp, 'snp.efi'), '-w', '%{size_download}', 'tftp://[2001:db8:1::1]/snponly.efi'], { timeoutMs: 15_000 });
      expect(efi.code, efi.stderr).toBe(0);
      expect(Number(efi.stdout)).toBeGreaterThan(10_000);
      const st = labStatus('pxl6-kea');
      expect(st?.processes.every((p) => p.alive)).toBe(true);
      expect(formatLabStatus(st!)).toMatch(/ipv6 \(dual\): DHCPv6 kea, RA managed from radvd/);
    } finally {
      await expectDown('pxl6-kea');
    }
  });

  it('dnsmasq: IPv6 only, its own RA (M=1 O=1), DHCPv6 classes, its own TFTP over IPv6', { timeout: 90_000 }, async () => {
    const info = await labUp({ name: 'pxl6-dm', server: 'dnsmasq', ipv6: 'only' });
    try {
      expect(info.ipv6).toMatchObject({ mode: 'only', raSender: 'dnsmasq', dhcp6Server: 'dnsmasq' });
      expect(info.servers.map((s) => s.label).sort()).toEqual(['dnsmasq', 'nginx']);
      expect(run('ip', ['-n', info.serverNs, '-4', 'addr', 'show', 'dev', 'eth0']).stdout).not.toContain('198.51.100.1');
      expectClientIpv6Off(info);
      const k6 = addKernelClient6(info.clientNs, 'k6');
      expect(probe<{ ra: Ra | null }>(info, k6, ['ra', '12']).ra).toMatchObject({ managed: true, other: true });
      // dnsmasq cannot send enterprise 343 (see fullchain-v6.ts): 0x00025858 + tuple "HTTPClient".
      expectBootChain(info, k6, '00025858000a48545450436c69656e74');
      const script = curl(info, 'http://[2001:db8:1::1]/boot.ipxe');
      expect(script.body).toContain('initrd http://[2001:db8:1::1]/initrd.img');
      const efi = run('ip', ['netns', 'exec', info.clientNs, 'curl', '-g', '-sS', '--max-time', '8', '-o', join(tmp, 'snp2.efi'), '-w', '%{size_download}', 'tftp://[2001:db8:1::1]/snponly.efi'], { timeoutMs: 15_000 });
      expect(efi.code, efi.stderr).toBe(0);
      expect(Number(efi.stdout)).toBeGreaterThan(10_000);
    } finally {
      await expectDown('pxl6-dm');
    }
  });

  it('ra unmanaged: radvd says M=0 O=0 while DHCPv6 still answers (the broken-RA case)', { timeout: 90_000 }, async () => {
    const info = await labUp({ name: 'pxl6-m0', server: 'dnsmasq', ipv6: true, ra: 'unmanaged' });
    try {
      expect(info.ipv6).toMatchObject({ ra: 'unmanaged', raSender: 'radvd' });
      const k6 = addKernelClient6(info.clientNs, 'k6');
      expect(probe<{ ra: Ra | null }>(info, k6, ['ra', '12']).ra).toMatchObject({ managed: false, other: false });
      expect(ascii(solicit(info, k6, PXE).options?.['59'])).toBe('tftp://[2001:db8:1::1]/snponly.efi');
    } finally {
      await expectDown('pxl6-m0');
    }
  });

  it('your own kea-dhcp6 config (here: none of option 59) is used as is; ra none sends no RA', { timeout: 90_000 }, async () => {
    const dir = join(tmp, 'k6user');
    run('mkdir', ['-p', dir]);
    const conf = join(tmp, 'my-kea6.json');
    writeFileSync(conf, keaDhcp6Config(dir));
    const info = await labUp({ name: 'pxl6-usr', server: 'kea', ipv6: 'only', ra: 'none', config6: conf });
    try {
      expect(info.ipv6).toMatchObject({ builtInConfig6: false, raSender: 'none' });
      expect(info.servers.find((s) => s.label === 'kea6')?.config).toBe(conf);
      const k6 = addKernelClient6(info.clientNs, 'k6');
      expect(probe<{ ra: Ra | null }>(info, k6, ['ra', '4']).ra).toBeNull();
      const adv = solicit(info, k6, PXE);
      expect(adv.type).toBe(2);
      expect(adv.options?.['59']).toBeUndefined();
    } finally {
      await expectDown('pxl6-usr');
    }
  });
});
