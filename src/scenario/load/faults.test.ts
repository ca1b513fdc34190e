/**
 * Faults in load mode on the in-memory network in virtual time: the schema (file:line:col), the
 * triggers (a time, a point of the arrivals), the before/during/after windows, the clients that
 * recovered, undo at the end of the run, and a fault that never began failing the run.
 */
import { describe, expect, it } from 'vitest';
import { scenarioProblems as problems } from '../problems.test-kit.js';
import { FakeClock } from '../clock.js';
import { runScenarios } from '../driver.js';
import { parseScenario } from '../load.js';
import { fakeDnsmasq, fakeTftp } from '../run/fake-servers.test-kit.js';
import { stepOutcome } from '../run/steps.js';
import type { FakeServer } from '../transport/memory.js';
import { macToString } from '../../wire/bytes.js';
import { DhcpV4MessageType, msgType, parseDhcpV4 } from '../../wire/dhcpv4/index.js';
import { timersFor } from '../run/timers.js';
import { LoopbackTransport } from '../transport/loopback.js';
import type { FaultAction } from './fault-schema.js';
import { parseFaultFlags } from './fault-flags.js';
import { retransmitsOf, type FaultInjector } from './faults.js';

const SERVER = '198.51.100.1';

function storm(faults: string, count = 200): string {
  return `
name: storm
budget: 300s
load:
  arrival: 100/s
  concurrency: 100
  faults:
${faults.split('\n').map((l) => `    ${l}`).join('\n')}
clients:
  - name: pc
    persona: uefi-x64
    mac: { mac: "52:54:00:10:00:00", count: ${count} }
    steps:
      - dhcp: { within: 20s, offer-window: 50ms, expect: { type: ack } }
`;
}

/** A fake lab: the DHCP server goes silent while "restarting" (virtual time), drops are every other request. */
function fakeLab(clock: FakeClock) {
  const srv = fakeDnsmasq({ addr: SERVER, pool: '198.51.100.10', offerDelay: 0.01 });
  const state = { down: false, dropEvery: 0, seen: 0, applied: [] as FaultAction[], undone: 0 };
  const server = {
    ...srv,
    handle: (...args: Parameters<typeof srv.handle>) => {
      state.seen++;
      if (state.down || (state.dropEvery > 0 && state.seen % state.dropEvery === 0)) return [];
      return srv.handle(...args);
    },
  };
  const timers = timersFor(clock);
  const injector: FaultInjector = {
    async apply(a) {
      state.applied.push(a);
      if (a.kind === 'restart') {
        state.down = true;
        await timers.at(timers.now() + a.downMs / 1000).fired;
        state.down = false;
        return { effect: 'restarted', undo: () => Promise.resolve(undefined) };
      }
      state.dropEvery = 2;
      return { effect: 'dropping', undo: () => { state.dropEvery = 0; state.undone++; return Promise.resolve('dropped some'); } };
    },
  };
  const transport = new LoopbackTransport(clock, { udp: [server], tcp: [] });
  return { state, injector, transport };
}

async function play(yaml: string) {
  const clock = new FakeClock(1000);
  const lab = fakeLab(clock);
  const r = await runScenarios([parseScenario(yaml, 'storm.yaml')], {
    transport: lab.transport, clock, target: { server: SERVER }, loadHooks: { wallClock: () => 0, faults: lab.injector },
  });
  return { s: r.scenarios[0]!, state: lab.state };
}

