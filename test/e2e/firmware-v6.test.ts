// End to end over IPv6 with real firmware: `pxecheck lab up --ipv6-only --server kea` (radvd M=1 O=1,
// kea-dhcp6 with the built-in classes, tftpd-hpa and nginx on [2001:db8:1::1]), QEMU booting Debian
// OVMF (EDK2's own network stack, romfile="") on a tap of the lab bridge, and `pxecheck capture -i br0`
// recording the bridge in the client namespace. `pxecheck analyze` of that file must show the whole
// IPv6 chain (DHCPv6 → TFTP or HTTP → iPXE's DHCPv6 → HTTP boot.ipxe, vmlinuz, initrd.img) and no
// error finding.
// OVMF is steered with its fw_cfg knobs (EDK2 OvmfPkg/RUNTIME_CONFIG.md): IPv4 off, so PXEv6 (or,
// with PXE off too, HTTPv6) is the first boot option; the HTTPv6 boot also gets a 6 s boot menu,
// because OVMF 2022.11's HttpBootDxe as the first option starts DHCPv6 before DAD ends and fails at
// once (captures/lab-v6/README.md; fixed upstream in edk2 11f1d28bcb).
// Software emulation (TCG): each boot is bounded at 120 s; typical ~45 s per test, ~105 s the file.
// iPXE (2019 Debian build) also runs DHCPv4 and waits it out (4 Discovers, ~15 s) before its script.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Analysis, ClientReport as BootChain } from '../../src/analysis/types.js';
import type { Dhcp4Step, Dhcp6Step, HttpStep, RaStep, TftpStep } from '../../src/flow/types.js';
import { labDown, type LabInfo } from '../../src/lab/labctl.js';
import { IPXE_DIR, OVMF_CODE, OVMF_VARS, listNamespaces, run } from '../../src/lab/index.js';
import { expectStoppedWithChain, httpComplete, nginxLogHas, recordFirmwareBoot, timing, type FirmwareBootSpec, type FirmwareRun } from '../helpers/firmware-e2e.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

const PXE_MAC = '52:54:00:00:e6:01';
const HTTP_MAC = '52:54:00:00:e6:02';
const SERVER6 = '2001:db8:1::1';
const HTTP6 = `http://[${SERVER6}]`;
/** Lab names of this file (≤ 12 characters); namespaces are `<name>-srv` and `<name>-cli`. */
const LAB_PXE = 'fw6e2e-pxe';
const LAB_HTTP = 'fw6e2e-http';
const OVMF = 'opt/org.tianocore/';
/** OVMF boot menu wait (ms): lets the link-local address pass DAD before the first IPv6 boot option runs. */
const BOOT_MENU_MS = 6_000;

function missing(): string {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, taps, live capture)';
  const tools = ['ip', 'qemu-system-x86_64', 'kea-dhcp6', 'radvd', 'in.tftpd', 'nginx'].filter((t) => run('sh', ['-c', `command -v ${t}`]).code !== 0);
  if (tools.length > 0) return `needs ${tools.join(', ')}`;
  const files = [OVMF_CODE, OVMF_VARS, join(IPXE_DIR, 'snponly.efi'), join(IPXE_DIR, 'ipxe.efi')].filter((f) => !existsSync(f));
  if (files.length > 0) return `needs ${files.join(', ')} (Debian ovmf, ipxe)`;
  return '';
}
const skipReason = missing();

