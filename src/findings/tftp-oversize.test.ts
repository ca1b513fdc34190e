/**
 * tftp.block-oversize: a DATA block longer than the block size in effect, from a real UEFI PXE
 * transfer (OVMF, Kea, tftpd-hpa: OACK blksize=1468) whose first block was made 8 bytes longer
 * (IPv4 and UDP lengths with it), cut by snap lengths the way field captures come.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAPTURES } from '../../test/helpers/paths.js';
import { loadFrames, type FixtureFrame } from '../../test/helpers/frames.js';
import { ethernetPcap } from '../../test/helpers/splice.js';
import { analyzeCapture } from '../analysis/capture.js';
import { onesSum } from '../wire/bytes.js';
import { finishChecksum } from '../wire/checksum.js';
import type { Analysis } from '../analysis/types.js';

const KEA = join(CAPTURES, 'lab', 'uefi-pxe-kea.pcapng');
/** tftpd-hpa sending 1468-byte blocks a 1400-byte path drops (OACK "tsize\065536\0blksize\01468\0…"). */
const MTU = join(CAPTURES, 'lab', 'mtu-tftp-1468-server.pcapng');
/** Index of the OACK of the real transfer ("blksize\01468\0", 57 bytes: the name ends at 52). */
const OACK = 16;
/** Index of DATA 1 of the real transfer (after the tsize probe and the OACK blksize=1468). */
const DATA1 = 18;
const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-oversize-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An Ethernet/IPv4/UDP frame with `extra` zero bytes more payload, lengths and IP checksum fixed. */
function longer(frame: Uint8Array, extra: number): Uint8Array {
  const out = new Uint8Array(frame.length + extra);
  out.set(frame);
  const v = new DataView(out.buffer);
  v.setUint16(16, v.getUint16(16) + extra); // IPv4 total length
  v.setUint16(24, 0);
  v.setUint16(24, finishChecksum(onesSum(out.subarray(14, 34))));
  v.setUint16(38, v.getUint16(38) + extra); // UDP length
  v.setUint16(40, 0); // UDP checksum: none
  return out;
}

function write(name: string, frames: readonly { time: number; data: Uint8Array }[], snap?: number): string {
  const out = join(tmp, `${name}.pcap`);
  writeFileSync(out, ethernetPcap(frames, snap === undefined ? {} : { snap }));
  return out;
}

function withLongFirstBlock(frames: readonly FixtureFrame[]): { time: number; data: Uint8Array }[] {
  return frames.map((f, i) => ({ time: f.time, data: i === DATA1 ? longer(f.data, 8) : f.data }));
}

const oversize = (a: Analysis) => a.findings.filter((f) => f.code === 'tftp.block-oversize');

describe('tftp.block-oversize (real UEFI PXE transfer, blksize 1468)', () => {
  const frames = loadFrames(KEA);

  it('the capture as it is: no oversize block', async () => {
    expect(oversize(await analyzeCapture(write('kea', frames)))).toEqual([]);
  });

  it('a block 8 bytes past the OACK\'s blksize that the client acknowledged: a warning naming both sizes', async () => {
    const a = await analyzeCapture(write('kea-longer', withLongFirstBlock(frames)));
    const f = oversize(a);
    expect(f.map((x) => x.severity)).toEqual(['warning']);
    expect(f[0]!.message).toMatch(/1476 bytes.*1468/);
    expect(f[0]!.frames).toContain(frames[DATA1]!.frame);
  });

  it('one the client never acknowledged, the server sending it again: an error', async () => {
    const head = withLongFirstBlock(frames).slice(0, DATA1 + 1);
    const t = head[DATA1]!.time;
    const resent = [1, 2, 4].map((dt) => ({ time: t + dt, data: head[DATA1]!.data }));
    const a = await analyzeCapture(write('kea-dropped', [...head, ...resent]));
    expect(oversize(a).map((x) => x.severity)).toEqual(['error']);
  });

  it('the request cut (snap 80), the OACK whole: the block size is known and the block still too long', async () => {
    const a = await analyzeCapture(write('kea-longer-80', withLongFirstBlock(frames), 80));
    expect(oversize(a).map((x) => x.severity)).toEqual(['warning']);
  });

  it('the OACK\'s blksize value cut (snap 54): the block size is unknown, nothing raised', async () => {
    const a = await analyzeCapture(write('kea-longer-54', withLongFirstBlock(frames), 54));
    expect(oversize(a)).toEqual([]);
  });

  it('without options, DATA 1 answering the request at once: more than 512 bytes is too long', async () => {
    // The first request (tsize probe) dropped; the second with its OACK dropped: DATA 1 (1468
    // bytes) answers the request straight away, so the transfer runs at RFC 1350's 512.
    const noOack = frames.filter((_, i) => i !== 12 && i !== 13 && i !== 14 && i !== 16 && i !== 17);
    const a = await analyzeCapture(write('kea-no-oack', noOack));
    const f = oversize(a);
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/1468 bytes.*512 bytes/);
  });

  // The cut falls right after "blksize\0": the name is there, its value is not — no block size.
  it('the OACK cut right after the blksize name (snap 52): unknown, nothing raised; the bytes still counted', async () => {
    const a = await analyzeCapture(write('kea-longer-52', withLongFirstBlock(frames), 52));
    expect(oversize(a)).toEqual([]);
    const whole = await analyzeCapture(write('kea', frames));
    const cut = await analyzeCapture(write('kea-52', frames, 52));
    const bytes = (x: Analysis) => x.clients.flatMap((c) => c.steps.flatMap((s) => (s.kind === 'tftp' && !s.probe ? [s.bytes] : [])));
    expect(bytes(cut)).toEqual(bytes(whole));
  });

  it('an OACK that acknowledged no blksize: 512 in effect, and the message says the OACK left blksize out', async () => {
    // The OACK's option renamed "blksizx" (same length): the server acknowledged no block size.
    const renamed = withLongFirstBlock(frames).map((f, i) => {
      if (i !== OACK) return f;
      const data = f.data.slice();
      data[14 + 20 + 8 + 2 + 6] = 'x'.charCodeAt(0);
      new DataView(data.buffer).setUint16(40, 0); // UDP checksum: none
      return { time: f.time, data };
    });
    const f = oversize(await analyzeCapture(write('kea-oack-no-blksize', renamed)));
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toMatch(/512 bytes \(its OACK did not acknowledge blksize/);
    expect(f[0]!.message).not.toMatch(/bytes of its OACK/);
  });
});

describe('tftp.block-oversize on a cut OACK (real path-MTU black hole)', () => {
  const frames = loadFrames(MTU);
  // Snap 64 ends the OACK right after "blksize\0": 63 and 65 cut inside the name and the value.
  it.each([63, 64, 65])('snap %i: the black hole, not an oversize block', async (snap) => {
    const a = await analyzeCapture(write(`mtu-${snap}`, frames, snap));
    const codes = a.findings.map((x) => x.code);
    expect(codes).toContain('net.pmtu-blackhole');
    expect(codes).not.toContain('tftp.block-oversize');
  });
});
