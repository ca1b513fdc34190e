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

/** The capture with each frame cut to what `snapOf` gives it (undefined: whole), original length kept. */
async function analyzeCut(name: string, snapOf: (data: Uint8Array) => number | undefined): Promise<Analysis> {
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c.slice()), LinkType.ETHERNET);
  for (const f of loadFrames(IPXE)) {
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
      expect(s.ok, s.url).toBe(false); // nothing shows the body arrived
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
});
