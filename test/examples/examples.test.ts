// The CI gate examples (examples/): the example Kea and dnsmasq configs pass the shipped scenarios in
// a real lab, the broken example fails with exactly the JUnit failure its README shows, and the
// example workflow parses and names only files that exist. Lab runs need root.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const EXAMPLES = join(REPO, 'examples');
const isRoot = process.getuid?.() === 0;

interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly junit: string;
}

function failureMessages(junit: string): string[] {
  const unescape = (s: string): string => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
  return [...junit.matchAll(/<failure message="([^"]*)"/g)].map((m) => unescape(m[1] ?? ''));
}

describe.skipIf(!isRoot)('examples in a real lab (root)', () => {
  // The CLI comes from the shared private build (other engineers rebuild dist/ concurrently); the
  // JUnit reports go to a directory of this file's own, which is also the runs' working directory.
  let build: PrivateBuild | undefined;
  let work = '';
  let n = 0;
  beforeAll(() => {
    build = privateBuild();
    work = mkdtempSync(join(tmpdir(), 'pxecheck-examples-'));
  }, 300_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function run(scenario: string, server: string, config: string, configFlag = '--server-config'): RunResult {
    if (!build) throw new Error('private build missing');
    const junitFile = join(work, `report-${n++}.xml`);
    const r = spawnSync(
      process.execPath,
      build.cliArgs(['run', join(REPO, 'scenarios', scenario), '--lab', server, configFlag, join(EXAMPLES, config), '--format', 'junit', '--output', junitFile]),
      { cwd: work, encoding: 'utf8', timeout: 110_000, killSignal: 'SIGINT' },
    );
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, junit: existsSync(junitFile) ? readFileSync(junitFile, 'utf8') : '' };
  }

  function expectPass(r: RunResult, scenario: string): void {
    const msgs = failureMessages(r.junit);
    expect(r.junit).toContain(`<testsuite name="${scenario.replace(/\.yaml$/, '')}"`);
    expect(msgs, r.stderr).toEqual([]);
    expect(r.code, r.stderr).toBe(0);
  }

  for (const [server, config] of [['kea', 'kea/kea-dhcp4.json'], ['dnsmasq', 'dnsmasq/dnsmasq.conf']] as const) {
    for (const scenario of ['uefi-ipxe.yaml', 'cisco-phone.yaml']) {
      it(`${config} passes ${scenario} with --lab ${server}`, () => {
        expectPass(run(scenario, server, config), scenario);
      }, 120_000);
    }
  }

  for (const scenario of ['uefi-ipxe-v6.yaml', 'uefi-httpboot-v6.yaml']) {
    it(`kea/kea-dhcp6.json passes ${scenario} with --lab kea --server-config6`, () => {
      expectPass(run(scenario, 'kea', 'kea/kea-dhcp6.json', '--server-config6'), scenario);
    }, 120_000);
  }

  it('the broken Kea config fails (exit 1) with the JUnit failure examples/broken/README.md shows', () => {
    const readme = readFileSync(join(EXAMPLES, 'broken/README.md'), 'utf8');
    const shown = /<failure message="([^"]*)" type="dhcp">/.exec(readme);
    expect(shown, 'README shows a <failure message=…>').not.toBeNull();
    const r = run('uefi-ipxe.yaml', 'kea', 'broken/kea-dhcp4.json');
    expect(r.code, r.stderr).toBe(1);
    expect(r.junit).toContain(`<failure message="${shown?.[1] ?? ''}" type="dhcp">`);
    expect(r.junit).toMatch(/<testcase classname="uefi-ipxe\/pc1" name="4\. iPXE DORA"[^>]*>\s*<failure /);
    expect(failureMessages(r.junit)).toHaveLength(1);
    // The text report quoted in the README names the same step and the same mismatch.
    expect(readme).toContain('│ 4 │ iPXE DORA');
    expect(readme).toContain('boot file: expected to match /^https?:\\/\\//, found "snponly.efi"');
  }, 120_000);
});

