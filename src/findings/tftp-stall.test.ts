/**
 * A TFTP transfer stalls when it stops moving on (no new block, no higher ACK), whatever the
 * server keeps sending: one block resent until the capture ends, or until the server gives up, is
 * a timeout like silence. Built from a real lab capture (test/helpers/splice.ts).
 */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { analyzeCapture } from '../analysis/capture.js';
import type { Analysis } from '../analysis/types.js';
import { ethernetPcap } from '../../test/helpers/splice.js';
import { loadFrames } from '../../test/helpers/frames.js';

// uefi-pxe-dnsmasq: the transfer of snponly.efi, DATA block 9 in frame 35 (0-based 34).
const FRAMES = loadFrames('captures/lab/uefi-pxe-dnsmasq.pcapng');
const UP_TO_BLOCK_9 = FRAMES.slice(0, 35);
const BLOCK_9 = FRAMES[34]!;
const UNRELATED = FRAMES[1]!; // an MLD report: the capture goes on without the transfer

function analyzeFrames(frames: { time: number; data: Uint8Array }[]): Promise<Analysis> {
  return analyzeCapture({ name: 'tftp-stall.pcap', stream: Readable.from([Buffer.from(ethernetPcap(frames))]) });
}

function timeouts(a: Analysis) {
  return a.findings.filter((f) => f.code === 'tftp.timeout');
}

describe('a TFTP transfer whose server resends one block and nothing moves on', () => {
  it('silence for 40 s after block 9 (the control): tftp.timeout, an error', async () => {
    const a = await analyzeFrames([...UP_TO_BLOCK_9, { time: BLOCK_9.time + 40, data: UNRELATED.data }]);
    expect(timeouts(a).map((f) => f.severity)).toEqual(['error']);
  });

  it('block 9 sent again every 2 s until the capture ends 40 s on: tftp.timeout, an error, idle since block 9 first went', async () => {
    const resends = Array.from({ length: 20 }, (_, k) => ({ time: BLOCK_9.time + 2 * (k + 1), data: BLOCK_9.data }));
    const a = await analyzeFrames([...UP_TO_BLOCK_9, ...resends]);
    const t = timeouts(a);
    expect(t.map((f) => f.severity)).toEqual(['error']);
    expect(t[0]!.message).toMatch(/idle 40 s; block 9 was sent 20 more time/);
    expect(a.clients.find((c) => c.role === 'boot')?.outcome).toBe('failed');
  });

  it('block 9 sent again five times with back-off (31 s), then the server gives up: tftp.timeout, an error', async () => {
    const resends: { time: number; data: Uint8Array }[] = [];
    let t = BLOCK_9.time;
    for (const gap of [1, 2, 4, 8, 16]) resends.push({ time: (t += gap), data: BLOCK_9.data });
    const a = await analyzeFrames([...UP_TO_BLOCK_9, ...resends, { time: t + 5, data: UNRELATED.data }]);
    expect(timeouts(a).map((f) => f.severity)).toEqual(['error']);
  });
});

describe('a TFTP OACK sent again and again with no ACK 0 from the client', () => {
  it('is no path-MTU black hole: nothing shows the small packets got through (uefi-pxe-dnsmasq up to the OACK, resent 5 times)', async () => {
    const oack = FRAMES[16]!; // the OACK answering the second RRQ (blksize 1468)
    const resends = [1, 2, 3, 4, 5].map((k) => ({ time: oack.time + 2 * k, data: oack.data }));
    const a = await analyzeFrames([...FRAMES.slice(0, 17), ...resends, { time: oack.time + 40, data: UNRELATED.data }]);
    expect(a.findings.filter((f) => f.code === 'net.pmtu-blackhole')).toEqual([]);
    // The stall itself is still a failure of the transfer.
    expect(a.findings.some((f) => f.code.startsWith('tftp.') && f.severity === 'error')).toBe(true);
  });
});
