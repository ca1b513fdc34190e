/**
 * What real collectors get from real switches, beyond one clean session (test/capture/remote-mirror.test.ts):
 * the ERSPAN header's VLAN of the original frame, copies of a fragmented tunnel packet from two
 * sessions, more sessions than the note names, and frames cut by the switch or by the collector. The real boot of
 * captures/lab/remote-mirror-direct.pcap is wrapped with the wire emitters.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../src/analysis/capture.js';
import type { Analysis } from '../../src/analysis/types.js';
import { readCaptureBuffer } from '../../src/capture/index.js';
import { DecodePipeline } from '../../src/decode/pipeline.js';
import { snapped, tagged, throughMirror, writeRecords, type MirrorOptions } from '../../src/decode/remote-mirror.test-kit.js';
import { ROOT } from '../helpers/paths.js';

const DIRECT = readFileSync(join(ROOT, 'captures/lab/remote-mirror-direct.pcap'));

function analyzeBytes(bytes: Uint8Array): Promise<Analysis> {
  return analyzeCapture({ name: 'x', stream: Readable.from([Buffer.from(bytes)]) }, { name: 'x' });
}

/** The VLAN list of every decoded message, in order. */
function vlansOf(bytes: Uint8Array): string[] {
  const out: string[] = [];
  const pipe = new DecodePipeline({ message: (m) => void out.push(`${m.proto} ${m.vlans.join('.')}`) }, { dropDuplicates: true });
  readCaptureBuffer(bytes, (r) => pipe.push(r));
  pipe.finish();
  return out;
}

/** Devices, steps and findings without frame numbers (copies and fragments renumber them). */
function shape(a: Analysis): unknown {
  return {
    clients: a.clients.map((c) => ({ mac: c.mac, outcome: c.outcome, booted: c.booted, steps: c.steps.map((s) => [s.kind, s.ok, s.kind === 'tftp' ? [s.retransmits, s.bytes, s.blocks] : s.kind === 'dhcp4' ? s.messages : null]) })),
    findings: a.findings.filter((f) => !f.code.startsWith('capture.')).map((f) => [f.code, f.severity]),
  };
}

describe('ERSPAN carries the original frame\'s VLAN', () => {
  const trunk = vlansOf(writeRecords(tagged(DIRECT, 42)));
  it('type II (tag not kept in the frame) and III: the VLAN joins the list as the 802.1Q tag would', () => {
    expect(trunk.length).toBeGreaterThan(10);
    expect(trunk.every((v) => v.endsWith(' 42'))).toBe(true);
    for (const o of [{ kind: 'erspan2', vlan: 42 }, { kind: 'erspan2', vlan: 42, encap: 2 }, { kind: 'erspan3', vlan: 42 }] as MirrorOptions[]) {
      expect(vlansOf(writeRecords(throughMirror(DIRECT, [o]))), JSON.stringify(o)).toEqual(trunk);
    }
  });

  it('a tag kept in the frame (type II En 3, or the same id inside) is not counted twice; VLAN 0 adds nothing', () => {
    const trunkCapture = writeRecords(tagged(DIRECT, 42));
    expect(vlansOf(writeRecords(throughMirror(trunkCapture, [{ kind: 'erspan2', vlan: 42, encap: 3 }])))).toEqual(trunk);
    expect(vlansOf(writeRecords(throughMirror(trunkCapture, [{ kind: 'erspan3', vlan: 42 }])))).toEqual(trunk);
    expect(vlansOf(writeRecords(throughMirror(DIRECT, [{ kind: 'erspan2', vlan: 0 }])))).toEqual(vlansOf(DIRECT));
  });
});

describe('copies from two sessions', () => {
  it('a tunnel packet fragmented on the way, mirrored by two sessions: the copy is dropped once reassembled', async () => {
    const one = await analyzeBytes(writeRecords(throughMirror(DIRECT, [{ kind: 'gretap', session: 1, fragmentAt: 256 }])));
    const two = await analyzeBytes(writeRecords(throughMirror(DIRECT, [
      { kind: 'gretap', session: 1, fragmentAt: 256 }, { kind: 'gretap', session: 2, src: '203.0.113.3', fragmentAt: 256 },
    ])));
    expect(one.clients.map((c) => c.booted)).toEqual([true]);
    expect(shape(two)).toEqual(shape(one));
    expect(two.findings.map((f) => f.code)).toContain('capture.duplicate-frames');
  });
});

describe('more sessions than the note names', () => {
  it('20 sessions: 16 named and "and 4 more", with their frames', async () => {
    const sessions: MirrorOptions[] = Array.from({ length: 20 }, (_, i) => ({ kind: 'erspan2', session: i + 1, src: `203.0.113.${i + 10}` }));
    const a = await analyzeBytes(writeRecords(throughMirror(DIRECT, sessions)));
    const note = a.findings.find((f) => f.code === 'capture.remote-mirror')!;
    expect(note.message.match(/came through ERSPAN type II/g)).toHaveLength(16);
    const more = /and 4 more session\(s\) with (\d+) frame\(s\)/.exec(note.message);
    expect(more).not.toBeNull();
    expect(Number(more![1])).toBe(4 * a.packets / 20);
  });
});

describe('capture.snaplen says what cut a mirrored frame', () => {
  const snaplen = (a: Analysis): string => a.findings.find((f) => f.code === 'capture.snaplen')?.message ?? '';

  it('the switch (a session MTU, ERSPAN\'s truncated bit): the mirrored frame\'s length, and the session to fix', async () => {
    const m = snaplen(await analyzeBytes(writeRecords(throughMirror(DIRECT, [{ kind: 'erspan3', mirrorMtu: 200 }]))));
    expect(m).toContain('cut to 200 bytes by the mirroring switch');
    expect(m).toContain('MTU');
    expect(m).not.toContain('tcpdump');
  });

  it('the collector\'s snap length: the mirrored frame\'s length, less the tunnel headers it counted', async () => {
    // ERSPAN II: outer Ethernet 14 + IPv4 20 + GRE with sequence 8 + ERSPAN 8 = 50 bytes in front.
    const m = snaplen(await analyzeBytes(writeRecords(snapped(writeRecords(throughMirror(DIRECT, [{ kind: 'erspan2' }])), 250))));
    expect(m).toContain('cut to 200 bytes by the collector\'s snap length');
    expect(m).toContain('50 bytes of tunnel headers');
    expect(m).toContain('tcpdump -s 0');
    expect(m).not.toContain('mirroring switch');
  });

  it('a collector capture cut by its snap length: its own frames (ICMP for the tunnel) are the same cause, the length shown the mirrored frames\'', async () => {
    // VXLAN: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 = 50 bytes in front of each mirrored frame.
    const m = snaplen(await analyzeBytes(writeRecords(snapped(readFileSync(join(ROOT, 'captures/lab/remote-mirror-vxlan.pcap')), 200))));
    expect(m).toContain('cut to 150 bytes by the collector\'s snap length');
    expect(m).toContain('of them its own traffic');
    expect(m).not.toContain('the capture\'s snap length');
  });

  it('no tunnel: the capture\'s snap length, as before', async () => {
    const m = snaplen(await analyzeBytes(writeRecords(snapped(DIRECT, 200))));
    expect(m).toContain('cut to 200 bytes by the capture\'s snap length');
    expect(m).toContain('tcpdump -s 0');
  });
});
