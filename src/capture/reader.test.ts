import { describe, it, expect, beforeAll } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { readCapture, readCaptureBuffer, readCaptureFile } from './reader.js';
import { CaptureFormatError, type CaptureRecord } from './types.js';
import { LinkType } from '../wire/link-type.js';
import { PcapWriter, PcapngWriter } from './writer.js';
import { hex } from '../wire/bytes.js';
import { captureFiles, PUBLIC, ROOT } from '../../test/helpers/paths.js';
import { withTempCapture } from '../../test/helpers/pcap.js';
import { hasTshark, tsharkFields } from '../../test/helpers/tshark.js';

const execFileAsync = promisify(execFile);

/** Records with their bytes as hex: vitest's deep equality over thousands of typed arrays is slow. */
interface Rec { frame: number; time: number; linkType: number; interfaceId: number; origLen: number; data: string }

function collect(buf: Uint8Array) {
  const recs: Rec[] = [];
  const summary = readCaptureBuffer(buf, (r: CaptureRecord) => recs.push({ ...r, data: hex(r.data) }));
  return { recs, summary };
}

async function collectFile(path: string, chunkSize?: number) {
  const recs: Rec[] = [];
  const summary = await readCaptureFile(path, (r) => recs.push({ ...r, data: hex(r.data) }), chunkSize ? { chunkSize } : {});
  return { recs, summary };
}

/** Public capture files, relative to captures/public. */
function publicCaptures(): string[] {
  return captureFiles('public').map((f) => relative(PUBLIC, join(ROOT, f))).sort();
}

/** Epoch microseconds from tshark's "sss.nnnnnnnnn" text, without going through a double. */
function tsharkMicros(s: string): number {
  const [sec, frac = ''] = s.split('.');
  return Number(sec) * 1e6 + Math.round(Number(frac.padEnd(9, '0')) / 1000);
}

function micros(t: number): number {
  const sec = Math.floor(t);
  return sec * 1e6 + Math.round((t - sec) * 1e6);
}

const ENCAP: Record<string, number> = { ether: LinkType.ETHERNET, null: LinkType.NULL, 'linux-sll': LinkType.LINUX_SLL };

