/**
 * HTTP responses whose head the capture's snap length cut are responses (cut), never "no
 * response" or a failure: the real iPXE fetches of lab/bios-ipxe-dnsmasq (three GETs on one
 * keep-alive connection) cut as `editcap -s` does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAPTURES } from '../../test/helpers/paths.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { PcapWriter } from '../capture/writer.js';
import { analyzeCapture } from '../analysis/capture.js';
import type { Analysis } from '../analysis/types.js';
import { renderAnalysisText } from '../report/analyze-text.js';
import { renderAnalysisJson } from '../report/analyze-json.js';
import { analyzeJsonSchema } from '../report/analyze-schema.js';
import { LinkType } from '../wire/link-type.js';
import { u16 } from '../wire/bytes.js';
import type { HttpStep } from './types.js';

/** GET /boot.ipxe, /vmlinuz, /initrd.img on one connection; each response begins a segment of
 *  its own (Ethernet + IPv4 + TCP with timestamps: 66 header bytes; the first head is 239 bytes). */
const IPXE = join(CAPTURES, 'lab', 'bios-ipxe-dnsmasq.pcap');
const HEADERS = 66;
const tmp = mkdtempSync(join(tmpdir(), 'pxecheck-http-cut-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The capture with each frame cut to what `snapOf` gives it (undefined: whole), original length
 *  kept; `order` reorders the frames (by 0-based index) as a capture of a reordering path would. */
async function analyzeCut(name: string, snapOf: (data: Uint8Array) => number | undefined, order?: (frames: ReturnType<typeof loadFrames>) => ReturnType<typeof loadFrames>): Promise<Analysis> {
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c.slice()), LinkType.ETHERNET);
  const all = loadFrames(IPXE);
  for (const f of order ? order(all) : all) {
    const snap = snapOf(f.data);
    w.writePacket(f.time, snap === undefined ? f.data : f.data.subarray(0, snap), f.data.length);
  }
  const out = join(tmp, `${name}.pcap`);
  writeFileSync(out, Buffer.concat(chunks));
  return analyzeCapture(out);
}