describe.skipIf(skipReason !== '')(`OVMF boots over IPv6 recorded by pxecheck capture${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let tmp = '';
  let build: PrivateBuild | undefined;

  beforeAll(async () => {
    build = privateBuild();
    tmp = mkdtempSync(join(tmpdir(), 'pxecheck-fw6-e2e-'));
    // Leftovers of a killed run.
    for (const name of [LAB_PXE, LAB_HTTP]) await labDown(name);
  }, 300_000);

  afterAll(async () => {
    for (const name of [LAB_PXE, LAB_HTTP]) await labDown(name);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    const left = listNamespaces().filter((n) => n.startsWith(`${LAB_PXE}-`) || n.startsWith(`${LAB_HTTP}-`));
    expect(left, 'network namespaces left behind').toEqual([]);
  }, 60_000);

  /** labUp (IPv6 only, kea) → capture on br0 → boot → SIGINT the capture → analyze; labDown in any case.
   *  PXECHECK_E2E_KEEP=DIR keeps the recording for a look by hand. */
  function bootAndAnalyze(name: string, boot: FirmwareBootSpec): Promise<FirmwareRun> {
    if (!build) throw new Error('private build missing');
    return recordFirmwareBoot(build, { name, server: 'kea', ipv6: 'only' }, boot, tmp, process.env['PXECHECK_E2E_KEEP']);
  }

  /** The lab itself: IPv6 only, kea-dhcp6 behind radvd M=1, the boot URLs these tests expect. */
  function expectLab(lab: LabInfo): void {
    expect(lab.ipv6).toMatchObject({
      mode: 'only',
      ra: 'managed',
      raSender: 'radvd',
      dhcp6Server: 'kea',
      bootUrls: { pxe: `tftp://[${SERVER6}]/snponly.efi`, httpBoot: `${HTTP6}/ipxe.efi`, ipxe: `${HTTP6}/boot.ipxe` },
    });
    expect(lab.servers.map((s) => s.label)).not.toContain('dnsmasq');
  }

  /** The firmware's own network stack sent no IPv4 (IPv4Support=no); what iPXE sends is its business. */
  function expectFirmwareSentNoIpv4(c: BootChain, why: string): void {
    expect(c.steps.filter((s): s is Dhcp4Step => s.kind === 'dhcp4' && s.stage !== 'ipxe'), why).toEqual([]);
  }

  /** A router advertisement with M=1 from the lab's radvd answered (or preceded) the client's IPv6 start. */
  function expectManagedRa(c: BootChain, why: string): void {
    const ra = c.steps.filter((s): s is RaStep => s.kind === 'ra');
    expect(ra, why).toContainEqual(expect.objectContaining({ ok: true, advert: expect.objectContaining({ managed: true, other: true }) }));
  }

  /** What both boots start with: the lab, a stop by stopWhen, a chain with `arch`, no firmware IPv4, a managed RA. */
  function expectIpv6Start(r: FirmwareRun, arch: number, why: string): BootChain {
    expectLab(r.lab);
    const c = expectStoppedWithChain(r, why);
    expect(c.arch, why).toBe(arch);
    expectFirmwareSentNoIpv4(c, why);
    expectManagedRa(c, why);
    return c;
  }

  /** The firmware's own DHCPv6 (not iPXE's) bound `bootUrl` as `arch` with a vendor class matching `vendorClass`; returns that step. */
  function expectFirmwareDhcp6(c: BootChain, bootUrl: string, arch: number, vendorClass: RegExp, why: string): Dhcp6Step {
    const fw = c.steps.filter((s): s is Dhcp6Step => s.kind === 'dhcp6' && !s.userClass.includes('iPXE') && s.bootfileUrl !== null);
    expect(fw, why).toContainEqual(expect.objectContaining({ ok: true, bootfileUrl: bootUrl, arch, vendorEnterprise: 343, statuses: [] }));
    const firmware = fw.find((s) => s.ok && s.bootfileUrl === bootUrl)!;
    expect(firmware.vendorClass, why).toMatch(vendorClass);
    expect(firmware.messages, why).toEqual(expect.arrayContaining(['SOLICIT', 'ADVERTISE', 'REQUEST', 'REPLY']));
    return firmware;
  }

  /** iPXE (snponly.efi or ipxe.efi) did its own DHCPv6 and got the script URL; returns that step. */
  function expectIpxeDhcp6(c: BootChain, lab: LabInfo, why: string): Dhcp6Step {
    const ipxe = c.steps.filter((s): s is Dhcp6Step => s.kind === 'dhcp6' && s.userClass.includes('iPXE') && s.bootfileUrl !== null);
    expect(ipxe, why).toContainEqual(expect.objectContaining({ ok: true, bootfileUrl: lab.ipv6!.bootUrls.ipxe, statuses: [] }));
    const step = ipxe.find((s) => s.ok && s.bootfileUrl === lab.ipv6!.bootUrls.ipxe)!;
    expect(step.messages, why).toEqual(expect.arrayContaining(['SOLICIT', 'ADVERTISE', 'REQUEST', 'REPLY']));
    expect(step.addresses.every((a) => a.startsWith('2001:db8:1::')), why).toBe(true);
    expect(step.addresses.length, why).toBeGreaterThan(0);
    return step;
  }

  /** boot.ipxe (the IPv6 script), then vmlinuz and initrd.img, all from [2001:db8:1::1]. */
  function expectHttpChain6(c: BootChain, why: string): HttpStep[] {
    const http = c.steps.filter((s): s is HttpStep => s.kind === 'http');
    for (const path of ['boot.ipxe', 'vmlinuz', 'initrd.img']) {
      expect(http, why).toContainEqual(expect.objectContaining({ url: `${HTTP6}/${path}`, method: 'GET', server: SERVER6, status: 200, ok: true, complete: true }));
    }
    const order = http.map((s) => s.url.split('/').pop());
    expect(order.indexOf('boot.ipxe'), why).toBeLessThan(order.indexOf('vmlinuz'));
    expect(order.indexOf('vmlinuz'), why).toBeLessThan(order.indexOf('initrd.img'));
    return http;
  }

  function expectNoErrors(a: Analysis, c: BootChain, why: string): void {
    const errors = a.findings.filter((f) => f.severity === 'error');
    // iPXE also sends DHCPv4 Discovers in this IPv6-only lab (nobody answers, by design). Once iPXE
    // got its address and script by DHCPv6 and fetched them, those Discovers are no error (at most
    // a note that they cost ~15 s). Checked apart so that a failure says which case it is.
    const ipxeV4 = new Set(c.steps.flatMap((s) => (s.kind === 'dhcp4' && s.stage === 'ipxe' ? s.frames : [])));
    const aboutIpxeV4 = (f: Analysis['findings'][number]): boolean => f.frames.length > 0 && f.frames.every((n) => ipxeV4.has(n));
    expect(errors.filter((f) => !aboutIpxeV4(f)), why).toEqual([]);
    expect(errors.filter(aboutIpxeV4), `iPXE's unanswered DHCPv4 in an IPv6-only lab, after it booted over DHCPv6, must not be an error. ${why}`).toEqual([]);
    expect(c.booted, why).toBe(true);
    expect(a.clients.map((x) => x.mac), why).toEqual([c.mac]);
  }

  it('OVMF PXEv6 (IPv4 off): DHCPv6 tftp URL → TFTP snponly.efi over IPv6 → iPXE DHCPv6 → HTTP boot.ipxe, vmlinuz, initrd.img, no error', async () => {
    const started = Date.now();
    const r = await bootAndAnalyze(LAB_PXE, {
      firmware: 'uefi',
      mac: PXE_MAC,
      tap: 'fw6tap0',
      label: 'pxe6',
      timeoutMs: 120_000,
      // No boot-menu wait: PxeBcDxe already waits for DAD (edk2 ed2bfec); only HttpBootDxe does not.
      fwCfg: { [`${OVMF}IPv4Support`]: 'no', [`${OVMF}IPv4PXESupport`]: 'no' },
      stopWhen: nginxLogHas('/initrd.img'),
      captured: httpComplete('/initrd.img'),
    });
    const { analysis: a, result, lab } = r;
    const why = describeRun(r);
    const c = expectIpv6Start(r, 7, why);

    // The firmware's DHCPv6 (PxeBc): PXEClient arch 7, offered and bound the PXE boot file URL.
    const firmware = expectFirmwareDhcp6(c, lab.ipv6!.bootUrls.pxe, 7, /^PXEClient:Arch:00007:UNDI:/, why);
    expect(firmware.addresses.length, why).toBeGreaterThan(0);
    expect(firmware.addresses.every((x) => x.startsWith('2001:db8:1::')), why).toBe(true);

    // snponly.efi over TFTP/IPv6, complete and as long as the file (EDK2 probes tsize first).
    const tftp = c.steps.filter((s): s is TftpStep => s.kind === 'tftp' && s.file === 'snponly.efi' && !s.probe);
    const size = statSync(join(IPXE_DIR, 'snponly.efi')).size;
    expect(tftp, why).toContainEqual(expect.objectContaining({ ok: true, complete: true, error: null, bytes: size, server: SERVER6 }));
    const program = tftp.find((s) => s.complete)!;

    const ipxe = expectIpxeDhcp6(c, lab, why);
    const http = expectHttpChain6(c, why);
    // In chain order: firmware DHCPv6, the boot program, iPXE's DHCPv6, the script.
    const script = http.find((s) => s.url.endsWith('/boot.ipxe'))!;
    expect(firmware.start, why).toBeLessThan(program.start);
    expect(program.start, why).toBeLessThan(ipxe.start);
    expect(ipxe.start, why).toBeLessThan(script.start);
    // No HTTP boot of the firmware (that would be the next boot option after a failed PXEv6).
    expect(http.filter((s) => s.url.endsWith('.efi')), why).toEqual([]);

    expectNoErrors(a, c, why);
    console.log(`[firmware-v6 e2e] pxe6: ${timing(started, result)}; findings: ${findingsText(a) || 'none'}`);
  }, 200_000);

  it('OVMF HTTPv6 (IPv4 and PXE off): DHCPv6 HTTPClient URL → HTTP GET ipxe.efi over IPv6 → iPXE DHCPv6 → HTTP boot.ipxe, vmlinuz, initrd.img, no error', async () => {
    const started = Date.now();
    const r = await bootAndAnalyze(LAB_HTTP, {
      firmware: 'uefi',
      mac: HTTP_MAC,
      tap: 'fw6tap1',
      label: 'http6',
      timeoutMs: 120_000,
      fwCfg: { [`${OVMF}IPv4Support`]: 'no', [`${OVMF}IPv4PXESupport`]: 'no', [`${OVMF}IPv6PXESupport`]: 'no' },
      bootMenuMs: BOOT_MENU_MS,
      stopWhen: nginxLogHas('/initrd.img'),
      captured: httpComplete('/initrd.img'),
    });
    const { analysis: a, result, lab } = r;
    const why = describeRun(r);
    const c = expectIpv6Start(r, 16, why);

    // HttpBootDxe's DHCPv6: HTTPClient arch 16, got the HTTP boot URL (and kea's HTTPClient option 16).
    const firmware = expectFirmwareDhcp6(c, lab.ipv6!.bootUrls.httpBoot, 16, /^HTTPClient:Arch:00016:UNDI:/, why);

    // The EFI binary over HTTP/IPv6, whole (EDK2 asks HEAD first for the size).
    const http = expectHttpChain6(c, why);
    const size = statSync(join(IPXE_DIR, 'ipxe.efi')).size;
    expect(http, why).toContainEqual(expect.objectContaining({ url: lab.ipv6!.bootUrls.httpBoot, method: 'GET', server: SERVER6, status: 200, ok: true, complete: true, bytes: size }));
    const program = http.find((s) => s.method === 'GET' && s.url === lab.ipv6!.bootUrls.httpBoot)!;
    expect(c.steps.filter((s) => s.kind === 'tftp'), why).toEqual([]);

    const ipxe = expectIpxeDhcp6(c, lab, why);
    const script = http.find((s) => s.url.endsWith('/boot.ipxe'))!;
    expect(firmware.start, why).toBeLessThan(program.start);
    expect(program.start, why).toBeLessThan(ipxe.start);
    expect(ipxe.start, why).toBeLessThan(script.start);

    expectNoErrors(a, c, why);
    console.log(`[firmware-v6 e2e] http6: ${timing(started, result)}; findings: ${findingsText(a) || 'none'}`);
  }, 200_000);
});

