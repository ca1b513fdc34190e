/** Load mode on the in-memory network in virtual time: arrivals, the concurrency cap, mixes, budgets, bounded reports. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { runScenarios } from '../driver.js';
import { parseScenario } from '../load.js';
import { fakeDnsmasq } from '../run/fake-servers.test-kit.js';
import { LoopbackTransport } from '../transport/loopback.js';
import type { LoadProgress } from './runner.js';
import { KEPT_FAILED_CLIENTS } from './runner.js';
import { timersFor, type Timers } from '../run/timers.js';

const SERVER = '198.51.100.1';

function storm(load: string, opts: { count?: number; phones?: number; expect?: string } = {}): string {
  return `
name: storm
budget: 300s
load:
${load.split('\n').map((l) => `  ${l}`).join('\n')}
clients:
  - name: pc
    persona: uefi-x64
    mac: { mac: "52:54:00:10:00:00", count: ${opts.count ?? 300} }
    steps:
      - dhcp: { within: 5s, expect: ${opts.expect ?? '{ type: ack }'} }
${opts.phones === undefined ? '' : `  - name: phone
    persona: cisco
    mac: { mac: "00:1b:54:00:00:00", count: ${opts.phones} }
    steps:
      - dhcp: { within: 5s, expect: { type: ack } }
`}`;
}

async function play(yaml: string, offerDelay = 0.01, progress?: (p: LoadProgress) => void) {
  const clock = new FakeClock(1000);
  const transport = new LoopbackTransport(clock, { udp: [fakeDnsmasq({ addr: SERVER, pool: '198.51.100.10', offerDelay })], tcp: [] });
  const r = await runScenarios([parseScenario(yaml, 'storm.yaml')], {
    transport, clock, target: { server: SERVER }, loadHooks: { wallClock: () => 0, ...(progress ? { progress } : {}) },
  });
  return r.scenarios[0]!;
}

describe('load mode', () => {
  it('starts clients at the arrival rate, under the concurrency cap, and reports DORA statistics', async () => {
    const seen: LoadProgress[] = [];
    const s = await play(storm('arrival: 100/s\nconcurrency: 20', { count: 300 }), 0.01, (p) => seen.push(p));
    const load = s.load!;
    expect(s.ok).toBe(true);
    expect(load.clients).toMatchObject({ started: 300, ok: 300, failed: 0, timedOut: 0, notStarted: 0 });
    expect(load.clients.peakInFlight).toBeLessThanOrEqual(20);
    // 300 arrivals at 100/s: the last one starts 2.99 s in (virtual time).
    expect(load.durationMs).toBeGreaterThanOrEqual(2990);
    const dora = load.kinds.dora!;
    expect(dora.ok).toBe(300);
    expect(dora.latencyMs!.p50).toBeGreaterThan(0);
    expect(dora.latencyMs!.p50).toBeLessThanOrEqual(dora.latencyMs!.p99);
    expect(dora.latencyMs!.p99).toBeLessThanOrEqual(dora.latencyMs!.max);
    expect(dora.servers).toEqual({ [SERVER]: 300 });
    expect(load.kinds.chain!.ok).toBe(300);
    expect(s.clients).toEqual([]); // passing clients are counted, not listed
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)!.done).toBe(300);
  });

  it('a ramp starts slower than its end rate', async () => {
    const s = await play(storm('arrival: { from: 10/s, to: 200/s, over: 2s }', { count: 200 }));
    // By the ramp: 210 arrivals in the first 2 s, so 200 clients need a bit under 2 s, more than 200 at 200/s would (1 s).
    expect(s.load!.durationMs).toBeGreaterThan(1000);
    expect(s.load!.clients.started).toBe(200);
  });

  it('after a stall (the process not scheduled for 50 ms) late arrivals start spread out, not in a burst', async () => {
    const clock = new FakeClock(1000);
    const transport = new LoopbackTransport(clock, { udp: [fakeDnsmasq({ addr: SERVER, pool: '198.51.100.10', offerDelay: 0.001 })], tcp: [] });
    const discovers: number[] = [];
    const send = transport.sendUdp.bind(transport);
    transport.sendUdp = (mac, d) => {
      if (dhcpType(d.payload) === 1) {
        discovers.push(clock.now());
        if (discovers.length === 300) clock.advance(0.05); // 100 arrivals (at 2,000/s) now late
      }
      send(mac, d);
    };
    const r = await runScenarios([parseScenario(storm('arrival: 2000/s\nconcurrency: 4096', { count: 1000 }), 'storm.yaml')], {
      transport, clock, target: { server: SERVER }, loadHooks: { wallClock: () => 0 },
    });
    expect(r.scenarios[0]!.load!.clients).toMatchObject({ started: 1000, ok: 1000 });
    // 2 a millisecond planned; the wake-up after the stall may start 10 ms of the catch-up pace
    // (1.5×: 30), the next millisecond 3 more. A catch-up burst (all 100, or 20 ms of it: 60) breaks it.
    expect(mostWithin(discovers, 0.001)).toBeLessThanOrEqual(36);
  });

  it('a timer that fires a millisecond early (as real timers may) does not cost an empty wake-up', async () => {
    const clock = new FakeClock(1000);
    const virtual = timersFor(clock);
    const asked = new Set<number>();
    let again = 0;
    // Up to 1 ms early, as RealTimers fires; at least 0.5 ms on, as real time always moves.
    const early: Timers = {
      now: () => clock.now(),
      at: (t) => {
        if (asked.has(t) && t - clock.now() < 0.002) again++;
        asked.add(t);
        return virtual.at(Math.max(t - 0.001, clock.now() + 0.0005));
      },
    };
    const transport = new LoopbackTransport(clock, { udp: [fakeDnsmasq({ addr: SERVER, pool: '198.51.100.10', offerDelay: 0.001 })], tcp: [] });
    const r = await runScenarios([parseScenario(storm('arrival: 200/s', { count: 100 }), 'storm.yaml')], {
      transport, clock: early, target: { server: SERVER }, loadHooks: { wallClock: () => 0, engine: 'lean' },
    });
    expect(r.scenarios[0]!.load!.clients).toMatchObject({ started: 100, ok: 100 });
    // Woken early, the runner starts the arrival it slept for rather than sleeping again for the
    // same time (twice more per arrival here when an early wake-up released nothing: ~400). The
    // clients' own timers re-arm twice each (~200; the lean engine's, not the pacer's).
    expect(again).toBeLessThan(2 * 100 + 50);
  });

  it('a slow-down ramp with a duration starts its on-time arrival and stops at the duration', async () => {
    const s = await play(storm('arrival: { from: 100/s, to: 1/s, over: 20ms }\nduration: 100ms', { count: 10 }));
    // arrival 1 is due ~18 ms in, the next after 1 s: two start (held to 0.66 s, arrival 1 missed the duration)
    expect(s.load!.clients).toMatchObject({ started: 2, notStarted: 8 });
  });

  it('stops arriving after the duration and at the count', async () => {
    const byDuration = await play(storm('arrival: 50/s\nduration: 1s', { count: 300 }));
    expect(byDuration.load!.clients.started).toBe(50);
    expect(byDuration.load!.clients.notStarted).toBe(250);
    expect(byDuration.ok).toBe(false);
    const byCount = await play(storm('count: 40', { count: 300 }));
    expect(byCount.load!.clients.started).toBe(40);
    expect(byCount.ok).toBe(true);
  });

  it('mixes client groups by weight', async () => {
    const s = await play(storm('concurrency: 10', { count: 50, phones: 200 }));
    expect(s.load!.clients.ok).toBe(250);
    expect(s.load!.kinds.dora!.ok).toBe(250);
  });

  it('fails the run on a missed p99 budget and says by how much', async () => {
    const s = await play(storm('budgets: { dora: { p99: 100ms }, failed: "<1%" }', { count: 50 }), 0.3);
    expect(s.ok).toBe(false);
    const p99 = s.load!.budgets.find((b) => b.what === 'dora p99')!;
    expect(p99.ok).toBe(false);
    expect(p99.actual).toMatch(/ms|s$/);
    expect(s.load!.budgets.find((b) => b.what === 'failed')!.ok).toBe(true);
    const fast = await play(storm('budgets: { dora: { p99: 1s }, rate: { dora: ">=1/s" } }', { count: 50 }), 0.01);
    expect(fast.ok).toBe(true);
    expect(fast.load!.budgets.every((b) => b.ok)).toBe(true);
  });

  it('keeps a few failed clients in full and groups the failure messages', async () => {
    const s = await play(storm('concurrency: 50', { count: 120, expect: '{ bootfile: nosuch.efi }' }));
    expect(s.ok).toBe(false);
    expect(s.load!.clients.failed).toBe(120);
    expect(s.clients.length).toBe(KEPT_FAILED_CLIENTS);
    expect(s.load!.failures.length).toBeLessThanOrEqual(3);
    expect(s.load!.failures[0]!.count).toBeGreaterThan(100);
  });

  it('a scenario with more than 4,096 clients runs in load mode without a load: map', async () => {
    const yaml = `
name: big
budget: 300s
clients:
  - persona: uefi-x64
    mac: { mac: "52:54:00:20:00:00", count: 100000 }
    steps: [ { sleep: 1ms } ]
`;
    const sc = parseScenario(yaml, 'big.yaml');
    expect(sc.clients[0]!.mac.count).toBe(100000);
  });
});

/** The DHCP message type (option 53) of a BOOTP payload, 0 when absent. */
function dhcpType(p: Uint8Array): number {
  for (let i = 240; i + 2 < p.length;) {
    if (p[i] === 0) { i++; continue; }
    if (p[i] === 255) break;
    if (p[i] === 53) return p[i + 2]!;
    i += 2 + p[i + 1]!;
  }
  return 0;
}

/** The most of the (sorted) times that fall within one window of `seconds`. */
function mostWithin(times: number[], seconds: number): number {
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= seconds) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}