describe.skipIf(!hasTshark())('every public capture agrees with tshark', () => {
  const files = publicCaptures().filter((f) => !f.endsWith('.md'));
  it('finds the fixtures', () => expect(files.length).toBeGreaterThanOrEqual(26));
  // tshark takes about a second per run here: run them all at once, two at a time per core.
  const oracle = new Map<string, string[][]>();
  beforeAll(async () => {
    const queue = [...files];
    const worker = async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        const { stdout } = await execFileAsync('tshark', ['-r', join(PUBLIC, f), '-T', 'fields', '-e', 'frame.number', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.time_epoch']);
        oracle.set(f, stdout.trim().split('\n').map((l) => l.split('\t')));
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  });
  for (const f of files) {
    it(f, async () => {
      const path = join(PUBLIC, f);
      const lines = oracle.get(f)!;
      const encap = execFileSync('capinfos', ['-T', '-r', '-E', path], { encoding: 'utf8' }).trim().split('\t')[1]!;
      const { recs, summary } = await collectFile(path);
      expect(summary.records).toBe(lines.length);
      expect(summary.truncated).toBe(false);
      expect(summary.format).toBe(readFileSync(path).subarray(0, 4).equals(Buffer.from([10, 13, 13, 10])) ? 'pcapng' : 'pcap');
      expect(recs.map((r) => r.frame)).toEqual(lines.map((l) => Number(l[0])));
      expect(recs.map((r) => r.origLen)).toEqual(lines.map((l) => Number(l[1])));
      expect(recs.map((r) => r.data.length / 2)).toEqual(lines.map((l) => Number(l[2])));
      expect(recs.map((r) => micros(r.time))).toEqual(lines.map((l) => tsharkMicros(l[3]!)));
      for (const r of recs) expect(r.linkType).toBe(ENCAP[encap]);
      // The file reader and the buffer reader agree.
      expect(collect(readFileSync(path)).recs).toEqual(recs);
    });
  }
  it('nDPI/tftp.pcap is pcapng despite its name', async () => {
    const { summary } = await collectFile(join(PUBLIC, 'nDPI/tftp.pcap'));
    expect(summary.format).toBe('pcapng');
    expect(summary.records).toBe(109);
  });
});

// ---- hand-built pcapng blocks (independent of the writer) ----

function block(le: boolean, type: number, body: number[]): number[] {
  const padded = [...body];
  while (padded.length % 4) padded.push(0);
  const len = 12 + padded.length;
  return [...w32(le, type), ...w32(le, len), ...padded, ...w32(le, len)];
}
function w32(le: boolean, v: number): number[] {
  const b = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
  return le ? b.reverse() : b;
}
function w16(le: boolean, v: number): number[] {
  const b = [(v >>> 8) & 0xff, v & 0xff];
  return le ? b.reverse() : b;
}
function shb(le: boolean): number[] {
  return block(le, 0x0a0d0d0a, [...w32(le, 0x1a2b3c4d), ...w16(le, 1), ...w16(le, 0), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
}
function opt(le: boolean, code: number, value: number[]): number[] {
  const v = [...value];
  while (v.length % 4) v.push(0);
  return [...w16(le, code), ...w16(le, value.length), ...v];
}
function idb(le: boolean, linkType: number, snaplen: number, options: number[] = []): number[] {
  const opts = options.length ? [...options, 0, 0, 0, 0] : [];
  return block(le, 1, [...w16(le, linkType), 0, 0, ...w32(le, snaplen), ...opts]);
}
function epb(le: boolean, ifId: number, high: number, low: number, data: number[], origLen = data.length): number[] {
  return block(le, 6, [...w32(le, ifId), ...w32(le, high), ...w32(le, low), ...w32(le, data.length), ...w32(le, origLen), ...data]);
}
function split64(v: bigint): [number, number] {
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

describe('pcapng, hand-built', () => {
  it('reads a big-endian section', () => {
    const bytes = [...shb(false), ...idb(false, 1, 65535), ...epb(false, 0, ...split64(1700000000123456n), [1, 2, 3, 4, 5], 60)];
    expect(bytes.slice(0, 12)).toEqual([0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 28, 0x1a, 0x2b, 0x3c, 0x4d]);
    const { recs, summary } = collect(Uint8Array.from(bytes));
    expect(summary).toMatchObject({ format: 'pcapng', records: 1, truncated: false, warnings: [] });
    expect(recs[0]).toEqual({ frame: 1, time: 1700000000.123456, linkType: 1, interfaceId: 0, origLen: 60, data: '0102030405' });
  });

  it('reads two sections of different byte order, each with its own interfaces', () => {
    const bytes = [
      ...shb(true), ...idb(true, 1, 0), ...epb(true, 0, 0, 1_000_000, [0xaa]),
      ...shb(false), ...idb(false, 101, 0), ...epb(false, 0, 0, 2_000_000, [0x45, 0]),
    ];
    const { recs, summary } = collect(Uint8Array.from(bytes));
    expect(summary.warnings).toEqual([]);
    expect(recs.map((r) => [r.frame, r.linkType, r.time, r.data])).toEqual([[1, 1, 1, 'aa'], [2, 101, 2, '4500']]);
  });

  it('applies each interface its own tsresol and tsoffset', () => {
    const le = true;
    const bytes = [
      ...shb(le),
      ...idb(le, 1, 0), // default µs
      ...idb(le, 229, 0, opt(le, 9, [9])), // ns
      ...idb(le, 228, 0, [...opt(le, 9, [0x80 | 10]), ...opt(le, 14, [...w32(le, 100), ...w32(le, 0)])]), // 2^-10 s, +100 s
      ...epb(le, 0, ...split64(1700000000123456n), [1]),
      ...epb(le, 1, ...split64(1700000000123456789n), [2]),
      ...epb(le, 2, ...split64(1024n * 1700000000n + 512n), [3]),
    ];
    const { recs, summary } = collect(Uint8Array.from(bytes));
    expect(summary.warnings).toEqual([]);
    expect(recs.map((r) => [r.interfaceId, r.linkType])).toEqual([[0, 1], [1, 229], [2, 228]]);
    expect(recs[0]!.time).toBe(1700000000.123456);
    expect(Math.floor(recs[1]!.time)).toBe(1700000000);
    expect(Math.abs(recs[1]!.time - 1700000000.123456789)).toBeLessThan(3e-7);
    expect(micros(recs[1]!.time)).toBe(1700000000123457);
    expect(recs[2]!.time).toBe(1700000100.5);
  });

  it('reads a simple packet block with interface 0, its snaplen and the previous time', () => {
    const le = true;
    const spb = block(le, 3, [...w32(le, 10), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const bytes = [...shb(le), ...idb(le, 1, 4), ...epb(le, 0, 0, 7_500_000, [9]), ...spb];
    const { recs, summary } = collect(Uint8Array.from(bytes));
    expect(summary.warnings).toEqual([]);
    expect(recs[1]).toEqual({ frame: 2, time: 7.5, linkType: 1, interfaceId: 0, origLen: 10, data: '01020304' });
  });

  it('reads the obsolete packet block', () => {
    const le = false;
    const pb = block(le, 2, [...w16(le, 0), ...w16(le, 0), ...w32(le, 0), ...w32(le, 3_000_000), ...w32(le, 2), ...w32(le, 2), 7, 8]);
    const { recs } = collect(Uint8Array.from([...shb(le), ...idb(le, 113, 0), ...pb]));
    expect(recs).toEqual([{ frame: 1, time: 3, linkType: 113, interfaceId: 0, origLen: 2, data: '0708' }]);
  });

  it('skips unknown blocks by their length and warns once per type', () => {
    const le = true;
    const unknown = block(le, 0x0000abcd, [1, 2, 3, 4, 5, 6, 7, 8]);
    const nrb = block(le, 4, [0, 0, 0, 0]);
    const bytes = [...shb(le), ...unknown, ...idb(le, 1, 0), ...unknown, ...nrb, ...epb(le, 0, 0, 0, [1, 2])];
    const { recs, summary } = collect(Uint8Array.from(bytes));
    expect(recs.map((r) => r.frame)).toEqual([1]);
    expect(summary.warnings).toHaveLength(1);
    expect(summary.warnings[0]).toMatchObject({ kind: 'unsupported', layer: 'pcapng', offset: 28 });
    expect(summary.warnings[0]!.message).toContain('0xabcd');
  });

  it('numbers frames across every packet record even when one cannot be delivered', () => {
    const le = true;
    const bytes = [...shb(le), ...idb(le, 1, 0), ...epb(le, 5, 0, 0, [1]), ...epb(le, 0, 0, 0, [2])];
    const { recs, summary } = collect(Uint8Array.from(bytes));
    expect(recs.map((r) => r.frame)).toEqual([2]);
    expect(summary.warnings[0]).toMatchObject({ kind: 'malformed', layer: 'pcapng' });
  });

  it.each([
    ['shorter than 12', 8],
    ['not a multiple of 4', 30],
    ['above 64 MiB', 0x7ffffff0],
  ])('stops with a warning on a block length %s', (_, badLen) => {
    const le = true;
    const good = epb(le, 0, 0, 0, [1]);
    const bad = [...w32(le, 6), ...w32(le, badLen), ...new Array(24).fill(0)];
    const bytes = Uint8Array.from([...shb(le), ...idb(le, 1, 0), ...good, ...bad, ...good]);
    const before = process.memoryUsage().arrayBuffers;
    const { recs, summary } = collect(bytes);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
    expect(recs).toHaveLength(1);
    expect(summary.warnings).toHaveLength(1);
    expect(summary.warnings[0]).toMatchObject({ kind: 'malformed', layer: 'pcapng', offset: 28 + 20 + good.length });
  });
});

// ---- classic pcap ----

function pcapHeader(le: boolean, magic: number, linkField: number): number[] {
  return [...w32(le, magic), ...w16(le, 2), ...w16(le, 4), 0, 0, 0, 0, 0, 0, 0, 0, ...w32(le, 65535), ...w32(le, linkField)];
}
function pcapRecord(le: boolean, sec: number, frac: number, data: number[], origLen = data.length): number[] {
  return [...w32(le, sec), ...w32(le, frac), ...w32(le, data.length), ...w32(le, origLen), ...data];
}

describe('pcap, hand-built', () => {
  it('reads nanosecond magic in big-endian', () => {
    const bytes = [...pcapHeader(false, 0xa1b23c4d, 1), ...pcapRecord(false, 1700000000, 123456789, [1, 2, 3], 64)];
    const { recs, summary } = collect(Uint8Array.from(bytes));
    expect(summary).toMatchObject({ format: 'pcap', records: 1, warnings: [], truncated: false });
    expect(recs[0]!.origLen).toBe(64);
    expect(micros(recs[0]!.time)).toBe(1700000000123457);
    expect(Math.abs(recs[0]!.time - 1700000000.123456789)).toBeLessThan(3e-7);
  });

  it('reads swapped (little-endian) microsecond files and masks the FCS bits of the link type', () => {
    // P bit (0x04000000) with FCS length 2 words in the top 4 bits, link type 113.
    const bytes = [...pcapHeader(true, 0xa1b2c3d4, 0x24000000 | 113), ...pcapRecord(true, 10, 500000, [0xde, 0xad])];
    expect(bytes.slice(0, 4)).toEqual([0xd4, 0xc3, 0xb2, 0xa1]);
    const { recs } = collect(Uint8Array.from(bytes));
    expect(recs).toEqual([{ frame: 1, time: 10.5, linkType: 113, interfaceId: 0, origLen: 2, data: 'dead' }]);
  });

  it('stops on a record claiming 0x7fffffff bytes, without allocating them', async () => {
    const bytes = Uint8Array.from([...pcapHeader(true, 0xa1b2c3d4, 1), ...pcapRecord(true, 1, 0, [1]), ...w32(true, 2), ...w32(true, 0), ...w32(true, 0x7fffffff), ...w32(true, 0x7fffffff), 1, 2, 3]);
    const { recs, summary } = collect(bytes);
    expect(recs).toHaveLength(1);
    expect(summary.warnings).toEqual([expect.objectContaining({ kind: 'malformed', layer: 'pcap', offset: 24 + 17 })]);
    const dir = mkdtempSync(join(tmpdir(), 'pxecheck-cap-'));
    writeFileSync(join(dir, 'absurd.pcap'), bytes);
    const before = process.memoryUsage().arrayBuffers;
    const fromFile = await collectFile(join(dir, 'absurd.pcap'), 256);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
    expect(fromFile.recs).toEqual(recs);
    expect(fromFile.summary.warnings).toEqual(summary.warnings);
  });
});

describe('not a capture', () => {
  it('rejects unknown magic with the first bytes in the message', () => {
    expect(() => readCaptureBuffer(new TextEncoder().encode('HTTP/1.1 200 OK'), () => {}, 'x.txt')).toThrow(CaptureFormatError);
    expect(() => readCaptureBuffer(new TextEncoder().encode('HTTP/1.1 200 OK'), () => {}, 'x.txt')).toThrow('x.txt is not a pcap or pcapng file (starts with 48 54 54 50)');
  });
  it('rejects an empty file, also through the file reader', async () => {
    expect(() => readCaptureBuffer(new Uint8Array(0), () => {})).toThrow(/empty/);
    const dir = mkdtempSync(join(tmpdir(), 'pxecheck-cap-'));
    writeFileSync(join(dir, 'empty.pcap'), new Uint8Array(0));
    await expect(readCaptureFile(join(dir, 'empty.pcap'), () => {})).rejects.toThrow(CaptureFormatError);
    writeFileSync(join(dir, 'x.txt'), 'HTTP/1.0');
    await expect(readCaptureFile(join(dir, 'x.txt'), () => {})).rejects.toThrow('x.txt is not a pcap or pcapng file (starts with 48 54 54 50)');
  });
});

// ---- generated files: streaming, gzip, truncation ----

function generated(format: 'pcap' | 'pcapng', count: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  const out = (c: Uint8Array) => chunks.push(c);
  const data = (i: number) => Uint8Array.from({ length: 1 + ((i * 37) % 1500) }, (_, k) => (i + k) & 0xff);
  if (format === 'pcap') {
    const w = new PcapWriter(out, 1);
    for (let i = 0; i < count; i++) w.writePacket(1700000000 + i * 0.001, data(i));
  } else {
    const w = new PcapngWriter(out, { application: 'pxecheck test' });
    const a = w.addInterface(1);
    const b = w.addInterface(101, { tsresol: 9, name: 'raw0' });
    for (let i = 0; i < count; i++) w.writePacket(i % 2 ? b : a, 1700000000 + i * 0.001, data(i));
  }
  return Buffer.concat(chunks);
}

describe.each(['pcap', 'pcapng'] as const)('%s streaming', (format) => {
  const bytes = generated(format, 600);
  const dir = mkdtempSync(join(tmpdir(), 'pxecheck-cap-'));
  const path = join(dir, `big.${format}`);
  writeFileSync(path, bytes);

  it('file reader equals buffer reader across chunk boundaries', async () => {
    const expected = collect(bytes);
    expect(expected.recs).toHaveLength(600);
    expect(bytes.length).toBeGreaterThan(4 * 4096);
    for (const chunk of [4096, 1000, 64]) {
      const got = await collectFile(path, chunk);
      expect(got.recs).toEqual(expected.recs);
      expect(got.summary).toEqual(expected.summary);
    }
  });

  it('reuseRecord: one object for every record, each record read as without it', async () => {
    const expected = collect(bytes);
    for (const chunk of [4096, 64]) {
      const objects = new Set<CaptureRecord>();
      const recs: Rec[] = [];
      const summary = await readCaptureFile(path, (r) => {
        objects.add(r);
        recs.push({ ...r, data: hex(r.data) });
      }, { chunkSize: chunk, reuseRecord: true });
      expect(objects.size).toBe(1);
      expect(recs).toEqual(expected.recs);
      expect(summary).toEqual(expected.summary);
    }
    // Without it, every record is an object of its own (sinks may keep them).
    const objects = new Set<CaptureRecord>();
    await readCaptureFile(path, (r) => objects.add(r), { chunkSize: 4096 });
    expect(objects.size).toBe(600);
  });

  it('reads a gzip copy transparently (detected by magic, not name)', async () => {
    const gzPath = join(dir, `big-${format}.bin`);
    writeFileSync(gzPath, gzipSync(bytes));
    const expected = collect(bytes);
    const got = await collectFile(gzPath, 4096);
    expect(got.summary).toEqual({ ...expected.summary, gzip: true });
    expect(got.recs).toEqual(expected.recs);
    expect(collect(gzipSync(bytes)).recs).toEqual(expected.recs);
  });

  it('a cut gzip file yields what it holds and says truncated', async () => {
    const gz = gzipSync(bytes);
    const cutPath = join(dir, `cut-${format}.gz`);
    writeFileSync(cutPath, gz.subarray(0, gz.length >> 1));
    const got = await collectFile(cutPath, 4096);
    expect(got.summary.gzip).toBe(true);
    expect(got.summary.truncated).toBe(true);
    expect(got.recs.length).toBeGreaterThan(10);
    expect(got.recs.length).toBeLessThan(600);
    expect(got.recs).toEqual(collect(bytes).recs.slice(0, got.recs.length));
  });

  it('a regular file: no read waits on the thread pool, yet the event loop turns between reads', async () => {
    // A read queued on the thread pool is a wait the parse pays on every chunk (issue 12: a fifth
    // of the wall time idle on a 770 MB capture).
    let withReadInFlight = 0;
    let records = 0;
    let recordsWhenLoopTurned = -1;
    await readCaptureFile(path, () => {
      if (++records === 1) setImmediate(() => (recordsWhenLoopTurned = records));
      if (process.getActiveResourcesInfo().some((r) => r.startsWith('FSReq'))) withReadInFlight++;
    }, { chunkSize: 1000 });
    expect(records).toBe(600);
    // (Not 0: a request of the test runner's own may be in flight now and then.)
    expect(withReadInFlight).toBeLessThan(records / 10);
    // Timers, signals and --jobs workers' replies get their turn during a long read.
    expect(recordsWhenLoopTurned).toBeGreaterThan(0);
    expect(recordsWhenLoopTurned).toBeLessThan(600);
  });

  it('a read that fails mid-input (EIO) yields what was read and says where it stopped', async () => {
    // A disk or NFS mount failing under the read: the records before it are analysed, with a
    // warning, as for a cut capture — not an internal error that loses them.
    const half = bytes.length >> 1;
    const failing = new Readable({
      read() {
        this.push(bytes.subarray(0, half));
        this.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', errno: -5, syscall: 'read' }));
      },
    });
    const recs: Rec[] = [];
    const summary = await readCapture({ name: 'failing', stream: failing }, (r) => recs.push({ ...r, data: hex(r.data) }), { chunkSize: 4096 });
    expect(recs.length).toBeGreaterThan(10);
    expect(recs.length).toBeLessThan(600);
    expect(recs).toEqual(collect(bytes).recs.slice(0, recs.length));
    expect(summary.truncated).toBe(true);
    const w = summary.warnings.find((x) => x.layer === 'file');
    expect(w?.kind).toBe('truncated');
    expect(w?.message).toMatch(/EIO/);
    // Before any byte, the failure is the input's one-line error.
    const dead = new Readable({ read() { this.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })); } });
    await expect(readCapture({ name: 'dead', stream: dead }, () => {})).rejects.toThrow(CaptureFormatError);
  });

  it('stops when the signal is aborted', async () => {
    const ac = new AbortController();
    let n = 0;
    const run = readCaptureFile(path, () => { if (++n === 5) ac.abort(new Error('stop')); }, { signal: ac.signal, chunkSize: 4096 });
    await expect(run).rejects.toThrow('stop');
    expect(n).toBeLessThan(600);
  });
});

describe.each(['pcap', 'pcapng'] as const)('%s truncation sweep', (format) => {
  it('every prefix reads without throwing and flags a cut record', () => {
    const bytes = generated(format, 6);
    const full = collect(bytes);
    // Offsets where a record ends: a prefix ending there is not truncated.
    const ends = new Set<number>();
    let n = 0;
    for (let len = 4; len <= bytes.length; len++) {
      const { recs, summary } = collect(bytes.subarray(0, len));
      expect(recs).toEqual(full.recs.slice(0, recs.length));
      if (!summary.truncated) ends.add(len);
      else {
        expect(summary.warnings).toContainEqual(expect.objectContaining({ kind: 'truncated', layer: format }));
        n++;
      }
    }
    expect(ends.has(bytes.length)).toBe(true);
    // pcap: header + 6 records; pcapng: SHB + 2 IDB + 6 EPB are the only clean cut points.
    expect(ends.size).toBe(format === 'pcap' ? 7 : 9);
    expect(n).toBe(bytes.length - 3 - ends.size);
  });
});

describe('writers', () => {
  it('round-trip through the reader: frames, µs times, link types, data', () => {
    const chunks: Uint8Array[] = [];
    const w = new PcapngWriter((c) => chunks.push(c), { bigEndian: true });
    const eth = w.addInterface(1, { snaplen: 1500 });
    const ns = w.addInterface(276, { tsresol: 9 });
    w.writePacket(eth, 1.000001, Uint8Array.of(1, 2, 3), 1000);
    w.writePacket(ns, 1700000000.999999, Uint8Array.of(4));
    w.writePacket(eth, 1700000001.5, new Uint8Array(0));
    const { recs, summary } = collect(Buffer.concat(chunks));
    expect(summary.warnings).toEqual([]);
    expect(recs.map((r) => [r.frame, r.interfaceId, r.linkType, micros(r.time), r.origLen, r.data])).toEqual([
      [1, 0, 1, 1000001, 1000, '010203'],
      [2, 1, 276, 1700000000999999, 1, '04'],
      [3, 0, 1, 1700000001500000, 0, ''],
    ]);
  });

  it.skipIf(!hasTshark())('writes files tshark reads', () => {
    for (const format of ['pcap', 'pcapng'] as const) {
      withTempCapture(generated(format, 20), (path) => {
        const lines = tsharkFields(path, ['frame.number', 'frame.len', 'frame.time_epoch']);
        const { recs } = collect(readFileSync(path));
        expect(lines.map((l) => Number(l[0]))).toEqual(recs.map((r) => r.frame));
        expect(lines.map((l) => Number(l[1]))).toEqual(recs.map((r) => r.origLen));
        expect(lines.map((l) => tsharkMicros(l[2]!))).toEqual(recs.map((r) => 1700000000e6 + (r.frame - 1) * 1000));
      }, `w.${format}`);
    }
  });
});
