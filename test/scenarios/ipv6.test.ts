// IPv6 network boot against real servers in network namespaces (issue 6 evidence): the shipped
// uefi-ipxe-v6 and uefi-httpboot-v6 scenarios pass against kea-dhcp6 + radvd and against dnsmasq
// (DHCPv6 + its own RAs); a kea-dhcp6 config without option 59 and a link whose RAs say M=0 fail
// the right step, and `pxecheck analyze` of what the run recorded names the right finding.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keaDhcp6Config, labDown, labUp, run, type LabInfo, type LabUpOptions } from '../../src/lab/index.js';
import { allSteps, expectPassed, failures, runInLab, TEST_TIMEOUT_MS, type CliRun } from '../helpers/lab-run.js';
import { ROOT } from '../helpers/paths.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

const isRoot = process.getuid?.() === 0;
const hasTools = run('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v kea-dhcp6 && command -v radvd && command -v in.tftpd && command -v nginx']).code === 0;
const skipReason = !isRoot ? 'needs root (network namespaces, raw sockets)' : !hasTools ? 'needs ip, dnsmasq, kea-dhcp6, radvd, in.tftpd and nginx' : '';

let build: PrivateBuild | undefined;
const work = mkdtempSync(join(tmpdir(), 'pxecheck-ipv6-'));

interface AnalyzeJson { readonly findings: readonly { readonly code: string; readonly severity: string; readonly message: string }[] }

/** `pxecheck analyze FILE --format json` findings (exit 0 or 1 are both answers). */
function analyzeFindings(file: string): AnalyzeJson['findings'] {
  const r = spawnSync(process.execPath, build!.cliArgs(['analyze', file, '--format', 'json']), { cwd: ROOT, encoding: 'utf8' });
  expect([0, 1], r.stderr).toContain(r.status);
  return (JSON.parse(r.stdout) as AnalyzeJson).findings;
}

function step(r: CliRun, name: string) {
  const s = allSteps(r.json!).find((x) => x.name === name);
  expect(s, failures(r)).toBeDefined();
  return s!;
}

/** One lab per describe block, torn down whatever happens. */
function withLab(name: string, opts: () => LabUpOptions): { get: () => LabInfo } {
  let lab: LabInfo | undefined;
  beforeAll(async () => {
    build ??= privateBuild();
    await labDown(name);
    lab = await labUp({ name, ...opts() });
  }, 300_000);
  afterAll(async () => {
    await labDown(name);
  }, 60_000);
  return { get: () => { if (lab === undefined) throw new Error('lab did not come up'); return lab; } };
}

describe.skipIf(skipReason !== '')(`IPv6 boot against real servers${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  for (const server of ['kea', 'dnsmasq'] as const) {
    describe(`${server}: DHCPv6 + RA (${server === 'kea' ? 'radvd' : 'dnsmasq'}) built-in full chain`, () => {
      const lab = withLab(`v6-${server}`, () => ({ server, ipv6: true }));

      it('uefi-ipxe-v6.yaml passes', async () => {
        const pcap = join(work, `${server}-uefi-ipxe-v6.pcapng`);
        const r = await runInLab(build!, lab.get(), 'uefi-ipxe-v6', ['--pcap', pcap]);
        expectPassed(r);
        // The client saw M=1 and booted over TFTP and HTTP on IPv6.
        expect(step(r, 'router advertisement').details?.['observed']).toMatchObject({ managed: true });
        expect(step(r, 'firmware DHCPv6').details?.['observed']).toMatchObject({ bootfileUrl: expect.stringMatching(/^tftp:\/\/\[2001:db8:1::1\]\//) });
        expect(step(r, 'iPXE DHCPv6').details?.['observed']).toMatchObject({ bootfileUrl: 'http://[2001:db8:1::1]/boot.ipxe' });
        // What the run sent and received reads back as a healthy IPv6 chain.
        const errors = analyzeFindings(pcap).filter((f) => f.severity === 'error');
        expect(errors).toEqual([]);
      }, TEST_TIMEOUT_MS);

      it('uefi-httpboot-v6.yaml passes', async () => {
        expectPassed(await runInLab(build!, lab.get(), 'uefi-httpboot-v6'));
      }, TEST_TIMEOUT_MS);
    });
  }

  describe('kea-dhcp6 config without option 59', () => {
    const lab = withLab('v6-noboot', () => {
      const conf = join(work, 'kea6-no-bootfile.json');
      mkdirSync(join(work, 'kea6-state'), { recursive: true });
      writeFileSync(conf, keaDhcp6Config(join(work, 'kea6-state')));
      return { server: 'kea', ipv6: 'only', config6: conf };
    });

    it('fails the firmware DHCPv6 step naming option 59; analyze says dhcp6.no-bootfile-url', async () => {
      const pcap = join(work, 'noboot.pcapng');
      const r = await runInLab(build!, lab.get(), 'uefi-ipxe-v6', ['--pcap', pcap]);
      expect(r.code, r.stderr).toBe(1);
      expect(step(r, 'router advertisement').ok).toBe(true);
      const sarr = step(r, 'firmware DHCPv6');
      expect(sarr.ok).toBe(false);
      expect(sarr.error).toMatch(/the Reply carries no boot file URL \(DHCPv6 option 59\)/);
      // The address part worked: the failure is the missing URL, not a silent server.
      expect(sarr.details?.['observed']).toMatchObject({ messageType: 'reply', address: expect.stringMatching(/^2001:db8:1::/) });
      expect(analyzeFindings(pcap).map((f) => f.code)).toContain('dhcp6.no-bootfile-url');
    }, TEST_TIMEOUT_MS);
  });

  describe('router advertisements with M=0 (radvd), DHCPv6 server still up', () => {
    const lab = withLab('v6-unmgd', () => ({ server: 'kea', ipv6: true, ra: 'unmanaged' }));

    it('uefi-ipxe-v6.yaml fails its RA step naming the M flag', async () => {
      const r = await runInLab(build!, lab.get(), 'uefi-ipxe-v6');
      expect(r.code, r.stderr).toBe(1);
      const ra = step(r, 'router advertisement');
      expect(ra.ok).toBe(false);
      expect(ra.error).toBe('RA managed (M) flag: expected 1, found 0');
    }, TEST_TIMEOUT_MS);

    it('a client that goes on with DHCPv6 anyway is answered; analyze says ra.missing-managed-flag', async () => {
      const pcap = join(work, 'unmanaged.pcapng');
      const r = await runInLab(build!, lab.get(), join(ROOT, 'test/scenarios/fixtures/ra-then-dhcp6.yaml'), ['--pcap', pcap]);
      expectPassed(r);
      expect(step(r, 'router advertisement').details?.['observed']).toMatchObject({ managed: false, other: false });
      expect(analyzeFindings(pcap).map((f) => f.code)).toContain('ra.missing-managed-flag');
    }, TEST_TIMEOUT_MS);
  });
});
