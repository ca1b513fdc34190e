// `pxecheck lab` for real: each DHCP server with the built-in full-chain config, probed from the
// client namespace with busybox udhcpc/tftp/wget. Needs root; skipped otherwise.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  formatLabStatus,
  isAlive,
  labDown,
  labStatus,
  labUp,
  LabExistsError,
  listNamespaces,
  MissingBinaryError,
  run,
  type LabInfo,
  type LabServerKind,
} from '../../src/lab/index.js';

const isRoot = process.getuid?.() === 0;
const have = (c: string): boolean => run('sh', ['-c', `command -v ${c}`]).code === 0;
const baseTools = ['ip', 'ss', 'busybox', 'nginx', 'in.tftpd'].every(have);
const skipReason = !isRoot ? 'needs root (network namespaces)' : !baseTools ? 'needs ip, ss, busybox, nginx, in.tftpd' : '';
const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-labctl-'));
const SCRIPT = join(tmp, 'udhcpc-env.sh');
writeFileSync(SCRIPT, '#!/bin/sh\n[ "$1" = bound ] || exit 0\necho "ip=$ip"\necho "boot_file=$boot_file"\necho "bootfile=$bootfile"\necho "siaddr=$siaddr"\necho "vendor=$vendor"\nenv | grep -E "^(opt[0-9]+|tftp)=" | sort\n');
chmodSync(SCRIPT, 0o755);

const NAMES: Record<LabServerKind, string> = { dnsmasq: 'pxlt-dm', kea: 'pxlt-kea', 'isc-dhcpd': 'pxlt-isc' };
const SERVERS: [LabServerKind, string][] = [
  ['dnsmasq', 'dnsmasq'],
  ['kea', 'kea-dhcp4'],
  ['isc-dhcpd', 'dhcpd'],
];

afterAll(async () => {
  for (const n of [...Object.values(NAMES), 'pxlt-px', 'pxlt-usr', 'pxlt-miss']) await labDown(n);
  rmSync(tmp, { recursive: true, force: true });
});

function udhcpc(info: LabInfo, extra: string[]): string {
  const r = run(
    'ip',
    ['netns', 'exec', info.clientNs, 'busybox', 'udhcpc', '-i', info.clientIface, '-n', '-q', '-t', '4', '-T', '2', '-s', SCRIPT, ...extra],
    { timeoutMs: 20_000 },
  );
  return r.stdout + r.stderr;
}

function labLinks(name: string): string[] {
  return run('ip', ['-o', 'link', 'show']).stdout.split('\n').filter((l) => l.includes(name));
}

describe.runIf(skipReason !== '')('pxecheck lab (root)', () => {
  it.skip(`skipped: ${skipReason}`, () => {});
});

