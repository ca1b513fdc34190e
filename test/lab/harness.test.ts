import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it, expect, afterAll } from 'vitest';
import {
  cleanupStale,
  createLab,
  dnsmasqConfig,
  isAlive,
  keaDhcp4Config,
  listNamespaces,
  qemuArgs,
  run,
  startDnsmasq,
  waitFor,
  type Lab,
} from '../../src/lab/index.js';

const isRoot = process.getuid?.() === 0;
const hasTools = run('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v busybox']).code === 0;
const NAME = 'pxtest';

function rootLinks(): string[] {
  return run('ip', ['-o', 'link', 'show'])
    .stdout.split('\n')
    .map((l) => l.split(':')[1]?.trim() ?? '')
    .filter((n) => n.length > 0)
    .sort();
}

describe('lab config generators (pure)', () => {
  it('dnsmasq: tag-based boot files, proxy mode and our own paths only', () => {
    const text = dnsmasqConfig('/tmp/x', { efiBootFile: 'snponly.efi', ipxeBootFile: 'http://198.51.100.1/boot.ipxe' });
    expect(text).toContain('port=0\n');
    expect(text).toContain('dhcp-range=198.51.100.100,198.51.100.200,255.255.255.0,10m\n');
    expect(text).toContain('dhcp-match=set:efi64,option:client-arch,7\n');
    expect(text).toContain('dhcp-userclass=set:ipxe,iPXE\n');
    expect(text).toContain('dhcp-boot=tag:!ipxe,tag:efi64,snponly.efi,,198.51.100.1\n');
    expect(text).toContain('dhcp-boot=tag:ipxe,http://198.51.100.1/boot.ipxe,,198.51.100.1\n');
    expect(text).toContain('dhcp-leasefile=/tmp/x/dnsmasq.leases\n');
    expect(text).not.toContain('enable-tftp');
    const proxy = dnsmasqConfig('/tmp/x', { mode: 'proxy', efiBootFile: 'snponly.efi', tftpRoot: '/tmp/b' });
    expect(proxy).toContain('dhcp-range=198.51.100.0,proxy,255.255.255.0\n');
    expect(proxy).toContain('pxe-service=tag:!ipxe,7,"pxecheck UEFI",snponly.efi\n');
    expect(proxy).toContain('enable-tftp\ntftp-root=/tmp/b\n');
  });

  it('kea-dhcp4: classes on option 93 and user class iPXE, files under dir', () => {
    const cfg = JSON.parse(keaDhcp4Config('/tmp/k', { efiBootFile: 'snponly.efi', ipxeBootFile: 'http://198.51.100.1/boot.ipxe' }));
    const d = cfg.Dhcp4;
    expect(d['lease-database'].name).toBe('/tmp/k/kea-leases4.csv');
    expect(d['control-socket']['socket-name']).toBe('/tmp/k/kea4-ctrl.sock');
    expect(d['client-classes'].map((c: { name: string }) => c.name)).toEqual(['ipxe', 'efi64']);
    expect(d['client-classes'][1].test).toContain("not member('ipxe')");
    expect(d.subnet4[0].subnet).toBe('198.51.100.0/24');
  });

  it('qemu: UEFI uses a pflash copy of the vars, romfile "" disables the NIC ROM', () => {
    const a = qemuArgs({ firmware: 'uefi', tap: 'tap0', mac: '52:54:00:00:00:01', romfile: '' }, 'tcg', '/tmp/v.fd', '/tmp/s.log');
    expect(a).toContain('if=pflash,format=raw,file=/tmp/v.fd');
    expect(a).toContain('virtio-net-pci,netdev=n0,mac=52:54:00:00:00:01,romfile=');
    expect(a.join(' ')).toContain('-accel tcg');
    const b = qemuArgs({ firmware: 'bios', tap: 'tap0', mac: '52:54:00:00:00:02' }, 'kvm', '/tmp/v.fd', '/tmp/s.log');
    expect(b.join(' ')).not.toContain('pflash');
    expect(b).toContain('virtio-net-pci,netdev=n0,mac=52:54:00:00:00:02');
  });
});

describe.runIf(!isRoot || !hasTools)('lab harness', () => {
  it.skip(`skipped: needs root and ip/dnsmasq/busybox (root=${isRoot}, tools=${hasTools})`, () => {});
});

// Needs root: network namespaces, veths and a bridge. Skipped (not failed) for unprivileged runs.
describe.skipIf(!isRoot || !hasTools)('lab harness (root: netns + dnsmasq + busybox udhcpc)', () => {
  let lab: Lab | undefined;
  afterAll(async () => {
    await lab?.destroy();
    await cleanupStale(NAME);
  });

  it('leases an address from 198.51.100.0/24 and leaves nothing behind', async () => {
    const linksBefore = rootLinks();
    lab = await createLab({ name: NAME });
    expect(listNamespaces()).toEqual(expect.arrayContaining([`${NAME}-srv`, `${NAME}-cli`]));
    const dnsmasq = await startDnsmasq(lab, { extraLines: ['no-ping'] });
    lab.addClientInterface('cl0', '52:54:00:7e:57:01');
    const r = lab.exec(lab.ns.cli, 'busybox', ['udhcpc', '-i', 'cl0', '-n', '-q', '-t', '3', '-T', '2', '-s', '/bin/true'], {
      timeoutMs: 15_000,
    });
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    const m = /lease of (\d+\.\d+\.\d+\.\d+) obtained/.exec(out);
    expect(m, out).not.toBeNull();
    const octets = (m?.[1] ?? '').split('.').map(Number);
    expect(octets.slice(0, 3)).toEqual([198, 51, 100]);
    expect(octets[3]).toBeGreaterThanOrEqual(100);
    expect(octets[3]).toBeLessThanOrEqual(200);

    const pids = lab.processes.map((p) => p.pid);
    expect(pids).toContain(dnsmasq.proc.pid);
    const workDir = lab.workDir;
    await lab.destroy();
    lab = undefined;
    expect(listNamespaces().filter((n) => n.startsWith(`${NAME}-`))).toEqual([]);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(workDir)).toBe(false);
    expect(rootLinks()).toEqual(linksBefore);
  });

  it('cleanupStale removes a crashed run: namespaces and the processes inside them', async () => {
    run('ip', ['netns', 'add', `${NAME}-srv`]);
    const orphan = spawn('ip', ['netns', 'exec', `${NAME}-srv`, 'sleep', '300'], { detached: true, stdio: 'ignore' });
    orphan.unref();
    const pid = orphan.pid ?? -1;
    expect(await waitFor(() => run('ip', ['netns', 'pids', `${NAME}-srv`]).stdout.includes(String(pid)), 15_000)).toBe(true);
    const removed = await cleanupStale(NAME);
    expect(removed).toEqual([`${NAME}-srv`]);
    expect(listNamespaces()).not.toContain(`${NAME}-srv`);
    expect(await waitFor(() => !isAlive(pid), 15_000)).toBe(true);
  });
});
