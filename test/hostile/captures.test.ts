/**
 * Hostile captures (issue 15): each is generated with the real encoders (src/gen/hostile.ts), then
 * `pxecheck analyze` runs on it in a child process whose peak RSS must stay under a generous bound.
 * Sizes here run in seconds; bench/hostile.mjs runs the big ones (100,000 streams, a million
 * findings) and prints their figures.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hostile from '../../src/gen/hostile.js';
import { writeCapture } from '../../src/gen/write.js';
import type { FrameSink } from '../../src/gen/traffic.js';
import type { AnalyzeJson } from '../../src/report/analyze-schema.js';
import { runCli, type CliRun } from './run-cli.js';

/** Peak RSS bound (MiB) for every analysis here: node alone takes ~50; the captures are up to ~90 MB. */
const RSS_MIB = 400;

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pxecheck-hostile-')); });
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function capture(name: string, gen: (emit: FrameSink) => void): string {
  const path = join(dir, `${name}.pcap`);
  writeCapture(path, { format: 'pcap' }, gen);
  return path;
}

function analyzeJson(path: string): { run: CliRun; json: AnalyzeJson } {
  const run = runCli(['analyze', path, '--format', 'json']);
  // The figures, for the record (docs/robustness.md): bounds are asserted, not these.
  console.log(`hostile ${path.split('/').pop()}: peak RSS ${run.peakMiB.toFixed(0)} MiB, ${run.seconds.toFixed(1)} s`);
  expect(run.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  expect([0, 1]).toContain(run.code);
  expect(run.peakMiB).toBeLessThan(RSS_MIB);
  return { run, json: JSON.parse(run.stdout) as AnalyzeJson };
}

function codes(j: AnalyzeJson): string[] {
  return j.findings.map((f) => f.code);
}

describe('hostile captures: bounded memory, clear findings', { timeout: 180_000 }, () => {
  it('10,000 TCP streams with gaps that never close: out-of-order bytes capped, capture.limit says so', () => {
    // 4 segments of 1400 bytes held per stream: 56 MB out of order, above the 32 MiB cap.
    const path = capture('tcp-gaps', (e) => hostile.tcpGapStreams(e, 10_000, { segments: 4 }));
    const { json } = analyzeJson(path);
    const limit = json.findings.find((f) => f.code === 'capture.limit');
    expect(limit?.message).toMatch(/reassembly buffer limit reached: TCP gaps skipped early \d+ time/);
    // Every request was still decoded.
    const requests = json.clients.flatMap((c) => c.steps).filter((s) => s.kind === 'http').length;
    expect(requests).toBe(10_000);
  });

  it('IPv4 and IPv6 fragment floods that never complete: datagrams in flight capped', () => {
    for (const v of [4, 6] as const) {
      const path = capture(`frag${v}`, (e) => hostile.fragmentFlood(e, 5_000, v));
      const { json } = analyzeJson(path);
      const limit = json.findings.find((f) => f.code === 'capture.limit');
      expect(limit?.message).toContain(`incomplete IPv${v} datagram(s) dropped`);
    }
  });

  it('an HTTP chunked body that never ends (70 MB) is streamed, not held', () => {
    const path = capture('chunked', (e) => hostile.endlessChunkedBody(e, 50_000));
    const { run, json } = analyzeJson(path);
    expect(run.peakMiB).toBeLessThan(200); // the body is 70 MB: holding it would show
    const http = json.clients.flatMap((c) => c.steps).filter((s) => s.kind === 'http');
    expect(http).toHaveLength(1);
  });

  it('a TFTP transfer past block 65535 is followed across the rollover: complete, no retransmits', () => {
    const blocks = 70_000;
    const path = capture('rollover', (e) => hostile.tftpRollover(e, blocks, 8));
    const { json } = analyzeJson(path);
    const tftp = json.clients.flatMap((c) => c.steps).filter((s) => s.kind === 'tftp');
    expect(tftp).toHaveLength(1);
    const t = tftp[0] as { complete: boolean; blocks: number; bytes: number; retransmits: number };
    expect(t).toMatchObject({ complete: true, blocks, bytes: (blocks - 1) * 8 + 7, retransmits: 0 });
    expect(codes(json)).not.toContain('tftp.timeout');
    expect(codes(json)).not.toContain('tftp.retransmit');
  });

  it('RFC 3396: thousands of instances of one option are joined, in bounded time and memory', () => {
    const path = capture('concat', (e) => hostile.dhcpConcatenation(e, 20, 20_000));
    const { run, json } = analyzeJson(path);
    expect(run.seconds).toBeLessThan(60); // loose: quadratic joining of 20,000 instances would not be
    expect(json.clients.length).toBe(20);
    const offer = json.clients[0]!.steps.find((s) => s.kind === 'dhcp4') as { bootFile?: string | null } | undefined;
    expect(offer).toBeDefined();
  });

  it('option 52 overload: the file and sname fields full of options are decoded as options', () => {
    const path = capture('overload', (e) => hostile.dhcpOverload(e, 50));
    const run = runCli(['decode', path, '--format', 'jsonl']);
    expect(run.code).toBe(0);
    const first = JSON.parse(run.stdout.split('\n')[0]!) as { dhcp4?: unknown };
    const text = JSON.stringify(first);
    expect(text).toContain('ab'.repeat(25)); // option 67 joined from 25 instances in `file`
    expect(text).toContain('x'.repeat(15)); // option 66 joined from 15 instances in `sname`
    expect(run.peakMiB).toBeLessThan(RSS_MIB);
  });

  it('20,000 identical findings are one line with a count, in the JSON and in the text report', () => {
    const n = 20_000;
    const path = capture('same', (e) => hostile.identicalFindings(e, n));
    const { json } = analyzeJson(path);
    const timeouts = json.findings.filter((f) => f.code === 'tftp.timeout');
    expect(timeouts.length).toBeLessThanOrEqual(11);
    const total = timeouts.reduce((s, f) => s + ((f as { count?: number }).count ?? 1), 0);
    expect(total).toBeGreaterThan(n * 0.7); // those late enough to count as unanswered
    const rolled = timeouts.find((f) => (f as { count?: number }).count !== undefined)!;
    expect(rolled.message).toMatch(/×\d+: this and \d+ more alike/);
    // Ids and causes stay consistent after the roll-up.
    const ids = new Set(json.findings.map((f) => f.id));
    for (const f of json.findings) if (f.causedBy !== null) expect(ids.has(f.causedBy)).toBe(true);
    const text = runCli(['analyze', path]);
    const findingLines = text.stdout.split('\n').filter((l) => l.includes('tftp.timeout:'));
    expect(findingLines.length).toBeLessThanOrEqual(11);
  });

  it('a clock that jumps forward by 23 years is flagged, and no duration spans the jump', () => {
    const path = capture('clock', (e) => hostile.clockJump(e, 5, 5, 23 * 365 * 86400));
    const { json } = analyzeJson(path);
    const jump = json.findings.find((f) => f.code === 'capture.clock-jump');
    expect(jump?.frames).toEqual([6]);
    expect(jump?.message).toMatch(/forward by 23\.0 years/);
    // No number of seconds of a year or more anywhere in the messages.
    for (const f of json.findings) {
      for (const m of f.message.matchAll(/(\d+(?:\.\d+)?) s\b/g)) expect(Number(m[1])).toBeLessThan(365 * 86400);
    }
    expect(json.summary.lastPacket! - json.summary.firstPacket!).toBeLessThan(60);
  });
});