describe.skipIf(isRoot)('examples in a real lab', () => {
  it.skip('needs root: run --lab builds network namespaces', () => undefined);
});

describe('example workflow', () => {
  const text = readFileSync(join(EXAMPLES, 'github-actions/boot-config.yml'), 'utf8');
  const wf = parse(text) as {
    on: unknown;
    permissions: Record<string, string>;
    jobs: Record<string, { 'runs-on': string; strategy: { matrix: { include: { server: string; config: string; scenarios: string }[] } }; steps: { uses?: string; run?: string; if?: string }[] }>;
  };
  const job = wf.jobs['boot'];

  it('parses as a GitHub Actions workflow with one job on ubuntu-latest', () => {
    expect(wf.on).toBeDefined();
    expect(job?.['runs-on']).toBe('ubuntu-latest');
    expect(wf.permissions['checks']).toBe('write');
  });

  it('tests a Kea and a dnsmasq config that exist in examples/, with shipped scenarios only', () => {
    const include = job?.strategy.matrix.include ?? [];
    expect(include.map((i) => i.server).sort()).toEqual(['dnsmasq', 'kea']);
    for (const i of include) {
      expect(existsSync(join(EXAMPLES, i.config)), i.config).toBe(true);
      const scenarios = i.scenarios.split(/\s+/).filter(Boolean);
      expect(scenarios).toContain('uefi-ipxe');
      expect(scenarios).toContain('cisco-phone');
      for (const s of scenarios) expect(existsSync(join(REPO, 'scenarios', `${s}.yaml`)), s).toBe(true);
    }
    // IPv6: the Kea entry also brings its kea-dhcp6 config and plays the IPv6 scenarios.
    const kea = include.find((i) => i.server === 'kea') as { config6?: string; scenarios: string } | undefined;
    expect(kea?.config6).toBe('kea/kea-dhcp6.json');
    expect(existsSync(join(EXAMPLES, kea?.config6 ?? 'missing'))).toBe(true);
    expect(kea?.scenarios.split(/\s+/)).toEqual(expect.arrayContaining(['uefi-ipxe-v6', 'uefi-httpboot-v6']));
  });

  it('runs pxecheck as root with JUnit out, fails on a non-zero run, uploads and publishes', () => {
    const runs = (job?.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(runs).toMatch(/sudo "\$NODE" pxecheck\/bin\/pxecheck\.js run "pxecheck\/scenarios\/\$s\.yaml"/);
    expect(runs).toContain('--server-config ${{ matrix.config }}');
    expect(runs).toContain("${{ matrix.config6 && format('--server-config6 {0}', matrix.config6) || '' }}");
    expect(runs).toContain('--format junit --output "reports/${{ matrix.server }}-$s.xml"');
    expect(runs).toMatch(/\|\| code=\$\?/);
    expect(runs).toMatch(/exit 1\n/);
    const uses = (job?.steps ?? []).filter((s) => s.uses !== undefined);
    expect(uses.map((s) => s.uses?.split('@')[0])).toEqual(
      ['actions/checkout', 'actions/checkout', 'actions/setup-node', 'actions/upload-artifact', 'mikepenz/action-junit-report'],
    );
    for (const s of uses.slice(3)) expect(s.if).toBe('always()');
  });

  it('installs the lab packages of scripts/setup.sh', () => {
    const setup = readFileSync(join(REPO, 'scripts/setup.sh'), 'utf8');
    const install = (job?.steps ?? []).map((s) => s.run ?? '').find((r) => r.includes('apt-get install')) ?? '';
    for (const pkg of ['libpcap-dev', 'tcpdump', 'iproute2', 'dnsmasq', 'kea-dhcp4-server', 'kea-dhcp6-server', 'radvd', 'isc-dhcp-server', 'tftpd-hpa', 'ipxe']) {
      expect(setup).toContain(pkg);
      expect(install).toContain(pkg);
    }
  });
});
