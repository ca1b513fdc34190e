// Integration matrix: the shipped scenarios (scenarios/*.yaml) run in raw mode against the real boot
// servers of `pxecheck lab` (dnsmasq, Kea, ISC dhcpd, each with its built-in full-chain config).
// Only the combinations that pass are here; why the others fail is in the matrix below.
//
//                   dnsmasq  kea   isc-dhcpd
//   uefi-ipxe        pass    pass  pass
//   uefi-httpboot    pass    pass  pass
//   bios-pxe         pass    pass  pass
//   polycom-phone    pass    pass  pass
//   cisco-phone      pass    pass  pass
//   dhcp-conformance fail    pass  pass   dnsmasq (a) puts option 51 (lease time) in the ACK to an
//                                         INFORM from a client with a lease (RFC 2131 4.3.5: MUST
//                                         NOT); (b) with no-ping it keeps no memory of recent offers,
//                                         so simultaneous DISCOVERs get the same address and the
//                                         later REQUESTs a NAK "address in use" — a real client
//                                         restarts DORA after a NAK, pxecheck's dhcp step does not
//   proxydhcp        dnsmasq --proxy: both clients pass (proxy-bios picks a menu item and asks
//                    port 4011 with PXE option 43/71, as a PXE ROM does)
//
// The CLI runs inside the lab's client namespace from a private build of src/ (never the shared dist/).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDown, labUp, run, type LabInfo, type LabServerKind } from '../../src/lab/index.js';
import { ROOT } from '../helpers/paths.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';
import { allSteps, expectPassed, runInLab, TEST_TIMEOUT_MS, type CliRun, type RunJson } from '../helpers/lab-run.js';

const isRoot = process.getuid?.() === 0;
const hasTools = run('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v kea-dhcp4 && command -v dhcpd && command -v in.tftpd && command -v nginx']).code === 0;
const skipReason = !isRoot
  ? 'needs root (network namespaces, raw sockets)'
  : !hasTools ? 'needs ip, dnsmasq, kea-dhcp4, dhcpd, in.tftpd and nginx' : '';

let build: PrivateBuild | undefined;

async function expectPass(lab: LabInfo, scenario: string): Promise<void> {
  if (!build) throw new Error('private build missing');
  expectPassed(await runInLab(build, lab, scenario));
}

function runScenario(lab: LabInfo, scenario: string): Promise<CliRun> {
  if (!build) throw new Error('private build missing');
  return runInLab(build, lab, scenario);
}

// Scenarios that pass against each server's built-in full-chain config.
const PASSING: Readonly<Record<LabServerKind, readonly string[]>> = {
  dnsmasq: ['uefi-ipxe', 'uefi-httpboot', 'bios-pxe', 'polycom-phone', 'cisco-phone', 'phone-provisioning'],
  kea: ['uefi-ipxe', 'uefi-httpboot', 'bios-pxe', 'polycom-phone', 'cisco-phone', 'phone-provisioning', 'dhcp-conformance'],
  'isc-dhcpd': ['uefi-ipxe', 'uefi-httpboot', 'bios-pxe', 'polycom-phone', 'cisco-phone', 'phone-provisioning', 'dhcp-conformance'],
};
const LAB_NAMES: Readonly<Record<LabServerKind, string>> = { dnsmasq: 'mx-dnsmasq', kea: 'mx-kea', 'isc-dhcpd': 'mx-iscdhcpd' };

describe.skipIf(skipReason !== '')(`shipped scenarios against real servers${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(() => {
    build = privateBuild();
  }, 300_000);

  for (const server of Object.keys(PASSING) as LabServerKind[]) {
    describe(server, () => {
      const name = LAB_NAMES[server];
      let lab: LabInfo | undefined;
      beforeAll(async () => {
        await labDown(name); // leftovers of an earlier crashed run
        lab = await labUp({ name, server });
      }, 60_000);
      afterAll(async () => {
        await labDown(name);
      }, 60_000);

      for (const scenario of PASSING[server]) {
        it(`${scenario}.yaml passes against ${server}`, async () => {
          if (lab === undefined) throw new Error('lab did not come up');
          await expectPass(lab, scenario);
        }, TEST_TIMEOUT_MS);
      }
    });
  }

  describe('dnsmasq proxyDHCP (Kea on .2 hands out addresses)', () => {
    const name = 'mx-proxy';
    let lab: LabInfo | undefined;
    let dir = '';
    beforeAll(async () => {
      await labDown(name);
      dir = mkdtempSync(join(tmpdir(), 'pxecheck-matrix-proxy-'));
      lab = await labUp({ name, server: 'dnsmasq', proxy: true });
    }, 60_000);
    afterAll(async () => {
      await labDown(name);
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('proxydhcp.yaml (UEFI and BIOS clients) passes against dnsmasq --proxy', async () => {
      if (lab === undefined) throw new Error('lab did not come up');
      await expectPass(lab, join(ROOT, 'scenarios/proxydhcp.yaml'));
    }, TEST_TIMEOUT_MS);
  });

  describe('dnsmasq with a user config that has no dhcp-boot', () => {
    const name = 'mx-noboot';
    let lab: LabInfo | undefined;
    let dir = '';
    beforeAll(async () => {
      await labDown(name);
      dir = mkdtempSync(join(tmpdir(), 'pxecheck-matrix-conf-'));
      mkdirSync(dir, { recursive: true });
      const conf = join(dir, 'dnsmasq.conf');
      // Addresses only: a valid DHCP server that never names a boot file. TFTP comes from tftpd-hpa.
      writeFileSync(conf, [
        'port=0', 'interface=eth0', 'bind-interfaces', 'no-resolv', 'no-hosts', 'user=root', 'no-ping', 'log-dhcp',
        `log-facility=${join(dir, 'dnsmasq.log')}`, `dhcp-leasefile=${join(dir, 'dnsmasq.leases')}`,
        `pid-file=${join(dir, 'dnsmasq.pid')}`, 'dhcp-range=198.51.100.100,198.51.100.200,255.255.255.0,10m', '',
      ].join('\n'));
      lab = await labUp({ name, server: 'dnsmasq', config: conf });
    }, 60_000);
    afterAll(async () => {
      await labDown(name);
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('uefi-ipxe.yaml fails its first DHCP step naming the missing boot file, exit 1', async () => {
      if (lab === undefined) throw new Error('lab did not come up');
      const r = await runScenario(lab, 'uefi-ipxe');
      expect(r.code).toBe(1);
      expect(r.json, r.stderr).toBeDefined();
      const json = r.json as RunJson;
      expect(json.ok).toBe(false);
      const [first, ...rest] = allSteps(json);
      expect(first?.name).toBe('firmware DORA');
      expect(first?.ok).toBe(false);
      expect(first?.error).toMatch(/no boot file/);
      expect(first?.error).toMatch(/option 67/);
      // The address part worked: the failure is the boot file, not a missing server.
      expect(first?.error).not.toMatch(/no (answer|reply)/i);
      expect(rest.length).toBeGreaterThan(0);
      expect(rest.every((s) => !s.ok && /not run: step 1 failed/.test(s.error ?? ''))).toBe(true);
    }, TEST_TIMEOUT_MS);
  });
});
