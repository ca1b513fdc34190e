// End to end with real firmware: `pxecheck lab up` servers (dnsmasq + nginx in namespaces), QEMU
// booting OVMF (EDK2's own UEFI PXE) or SeaBIOS with QEMU's iPXE ROM on a tap of the lab bridge, and
// `pxecheck capture -i br0` recording the bridge in the client namespace. `pxecheck analyze` of that
// file must show the whole chain; a lab whose UEFI boot file is missing must show `tftp.error`.
// The slowest tests of the suite (software emulation: KVM is unusable here). Typical run ~100 s on
// 2 cores under TCG (OVMF chain ~35 s, SeaBIOS ~20 s, broken ~12 s); each boot is bounded (120/90/90 s).
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Analysis, ClientReport as BootChain } from '../../src/analysis/types.js';
import type { Dhcp4Step, HttpStep, TftpStep } from '../../src/flow/types.js';
import type { FirmwareBootResult } from '../../src/lab/firmware-boot.js';
import type { LabUpOptions } from '../../src/lab/labctl.js';
import { IPXE_DIR, OVMF_CODE, OVMF_VARS, dnsmasqConfig, run } from '../../src/lab/index.js';
import { expectStoppedWithChain, httpComplete, nginxLogHas, tftpFailed, readText, recordFirmwareBoot, timing, type FirmwareBootSpec, type FirmwareRun } from '../helpers/firmware-e2e.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

const UEFI_MAC = '52:54:00:00:e2:e1';
const BIOS_MAC = '52:54:00:00:e2:b1';
const SCRIPT_URL = 'http://198.51.100.1/boot.ipxe';

function missing(): string {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, taps, live capture)';
  const tools = ['ip', 'qemu-system-x86_64', 'dnsmasq', 'nginx'].filter((t) => run('sh', ['-c', `command -v ${t}`]).code !== 0);
  if (tools.length > 0) return `needs ${tools.join(', ')}`;
  const files = [OVMF_CODE, OVMF_VARS, join(IPXE_DIR, 'snponly.efi')].filter((f) => !existsSync(f));
  if (files.length > 0) return `needs ${files.join(', ')} (Debian ovmf, ipxe)`;
  // SeaBIOS's PXE comes from QEMU's virtio-net ROM (Debian: ipxe-qemu, linked from /usr/share/qemu).
  if (!['/usr/share/qemu/pxe-virtio.rom', '/usr/lib/ipxe/qemu/pxe-virtio.rom'].some((f) => existsSync(f))) return 'needs QEMU\'s pxe-virtio.rom (Debian ipxe-qemu)';
  return '';
}
const skipReason = missing();