describe('load.faults in the scenario language', () => {
  it('reads restarts, drops and rate limits with their triggers', () => {
    const s = parseScenario(storm(`- { restart: dhcp, at: 5s, down: 2s, signal: kill }
- { drop: 20%, side: server, only: tftp, after: 40%, for: 10s }
- { rate-limit: 100kbit, side: clients, queue: 3s, after: 500 clients, for: 1m }`, 1000), 'x.yaml');
    const f = s.load!.faults!;
    expect(f.map((x) => x.action)).toEqual([
      { kind: 'restart', server: 'dhcp', signal: 'SIGKILL', downMs: 2000 },
      { kind: 'drop', percent: 20, side: 'server', protocol: 'tftp', forMs: 10_000 },
      { kind: 'rate-limit', rateKbit: 100, side: 'clients', queueMs: 3000, forMs: 60_000 },
    ]);
    expect(f.map((x) => x.trigger)).toEqual([{ at: 5000 }, { afterPercent: 40 }, { afterClients: 500 }]);
    expect(f[0]!.text).toMatch(/restart dhcp .*at 5 s/);
  });

  it('says file:line:col what is wrong with a fault', () => {
    const p = problems(storm(`- { restart: http, at: 5s }
- { drop: 120%, at: 1s, for: 2s }
- { drop: 10%, at: 1s }
- { rate-limit: 100kbit, at: 1s, after: 10%, for: 1s }
- { drop: 10%, for: 1s, side: up }
- { restart: dhcp, at: 1s, colour: red }`));
    expect(p).toEqual(expect.arrayContaining([
      expect.stringMatching(/^x\.yaml:8:\d+: load\.faults\[0\]\.restart: expected the lab server to restart \(dhcp, tftp\), found "http"/),
      expect.stringMatching(/^x\.yaml:9:\d+: load\.faults\[1\]\.drop: expected a whole percentage/),
      expect.stringMatching(/^x\.yaml:10:\d+: load\.faults\[2\]: missing for:/),
      expect.stringMatching(/^x\.yaml:11:\d+: load\.faults\[3\]\.after: give either at:/),
      expect.stringMatching(/^x\.yaml:12:\d+: load\.faults\[4\]: missing when/),
      expect.stringMatching(/^x\.yaml:12:\d+: load\.faults\[4\]\.side: expected whose packets \(server, clients, both\), found "up"/),
      expect.stringMatching(/^x\.yaml:13:\d+: load\.faults\[5\]\.colour: unknown key "colour" for a restart fault/),
    ]));
  });

  it('--fault takes the same map in flow style, braces optional', () => {
    const f = parseFaultFlags(['{ restart: tftp, after: 50% }', 'drop: 5%, at: 2s, for: 3s']);
    expect(Array.isArray(f) && f.map((x) => x.action.kind)).toEqual(['restart', 'drop']);
    expect(parseFaultFlags(['{ restart: tftp }'])).toMatch(/^--fault "\{ restart: tftp \}": missing when/);
    expect(parseFaultFlags(['{ restart: [ }'])).toMatch(/not a YAML map/);
  });
});

describe('faults during a load run (virtual time)', () => {
  it('a DHCP restart at 1 s: exchanges before, during and after it; the clients in flight recover by retransmitting', async () => {
    const { s, state } = await play(storm('- { restart: dhcp, at: 1s, down: 1s }'));
    expect(state.applied).toHaveLength(1);
    const f = s.load!.faults![0]!;
    expect(f.error).toBeUndefined();
    expect(f.startedS).toBeCloseTo(1, 1);
    expect(f.endedS! - f.startedS!).toBeCloseTo(1, 1);
    expect(f.windows.before.kinds.dora!.ok).toBeGreaterThan(50);
    expect(f.windows.before.retransmits).toBe(0);
    expect(f.windows.during.kinds.dora!.ok).toBeGreaterThan(0);
    expect(f.windows.during.retransmits).toBeGreaterThan(0);
    expect(f.windows.during.kinds.dora!.latencyMs!.p99).toBeGreaterThan(f.windows.before.kinds.dora!.latencyMs!.p99);
    expect(f.windows.after.kinds.dora!.ok).toBeGreaterThan(0);
    const perWindow = ['before', 'during', 'after'] as const;
    expect(perWindow.reduce((t, w) => t + f.windows[w].kinds.dora!.ok, 0)).toBe(200);
    expect(f.clients.affected).toBeGreaterThan(0);
    expect(f.clients.recovered).toBeGreaterThan(0);
    expect(f.clients.recoveredClients.length).toBeGreaterThan(0);
    expect(f.clients.failed).toBe(0);
    expect(s.ok).toBe(true);
  });

  it('a drop after 50% of the arrivals is undone after its time', async () => {
    const { s, state } = await play(storm('- { drop: 50%, after: 50%, for: 500ms }'));
    expect(state.applied).toHaveLength(1);
    expect(state.undone).toBe(1);
    const f = s.load!.faults![0]!;
    expect(f.undone).toBe('dropped some');
    expect(f.endedS! - f.startedS!).toBeCloseTo(0.5, 1);
    // 100 of 200 clients at 100/s: it began about 1 s in.
    expect(f.startedS).toBeCloseTo(0.99, 1);
    expect(f.windows.before.retransmits).toBe(0);
    expect(f.windows.during.retransmits).toBeGreaterThan(0);
    expect(f.clients.recovered).toBeGreaterThan(0);
    // Every failure overlapped the fault.
    expect(f.clients.failed + f.clients.timedOut).toBe(s.load!.clients.failed + s.load!.clients.timedOut);
  });

  it('a fault still active when the run ends is undone then', async () => {
    const { s, state } = await play(storm('- { drop: 50%, after: 19 clients, for: 1h }', 20));
    expect(state.undone).toBe(1);
    const f = s.load!.faults![0]!;
    expect(f.endedS).not.toBeNull();
    expect(f.endedS!).toBeLessThan(60);
    expect(f.error).toBeUndefined();
  });

  it('a fault that never began (the run ended first) fails the run', async () => {
    const { s, state } = await play(storm('- { restart: dhcp, at: 1h }', 20));
    expect(state.applied).toHaveLength(0);
    expect(s.load!.faults![0]!.error).toMatch(/never began/);
    expect(s.ok).toBe(false);
  });

  it('without a lab the faults cannot be injected: the run fails and says how', async () => {
    const clock = new FakeClock(1000);
    const transport = new LoopbackTransport(clock, { udp: [fakeDnsmasq({ addr: SERVER, pool: '198.51.100.10' })], tcp: [] });
    const r = await runScenarios([parseScenario(storm('- { restart: dhcp, at: 100ms }', 20), 'storm.yaml')], { transport, clock, target: { server: SERVER } });
    expect(r.scenarios[0]!.load!.faults![0]!.error).toMatch(/--lab-name/);
    expect(r.ok).toBe(false);
  });
});

