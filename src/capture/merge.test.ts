/** The streaming sources and the k-way merge, with captures made by the real writers. */
import { describe, it, expect } from 'vitest';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { PcapWriter, PcapngWriter } from './writer.js';
import { readCapture } from './reader.js';
import { readMerged } from './merge.js';
import { CaptureFormatError, type CaptureRecord } from './types.js';
import { LinkType } from '../wire/link-type.js';

function pcap(times: number[], tag: number): Buffer {
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c), LinkType.ETHERNET);
  for (const t of times) w.writePacket(t, Uint8Array.of(tag, Math.round(t * 10)));
  return Buffer.concat(chunks);
}

function pcapng(times: number[], tag: number, linkType: number = LinkType.ETHERNET): Buffer {
  const chunks: Uint8Array[] = [];
  const w = new PcapngWriter((c) => chunks.push(c));
  const i = w.addInterface(linkType);
  for (const t of times) w.writePacket(i, t, Uint8Array.of(tag, Math.round(t * 10)));
  return Buffer.concat(chunks);
}

/** A stream that hands out `b` a few bytes at a time, as a slow pipe does. */
function trickle(b: Buffer, name: string, step = 7): { name: string; stream: Readable } {
  const parts: Buffer[] = [];
  for (let i = 0; i < b.length; i += step) parts.push(b.subarray(i, i + step));
  return { name, stream: Readable.from(parts) };
}

const seen = (recs: CaptureRecord[]): [number, number, number][] => recs.map((r) => [r.frame, r.data[0]!, r.data[1]!]);

describe('stream input', () => {
  it('a capture dribbling through a pipe reads like the file, gzip too (magic, not name)', async () => {
    const b = pcap([1, 2, 3], 9);
    for (const input of [trickle(b, 'pipe'), trickle(gzipSync(b), 'pipe.gz'), trickle(gzipSync(b), 'no-suffix', 3)]) {
      const recs: CaptureRecord[] = [];
      const s = await readCapture(input, (r) => recs.push({ ...r, data: r.data.slice() }), { chunkSize: 64 });
      expect(seen(recs)).toEqual([[1, 9, 10], [2, 9, 20], [3, 9, 30]]);
      expect(s.gzip).toBe(input.name !== 'pipe');
    }
  });

  it('only packets of an unsupported link type: nothing usable, one error naming the offset', async () => {
    await expect(readCapture(trickle(pcapng([1], 1, 9999), 'x'), () => {})).rejects.toThrow(CaptureFormatError);
    await expect(readCapture(trickle(pcapng([1], 1, 9999), 'x'), () => {})).rejects.toThrow(/^x: nothing usable could be read: interface 0 has link type 9999.*\(at byte \d+\)$/);
  });
});

describe('readMerged', () => {
  it('orders frames by time across inputs and renumbers them; ties keep the input order', async () => {
    const recs: CaptureRecord[] = [];
    const s = await readMerged([trickle(pcap([1, 3, 5, 5], 1), 'a'), trickle(pcapng([2, 3, 6], 2), 'b', 5)], (r) => recs.push(r), { chunkSize: 64 });
    expect(seen(recs)).toEqual([[1, 1, 10], [2, 2, 20], [3, 1, 30], [4, 2, 30], [5, 1, 50], [6, 1, 50], [7, 2, 60]]);
    expect(s.records).toBe(7);
  });

  it('sums the summaries and names the input of each warning', async () => {
    const cut = pcap([1, 2], 1);
    const s = await readMerged([trickle(cut.subarray(0, cut.length - 1), 'cut'), trickle(pcap([1.5], 2), 'whole')], () => {});
    expect(s.records).toBe(2);
    expect(s.truncated).toBe(true);
    expect(s.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/^cut: file ends inside record 2/)]);
  });

  it('an input that is not a capture stops the merge with its name', async () => {
    await expect(readMerged([trickle(pcap([1], 1), 'a'), { name: 'notes', stream: Readable.from([Buffer.from('hello')]) }], () => {})).rejects.toThrow(/^notes is not a pcap or pcapng file/);
  });
});

describe('readCaptureWith', () => {
  it('lets the caller pick the parser from the first bytes (here: the pcap parser into its own sink)', async () => {
    const { PcapParser } = await import('./pcap.js');
    const recs: number[] = [];
    const heads: string[] = [];
    const { readCaptureWith } = await import('./reader.js');
    const s = await readCaptureWith(trickle(gzipSync(pcap([1, 2], 3)), 'in'), (head, name, gzip) => {
      heads.push(`${name} ${gzip} ${head[0]!.toString(16)}`);
      return new PcapParser((r) => recs.push(r.frame));
    });
    expect(heads).toEqual(['in true d4']);
    expect(recs).toEqual([1, 2]);
    expect(s.records).toBe(2);
  });
});