function findingsText(a: Analysis): string {
  return a.findings.map((f) => `${f.severity} ${f.code} ${f.client ?? '-'} frames ${f.frames.slice(0, 4).join(',')}: ${f.message}`).join('; ');
}

function describeRun(r: FirmwareRun): string {
  const steps = (r.chain?.steps ?? []).map((s) => `${s.kind} ${stepName(s)} ok=${s.ok}`).join('; ');
  return `stop: ${r.result.reason} after ${Math.round(r.result.elapsedMs / 1000)} s (${r.result.accel}); clients: ${r.analysis.clients.map((c) => c.mac).join(',')}; steps: ${steps}; findings: ${findingsText(r.analysis)}; capture: ${r.captureOut.slice(-400)}; serial tail: ${r.result.serial.slice(-800)}`;
}

function stepName(s: BootChain['steps'][number]): string {
  switch (s.kind) {
    case 'dhcp4':
      return `${s.stage} ${s.messages.join(',')} ${s.bootfile ?? '-'}`;
    case 'proxydhcp':
      return s.bootfile ?? '-';
    case 'dhcp6':
      return `${s.messages.join(',')} ${s.userClass.join('+') || s.vendorClass || '-'} ${s.bootfileUrl ?? '-'} ${s.addresses.join(',')}`;
    case 'ra':
      return `${s.messages.join(',')} M=${s.advert?.managed ?? '-'}`;
    case 'tftp':
      return `${s.server} ${s.file}${s.probe ? ' probe' : ''}${s.error ? ` error ${s.error.code}` : ''}${s.complete ? ` complete ${s.bytes}` : ''}`;
    case 'http':
      return `${s.method} ${s.url} ${s.status ?? '-'} ${s.bytes}${s.complete ? ' complete' : ''}`;
  }
}
