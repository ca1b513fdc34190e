/**
 * One device with tens of thousands of TFTP transfers, all stalled, then an ACK storm on every one
 * (issue 15: "a million steps of one device"). The rules that look at a device's other steps used
 * to scan them for each step: count² work. Held here by growth, not by a time: CPU seconds and
 * peak RSS of `analyze` on 60,000 transfers against 6,000, each in its own process. Linear grows
 * about 6× in CPU (startup is a fixed part); the old scans grew about 30×.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stalledTransfers, unansweredDiscovers } from '../../src/gen/hostile.js';
import { writeCapture } from '../../src/gen/write.js';
import type { AnalyzeJson } from '../../src/report/analyze-schema.js';
import { runCli } from './run-cli.js';

const BIG = 60_000;
const SMALL = BIG / 10;

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pxecheck-one-device-')); });
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function analyze(n: number, kind: 'stalled' | 'discovers' = 'stalled') {
  const path = join(dir, `${kind}-${n}.pcap`);
  writeCapture(path, { format: 'pcap' }, (e) => (kind === 'stalled' ? stalledTransfers(e, n) : unansweredDiscovers(e, n)));
  const run = runCli(['analyze', path, '--format', 'json'], 600_000);
  console.log(`one device, ${n} ${kind === 'stalled' ? 'stalled TFTP transfers' : 'unanswered DISCOVERs'}: ${run.cpuSeconds.toFixed(1)} s CPU, peak RSS ${run.peakMiB.toFixed(0)} MiB, ${run.seconds.toFixed(1)} s wall`);
  expect(run.stderr).not.toMatch(/at .*\.js:\d+/);
  expect(run.code).toBe(1);
  return { run, json: JSON.parse(run.stdout) as AnalyzeJson };
}

describe('one device, many steps', { timeout: 900_000 }, () => {
  it(`${BIG.toLocaleString('en-US')} stalled TFTP transfers of one device: linear in CPU and memory against ${SMALL.toLocaleString('en-US')}`, () => {
    const small = analyze(SMALL);
    const big = analyze(BIG);
    // Every transfer stalled: found, and rolled up into a few lines with a count.
    for (const [n, r] of [[SMALL, small], [BIG, big]] as const) {
      const timeouts = r.json.findings.filter((f) => f.code === 'tftp.timeout');
      expect(timeouts.length).toBeLessThanOrEqual(11);
      expect(timeouts.reduce((s, f) => s + ((f as { count?: number }).count ?? 1), 0)).toBe(n);
    }
    // Loose for a loaded 2-core CI: linear measures about 6 (CPU) and 5 (RSS above node's own ~50 MiB).
    expect(big.run.cpuSeconds / small.run.cpuSeconds).toBeLessThan(15);
    expect((big.run.peakMiB - 50) / (small.run.peakMiB - 50)).toBeLessThan(15);
    expect(big.run.peakMiB).toBeLessThan(2048);
  });

  // The DHCP rules looked at the device's other steps for each DHCP step (the DHCPv6 lease after an
  // unanswered DISCOVER, later DHCPv4 and proxyDHCP steps). A DISCOVER costs less than a stalled
  // transfer, so the fixed startup weighs more: 100,000 against 10,000 measures about 4.5–5.3 (CPU)
  // linear alone, up to 8.4 on two loaded cores (the small run's share of startup varies), and
  // about 12 with the old scans (27.6 s against 2.2 s; peak RSS 1 GiB against 640 MiB).
  it('100,000 unanswered DISCOVERs of one device (new transaction each): linear in CPU against 10,000', () => {
    const small = analyze(10_000, 'discovers');
    const big = analyze(100_000, 'discovers');
    for (const [n, r] of [[10_000, small], [100_000, big]] as const) {
      const noOffer = r.json.findings.filter((f) => f.code === 'dhcp.no-offer');
      expect(noOffer.length).toBeLessThanOrEqual(11);
      expect(noOffer.reduce((s, f) => s + ((f as { count?: number }).count ?? 1), 0)).toBe(n);
    }
    expect(big.run.cpuSeconds / small.run.cpuSeconds).toBeLessThan(10.5);
    expect(big.run.peakMiB).toBeLessThan(2048);
  });
});
