/**
 * `pxecheck merge` carries the faults: each with the runs that applied it, on the merged clock; the
 * windows of faults that line up across runs added exactly (HDR), those that do not kept per run.
 * And a fault's effect per client group of a mix. Runs on the in-memory network in virtual time
 * against a fake lab whose DHCP server goes silent while "restarting".
 */
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { loadLines } from '../../report/load-text.js';
import { FakeClock } from '../clock.js';
import { runScenarios } from '../driver.js';
import { parseScenario } from '../load.js';
import { fakeDnsmasq } from '../run/fake-servers.test-kit.js';
import type { RunResult } from '../run/result.js';
import { timersFor } from '../run/timers.js';
import { LoopbackTransport } from '../transport/loopback.js';
import type { Shard } from './arrivals.js';
import { FAULT_WINDOWS, type FaultInjector, type FaultReport } from './faults.js';
import { mergeRunResults } from './merge.js';
import { ALIGN_MS } from './merge-faults.js';
import { newHistogram } from './stats.js';

const SERVER = '198.51.100.1';

function storm(fault: string): string {
  return `
name: storm
budget: 300s
load:
  arrival: 100/s
  concurrency: 100
  faults:
    - ${fault}
clients:
  - name: pc
    persona: uefi-x64
    mac: { mac: "52:54:00:20:00:00", count: 200 }
    steps:
      - dhcp: { within: 20s, offer-window: 50ms, expect: { type: ack } }
`;
}

/** One run at wall-clock `wallMs`; the fake DHCP server is silent while it "restarts", `fail` makes applying throw. */
async function play(yaml: string, wallMs: number, o: { shard?: Shard; fail?: boolean } = {}): Promise<RunResult> {
  const clock = new FakeClock(1000);
  const timers = timersFor(clock);
  const srv = fakeDnsmasq({ addr: SERVER, pool: '198.51.100.10', offerDelay: 0.01 });
  let down = false;
  const server = { ...srv, handle: (...a: Parameters<typeof srv.handle>) => (down ? [] : srv.handle(...a)) };
  const injector: FaultInjector = {
    async apply(a) {
      if (o.fail === true) throw new Error('no such server');
      down = true;
      await timers.at(timers.now() + (a.kind === 'restart' ? a.downMs : 0) / 1000).fired;
      down = false;
      return { effect: 'restarted', undo: () => Promise.resolve(undefined) };
    },
  };
  return runScenarios([parseScenario(yaml, 'storm.yaml')], {
    transport: new LoopbackTransport(clock, { udp: [server], tcp: [] }), clock, target: { server: SERVER },
    loadHooks: { wallClock: () => wallMs, faults: injector }, ...(o.shard === undefined ? {} : { load: { shard: o.shard } }),
  });
}

const faultsOf = (r: RunResult): FaultReport[] => r.scenarios[0]!.load!.faults ?? [];
const RESTART = '{ restart: dhcp, at: 1s, down: 1s }';

