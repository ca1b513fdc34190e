/** `pxecheck run` in load mode through main(): the flags, the progress line only on a TTY, text/JUnit statistics, exit codes from budgets. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { RunDeps } from '../../src/cli/run.js';
import { FakeClock } from '../../src/scenario/clock.js';
import type { RunResult } from '../../src/scenario/driver.js';
import { fakeDnsmasq } from '../../src/scenario/run/fake-servers.test-kit.js';
import { LoopbackTransport } from '../../src/scenario/transport/loopback.js';
import { progressText } from '../../src/report/load-progress.js';

const SERVER = '198.51.100.1';
const RELAY = ['--relay-from', '198.51.100.2', '--server', SERVER];
let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pxecheck-run-load-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(tty: boolean) {
  const err: string[] = [];
  return { stderr: (s: string) => { err.push(s); }, stdoutIsTTY: false, stderrIsTTY: tty, env: {}, text: () => err.join('') };
}

function deps(offerDelay = 0.01): RunDeps {
  const clock = new FakeClock(1000);
  const transport = new LoopbackTransport(clock, { udp: [fakeDnsmasq({ addr: SERVER, pool: '198.51.100.10', offerDelay })], tcp: [] });
  return { clock, createTransport: async () => transport, onInterrupt: () => () => undefined };
}

function scenario(budgets = 'dora: { p99: 1s }'): string {
  const file = join(dir, `storm-${Math.random().toString(16).slice(2)}.yaml`);
  writeFileSync(file, `name: storm
budget: 120s
load:
  budgets: { ${budgets} }
clients:
  - name: pc
    persona: uefi-x64
    mac: { mac: "52:54:00:40:00:00", count: 200 }
    steps: [ { dhcp: { within: 5s, expect: { type: ack } } } ]
`);
  return file;
}

describe('pxecheck run, load mode', () => {
  it('--arrival-rate, --concurrency, --count override the scenario; JSON carries the statistics', async () => {
    const out = join(dir, 'r.json');
    const o = io(false);
    expect(await main(['run', scenario(), ...RELAY, '--arrival-rate', '100/s', '--concurrency', '10', '--count', '120', '-f', 'json', '-o', out], o, deps())).toBe(0);
    const r = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    const l = r.scenarios[0]!.load!;
    expect(l.settings).toMatchObject({ arrival: { kind: 'rate', perSecond: 100 }, concurrency: 10, count: 120 });
    expect(l.clients.started).toBe(120);
    expect(l.clients.peakInFlight).toBeLessThanOrEqual(10);
    expect(l.kinds.dora!.latencyMs!.p99).toBeGreaterThan(0);
    expect(o.text()).toBe(''); // not a terminal: no progress line
  });

  it('shows a progress line on a terminal, and clears it before the report', async () => {
    const o = io(true);
    expect(await main(['run', scenario(), ...RELAY, '--concurrency', '20', '-o', join(dir, 'r.txt')], o, deps())).toBe(0);
    expect(o.text()).toMatch(/\r.*arrivals .*\/s {2}in flight \d+ {2}done \d+\/200 {2}failed 0 {2}dora p99/);
    expect(o.text().endsWith('\r\u001b[K')).toBe(true);
    const text = readFileSync(join(dir, 'r.txt'), 'utf8');
    expect(text).toMatch(/p50.*p90.*p99.*p99\.9.*max/);
    expect(text).toMatch(/Budgets: all met/);
    expect(text).toMatch(/PASS — 1 scenario, 200 clients: 200 passed, 0 failed/);
  });

  it('a missed budget exits 1; JUnit names it', async () => {
    const out = join(dir, 'r.xml');
    expect(await main(['run', scenario('dora: { p99: 50ms }'), ...RELAY, '-f', 'junit', '-o', out], io(false), deps(0.2))).toBe(1);
    const xml = readFileSync(out, 'utf8');
    expect(xml).toMatch(/<testcase classname="storm\/load" name="budget dora p99 ≤ 50 ms"[^>]*>\s*<failure message="dora p99: /);
    expect(xml).toMatch(/<property name="dora.p99Ms" value="[\d.]+"\/>/);
  });

  it('bad load flags are usage errors', async () => {
    for (const [flag, value, msg] of [['--shard', '3/2', /--shard expected I\/N/], ['--arrival-rate', 'fast', /--arrival-rate must be/], ['--concurrency', '0', /--concurrency must be/], ['--duration', 'soon', /--duration must be/]] as const) {
      const o = io(false);
      expect(await main(['run', scenario(), ...RELAY, flag, value], o, deps()), flag).toBe(2);
      expect(o.text()).toMatch(msg);
    }
  });

  it('--rate still works as the old name of --max-pps', async () => {
    const o = io(false);
    expect(await main(['run', scenario(), ...RELAY, '--rate', '0'], o, deps())).toBe(2);
    expect(o.text()).toMatch(/--max-pps \(--rate\) must be a positive number/);
  });

  it('above the load ceiling: one line, exit 2, and the transport is never opened; raised on purpose, it runs', async () => {
    let opened = 0;
    const counting = (): RunDeps => {
      const d = deps();
      const create = d.createTransport!;
      return { ...d, createTransport: async (...a) => { opened++; return create(...a); } };
    };
    const o = io(false);
    expect(await main(['run', scenario(), ...RELAY, '--arrival-rate', '500/s', '-f', 'json', '-o', join(dir, 'x.json')], o, counting())).toBe(2);
    expect(o.text()).toMatch(/load asks for 500 new clients per second, above the default ceiling of 100: raise it on purpose \(--max-load arrival-rate=500\).*nothing was sent/);
    expect(o.text().trim().split('\n')).toHaveLength(1);
    // 20,000 MACs and no `load:`: load mode by size, and more clients in all than the ceiling.
    const big = join(dir, 'big.yaml');
    writeFileSync(big, readFileSync(scenario(), 'utf8').replace('count: 200', 'count: 20000'));
    const many = io(false);
    expect(await main(['run', big, ...RELAY, '--concurrency', '1000', '--max-load', 'count=20000'], many, counting())).toBe(2);
    expect(many.text()).toMatch(/load asks for 1000 clients at once, above the default ceiling of 200: raise it on purpose \(--max-load concurrency=1000\)/);
    const all = io(false);
    expect(await main(['run', big, ...RELAY], all, counting())).toBe(2);
    expect(all.text()).toMatch(/load asks for 20000 clients in all, above the default ceiling of 10000/);
    expect(opened).toBe(0);

    const out = join(dir, 'raised.json');
    expect(await main(['run', scenario(), ...RELAY, '--arrival-rate', '500/s', '--max-load', 'arrival-rate=500', '-f', 'json', '-o', out], io(false), counting())).toBe(0);
    expect(opened).toBe(1);
    const l = (JSON.parse(readFileSync(out, 'utf8')) as RunResult).scenarios[0]!.load!;
    expect(l.settings.arrival).toEqual({ kind: 'rate', perSecond: 500 });
    expect(l.clients.ok).toBe(200);
  });

  it('without an arrival rate, clients arrive at the ceiling\'s rate, not as fast as they can (--max-load none lifts it)', async () => {
    const paced = join(dir, 'paced.json');
    expect(await main(['run', scenario(), ...RELAY, '-f', 'json', '-o', paced], io(false), deps())).toBe(0);
    const l = (JSON.parse(readFileSync(paced, 'utf8')) as RunResult).scenarios[0]!.load!;
    expect(l.settings.arrival).toEqual({ kind: 'rate', perSecond: 100 });
    expect(l.settings.concurrency).toBeLessThanOrEqual(200);
    expect(l.durationMs).toBeGreaterThanOrEqual(1990); // 200 arrivals at 100/s, virtual time
    const free = join(dir, 'free.json');
    expect(await main(['run', scenario(), ...RELAY, '--max-load', 'none', '-f', 'json', '-o', free], io(false), deps())).toBe(0);
    const f = (JSON.parse(readFileSync(free, 'utf8')) as RunResult).scenarios[0]!.load!;
    expect(f.settings.arrival).toBeNull();
    expect(f.durationMs).toBeLessThan(l.durationMs);
  });

  it('a bad --max-load is a usage error', async () => {
    for (const v of ['lots', 'arrival-rate=0', 'speed=5', 'count=1.5', 'count=5,count=6']) {
      const o = io(false);
      expect(await main(['run', scenario(), ...RELAY, '--max-load', v], o, deps()), v).toBe(2);
      expect(o.text()).toMatch(/--max-load expected none, or KEY=N/);
    }
  });

  it('the progress line reads at a glance', () => {
    expect(progressText({ elapsedSeconds: 12, started: 6000, planned: 10_000, inFlight: 32, done: 5970, failed: 3, rate: 498.2, p99: { kind: 'dora', ms: 84.23 } }))
      .toBe('12.0 s  arrivals 498/s  in flight 32  done 5,970/10,000  failed 3  dora p99 84.2 ms');
  });
});
