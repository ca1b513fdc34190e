/**
 * Memory stays flat whatever the number of clients: `analyze` of a generated capture of 20,000
 * DHCP clients in a child process (peak RSS from /usr/bin/time), and the live path of `capture`
 * (LiveSession, the object `pxecheck capture` feeds) taking 100,000 clients. Properties with a
 * wide margin, not timings; the 1,000,000-client versions are in bench/memory-scale.mjs.
 * Before devices were released as they finish, 100k clients took 1.8 GB. What a released device
 * leaves behind is counted, not measured: state held per device, not the heap.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths.js';
import { dhcpFlood, generateBootTraffic, writeCapture } from '../../src/gen/index.js';
import { LiveSession } from '../../src/cli/capture-session.js';
import { analyzeCapture } from '../../src/analysis/capture.js';
import type { CaptureRecord } from '../../src/capture/types.js';

const RSS_BOUND_MB = 250;
const haveTime = existsSync('/usr/bin/time');

describe('memory', () => {
  it.skipIf(!haveTime)('analyze of 20,000 clients stays under the RSS bound in every format, and reports them all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxecheck-mem-'));
    try {
      const file = join(dir, 'flood.pcap');
      writeCapture(file, { format: 'pcap' }, (emit) => dhcpFlood({ clients: 20_000, rate: 200 }, emit));
      for (const format of ['json', 'text', 'junit']) {
        const out = join(dir, `report.${format}`);
        const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, join(ROOT, 'bin/pxecheck.js'), 'analyze', file, '--format', format, '-o', out], { encoding: 'utf8', timeout: 170_000 });
        expect(r.status, r.stderr).toBe(1); // every client lacks a boot file: error findings
        const rssMB = Number(r.stderr.trim().split('\n').pop()) / 1024;
        expect(rssMB).toBeLessThan(RSS_BOUND_MB);
        if (format === 'json') {
          const summary = spawnSync(process.execPath, ['-e', `const d=require(${JSON.stringify(out)});console.log(d.clients.length, d.summary.failed)`], { encoding: 'utf8' });
          expect(summary.stdout.trim()).toBe('20000 20000');
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it('the live path releases finished devices: 100,000 clients, devices in memory bounded, all counted', () => {
    const live = new LiveSession({ fileName: 'flood' });
    const rec: CaptureRecord = { frame: 0, time: 0, linkType: 1, interfaceId: 0, data: new Uint8Array(0), origLen: 0 };
    let maxLive = 0;
    let lastPoll = 0;
    let lastFindings = 0;
    const heapAt: number[] = [];
    dhcpFlood({ clients: 100_000, rate: 100 }, (time, frame) => {
      rec.frame++;
      rec.time = time;
      rec.data = frame;
      rec.origLen = frame.length;
      live.push(rec);
      // What capture's timer does, on capture time (findings throttled harder: time runs fast here).
      if (time - lastPoll >= 2) {
        lastPoll = time;
        live.poll(time);
        maxLive = Math.max(maxLive, live.liveDevices);
      }
      if (time - lastFindings >= 60) {
        lastFindings = time;
        live.findings(time);
        heapAt.push(process.memoryUsage().heapUsed);
      }
    });
    const end = live.finish(rec.time + 1);
    expect(end.analysis.summary.clients).toBe(100_000);
    expect(end.analysis.summary.failed).toBe(100_000);
    expect(live.finishedDevices).toBe(100_000);
    // 100 new clients a second, released 35 s after their last packet: a few thousand at a time.
    expect(maxLive).toBeLessThan(10_000);
    // The heap does not grow with the clients: the last quarter is no larger than twice the first.
    const q = Math.floor(heapAt.length / 4);
    const firstQ = Math.max(...heapAt.slice(1, q + 1));
    const lastQ = Math.max(...heapAt.slice(-q));
    expect(lastQ).toBeLessThan(2 * firstQ + (32 << 20));
  }, 600_000);
  it('analyze keeps nothing of a released device: index entries follow the devices in memory, closed connections hold no parser', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxecheck-mem-'));
    try {
      const file = join(dir, 'boots.pcap');
      // Light clients, half of them fetching over HTTP (one TCP connection each), back to back on
      // 480 addresses: the capture runs ~10 times longer than a device stays in memory.
      writeCapture(file, { format: 'pcap' }, (emit) => generateBootTraffic({
        clients: 4_000, seed: 12, mix: { fileSize: [2_000, 4_000], http: 0.5 },
        faults: { tftpLoss: 0.02, nak: 0.02, twoServers: 0.02, tftpMissingFile: 0.02, noBootfile: 0.02 },
      }, emit));
      let samples = 0;
      let maxLive = 0;
      let worst = { http: 0, entries: 0 };
      let records = 0;
      let finished = 0;
      const head = await analyzeCapture(file, {
        // Released 7 s after their last packet (the longest threshold plus the 5 s margin).
        thresholds: { stall: 2, tftpIdle: 2, ipv6Stall: 2, noReply: 2 },
        release: { idle: Infinity, keepBelow: 0, pressureIdle: 0, every: 1 },
        onPart: (p) => { finished += p.clients.length; },
        tap: {
          record: (_t, builder, pipeline) => {
            if (++records % 1_000 !== 0) return;
            samples++;
            const live = builder.liveDevices;
            const ix = builder.heldIndexes();
            const entries = Object.values(ix).reduce((a, b) => a + b, 0);
            maxLive = Math.max(maxLive, live);
            // Relative to the devices in memory now: what grows with the capture fails here.
            worst = {
              http: Math.max(worst.http, ix.http - live),
              entries: Math.max(worst.entries, entries - 6 * live),
            };
          },
        },
      });
      expect(head.summary.clients).toBe(4_000);
      expect(finished).toBe(4_000);
      expect(samples).toBeGreaterThan(20);
      // A few hundred devices at a time (480 addresses, released within seconds), not 4,000.
      expect(maxLive).toBeLessThan(2_500);
      // An HTTP connection's entry lives while its device does (at most one open request queue each).
      expect(worst.http).toBeLessThanOrEqual(0);
      expect(worst.entries).toBeLessThanOrEqual(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