describe('merge carries the faults', () => {
  it('faults that line up on the wall clock are one: windows added exactly from the histograms, clients counted together', async () => {
    const a = await play(storm(RESTART), 10_000);
    const b = await play(storm(RESTART), 10_000 + ALIGN_MS / 2);
    const notes: string[] = [];
    const m = mergeRunResults([{ file: 'a.json', result: a }, { file: 'b.json', result: b }], notes);
    expect(notes).toEqual([]);
    const fs = faultsOf(m);
    expect(fs).toHaveLength(1);
    const f = fs[0]!;
    const [fa, fb] = [faultsOf(a)[0]!, faultsOf(b)[0]!];
    expect(f.appliedBy).toEqual(['a.json', 'b.json']);
    expect(f.effect).toBe('a.json: restarted; b.json: restarted');
    expect(f.startedS).toBeCloseTo(fa.startedS!, 3);
    expect(f.endedS).toBeCloseTo(fb.endedS! + ALIGN_MS / 2000, 3);
    for (const w of FAULT_WINDOWS) {
      const got = f.windows[w].kinds.dora!;
      const parts = [fa, fb].map((x) => x.windows[w].kinds.dora!);
      expect(got.ok).toBe(parts[0]!.ok + parts[1]!.ok);
      expect(f.windows[w].retransmits).toBe(fa.windows[w].retransmits + fb.windows[w].retransmits);
      // Exactly the two histograms added: the same percentiles as adding them directly.
      const direct = newHistogram();
      for (const p of parts) direct.add(decodeFromCompressedBase64(p.histogram!));
      const h = decodeFromCompressedBase64(got.histogram!);
      expect(h.totalCount).toBe(direct.totalCount);
      for (const p of [50, 90, 99]) expect(h.getValueAtPercentile(p)).toBe(direct.getValueAtPercentile(p));
      expect(got.latencyMs!.max).toBe(Math.max(parts[0]!.latencyMs!.max, parts[1]!.latencyMs!.max));
    }
    expect(f.windows.during.retransmits).toBeGreaterThan(0);
    expect(f.clients.affected).toBe(fa.clients.affected + fb.clients.affected);
    expect(f.clients.recovered).toBe(fa.clients.recovered + fb.clients.recovered);
    expect(f.clients.recoveredClients.length).toBeLessThanOrEqual(10);
    expect(m.ok).toBe(true);
  });

  it('faults that do not line up stay one per run, each with its run, on the merged clock', async () => {
    const a = await play(storm(RESTART), 10_000);
    const b = await play(storm(RESTART), 13_000);
    const fs = faultsOf(mergeRunResults([{ file: 'a.json', result: a }, { file: 'b.json', result: b }]));
    expect(fs.map((f) => f.appliedBy)).toEqual([['a.json'], ['b.json']]);
    expect(fs[0]!.windows).toEqual(faultsOf(a)[0]!.windows);
    // b started 3 s after a: its fault's times move 3 s later on the merged clock.
    expect(fs[1]!.startedS! - faultsOf(b)[0]!.startedS!).toBeCloseTo(3, 3);
    expect(fs[1]!.effect).toBe('restarted');
    // Different faults at the same moment are not added either.
    const c = await play(storm('{ restart: dhcp, at: 1s, down: 2s }'), 10_000);
    expect(faultsOf(mergeRunResults([{ file: 'a.json', result: a }, { file: 'c.json', result: c }]))).toHaveLength(2);
  });

  it('shards: the fault shard 1 applied, a note that the other shards\' clients were not measured, the text report names the shard', async () => {
    const s1 = await play(storm(RESTART), 10_000, { shard: { index: 0, count: 2 } });
    const s2 = await play(storm(RESTART), 10_000, { shard: { index: 1, count: 2 } });
    expect(faultsOf(s2)).toEqual([]);
    const notes: string[] = [];
    const m = mergeRunResults([{ file: 'a.json', result: s1 }, { file: 'b.json', result: s2 }], notes);
    const fs = faultsOf(m);
    expect(fs).toHaveLength(1);
    expect(fs[0]!.appliedBy).toEqual(['shard 1/2']);
    expect(notes.join('\n')).toMatch(/applied by shard 1\/2 only.*unmeasured/);
    const text = loadLines(m.scenarios[0]!.load!).join('\n');
    expect(text).toMatch(/restart dhcp.*applied by shard 1\/2/);
    // Merging the merged report again keeps who applied it.
    const again = mergeRunResults([{ file: 'm.json', result: m }]);
    expect(faultsOf(again)[0]!.appliedBy).toEqual(['shard 1/2']);
  });

  it('a fault that went wrong in one run fails the merged run', async () => {
    const a = await play(storm(RESTART), 10_000);
    const b = await play(storm(RESTART), 10_000, { fail: true });
    expect(b.ok).toBe(false);
    const m = mergeRunResults([{ file: 'a.json', result: a }, { file: 'b.json', result: b }]);
    expect(faultsOf(m).some((f) => /b\.json|no such server/.test(f.error ?? ''))).toBe(true);
    expect(m.ok).toBe(false);
  });
});

const MIX = `
name: mix
budget: 300s
load:
  arrival: 100/s
  concurrency: 100
  faults:
    - ${RESTART}
clients:
  - name: pc
    persona: uefi-x64
    mac: { mac: "52:54:00:21:00:00", count: 50 }
    steps: [ { dhcp: { within: 20s, offer-window: 50ms, expect: { type: ack } } } ]
  - name: phone
    persona: cisco
    mac: { mac: "00:1b:54:21:00:00", count: 150 }
    steps: [ { dhcp: { within: 20s, expect: { type: ack } } } ]
`;

describe('a fault\'s effect per client group (a mix of PCs and phones)', () => {
  it('counts the clients in flight per group, adding up to the totals; the text report and merge carry them', async () => {
    const r = await play(MIX, 10_000);
    const c = faultsOf(r)[0]!.clients;
    expect(Object.keys(c.groups ?? {}).sort()).toEqual(['pc', 'phone']);
    const g = c.groups!;
    for (const k of ['affected', 'ok', 'failed', 'timedOut', 'recovered'] as const) expect(g['pc']![k] + g['phone']![k]).toBe(c[k]);
    // Both groups were in flight while the server was away; arrivals interleave 1 PC : 3 phones.
    expect(g['pc']!.affected).toBeGreaterThan(0);
    expect(g['phone']!.affected).toBeGreaterThan(g['pc']!.affected);
    expect(g['phone']!.recovered).toBeGreaterThan(0);
    const text = loadLines(r.scenarios[0]!.load!).join('\n');
    expect(text).toMatch(new RegExp(`by group: .*\\bpc: ${g['pc']!.affected} in flight, ${g['pc']!.ok} passed`));
    expect(text).toMatch(new RegExp(`by group: .*\\bphone: ${g['phone']!.affected} in flight, ${g['phone']!.ok} passed`));
    const m = faultsOf(mergeRunResults([{ file: 'a.json', result: r }, { file: 'b.json', result: await play(MIX, 10_000) }]))[0]!;
    expect(m.clients.groups!['phone']!.affected).toBe(2 * g['phone']!.affected);
    // One group: no per-group counts (they would repeat the totals).
    expect(faultsOf(await play(storm(RESTART), 10_000))[0]!.clients.groups).toBeUndefined();
  });
});
