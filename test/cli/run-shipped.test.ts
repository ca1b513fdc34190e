// Every shipped scenario runs out of the box: `pxecheck run scenarios/X.yaml` with no transport flag
// brings up the built-in lab the scenario asks for (proxyDHCP for proxydhcp.yaml, Kea for
// dhcp-conformance.yaml, dnsmasq otherwise; IPv6 when it plays an IPv6 persona) and passes, exit 0.
// dhcp-conformance against dnsmasq is the real catch (option 51 in the ACK to an INFORM) and is
// checked as such. Without root the same command exits 2 naming both ways out.
// Bounded: each run is killed (SIGTERM: it removes its lab) after RUN_TIMEOUT_MS.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { allSteps, RUN_TIMEOUT_MS, runCli, TEST_TIMEOUT_MS } from '../helpers/lab-run.js';
import { ROOT } from '../helpers/paths.js';
import { privateBuild, type PrivateBuild } from '../helpers/private-build.js';

const isRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v kea-dhcp4 && command -v kea-dhcp6 && command -v in.tftpd && command -v nginx']).status === 0;
const skipReason = !isRoot ? 'needs root (network namespaces)' : !hasTools ? 'needs ip, dnsmasq, kea-dhcp4/6, in.tftpd, nginx' : '';
const SHIPPED = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).sort();

let build: PrivateBuild | undefined;
const cli = (args: string[]) => {
  if (!build) throw new Error('private build missing');
  return runCli(build, args, { timeoutMs: RUN_TIMEOUT_MS, killSignal: 'SIGTERM' });
};

describe.skipIf(skipReason !== '')(`shipped scenarios with no transport flag${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(() => {
    build = privateBuild();
  }, 300_000);

  it('there are shipped scenarios', () => expect(SHIPPED.length).toBeGreaterThan(5));

  for (const file of SHIPPED) {
    it(`run scenarios/${file} passes against the lab it picks and says so in one line`, async () => {
      const r = await cli(['run', join(ROOT, 'scenarios', file), '--format', 'json']);
      expect(r.code, `${r.stderr}\n${r.stdout.slice(0, 4000)}`).toBe(0);
      expect(r.json?.ok).toBe(true);
      expect(allSteps(r.json!).length).toBeGreaterThan(0);
      expect(r.stderr.match(/no transport given: running against the built-in lab/g)).toHaveLength(1);
      expect(r.stderr).not.toMatch(/Warning:|This may not actually work/);
    }, TEST_TIMEOUT_MS);
  }

  it('dhcp-conformance against dnsmasq: the INFORM step fails on option 51, with the note why', async () => {
    const r = await cli(['run', join(ROOT, 'scenarios/dhcp-conformance.yaml'), '--lab', 'dnsmasq', '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/dhcp-conformance expects the kea lab: dnsmasq .* option 51 .* RFC 2131 §4\.3\.5/);
    const failed = allSteps(r.json!).filter((s) => !s.ok);
    const inform = failed.find((s) => s.kind === 'inform');
    expect(inform, JSON.stringify(failed)).toBeDefined();
    expect(inform!.name).toMatch(/RFC 2131 §4\.3\.5/);
    expect(JSON.stringify(inform)).toMatch(/51/);
  }, TEST_TIMEOUT_MS);

  it('as an unprivileged user: exit 2 naming the lab (root) and the transports, nothing built', async () => {
    if (!build) throw new Error('private build missing');
    const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, ...build.cliArgs(['run', join(ROOT, 'scenarios/uefi-ipxe.yaml')])], {
      cwd: '/', encoding: 'utf8', timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/built-in lab, which needs root/);
    expect(r.stderr).toMatch(/--interface IFACE --server ADDR/);
    expect(r.stderr).toMatch(/--relay-from ADDR --server ADDR/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 60_000);
});
