/**
 * A capture recorded twice (a SPAN port mirroring both directions, a capture on a bridge and its
 * member: every frame again a few µs later, tagged and one hop on) analyzes as the original does:
 * the same devices, steps, verdicts, findings and evidence frames (numbered back to the original's),
 * plus one `capture.duplicate-frames` finding, while the report still counts the file's packets.
 * Real retransmissions stay retransmissions; copies further apart than the window are not copies.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ROOT } from '../helpers/paths.js';
import { analyzeCapture } from '../../src/analysis/capture.js';
import type { Analysis } from '../../src/analysis/types.js';
import { DUPLICATE_WINDOW_S } from '../../src/decode/duplicate-frames.js';
import { mirrorCopy, readRecords, recordTwice, writeCapture } from '../../src/decode/duplicate-frames.test-kit.js';
import { readCaptureBuffer } from '../../src/capture/index.js';
import { DecodePipeline } from '../../src/decode/pipeline.js';
import { LiveSession } from '../../src/cli/capture-session.js';
import { loadFrames } from '../helpers/frames.js';

const DUP = 'capture.duplicate-frames';

function analyzeBytes(bytes: Uint8Array, name: string, keepDuplicates = false): Promise<Analysis> {
  return analyzeCapture({ name, stream: Readable.from([Buffer.from(bytes)]) }, { name, keepDuplicates });
}

/** The analysis with its frame numbers mapped through `original` (a copy's number maps to NaN, so
 *  a finding that points at a copy shows), without what names the file or counts its packets. */
function normalized(a: Analysis, original: readonly (number | null)[] | null): unknown {
  const map = (f: unknown): unknown => (typeof f !== 'number' || original === null ? f : original[f] ?? Number.NaN);
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x === null || typeof x !== 'object') return x;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) {
      if (k === 'frames' && Array.isArray(v)) out[k] = v.map(map);
      else if (k === 'frame') out[k] = map(v);
      else if (k === 'message' && typeof v === 'string') {
        // Messages name frames too: "(ICMP port unreachable, frames 31, 34, 38, …)".
        out[k] = v.replace(/\bframes? (\d+(?:, \d+)*)/g, (_m, list: string) => `frames ${list.split(', ').map((n) => map(Number(n))).join(', ')}`);
      }
      else out[k] = walk(v);
    }
    return out;
  };
  const { file: _file, packets: _packets, summary, ...rest } = a;
  const { lastPacket: _last, infos: _infos, ...sum } = summary;
  return walk({ ...rest, findings: a.findings.filter((f) => f.code !== DUP), summary: sum });
}

const CAPTURES = [
  'captures/field/os-then-two-boots.pcapng', // the field report: false tftp.retransmit, doubled DHCP and ND counts
  'captures/lab/lossy-tftp.pcapng', // real TFTP retransmissions after timeouts
  'captures/lab/fragmented-tftp-ok.pcapng', // IP fragments: a copy of a fragment is dropped before reassembly
  'captures/lab-v6/uefi-pxe6-dnsmasq.pcapng', // DHCPv6, ND: the NA answering each NS stays
  'captures/field/tftp-port69-icmp.pcapng', // ICMP errors
  'captures/lab/uefi-pxe-kea.pcapng', // HTTP over TCP
];

describe('a capture recorded twice by a mirror port', () => {
  for (const file of CAPTURES) {
    it(`${file}: the same analysis as the original, plus capture.duplicate-frames`, async () => {
      const raw = readFileSync(join(ROOT, file));
      const orig = await analyzeCapture(join(ROOT, file), { name: file });
      const twice = recordTwice(raw, 20e-6);
      const dup = await analyzeBytes(twice.bytes, 'dup.pcapng');

      expect(orig.findings.map((f) => f.code)).not.toContain(DUP);
      expect(normalized(dup, twice.original)).toEqual(normalized(orig, null));
      // Reports count the file's real packets; the summary one info finding more.
      expect(dup.packets).toBe(twice.records);
      expect(dup.packets).toBe(2 * orig.packets);
      expect(dup.summary.infos).toBe(orig.summary.infos + 1);
      const found = dup.findings.filter((f) => f.code === DUP);
      expect(found).toHaveLength(1);
      expect(found[0]!.severity).toBe('info');
      expect(found[0]!.message).toMatch(new RegExp(`^${orig.packets} frame\\(s\\) `));
      expect(twice.original[found[0]!.frames[0]!]).toBeNull();
    });
  }

  it('the field report: no tftp.retransmit, no doubled DHCP or ND counts', async () => {
    const file = 'captures/field/os-then-two-boots.pcapng';
    const orig = await analyzeCapture(join(ROOT, file), { name: file });
    const dup = await analyzeBytes(recordTwice(readFileSync(join(ROOT, file)), 20e-6).bytes, 'dup.pcapng');
    expect(orig.findings.map((f) => f.code)).not.toContain('tftp.retransmit');
    expect(dup.findings.map((f) => f.code)).not.toContain('tftp.retransmit');
    expect(dup.ndp).toEqual(orig.ndp);
  });

  it('a server that really retransmits TFTP DATA after a timeout keeps its tftp.retransmit', async () => {
    const file = 'captures/lab/lossy-tftp.pcapng';
    const orig = await analyzeCapture(join(ROOT, file), { name: file });
    const dup = await analyzeBytes(recordTwice(readFileSync(join(ROOT, file)), 20e-6).bytes, 'dup.pcapng');
    const retransmits = (a: Analysis): string[] => a.findings.filter((f) => f.code === 'tftp.retransmit').map((f) => f.message);
    expect(retransmits(orig).length).toBeGreaterThan(0);
    expect(retransmits(dup)).toEqual(retransmits(orig));
    expect(orig.findings.map((f) => f.code)).not.toContain(DUP);
  });

  it(`copies further apart than ${DUPLICATE_WINDOW_S * 1000} ms are not copies: the repeats then show as retransmissions`, async () => {
    const file = 'captures/field/os-then-two-boots.pcapng';
    const late = await analyzeBytes(recordTwice(readFileSync(join(ROOT, file)), DUPLICATE_WINDOW_S * 2).bytes, 'late.pcapng');
    const codes = late.findings.map((f) => f.code);
    expect(codes).not.toContain(DUP);
    expect(codes).toContain('tftp.retransmit');
  });
});

