// `pxecheck run SCENARIO --lab SERVER --server-config FILE` against deliberately broken real server
// configs (configs/, each derived from the built-in full chain of src/lab/fullchain.ts with one
// mistake): the run exits 1, the step that meets the mistake is the first to fail, and its error
// names the cause. Every later step is "not run".
//
// The fixtures use no lab-specific path: the dnsmasq ones leave TFTP to the lab's tftpd-hpa (no
// enable-tftp), keep no lease or pid file and log to stdout; the Kea ones keep leases in memory and
// log to stdout. The CLI comes from a private build of src/ (never the shared dist/; see
// test/helpers/private-build.ts), with a copy of bin/pxecheck.js next to it because `run --lab` re-runs `../../bin/pxecheck.js` in the client
// namespace. `run --lab` names its lab pxrXXXX at random; the test finds the name from the network
// namespace of that child while it runs and checks that no namespace of the lab is left afterwards.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listNamespaces, run } from '../../src/lab/index.js';
import { allSteps, runCli, type CliRun, type RunJson } from '../helpers/lab-run.js';
import { ROOT } from '../helpers/paths.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

const isRoot = process.getuid?.() === 0;
const hasTools = run('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v kea-dhcp4 && command -v in.tftpd && command -v nginx']).code === 0;
const skipReason = !isRoot ? 'needs root (network namespaces, a bridge, servers in them)' : !hasTools ? 'needs ip, dnsmasq, kea-dhcp4, in.tftpd and nginx' : '';

const RUN_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = RUN_TIMEOUT_MS + 15_000;
const CONFIGS = join(ROOT, 'test/scenarios/configs');

/** A run plus the name of the lab `run --lab` made for it (seen while it ran). */
interface LabCliRun extends CliRun { readonly labName: string | undefined }

let build: PrivateBuild | undefined;

/**
 * The lab name of the scenario child of `pid` if it runs now: the child is `ip netns exec
 * <name>-cli node …`, which execs node at once, so its command line no longer says the name; its
 * network namespace does (same inode as /run/netns/<name>-cli).
 */
function childLabName(pid: number): string | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      const ino = statSync(`/proc/${entry}/ns/net`).ino;
      for (const ns of listNamespaces()) {
        const m = /^(.+)-cli$/.exec(ns);
        if (m && statSync(`/run/netns/${ns}`).ino === ino) return m[1];
      }
    } catch {
      // the process or namespace went away while we looked
    }
  }
  return undefined;
}

/** `pxecheck run SCENARIO --lab SERVER --server-config CONFIG --format json` from the repo root. */
async function runWithConfig(scenario: string, server: 'dnsmasq' | 'kea', config: string): Promise<LabCliRun> {
  if (!build) throw new Error('private build missing');
  let labName: string | undefined;
  const r = await runCli(build, ['run', join('scenarios', scenario), '--lab', server, '--server-config', join(CONFIGS, config), '--format', 'json'], {
    timeoutMs: RUN_TIMEOUT_MS,
    // SIGTERM first: run --lab then tears its lab down.
    killSignal: 'SIGTERM',
    watch: (child) => {
      const watch = setInterval(() => {
        if (labName === undefined && child.pid !== undefined) labName = childLabName(child.pid);
      }, 100);
      return () => clearInterval(watch);
    },
  });
  return { ...r, labName };
}

/**
 * Runs `scenario` against the broken `config` and checks: exit 1, no lab left, and in every client
 * the steps before `failingStep` passed, `failingStep` failed with an error matching each of
 * `because`, and every later step was not run.
 */