/** The lab's DHCP and TFTP servers, each ignoring every client's first DISCOVER and first RRQ:
 *  every DORA retransmits once, every TFTP transfer resends its RRQ once. */
function firstRequestsLost(): FakeServer[] {
  const dhcp = fakeDnsmasq({ addr: SERVER, pool: '198.51.100.10', offerDelay: 0.01 });
  const tftp = fakeTftp(SERVER, { 'f.bin': new Uint8Array(1500) });
  const seen = new Set<string>();
  const firstSeen = (key: string): boolean => !seen.has(key) && seen.add(key) !== undefined;
  return [
    { ...dhcp, handle: (d, now) => (isDiscover(d.payload) && firstSeen(`discover ${macToString(d.payload, 28)}`) ? [] : dhcp.handle(d, now)) },
    { ...tftp, handle: (d, now) => (d.payload[0] === 0 && d.payload[1] === 1 && firstSeen(`rrq ${d.src.addr}`) ? [] : tftp.handle(d, now)) },
  ];
}

const isDiscover = (b: Uint8Array): boolean => msgType(parseDhcpV4(b, [])) === DhcpV4MessageType.DISCOVER;

const RETRY_STEPS = `
      - dhcp: { within: 20s, offer-window: 50ms, expect: { type: ack } }
      - tftp: { file: f.bin, within: 20s, expect: { size: 1500 } }`;

describe('retransmissions', () => {
  it('a storm\'s fault windows count every one: each client\'s first DISCOVER and first RRQ went unanswered', async () => {
    const clock = new FakeClock(1000);
    const injector: FaultInjector = { apply: () => Promise.resolve({ effect: 'nothing', undo: () => Promise.resolve(undefined) }) };
    const transport = new LoopbackTransport(clock, { udp: firstRequestsLost(), tcp: [] });
    const yaml = storm('- { drop: 1%, at: 1ms, for: 1h }', 20).replace(/\n {6}- dhcp: .*\n$/, `${RETRY_STEPS}\n`);
    const r = await runScenarios([parseScenario(yaml, 'storm.yaml')], { transport, clock, target: { server: SERVER }, loadHooks: { wallClock: () => 0, faults: injector } });
    const l = r.scenarios[0]!.load!;
    expect(l.clients).toMatchObject({ started: 20, ok: 20 });
    const w = l.faults![0]!.windows;
    expect(w.before.retransmits + w.during.retransmits + w.after.retransmits).toBe(40);
    expect(l.faults![0]!.clients.recovered).toBe(20);
  });

  it('a step keeps its count without rendering its details, and the count is what its message log shows', async () => {
    const clock = new FakeClock(1000);
    const transport = new LoopbackTransport(clock, { udp: firstRequestsLost(), tcp: [] });
    const yaml = `name: one\nbudget: 60s\nclients:\n  - name: pc\n    persona: uefi-x64\n    mac: "52:54:00:10:00:01"\n    steps:${RETRY_STEPS}\n`;
    const r = await runScenarios([parseScenario(yaml, 'one.yaml')], { transport, clock, target: { server: SERVER } });
    const [dora, tftp] = r.scenarios[0]!.clients[0]!.steps;
    expect([retransmitsOf(dora!), retransmitsOf(tftp!)]).toEqual([1, 1]);
    // Unrendered: the outcome is still held (rendering the details lets it go).
    expect(stepOutcome(dora!)).toBeDefined();
    expect(stepOutcome(tftp!)).toBeDefined();
    const log = dora!.details['log'] as string[];
    expect(log.filter((x) => / sent DISCOVER /.test(x))).toHaveLength(2);
    expect(tftp!.details['retransmits']).toBe(1);
    // Not part of the JSON report.
    expect(Object.keys(JSON.parse(JSON.stringify(dora)) as object)).not.toContain('retransmits');
  });
});
