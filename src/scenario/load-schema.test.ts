/** The `load:` map: what it accepts, and file:line:col messages for what it does not. */
import { describe, expect, it } from 'vitest';
import { scenarioProblems as problems } from './problems.test-kit.js';
import { parseScenario } from './load.js';
import { parsePerSecond, parseRateFloor, parseShareLimit } from './load-schema.js';

function scenario(load: string, count = 100): string {
  return `name: s
budget: 60s
load:
${load}
clients:
  - persona: uefi-x64
    mac: { mac: "52:54:00:00:00:00", count: ${count} }
    steps: [ dhcp ]
`;
}

describe('load: in the scenario language', () => {
  it('reads arrival, ramp, concurrency, count, duration and budgets', () => {
    const s = parseScenario(scenario(`  arrival: { from: 10/s, to: 2000/s, over: 30s }
  concurrency: 500
  count: 90
  duration: 2m
  budgets:
    dora: { p50: 100ms, p99: 1s }
    dhcp: { p99.9: 2s }
    boot: { max: 30s }
    failed: "<1%"
    timed-out: "<=5"
    rate: { dora: ">=2000/s", tftp: ">=50MB/s" }`), 'x.yaml');
    expect(s.load).toEqual({
      arrival: { kind: 'ramp', from: 10, to: 2000, overMs: 30_000 },
      concurrency: 500, count: 90, durationMs: 120_000,
      budgets: {
        latency: { dora: { p50: 100, p99: 1000, 'p99.9': 2000 }, boot: { max: 30_000 } },
        failed: { op: '<', value: 1, unit: '%', text: '<1%' },
        timedOut: { op: '<=', value: 5, unit: 'clients', text: '<=5' },
        rate: { dora: { op: '>=', value: 2000, unit: 'per-second', text: '>=2000/s' }, tftp: { op: '>=', value: 50e6, unit: 'bytes-per-second', text: '>=50MB/s' } },
      },
    });
  });

  it('takes 100,000 clients in one MAC block', () => {
    expect(parseScenario(scenario('  arrival: 500/s', 100_000), 'x.yaml').clients[0]!.mac.count).toBe(100_000);
  });

  it('points at the line and column of each mistake', () => {
    expect(problems(scenario('  arrival: fast\n  concurrency: 0\n  budgets: { dora: { p98: 1s }, failed: lots, rate: { dora: "2000" } }'))).toEqual([
      'x.yaml:4:12: load.arrival: expected a rate like "500/s", "30/min" or a number of clients per second above 0, or a ramp { from: 10/s, to: 2000/s, over: 30s }, found "fast"',
      'x.yaml:5:16: load.concurrency: expected clients in flight at most: a whole number from 1 to 100,000, found 0',
      'x.yaml:6:22: load.budgets.dora.p98: unknown percentile "p98" (allowed: p50, p90, p99, p99.9, max)',
      'x.yaml:6:41: load.budgets.failed: expected a share like "<1%", "<=0.5%" or a number of clients like "<=10", found "lots"',
      'x.yaml:6:61: load.budgets.rate.dora: expected a rate like ">=2000/s" (exchanges) or ">=50MB/s" (bytes), found "2000"',
    ]);
  });

  it('refuses a count above the MACs the clients have, and unknown keys', () => {
    expect(problems(scenario('  count: 101'))).toEqual([
      'x.yaml:4:10: load.count: load.count 101 is more than the 100 MACs of the clients; widen a mac range (e.g. { mac: …, count: 101 })',
    ]);
    expect(problems(scenario('  rate: 5/s'))[0]).toMatch(/^x\.yaml:4:3: load\.rate: unknown key "rate" \(allowed: arrival, concurrency, count, duration, budgets, faults\)$/);
  });

  it('parses rates, floors and shares', () => {
    expect(parsePerSecond('30/min')).toBe(0.5);
    expect(parsePerSecond(250)).toBe(250);
    expect(parsePerSecond('soon')).toBeNull();
    expect(parseRateFloor('> 1.5 MiB/s')).toMatchObject({ op: '>', value: 1.5 * 1024 * 1024, unit: 'bytes-per-second' });
    expect(parseShareLimit(0)).toMatchObject({ op: '<=', value: 0, unit: 'clients' });
  });
});