async function expectFailure(scenario: string, server: 'dnsmasq' | 'kea', config: string, failingStep: string, because: readonly RegExp[]): Promise<void> {
  const r = await runWithConfig(scenario, server, config);
  const why = r.json === undefined ? `exit ${String(r.code)}, no JSON; stderr: ${r.stderr.slice(0, 800)}` : allSteps(r.json).map((s) => `${s.client} / ${s.name}: ${s.ok ? 'ok' : s.error ?? ''}`).join('\n');
  expect(r.json, why).toBeDefined();
  expect(r.code, why).toBe(1);
  const json = r.json as RunJson;
  expect(json.ok).toBe(false);
  const clients = json.scenarios.flatMap((s) => s.clients);
  expect(clients.length).toBeGreaterThan(0);
  for (const c of clients) {
    const at = c.steps.findIndex((s) => s.name === failingStep);
    expect(at, `no step "${failingStep}" in ${c.steps.map((s) => s.name).join(', ')}`).toBeGreaterThanOrEqual(0);
    expect(c.steps.slice(0, at).filter((s) => !s.ok), why).toEqual([]);
    const failed = c.steps[at]!;
    expect(failed.ok, why).toBe(false);
    for (const re of because) expect(failed.error ?? '', why).toMatch(re);
    for (const later of c.steps.slice(at + 1)) expect(later.error ?? '').toMatch(/^not run: step \d+ failed/);
  }
  expect(r.labName, `no lab child seen; stderr: ${r.stderr.slice(0, 400)}`).toBeDefined();
  expect(listNamespaces().filter((n) => n.startsWith(`${r.labName ?? ''}-`))).toEqual([]);
}

describe.skipIf(skipReason !== '')(`run --lab with broken server configs${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(() => {
    build = privateBuild();
  }, 300_000);

  describe('dnsmasq', () => {
    it('no dhcp-boot: uefi-ipxe fails its first step, "no boot file: option 67 missing, file field empty"', async () => {
      await expectFailure('uefi-ipxe.yaml', 'dnsmasq', 'dnsmasq-no-bootfile.conf', 'firmware DORA', [/no boot file/, /option 67/, /file field/]);
    }, TEST_TIMEOUT_MS);

    it('UEFI client offered the BIOS NBP: the boot file check names undionly.kpxe', async () => {
      await expectFailure('uefi-ipxe.yaml', 'dnsmasq', 'dnsmasq-wrong-arch.conf', 'firmware DORA', [/boot file: expected to match \/\\\.efi\$\//, /"undionly\.kpxe"/]);
    }, TEST_TIMEOUT_MS);

    it('no iPXE rule: firmware DORA and TFTP pass, the iPXE DORA fails naming snponly.efi offered again', async () => {
      await expectFailure('uefi-ipxe.yaml', 'dnsmasq', 'dnsmasq-ipxe-loop.conf', 'iPXE DORA', [/boot file: expected to match \/\^https\?:/, /"snponly\.efi"/]);
    }, TEST_TIMEOUT_MS);

    it('boot file not in the TFTP root: the TFTP step fails with the server\'s "ERROR 1 File not found" for that file', async () => {
      await expectFailure('uefi-ipxe.yaml', 'dnsmasq', 'dnsmasq-missing-tftp-file.conf', 'fetch the iPXE binary', [/ERROR 1 File not found/, /missing-ipxe\.efi/]);
    }, TEST_TIMEOUT_MS);

    it('no option 150 for the Cisco class: every phone\'s DHCP step fails naming option 150', async () => {
      await expectFailure('cisco-phone.yaml', 'dnsmasq', 'dnsmasq-no-option150.conf', 'DORA', [/option 150: .*found absent/]);
    }, TEST_TIMEOUT_MS);
  });

  describe('kea', () => {
    it('no boot-file-name for UEFI PXE: uefi-ipxe fails its first step naming option 67 / the file field', async () => {
      await expectFailure('uefi-ipxe.yaml', 'kea', 'kea-no-bootfile.json', 'firmware DORA', [/no boot file/, /option 67/, /file field/]);
    }, TEST_TIMEOUT_MS);

    it('Cisco class without option 150 (only 66): every phone\'s DHCP step fails naming option 150', async () => {
      await expectFailure('cisco-phone.yaml', 'kea', 'kea-no-option150.json', 'DORA', [/option 150: .*found absent/]);
    }, TEST_TIMEOUT_MS);
  });
});
