// `pxecheck capture` for real: libpcap on a mirror port of a lab segment (dnsmasq DHCP + TFTP,
// busybox udhcpc + tftp as the client), set up by mirror-lab.ts.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCaptureArgs, runCapture } from '../../src/cli/capture.js';
import { analyzeCapture } from '../../src/analysis/capture.js';
import type { Dhcp4Step, TftpStep } from '../../src/flow/types.js';
import { bootClient, captureIo as io, leavesNothing, mirrorSkipReason, useMirrorLab } from './mirror-lab.js';

const skipReason = mirrorSkipReason();
const LAB = 'pxcap';
/** Root-namespace end of the mirror port (≤ 15 characters, unique per test process). */
const MON = `pxcmon${process.pid % 100000}`;
const FILE = 'vmlinuz';

describe('capture: unknown interface', () => {
  it('exits 2 with a message naming the interface', async () => {
    const o = io();
    const code = await runCapture(checkCaptureArgs({ interface: 'pxnosuch0', duration: '1' }), o);
    expect(code).toBe(2);
    expect(o.err()).toMatch(/no network interface named pxnosuch0/);
    expect(o.out()).toBe('');
  });
});

describe.skipIf(skipReason !== '')(`capture on a lab segment${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  const mirror = useMirrorLab(LAB, MON, '52:54:00:00:0e:f1');

  it('prints DHCP and TFTP steps as they happen, writes a pcapng that analyze reads back, ends at --duration', async () => {
    const o = io();
    const lab = mirror.lab;
    const file = join(lab.workDir, 'live.pcapng');
    const started = Date.now();
    const capture = runCapture(checkCaptureArgs({ interface: MON, write: file, duration: '8' }), o);
    let live = '';
    try {
      // The open is synchronous inside runCapture: the capture listens before any traffic starts.
      await bootClient(mirror, FILE);
      // The printer shows the TFTP step once its last packets are read: wait for it (bounded), no fixed sleep.
      const until = Date.now() + 10_000;
      while (!/ 52:54:00:00:0e:f1 tftp /.test(o.out()) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      live = o.out();
    } finally {
      // Never leave the capture running when the lab goes away (see afterAll).
      expect(await capture).toBe(0);
    }
    // Lines appeared while capturing, not only at the end: one DHCP line for the client that went
    // from DISCOVER to ACK with its address and boot file, and one TFTP line. The message sequence
    // is not pinned: dnsmasq may leave the first DISCOVER unanswered (its address probe), udhcpc
    // repeats it, and the printer may show that as `→DISCOVER→OFFER` or `DISCOVER×2→OFFER×2`.
    const dhcpLine = live.split('\n').find((l) => / 52:54:00:00:0e:f1 dhcp4 /.test(l));
    expect(dhcpLine, live).toBeDefined();
    expect(dhcpLine).toMatch(/DISCOVER/);
    expect(dhcpLine).toMatch(/ACK ok 198\.51\.100\.\d+ boot undionly\.kpxe /);
    expect(dhcpLine!.indexOf('DISCOVER')).toBeLessThan(dhcpLine!.indexOf('ACK'));
    const tftpLine = live.split('\n').find((l) => / 52:54:00:00:0e:f1 tftp /.test(l));
    expect(tftpLine, live).toMatch(new RegExp(`RRQ ${FILE} ok 4096 bytes`));
    // --duration 8 ends it by itself: not before 8 s; the upper bound only catches a hang.
    const elapsed = (Date.now() - started) / 1000;
    expect(elapsed).toBeGreaterThanOrEqual(7.9);
    expect(elapsed).toBeLessThan(30);
    expect(statSync(join(lab.workDir, 'got.bin')).size).toBe(4096);

    const out = o.out();
    // Kernel drops come from pcap_stats (a number, not "unknown").
    expect(out).toMatch(/Capture ended \(--duration 8 s\): \d+ packets \(pxcmon\d+: \d+ received, dropped: \d+ by the kernel/);
    expect(o.err()).not.toMatch(/Warning:|This may not actually work/);
    expect(out).toContain(`Wrote: ${file}`);

    const a = await analyzeCapture(file);
    const chain = a.clients.find((c) => c.mac === '52:54:00:00:0e:f1')!;
    expect(chain).toBeDefined();
    const dhcp = chain.steps.filter((s): s is Dhcp4Step => s.kind === 'dhcp4');
    const tftp = chain.steps.filter((s): s is TftpStep => s.kind === 'tftp');
    expect(dhcp.some((s) => s.ok && s.bootfile === 'undionly.kpxe')).toBe(true);
    expect(tftp).toEqual([expect.objectContaining({ file: FILE, ok: true, complete: true, bytes: 4096 })]);
    // One printed line per step of the analysis (same engine, same frames).
    const stepLines = out.split('\n').filter((l) => / (dhcp4|proxydhcp|dhcp6|tftp|http)( \(\w+\))? /.test(l) && /^\d\d:\d\d:\d\d\.\d{3} /.test(l));
    const allSteps = a.clients.reduce((n, c) => n + c.steps.length, 0);
    expect(stepLines).toHaveLength(allSteps);
  }, 40_000);

  it('leaves no namespace, interface or process behind', async () => {
    await leavesNothing(mirror, LAB);
  });
});