describe('missing programs', () => {
  it('names the Debian package (binaries override / empty PATH)', async () => {
    await expect(labUp({ name: 'pxlt-miss', binaries: { dnsmasq: '/nonexistent/dnsmasq' } })).rejects.toThrow(/dnsmasq \(Debian package: dnsmasq\)/);
    const err = await labUp({ name: 'pxlt-miss', server: 'isc-dhcpd', binaries: { dhcpd: '/nonexistent/dhcpd', tftpd: '/nonexistent/in.tftpd', nginx: '/nonexistent/nginx' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MissingBinaryError);
    expect(String(err)).toContain('isc-dhcp-server');
    expect(String(err)).toContain('tftpd-hpa');
    expect(String(err)).toContain('nginx-light or nginx');
    await expect(labUp({ name: 'pxlt-miss', server: 'kea', binaries: { kea: '/nonexistent/kea-dhcp4' } })).rejects.toThrow(/kea-dhcp4-server/);
    // PATH manipulation: an empty PATH still finds /usr/sbin daemons, so point overrides at a dir without them.
    const empty = mkdtempSync(join(tmpdir(), 'pxecheck-nopath-'));
    const e2 = await labUp({ name: 'pxlt-miss', pathEnv: empty, binaries: { nginx: join(empty, 'nginx') } }).catch((e: unknown) => e);
    expect(String(e2)).toMatch(/nginx \(Debian package: nginx-light or nginx\).*apt-get install nginx-light/);
    rmSync(empty, { recursive: true, force: true });
    // Nothing was built.
    expect(listNamespaces().filter((n) => n.startsWith('pxlt-miss'))).toEqual([]);
  });
});

describe.skipIf(skipReason !== '')('pxecheck lab up/status/down (root)', () => {
  for (const [server, program] of SERVERS) {
    it.skipIf(!have(program))(`${server}: UEFI PXE, Cisco phone, TFTP, HTTP, status, down leaves nothing`, { timeout: 90_000 }, async () => {
      const name = NAMES[server];
      let info: LabInfo | undefined;
      try {
        info = await labUp({ name, server });
        expect(info.clientIface).toBe('cl0');
        expect(info.serverAddr).toBe('198.51.100.1');
        expect(info.relayAddr).toBe('198.51.100.250');

        const uefi = udhcpc(info, ['-V', 'PXEClient:Arch:00007:UNDI:003000', '-x', '0x5d:0007', '-O', '67']);
        expect(uefi).toMatch(/ip=198\.51\.100\.\d+/);
        expect(uefi).toMatch(/boot_?file=snponly\.efi\n/);
        expect(uefi).toContain('siaddr=198.51.100.1');

        const bios = udhcpc(info, ['-V', 'PXEClient:Arch:00000:UNDI:002001', '-x', '0x5d:0000', '-O', '67']);
        expect(bios).toMatch(/boot_?file=undionly\.kpxe\n/);

        const ipxe = udhcpc(info, ['-V', 'PXEClient:Arch:00007:UNDI:003010', '-x', '0x5d:0007', '-x', '0x4d:69505845', '-O', '67']);
        expect(ipxe).toMatch(/boot_?file=http:\/\/198\.51\.100\.1\/boot\.ipxe\n/);

        const http = udhcpc(info, ['-V', 'HTTPClient:Arch:00016:UNDI:003000', '-x', '0x5d:0010', '-O', '67', '-O', '60']);
        expect(http).toMatch(/boot_?file=http:\/\/198\.51\.100\.1\/ipxe\.efi\n/);

        expect(http).toContain('vendor=HTTPClient\n');

        const arm = udhcpc(info, ['-V', 'PXEClient:Arch:00011:UNDI:003000', '-x', '0x5d:000b', '-O', '67']);
        expect(arm).toMatch(/boot_?file=ipxe-arm64\.efi\n/);

        // busybox prints options it does not know as hex: the URLs below, byte for byte.
        const hexOf = (t: string) => Buffer.from(t).toString('hex');
        const polycom = udhcpc(info, ['-V', 'Polycom-SoundPointIP-SPIP_550', '-O', '160', '-O', '66']);
        expect(polycom).toContain(`opt160=${hexOf('http://198.51.100.1/polycom/')}`);
        const yealink = udhcpc(info, ['-V', 'yealink', '-O', '43', '-O', '66']);
        expect(yealink).toContain(`opt43=${hexOf('http://198.51.100.1/yealink/')}`);

        const phone = udhcpc(info, ['-V', 'Cisco Systems, Inc. IP Phone CP-8841', '-O', '150', '-O', '66']);
        expect(phone).toMatch(/ip=198\.51\.100\.\d+/);
        // busybox prints unknown option 150 as hex: c6336401 = 198.51.100.1
        expect(phone).toMatch(/opt150=c6336401/i);
        expect(phone).toContain('tftp=198.51.100.1');

        const tftp = run('ip', ['netns', 'exec', info.clientNs, 'busybox', 'tftp', '-g', '-r', 'snponly.efi', '-l', join(tmp, `${name}.efi`), '198.51.100.1'], { timeoutMs: 20_000 });
        expect(tftp.code, tftp.stderr).toBe(0);
        expect(run('cmp', [join(tmp, `${name}.efi`), '/usr/lib/ipxe/snponly.efi']).code).toBe(0);

        const wget = run('ip', ['netns', 'exec', info.clientNs, 'busybox', 'wget', '-q', '-O', '-', 'http://198.51.100.1/boot.ipxe'], { timeoutMs: 15_000 });
        expect(wget.code, wget.stderr).toBe(0);
        expect(wget.stdout).toMatch(/^#!ipxe/);

        const st = labStatus(name);
        expect(st?.processes.length).toBeGreaterThanOrEqual(2);
        expect(st?.processes.every((p) => p.alive)).toBe(true);
        const text = formatLabStatus(st!);
        expect(text).toContain(`lab ${name}: up`);
        expect(text).toContain('198.51.100.1/24');
        expect(text).toContain('nginx');

        // up twice: a clear error, the running lab untouched.
        await expect(labUp({ name, server })).rejects.toBeInstanceOf(LabExistsError);
        expect(labStatus(name)?.processes.every((p) => p.alive)).toBe(true);
      } finally {
        const pids = info?.servers.map((s) => s.pid) ?? [];
        const down = await labDown(name);
        expect(down.existed).toBe(true);
        expect(listNamespaces().filter((n) => n.startsWith(`${name}-`))).toEqual([]);
        expect(labLinks(name)).toEqual([]);
        expect(pids.filter(isAlive)).toEqual([]);
        expect(run('ps', ['-eo', 'args']).stdout).not.toContain(`pxecheck-lab-${name}/`);
        expect(labStatus(name)).toBeUndefined();
        // down twice: fine, says there was nothing.
        expect((await labDown(name)).existed).toBe(false);
      }
    });
  }
});

describe.skipIf(skipReason !== '' || !have('dnsmasq') || !have('kea-dhcp4'))('pxecheck lab variants (root)', () => {
  it('--proxy: Kea on .2 hands out addresses, dnsmasq proxyDHCP + TFTP on .1', { timeout: 60_000 }, async () => {
    try {
      const info = await labUp({ name: 'pxlt-px', proxy: true });
      expect(info.addressServer).toBe('198.51.100.2');
      expect(info.server2Ns).toBe('pxlt-px-srv2');
      expect(info.servers.map((s) => s.label).sort()).toEqual(['dnsmasq', 'kea', 'nginx']);
      // A non-PXE client: only Kea answers (the proxy ignores clients without PXEClient).
      const plain = udhcpc(info, []);
      expect(plain).toMatch(/lease of 198\.51\.100\.\d+ obtained from 198\.51\.100\.2/);
      const tftp = run('ip', ['netns', 'exec', info.clientNs, 'busybox', 'tftp', '-g', '-r', 'undionly.kpxe', '-l', join(tmp, 'px.kpxe'), '198.51.100.1'], { timeoutMs: 20_000 });
      expect(tftp.code, tftp.stderr).toBe(0);
      expect(readFileSync(join(info.stateDir, 'dnsmasq', 'dnsmasq.conf'), 'utf8')).toContain('dhcp-range=198.51.100.0,proxy');
      expect(labStatus('pxlt-px')?.namespaces.map((n) => n.name)).toEqual(['pxlt-px-srv', 'pxlt-px-srv2', 'pxlt-px-cli']);
    } finally {
      await labDown('pxlt-px');
      expect(listNamespaces().filter((n) => n.startsWith('pxlt-px-'))).toEqual([]);
    }
  });

  it('--config: the user\'s dnsmasq config as is; no enable-tftp → tftpd-hpa serves TFTP', { timeout: 60_000 }, async () => {
    const conf = join(tmp, 'user-dnsmasq.conf');
    writeFileSync(conf, 'port=0\ninterface=eth0\nbind-interfaces\ndhcp-range=198.51.100.150,198.51.100.160,255.255.255.0,5m\ndhcp-boot=custom.efi\n');
    try {
      const info = await labUp({ name: 'pxlt-usr', config: conf });
      expect(info.builtInConfig).toBe(false);
      expect(info.servers.map((s) => s.label).sort()).toEqual(['dnsmasq', 'nginx', 'tftpd']);
      expect(info.servers.find((s) => s.label === 'dnsmasq')?.config).toBe(conf);
      const out = udhcpc(info, ['-O', '67']);
      expect(out).toMatch(/ip=198\.51\.100\.1[56]\d/);
      expect(out).toMatch(/boot_?file=custom\.efi\n/);
      const tftp = run('ip', ['netns', 'exec', info.clientNs, 'busybox', 'tftp', '-g', '-r', 'boot.ipxe', '-l', join(tmp, 'usr.ipxe'), '198.51.100.1'], { timeoutMs: 20_000 });
      expect(tftp.code, tftp.stderr).toBe(0);
    } finally {
      await labDown('pxlt-usr');
    }
  });
});
