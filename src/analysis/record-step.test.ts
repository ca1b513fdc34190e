/**
 * The read step is one for a file and live: the same records through `analyzeCapture` and a
 * `LiveSession` give the same capture-wide facts — a clock that jumps back (the boot recorded
 * again, appended), mirror copies, frames cut by the snap length — and the same devices.
 */
import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { PcapngWriter } from '../capture/writer.js';
import { LiveSession } from '../cli/capture-session.js';
import type { Finding } from '../findings/types.js';
import { mirrorCopy } from '../decode/duplicate-frames.test-kit.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { analyzeCapture } from './capture.js';

interface Rec { time: number; data: Uint8Array; origLen: number; linkType: number }

/** The boot twice (the second run an hour earlier on the capture clock: a jump back), every frame
 *  also as a mirror copy 20 µs later, every 7th frame cut to 96 bytes (a snap length). */
function records(): Rec[] {
  const frames = loadFrames('captures/lab/uefi-pxe-dnsmasq.pcapng');
  const out: Rec[] = [];
  for (const shift of [0, -3600]) {
    for (const f of frames) {
      const cut = out.length % 7 === 0 && f.data.length > 96;
      for (const [data, dt] of [[f.data, 0], [mirrorCopy(f.data), 20e-6]] as const) {
        out.push({ time: f.time + shift + dt, data: cut ? data.subarray(0, 96) : data, origLen: data.length, linkType: f.linkType });
      }
    }
  }
  return out;
}

function pcapng(recs: readonly Rec[]): Buffer {
  const chunks: Uint8Array[] = [];
  const w = new PcapngWriter((c) => chunks.push(c));
  const id = w.addInterface(recs[0]!.linkType, { tsresol: 9 });
  for (const r of recs) w.writePacket(id, r.time, r.data, r.origLen);
  return Buffer.concat(chunks);
}

const captureWide = (fs: readonly Finding[]): string[] => fs.filter((f) => f.code.startsWith('capture.')).map((f) => `${f.code}: ${f.message}`).sort();

describe('one read step for a file and live', () => {
  it('clock jump, mirror copies and snap-length cuts: the same capture findings, summary and devices', async () => {
    const recs = records();
    const file = await analyzeCapture({ name: 'x', stream: Readable.from([pcapng(recs)]) }, { name: 'x' });

    const liveFindings: Finding[] = [];
    const liveClients: string[] = [];
    const live = new LiveSession({ fileName: 'x', onFinished: (p) => { liveFindings.push(...p.findings); liveClients.push(...p.clients.map((c) => `${c.mac} ${c.outcome}`)); } });
    recs.forEach((r, i) => live.push({ frame: i + 1, time: r.time, linkType: r.linkType, interfaceId: 0, data: r.data, origLen: r.origLen }));
    const { analysis } = live.finish(recs.at(-1)!.time);

    const codes = captureWide(file.findings).map((l) => l.split(':')[0]);
    expect(codes).toEqual(expect.arrayContaining(['capture.clock-jump', 'capture.duplicate-frames', 'capture.snaplen']));
    expect(captureWide(liveFindings)).toEqual(captureWide(file.findings));
    expect(analysis.summary).toEqual(file.summary);
    expect(analysis.packets).toBe(file.packets);
    expect(liveClients.sort()).toEqual(file.clients.map((c) => `${c.mac} ${c.outcome}`).sort());
  });
});