describe('captures that only look like mirror copies', () => {
  /** Frame numbers of the DHCP server messages (from port 67 or 547) the decoder delivers. */
  function serverMessages(bytes: Uint8Array, dropDuplicates: boolean): number[] {
    const out: number[] = [];
    const pipe = new DecodePipeline({ message: (m) => void ((m.srcPort === 67 || m.srcPort === 547) && out.push(m.frame)) }, { dropDuplicates });
    readCaptureBuffer(bytes, (r) => pipe.push(r));
    pipe.finish();
    return out;
  }

  for (const file of ['captures/lab-v6/uefi-pxe6-dnsmasq.pcapng', 'captures/lab/uefi-pxe-kea.pcapng']) {
    it(`${file} with every timestamp equal (no time resolution): no server message dropped`, () => {
      const recs = readRecords(readFileSync(join(ROOT, file)));
      const flat = writeCapture(recs.map((r) => ({ ...r, time: recs[0]!.time })));
      const all = serverMessages(flat, false);
      expect(all.length).toBeGreaterThan(1);
      expect(serverMessages(flat, true)).toEqual(all);
    });
  }

  it('a capture appended to itself (mergecap -a X X: the clock jumps back) has no capture.duplicate-frames', async () => {
    const file = 'captures/lab-v6/uefi-pxe6-kea.pcapng';
    const recs = readRecords(readFileSync(join(ROOT, file)));
    const a = await analyzeBytes(writeCapture([...recs, ...recs]), 'appended.pcapng');
    const codes = a.findings.map((f) => f.code);
    expect(codes).toContain('capture.clock-jump');
    expect(codes).not.toContain(DUP);
  });
});

describe('--keep-duplicates: every frame analyzed, the copies too (for whoever suspects the filter)', () => {
  const file = 'captures/field/os-then-two-boots.pcapng';

  it('the doubled field capture then shows its copies as TFTP retransmissions and doubled ND counts', async () => {
    const orig = await analyzeCapture(join(ROOT, file), { name: file });
    const twice = recordTwice(readFileSync(join(ROOT, file)), 20e-6).bytes;
    const dropped = await analyzeBytes(twice, 'dup.pcapng');
    const kept = await analyzeBytes(twice, 'dup.pcapng', true);
    const codes = (a: Analysis): string[] => a.findings.map((f) => f.code);
    expect(codes(dropped)).not.toContain('tftp.retransmit');
    expect(codes(dropped)).toContain(DUP);
    expect(codes(kept)).toContain('tftp.retransmit');
    expect(codes(kept)).not.toContain(DUP);
    const nd = (a: Analysis): number => (a.ndp ? a.ndp.rs + a.ndp.ra + a.ndp.ns + a.ndp.na : 0);
    expect(nd(orig)).toBeGreaterThan(0);
    expect(nd(dropped)).toBe(nd(orig));
    expect(nd(kept)).toBe(2 * nd(orig));
    expect(kept.packets).toBe(dropped.packets);
  });

  it('live too: a LiveSession with keepDuplicates analyzes the copies (TFTP retransmissions, doubled ND counts)', () => {
    const feed = (keepDuplicates: boolean): { codes: string[]; analysis: Analysis } => {
      const codes: string[] = [];
      const session = new LiveSession({ fileName: 'live:span0', keepDuplicates, onFinished: (p) => codes.push(...p.findings.map((f) => f.code)) });
      let n = 0;
      const frames = loadFrames(file);
      for (const f of frames) {
        for (const data of [f.data, mirrorCopy(f.data)]) {
          session.push({ frame: ++n, time: f.time + (data === f.data ? 0 : 20e-6), linkType: f.linkType, interfaceId: 0, data, origLen: data.length });
        }
      }
      const { analysis } = session.finish(frames.at(-1)!.time);
      return { codes, analysis };
    };
    const dropped = feed(false);
    const kept = feed(true);
    expect(dropped.codes).not.toContain('tftp.retransmit');
    expect(kept.codes).toContain('tftp.retransmit');
    expect(kept.codes).not.toContain(DUP);
    expect(dropped.analysis.ndp?.ns).toBeGreaterThan(0);
    expect(kept.analysis.ndp?.ns).toBe(2 * dropped.analysis.ndp!.ns);
  });
});

describe('a live capture on a mirror port', () => {
  it('drops the copies too and prints capture.duplicate-frames once, not at every snapshot', () => {
    const session = new LiveSession({ fileName: 'live:span0' });
    const frames = loadFrames('captures/field/os-then-two-boots.pcapng');
    const lines: string[] = [];
    let n = 0;
    for (const f of frames) {
      for (const data of [f.data, mirrorCopy(f.data)]) {
        session.push({ frame: ++n, time: f.time + (data === f.data ? 0 : 20e-6), linkType: f.linkType, interfaceId: 0, data, origLen: data.length });
      }
      if (n % 100 === 0) lines.push(...session.findings(f.time));
    }
    const { lines: last, analysis } = session.finish(frames.at(-1)!.time);
    lines.push(...last);
    expect(lines.filter((l) => l.includes(DUP))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('tftp.retransmit'))).toEqual([]);
    expect(analysis.packets).toBe(n);
  });
});
