/** Shards and merge: the slices cover the MAC space once, and merged statistics are exact. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeFromCompressedBase64 } from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { runMerge } from '../../cli/merge.js';
import { FakeClock } from '../clock.js';
import { runScenarios } from '../driver.js';
import { parseScenario } from '../load.js';
import { fakeDnsmasq } from '../run/fake-servers.test-kit.js';
import type { RunResult } from '../run/result.js';
import { macAt } from '../schema/index.js';
import { LoopbackTransport } from '../transport/loopback.js';
import { arrivalOffset, MixPicker, parseShard, type Shard } from './arrivals.js';
import { mergeLoadReports, mergeRunResults } from './merge.js';
import { loadPlan } from './settings.js';
import { KindStats, newHistogram } from './stats.js';

const SERVER = '198.51.100.1';
const YAML = `
name: sharded
budget: 300s
load:
  arrival: 200/s
  concurrency: 40
  budgets: { dora: { p99: 2s }, failed: "<1%", rate: { dora: ">=10/s" } }
clients:
  - name: pc
    persona: uefi-x64
    mac: { mac: "52:54:00:30:00:00", count: 301 }
    steps: [ { dhcp: { within: 5s, expect: { type: ack } } } ]
  - name: phone
    persona: cisco
    mac: { mac: "00:1b:54:30:00:00", count: 99 }
    steps: [ { dhcp: { within: 5s, expect: { type: ack } } } ]
`;

async function run(shard?: Shard, wallMs = 0): Promise<RunResult> {
  const clock = new FakeClock(1000);
  // Offer delays that vary per client, so the histograms have shape.
  let n = 0;
  const dnsmasq = fakeDnsmasq({ addr: SERVER, pool: '198.51.100.10', offerDelay: 0.01 });
  const handle = dnsmasq.handle;
  dnsmasq.handle = (d, now) => handle(d, now).map((r) => ('delay' in r && r.delay !== undefined ? { ...r, delay: 0.005 + ((n++ * 7919) % 97) / 1000 } : r));
  const transport = new LoopbackTransport(clock, { udp: [dnsmasq], tcp: [] });
  return runScenarios([parseScenario(YAML, 'sharded.yaml')], {
    transport, clock, target: { server: SERVER }, loadHooks: { wallClock: () => wallMs }, ...(shard === undefined ? {} : { load: { shard } }),
  });
}

describe('shards', () => {
  it('parses I/N one-based and refuses nonsense', () => {
    expect(parseShard('2/4')).toEqual({ index: 1, count: 4 });
    expect(typeof parseShard('0/4')).toBe('string');
    expect(typeof parseShard('5/4')).toBe('string');
    expect(typeof parseShard('x')).toBe('string');
  });

  it('n shards together take every MAC exactly once', () => {
    const sc = parseScenario(YAML, 'sharded.yaml');
    const seen = new Map<string, number>();
    for (let i = 0; i < 3; i++) {
      const plan = loadPlan(sc, { shard: { index: i, count: 3 } });
      const picker = new MixPicker(plan.groups);
      for (let k = 0; k < plan.count; k++) {
        const p = picker.next()!;
        const mac = macAt(sc.clients[p.group]!.mac, p.index);
        seen.set(mac, (seen.get(mac) ?? 0) + 1);
      }
      expect(picker.next()).toBeNull();
    }
    expect(seen.size).toBe(400);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
  });

  it('a weighted mix interleaves the groups in proportion', () => {
    const picker = new MixPicker([{ from: 0, size: 100, weight: 1 }, { from: 0, size: 400, weight: 4 }]);
    const first = Array.from({ length: 50 }, () => picker.next()!.group);
    expect(first.filter((g) => g === 0)).toHaveLength(10);
  });

  it('arrivals: a constant rate is evenly spaced, a ramp accelerates', () => {
    expect(arrivalOffset({ kind: 'rate', perSecond: 100 }, 250)).toBeCloseTo(2.5);
    const ramp = { kind: 'ramp' as const, from: 0, to: 100, overMs: 10_000 };
    const gaps = [1, 100, 400].map((k) => arrivalOffset(ramp, k + 1) - arrivalOffset(ramp, k));
    expect(gaps[0]).toBeGreaterThan(gaps[1]!);
    expect(gaps[1]).toBeGreaterThan(gaps[2]!);
    // After the ramp (500 arrivals by 10 s): the end rate.
    expect(arrivalOffset(ramp, 600) - arrivalOffset(ramp, 500)).toBeCloseTo(1);
  });
});

describe('merge', () => {
  it('is exact: values split over two histograms merge into the percentiles of one', () => {
    const whole = new KindStats();
    const a = new KindStats();
    const b = new KindStats();
    for (let i = 1; i <= 5000; i++) {
      const us = ((i * 104729) % 250_000) + 100;
      whole.record('ok', us);
      (i % 3 === 0 ? a : b).record('ok', us);
    }
    const merged = mergeLoadReports([a, b].map((s, i) => ({
      version: 1, startedAt: '', startedAtMs: i, durationMs: 1000, settings: { arrival: null, concurrency: 1, count: 1, durationMs: null },
      clients: { started: 1, ok: 1, failed: 0, timedOut: 0, notStarted: 0, peakInFlight: 1, arrivalsPerSecond: 1 },
      kinds: { dora: s.report(1) }, budgets: [], budgetSpec: { latency: {}, rate: {} }, failures: [],
    })));
    const d = merged.kinds.dora!;
    const w = whole.report(1);
    expect(d.latencyMs).toEqual(w.latencyMs);
    expect(d.ok).toBe(5000);
    expect(decodeFromCompressedBase64(d.histogram).totalCount).toBe(5000);
  });

  it('two shards merged: the counts of a single run, the histogram of the shards added directly, budgets on the whole', async () => {
    const single = (await run()).scenarios[0]!.load!;
    const s1 = await run({ index: 0, count: 2 }, 1_000);
    const s2 = await run({ index: 1, count: 2 }, 1_500);
    expect(s1.scenarios[0]!.load!.shard).toEqual({ index: 1, count: 2 });
    const notes: string[] = [];
    const merged = mergeRunResults([{ file: 'a.json', result: s1 }, { file: 'b.json', result: s2 }], notes);
    expect(notes).toEqual([]);
    const m = merged.scenarios[0]!.load!;
    expect(m.merged).toBe(2);
    expect(m.clients.started).toBe(single.clients.started);
    expect(m.clients.ok).toBe(single.clients.ok);
    expect(m.kinds.dora!.ok).toBe(single.kinds.dora!.ok);
    expect(m.settings.count).toBe(400);
    // The merged histogram is the sum of the shards' (decoded and added directly here).
    const direct = newHistogram();
    for (const s of [s1, s2]) direct.add(decodeFromCompressedBase64(s.scenarios[0]!.load!.kinds.dora!.histogram));
    const got = decodeFromCompressedBase64(m.kinds.dora!.histogram);
    expect(got.totalCount).toBe(direct.totalCount);
    for (const p of [50, 90, 99, 99.9]) expect(got.getValueAtPercentile(p)).toBe(direct.getValueAtPercentile(p));
    expect(m.kinds.dora!.maxUs).toBe(Math.max(s1.scenarios[0]!.load!.kinds.dora!.maxUs, s2.scenarios[0]!.load!.kinds.dora!.maxUs));
    // The span runs from the first start to the last end.
    expect(m.startedAtMs).toBe(1_000);
    expect(m.budgets.map((b) => b.what)).toEqual(['dora p99', 'failed', 'dora rate']);
    expect(merged.ok).toBe(true);
  });

  it('says when a shard is missing, and refuses reports that are not load runs', async () => {
    const s1 = await run({ index: 0, count: 3 });
    const notes: string[] = [];
    mergeRunResults([{ file: 'a.json', result: s1 }], notes);
    expect(notes.join('\n')).toMatch(/2\/3, 3\/3 missing/);
    const plain = { ok: true, scenarios: [{ name: 'x', file: 'x.yaml', ok: true, duration: 1, clients: [] }] };
    expect(() => mergeRunResults([{ file: 'p.json', result: plain }])).toThrow(/p\.json: scenario x has no load statistics/);
  });

  it('pxecheck merge: files in, one report out; unreadable input is exit 2 with one line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxecheck-merge-'));
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, JSON.stringify(await run({ index: 0, count: 2 })));
    writeFileSync(b, JSON.stringify(await run({ index: 1, count: 2 })));
    const err: string[] = [];
    const io = { stderr: (s: string) => { err.push(s); }, stdoutIsTTY: false, stderrIsTTY: false, env: {} };
    const out = join(dir, 'm.json');
    expect(runMerge({ files: [a, b], format: 'json', output: out }, io)).toBe(0);
    const m = JSON.parse(readFileSync(out, 'utf8')) as RunResult;
    expect(m.scenarios[0]!.load!.clients.ok).toBe(400);
    const text = join(dir, 'm.txt');
    expect(runMerge({ files: [a, b], format: 'text', output: text }, io)).toBe(0);
    expect(readFileSync(text, 'utf8')).toMatch(/dora.*p99|p99[\s\S]*dora/);
    const junk = join(dir, 'junk.json');
    writeFileSync(junk, 'not json');
    err.length = 0;
    expect(runMerge({ files: [a, junk], format: 'json', output: join(dir, 'x.json') }, io)).toBe(2);
    expect(err.join('')).toMatch(/^pxecheck merge: .*junk\.json: not JSON/);
    expect(err.join('').trim().split('\n')).toHaveLength(1);
  });
});