const httpSteps = (a: Analysis): HttpStep[] => a.clients.flatMap((c) => c.steps.flatMap((s) => (s.kind === 'http' ? [s] : [])));
/** The timeline rows of HTTP steps. */
const httpRows = (a: Analysis): string[] => renderAnalysisText(a).filter((l) => /│ (#\d+ )?http /.test(l));

function validJson(a: Analysis): void {
  expect(analyzeJsonSchema.safeParse(JSON.parse(renderAnalysisJson(a))).success).toBe(true);
}

describe('HTTP responses cut by the snap length (real capture)', () => {
  it('whole: three responses 200, complete, none marked cut', async () => {
    const steps = httpSteps(await analyzeCut('whole', () => undefined));
    expect(steps.map((s) => [s.status, s.complete, s.cut])).toEqual([[200, true, undefined], [200, true, undefined], [200, true, undefined]]);
  });

  it.each([190, 200])('snap %i: every response of the keep-alive connection is a response 200 (cut) — no "no response", no FAIL', async (snap) => {
    const a = await analyzeCut(`snap-${snap}`, () => snap);
    const steps = httpSteps(a);
    expect(steps.map((s) => s.url.replace(/.*\//, ''))).toEqual(['boot.ipxe', 'vmlinuz', 'initrd.img']);
    for (const s of steps) {
      expect(s.status, s.url).toBe(200);
      expect(s.cut, s.url).toBe(true);
      // The script and the kernel: the next response starts where the sequence space says each
      // ended, and the client acknowledged up to there. The initrd: its client never ACKs it.
      expect(s.ok, s.url).toBe(!s.url.endsWith('initrd.img'));
      expect(s.ttfb, s.url).toBeGreaterThanOrEqual(0); // the head's own frame, not an earlier one
      expect(s.frames.every((f) => f > 0)).toBe(true);
    }
    const rows = httpRows(a);
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r).not.toMatch(/no response|FAIL/);
      expect(r).toMatch(/200 \(cut\)/);
    }
    expect(a.clients[0]!.outcome).not.toBe('failed');
    validJson(a);
  });

  it('snap 96: request lines captured past the URI keep their whole URL (no cut mark)', async () => {
    const a = await analyzeCut('snap-96', () => 96);
    expect(httpSteps(a).map((s) => s.url)).toEqual(['boot.ipxe', 'vmlinuz', 'initrd.img'].map((f) => `http://198.51.100.1/${f}`));
  });

  it('status lines cut before the code (server frames cut 10 bytes into the payload): "response (cut)", status null', async () => {
    const a = await analyzeCut('status-cut', (d) => (u16(d, 34) === 80 && d.length > HEADERS ? HEADERS + 10 : undefined));
    const steps = httpSteps(a);
    expect(steps).toHaveLength(3);
    for (const s of steps) expect([s.status, s.cut]).toEqual([null, true]);
    const rows = httpRows(a);
    for (const r of rows) {
      expect(r).toMatch(/response \(cut\)/);
      expect(r).not.toMatch(/no response|FAIL/);
    }
    validJson(a);
  });

  it('a server that closed (FIN) inside a head captured whole is no response, not a cut one', async () => {
    // The capture up to the first server data frame, that frame holding the first 30 payload bytes
    // with IP saying so (nothing cut), then the server's FIN right after them.
    const frames = loadFrames(IPXE);
    const tcpHeader = (d: Uint8Array) => 34 + (d[46]! >> 4) * 4;
    const at = frames.findIndex((f) => u16(f.data, 12) === 0x0800 && f.data[23] === 6 && u16(f.data, 34) === 80 && f.data.length > tcpHeader(f.data) + 10);
    const chunks: Uint8Array[] = [];
    const w = new PcapWriter((c) => chunks.push(c.slice()), LinkType.ETHERNET);
    for (const f of frames.slice(0, at)) w.writePacket(f.time, f.data, f.data.length);
    const src = frames[at]!;
    const hl = tcpHeader(src.data);
    const KEEP = 30;
    const setU16 = (d: Uint8Array, o: number, v: number) => { d[o] = (v >> 8) & 255; d[o + 1] = v & 255; };
    const ipChecksum = (d: Uint8Array) => {
      setU16(d, 24, 0);
      let sum = 0;
      for (let i = 14; i < 34; i += 2) sum += u16(d, i);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
      setU16(d, 24, ~sum & 0xffff);
    };
    const part = src.data.slice(0, hl + KEEP);
    setU16(part, 16, part.length - 14);
    ipChecksum(part);
    w.writePacket(src.time, part, part.length);
    const fin = part.slice(0, hl);
    const seq = ((u16(fin, 38) << 16) >>> 0) + u16(fin, 40) + KEEP;
    setU16(fin, 38, (seq >>> 16) & 0xffff);
    setU16(fin, 40, seq & 0xffff);
    fin[47] = 0x11; // FIN, ACK
    setU16(fin, 16, hl - 14);
    ipChecksum(fin);
    w.writePacket(src.time + 0.01, fin, fin.length);
    const out = join(tmp, 'fin-in-head.pcap');
    writeFileSync(out, Buffer.concat(chunks));
    const a = await analyzeCapture(out);
    const steps = httpSteps(a);
    expect(steps.length).toBeGreaterThan(0);
    expect(steps[0]!.cut).toBeUndefined();
    expect(steps[0]!.status).toBeNull();
    expect(steps[0]!.ok).toBe(false);
    for (const r of httpRows(a)) expect(r).not.toMatch(/\(cut\)/);
  });
});

/** A server (port 80) frame carrying TCP payload. */
const payloadLength = (d: Uint8Array): number => u16(d, 16) + 14 - (34 + (d[46]! >> 4) * 4);
const fromServer = (d: Uint8Array): boolean => u16(d, 34) === 80 && payloadLength(d) > 0;
const fromClient = (d: Uint8Array): boolean => u16(d, 36) === 80 && payloadLength(d) > 0;
const summary = (a: Analysis) => httpSteps(a).map((s) => ({ url: s.url, status: s.status, bytes: s.bytes, ok: s.ok, complete: s.complete, cut: s.cut }));

describe('HTTP bodies and requests cut by the snap length (real capture)', () => {
  it('snap 600: heads whole, every body segment cut: the bytes the sequence space shows were sent, ok — not "FAIL 200, 0 bytes"', async () => {
    const whole = summary(await analyzeCut('whole-b', () => undefined));
    expect(whole.map((s) => s.bytes)).toEqual([322, 4096, 8192]);
    const a = await analyzeCut('snap-600', () => 600);
    expect(summary(a)).toEqual(whole);
    for (const r of httpRows(a)) expect(r).not.toMatch(/FAIL|incomplete/);
    expect(a.clients[0]!.outcome).not.toBe('failed');
    expect(a.findings.filter((f) => f.severity !== 'info').map((f) => f.code).sort()).toEqual(['capture.snaplen', 'dhcp.slow-offer']);
  });

  it('snap 600, a cut body segment held out of order and delivered later: its cut bytes count too', async () => {
    // The initrd's second body segment (frame 37) captured before the first (frame 36, with the head).
    const swapped = (fs: ReturnType<typeof loadFrames>) => {
      const out = fs.slice();
      const i = out.findIndex((f) => f.frame === 36);
      [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
      return out;
    };
    const a = await analyzeCut('snap-600-held', () => 600, swapped);
    expect(summary(a).map((s) => [s.bytes, s.ok, s.complete])).toEqual([[322, true, true], [4096, true, true], [8192, true, true]]);
  });

  it('snap 66 (no TCP payload left) gives no HTTP step and claims nothing; snap 70 ("GET " and "HTTP"): three responses (cut), none "no response"', async () => {
    const none = await analyzeCut('snap-66', () => 66);
    expect(httpSteps(none)).toEqual([]);
    expect(none.findings.filter((f) => f.severity !== 'info').map((f) => f.code)).toEqual(['capture.snaplen']);
    const a = await analyzeCut('snap-70', () => 70);
    const steps = httpSteps(a);
    expect(steps).toHaveLength(3);
    for (const s of steps) expect([s.method, s.status, s.cut, s.ok]).toEqual(['GET', null, true, false]);
    // Nothing of the URI left after "GET ": the cut may have run into it.
    for (const s of steps) expect(s.url.endsWith('…')).toBe(true);
    for (const r of httpRows(a)) expect(r).not.toMatch(/no response|FAIL/);
    expect(a.findings.filter((f) => f.severity !== 'info').map((f) => f.code)).toEqual(['capture.snaplen']);
    validJson(a);
  });

  it('requests cut before their method ends (2 bytes left), answers whole: steps of an unknown request, answered 200 with their bytes', async () => {
    const a = await analyzeCut('client-cut-2', (d) => (fromClient(d) ? HEADERS + 2 : undefined));
    const steps = httpSteps(a);
    expect(steps.map((s) => [s.method, s.url, s.status, s.bytes, s.ok])).toEqual([
      ['GE…', 'http://198.51.100.1/…', 200, 322, true],
      ['GE…', 'http://198.51.100.1/…', 200, 4096, true],
      ['GE…', 'http://198.51.100.1/…', 200, 8192, true],
    ]);
    validJson(a);
  });

  it('requests cut to 0 bytes (the snap length leaves no TCP payload), answers whole: every keep-alive fetch is a step, at its request\'s time', async () => {
    const whole = httpSteps(await analyzeCut('whole-c0', () => undefined));
    const a = await analyzeCut('client-cut-0', (d) => (fromClient(d) ? HEADERS : undefined));
    const steps = httpSteps(a);
    expect(steps.map((s) => [s.method, s.status, s.bytes, s.ok])).toEqual([['…', 200, 322, true], ['…', 200, 4096, true], ['…', 200, 8192, true]]);
    expect(steps.map((s) => s.start)).toEqual(whole.map((s) => s.start));
    validJson(a);
  });

  it('a body the server reset midway (whole capture): FAIL with the body bytes seen, not 0', async () => {
    // Frames up to the 40th (the initrd's fifth segment), then the server's RST right after it.
    const a = await analyzeCut('rst-40', () => undefined, (all) => {
      const last = all[39]!.data;
      const rst = last.slice(0, HEADERS);
      const seq = (new DataView(last.buffer, last.byteOffset).getUint32(38) + payloadLength(last)) >>> 0;
      const v = new DataView(rst.buffer);
      v.setUint16(16, HEADERS - 14); // IPv4 total length: headers only
      v.setUint32(38, seq);
      rst[47] = 0x14; // RST|ACK
      v.setUint16(24, 0);
      let sum = 0;
      for (let i = 14; i < 34; i += 2) sum += v.getUint16(i);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      v.setUint16(24, ~sum & 0xffff);
      return [...all.slice(0, 40), { ...all[39]!, time: all[39]!.time + 0.001, data: rst }];
    });
    const initrd = summary(a).find((s) => s.url.endsWith('/initrd.img'))!;
    expect([initrd.status, initrd.ok, initrd.complete]).toEqual([200, false, false]);
    // Five segments of 1448 bytes less the 255-byte head.
    expect(initrd.bytes).toBe(5 * 1448 - 255);
  });

  it('the first answer cut to "HTTP" (its code gone) on a keep-alive connection: the next answers pair with their own requests', async () => {
    let first = true;
    const a = await analyzeCut('first-answer-cut', (d) => {
      if (!fromServer(d) || !first) return undefined;
      first = false;
      return HEADERS + 4;
    });
    expect(summary(a).map((s) => [s.url.replace(/.*\//, ''), s.status, s.bytes, s.ok, s.cut])).toEqual([
      ['boot.ipxe', null, 0, false, true],
      ['vmlinuz', 200, 4096, true, undefined],
      ['initrd.img', 200, 8192, true, undefined],
    ]);
  });
});