describe.skipIf(skipReason !== '')(`firmware boots recorded by pxecheck capture${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let tmp = '';
  let build: PrivateBuild | undefined;

  beforeAll(async () => {
    // A private build (test/helpers/private-build.ts): the shared dist/ belongs to whoever runs
    // `npm run build`. This file's captures go to a directory of its own.
    build = privateBuild();
    tmp = mkdtempSync(join(tmpdir(), 'pxecheck-fw-e2e-'));
  }, 300_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * labUp → capture on br0 → boot → SIGINT the capture → analyze (labDown in any case), then what
   * every boot here must show: stopped by stopWhen, with a chain for the client. `why` describes the run.
   */
  async function bootAndAnalyze(up: LabUpOptions & { name: string }, boot: FirmwareBootSpec): Promise<{ a: Analysis; r: FirmwareBootResult; c: BootChain; why: string }> {
    if (!build) throw new Error('private build missing');
    const rec = await recordFirmwareBoot(build, up, boot, tmp);
    const why = describeRun(rec);
    return { a: rec.analysis, r: rec.result, c: expectStoppedWithChain(rec, why), why };
  }

  function describeRun({ chain, analysis: a, result: r }: FirmwareRun): string {
    const steps = (chain?.steps ?? []).map((s) => `${s.kind} ${'stage' in s ? s.stage : ''} ${stepName(s)} ok=${s.ok}`).join('; ');
    const findings = a.findings.map((f) => `${f.severity} ${f.code} ${f.message}`).join('; ');
    return `stop: ${r.reason} after ${Math.round(r.elapsedMs / 1000)} s (${r.accel}); steps: ${steps}; findings: ${findings}; serial tail: ${r.serial.slice(-600)}`;
  }

  function expectHttpChain(chain: BootChain, why: string): void {
    const http = chain.steps.filter((s): s is HttpStep => s.kind === 'http');
    for (const path of ['boot.ipxe', 'vmlinuz', 'initrd.img']) {
      expect(http, why).toContainEqual(expect.objectContaining({ url: `http://198.51.100.1/${path}`, method: 'GET', status: 200, ok: true, complete: true }));
    }
    // In chain order: the script first, then what it loads.
    const order = http.map((s) => s.url.split('/').pop());
    expect(order.indexOf('boot.ipxe'), why).toBeLessThan(order.indexOf('initrd.img'));
  }

  it('OVMF UEFI PXE: firmware DHCP → TFTP snponly.efi → iPXE DHCP → HTTP boot.ipxe, vmlinuz, initrd.img, no error', async () => {
    const started = Date.now();
    const { a, r, c, why } = await bootAndAnalyze(
      { name: 'fwe2e-uefi' },
      { firmware: 'uefi', mac: UEFI_MAC, tap: 'fwtap0', label: 'uefi', timeoutMs: 120_000, stopWhen: nginxLogHas('/initrd.img'), captured: httpComplete('/initrd.img') },
    );
    expect(c.arch).toBe(7);

    const dhcp = c.steps.filter((s): s is Dhcp4Step => s.kind === 'dhcp4');
    const firmware = dhcp.find((s) => s.stage === 'firmware');
    expect(firmware, why).toMatchObject({ ok: true, bootfile: 'snponly.efi', nextServer: '198.51.100.1', arch: 7, userClass: [] });
    expect(firmware!.vendorClass).toMatch(/^PXEClient:Arch:00007:UNDI:/);
    expect(firmware!.messages).toEqual(expect.arrayContaining(['DISCOVER', 'OFFER', 'REQUEST', 'ACK']));

    // The boot program, complete and byte for byte as long as the file (EDK2 may probe tsize first).
    const tftp = c.steps.filter((s): s is TftpStep => s.kind === 'tftp' && s.file === 'snponly.efi' && !s.probe);
    const size = statSync(join(IPXE_DIR, 'snponly.efi')).size;
    expect(tftp, why).toContainEqual(expect.objectContaining({ ok: true, complete: true, error: null, bytes: size, server: '198.51.100.1' }));

    const ipxe = dhcp.find((s) => s.stage === 'ipxe');
    expect(ipxe, why).toMatchObject({ ok: true, bootfile: SCRIPT_URL, arch: 7 });
    expect(ipxe!.userClass).toContain('iPXE');
    // Order of the chain: firmware DHCP, then the boot program, then iPXE's DHCP, then HTTP.
    const at = (s: { start: number } | undefined): number => s?.start ?? Number.NaN;
    const program = tftp.find((s) => s.complete);
    expect(at(firmware)).toBeLessThan(at(program));
    expect(at(program)).toBeLessThan(at(ipxe));
    expectHttpChain(c, why);

    expect(c.booted, why).toBe(true);
    expect(a.findings.filter((f) => f.severity === 'error'), why).toEqual([]);
    console.log(`[firmware e2e] uefi: ${timing(started, r)}`);
  }, 200_000);

  it('SeaBIOS + iPXE ROM: the ROM\'s DHCP (arch 0, iPXE) → HTTP boot.ipxe, vmlinuz, initrd.img, no error', async () => {
    const started = Date.now();
    const { a, r, c, why } = await bootAndAnalyze(
      { name: 'fwe2e-bios' },
      { firmware: 'bios', mac: BIOS_MAC, tap: 'fwtap1', label: 'bios', timeoutMs: 90_000, stopWhen: nginxLogHas('/initrd.img'), captured: httpComplete('/initrd.img') },
    );
    expect(c.arch).toBe(0);
    const dhcp = c.steps.filter((s): s is Dhcp4Step => s.kind === 'dhcp4');
    // QEMU's ROM is iPXE: its very first DHCP already says so (user class iPXE), hence the script URL.
    expect(dhcp[0], why).toMatchObject({ ok: true, stage: 'ipxe', arch: 0, bootfile: SCRIPT_URL });
    expect(dhcp[0]!.userClass).toContain('iPXE');
    expect(c.steps.filter((s) => s.kind === 'tftp'), why).toEqual([]);
    expectHttpChain(c, why);
    expect(c.booted, why).toBe(true);
    expect(a.findings.filter((f) => f.severity === 'error'), why).toEqual([]);
    console.log(`[firmware e2e] bios: ${timing(started, r)}`);
  }, 160_000);

  it('broken lab config (UEFI boot file not on the TFTP server): analyze reports tftp.error for the client', async () => {
    const started = Date.now();
    // The user's own dnsmasq config, outside the lab's state dir (labUp clears that dir first).
    const dir = join(tmp, 'broken');
    const tftpRoot = join(dir, 'tftp');
    mkdirSync(tftpRoot, { recursive: true });
    const conf = join(dir, 'dnsmasq.conf');
    writeFileSync(conf, dnsmasqConfig(dir, { tftpRoot, efiBootFile: 'missing/bootx64.efi', ipxeBootFile: SCRIPT_URL }));
    const dnsmasqLog = join(dir, 'dnsmasq.log');
    const { a, r, c, why } = await bootAndAnalyze(
      { name: 'fwe2e-bad', config: conf },
      // dnsmasq logs the failed read; EDK2 prints PXE-E23 — either means the fault is on the wire.
      { firmware: 'uefi', mac: UEFI_MAC, tap: 'fwtap2', label: 'bad', timeoutMs: 90_000, stopWhen: () => /not found/.test(readText(dnsmasqLog)), captured: tftpFailed('missing/bootx64.efi') },
    );
    expect(c.steps.find((s): s is Dhcp4Step => s.kind === 'dhcp4'), why).toMatchObject({ ok: true, stage: 'firmware', bootfile: 'missing/bootx64.efi' });
    const tftp = c.steps.filter((s): s is TftpStep => s.kind === 'tftp');
    expect(tftp, why).toContainEqual(expect.objectContaining({ file: 'missing/bootx64.efi', ok: false, complete: false, error: expect.objectContaining({ code: 1 }) }));
    const errors = a.findings.filter((f) => f.severity === 'error');
    expect(errors, why).toContainEqual(expect.objectContaining({ code: 'tftp.error', client: UEFI_MAC }));
    expect(errors.find((f) => f.code === 'tftp.error')!.message).toContain('missing/bootx64.efi');
    expect(c.booted, why).toBe(false);
    expect(c.steps.some((s) => s.kind === 'http'), why).toBe(false);
    console.log(`[firmware e2e] broken: ${timing(started, r)}`);
  }, 160_000);
});

function stepName(s: BootChain['steps'][number]): string {
  switch (s.kind) {
    case 'dhcp4':
    case 'proxydhcp':
      return s.bootfile ?? '-';
    case 'dhcp6':
      return s.bootfileUrl ?? '-';
    case 'tftp':
      return `${s.file}${s.error ? ` error ${s.error.code}` : ''}${s.complete ? ' complete' : ''}`;
    case 'http':
      return `${s.url} ${s.status ?? '-'}`;
    case 'ra':
      return `RA M=${s.advert?.managed ? 1 : 0}`;
  }
}
