// Load mode against real servers in a lab: Kea (memfile) and dnsmasq hand out 198.18.0.0/15 (the
// RFC 2544 benchmarking range, inside the lab only) to clients relayed from 198.18.0.1, an address
// this test adds in the lab's client namespace. The built CLI (a private build of src/) runs
// `pxecheck run STORM.yaml --relay-from 198.18.0.1 --server 198.51.100.1 --format json` there.
// Sizes fit CI (2 shared cores): 2,000 DORAs against Kea, 600 DORA+TFTP against dnsmasq, a
// p99 budget that a tbf rate limit on the server's link makes fail; bench/load-storm.mjs runs bigger.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_ADDR } from '../../src/lab/index.js';
import { rateLimit } from '../../src/lab/impair.js';
import { dnsmasqStormConfig, keaStormConfig } from '../../src/lab/storm.js';
import type { RunResult } from '../../src/scenario/run/result.js';
import { runCliInNamespace } from '../helpers/lab-run.js';
import { runStorm as runStormIn, stormScenario, stormSkipReason, useStormLab, why, type StormLab, type StormRun } from './storm-lab.js';

const skipReason = stormSkipReason(['kea-dhcp4', 'dnsmasq', 'in.tftpd', 'nginx', 'tc']);

const STORM_TIMEOUT_MS = 100_000;

function storm(name: string, count: number, load: string, steps: string): string {
  return stormScenario({ name, budget: '90s', load, mac: '02:18:00:00:00:00', count, steps });
}

const DORA = '      - dhcp: { within: 10s, expect: { type: ack, yiaddr: 198.18.0.0/15 } }';

function runStorm(lab: StormLab, file: string, extra: string[] = []): Promise<StormRun> {
  return runStormIn(lab, file, extra, STORM_TIMEOUT_MS);
}

// Each describe's lab is up for its tests only: Kea's is down before dnsmasq's comes up.
describe.skipIf(skipReason !== '')(`load mode against real servers${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  describe('Kea', () => {
    const stormLab = useStormLab('flab1', 'kea', () => keaStormConfig());

    it('2,000 clients, DORA only: every lease from 198.18.0.0/15, percentiles, budgets met', async () => {
      const file = join(stormLab.work, 'kea-2000.yaml');
      writeFileSync(file, storm('kea-2000', 2000, '  arrival: 1000/s\n  concurrency: 200\n  budgets: { dora: { p99: 15s }, failed: "<1%" }', DORA));
      const r = await runStorm(stormLab, file, ['--max-load', 'arrival-rate=1000']); // above the default ceiling, on purpose
      const l = r.result?.scenarios[0]?.load;
      expect(l, why(r)).toBeDefined();
      expect(l!.clients.started, why(r)).toBe(2000);
      expect(l!.clients.ok, why(r)).toBeGreaterThanOrEqual(1980);
      const dora = l!.kinds.dora!;
      expect(dora.ok + dora.failed + dora.timedOut).toBe(2000);
      expect(dora.latencyMs!.p50).toBeGreaterThan(0);
      expect(dora.latencyMs!.p50).toBeLessThanOrEqual(dora.latencyMs!.p99);
      expect(dora.latencyMs!['p99.9']).toBeLessThanOrEqual(dora.latencyMs!.max);
      expect(Object.keys(dora.servers)).toEqual([SERVER_ADDR]);
      expect(dora.histogram.length).toBeGreaterThan(10);
      expect(l!.budgets.map((b) => [b.what, b.ok])).toEqual([['dora p99', true], ['failed', true]]);
      expect(r.code, why(r)).toBe(0);
    }, STORM_TIMEOUT_MS + 10_000);

    it('a p99 budget fails (exit 1) when the server\'s link is rate-limited (tbf)', async () => {
      const file = join(stormLab.work, 'kea-slow.yaml');
      writeFileSync(file, storm('kea-slow', 200, '  concurrency: 200\n  budgets: { dora: { p99: 1s } }', '      - dhcp: { within: 30s, expect: { type: ack } }'));
      // ~350-byte replies at 100 kbit/s: 28 ms each, 400 of them queue for seconds.
      const slow = rateLimit(stormLab.lab.serverNs, 'eth0', { rateKbit: 100, latencyMs: 60_000 });
      let r;
      try {
        r = await runStorm(stormLab, file, ['--max-load', 'arrival-rate=none']); // all 200 at once, on purpose
      } finally {
        slow.remove();
      }
      const l = r.result?.scenarios[0]?.load;
      expect(l, why(r)).toBeDefined();
      const p99 = l!.budgets.find((b) => b.what === 'dora p99');
      expect(p99, why(r)).toMatchObject({ ok: false });
      expect(l!.kinds.dora!.latencyMs!.p99, why(r)).toBeGreaterThan(1000);
      expect(r.code, why(r)).toBe(1);
    }, STORM_TIMEOUT_MS + 10_000);
  });

  describe('dnsmasq', () => {
    const stormLab = useStormLab('flab2', 'dnsmasq', (work) => dnsmasqStormConfig({ leaseFile: join(work, 'leases'), authoritative: true, leaseMax: 200_000 }));

    it('600 clients through DORA and TFTP, in two shards merged into the same counts', async () => {
      const steps = `${DORA}\n      - tftp: { file: polycom/000000000000.cfg, server: "\${server}", within: 10s, expect: { size: { min: 10 } } }`;
      const file = join(stormLab.work, 'dnsmasq-600.yaml');
      writeFileSync(file, storm('dnsmasq-600', 600, '  arrival: 500/s\n  concurrency: 100\n  budgets: { dora: { p99: 15s }, tftp: { p99: 15s }, failed: "<2%" }', steps));
      const shards: string[] = [];
      for (const s of ['1/2', '2/2']) {
        const r = await runStorm(stormLab, file, ['--shard', s, '--max-load', 'arrival-rate=250']); // 500/s over two shards, on purpose
        const l = r.result?.scenarios[0]?.load;
        expect(l, why(r)).toBeDefined();
        expect(l!.clients.started, why(r)).toBe(300);
        const out = join(stormLab.work, `shard-${s.replace('/', 'of')}.json`);
        writeFileSync(out, JSON.stringify(r.result));
        shards.push(out);
      }
      const merged = await runCliInNamespace(stormLab.build, stormLab.lab.clientNs, ['merge', ...shards, '--format', 'json'], 30_000);
      const m = (JSON.parse(merged.stdout) as RunResult).scenarios[0]!.load!;
      expect(m.merged).toBe(2);
      expect(m.clients.started).toBe(600);
      expect(m.clients.ok).toBeGreaterThanOrEqual(588);
      expect(m.kinds.tftp!.ok).toBeGreaterThanOrEqual(588);
      expect(m.kinds.tftp!.bytes).toBeGreaterThan(0);
      expect(m.kinds.boot!.latencyMs!.p99).toBeGreaterThan(0);
      expect(m.budgets.every((b) => b.ok), JSON.stringify(m.budgets)).toBe(true);
      expect(merged.code, merged.stderr).toBe(0);
      const text = await runCliInNamespace(stormLab.build, stormLab.lab.clientNs, ['merge', ...shards], 30_000);
      expect(text.stdout).toMatch(/p99\.9/);
      expect(text.stdout).toMatch(/tftp/);
    }, 2 * STORM_TIMEOUT_MS + 40_000);
  });
});
