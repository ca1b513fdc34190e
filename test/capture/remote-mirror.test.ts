/**
 * A remote mirror of a boot analyzes as the boot does. The real exchange of
 * captures/lab/remote-mirror-direct.pcap (dnsmasq, udhcpc, busybox tftp, recorded on the client's
 * bridge port) is sent through every kind of mirror session the collector may get — ERSPAN I, II,
 * III (with its platform sub-header), gretap, IP in GRE, VXLAN — built with the wire emitters
 * (test/capture/remote-mirror-lab.test.ts makes them with real kernel tunnels where it can). Each
 * must give the direct capture's devices, steps, verdicts, findings and evidence frames, plus one
 * capture.remote-mirror note. And what a mirror does to frames: two sessions (both directions of two
 * ports) record each frame twice → the duplicate filter drops the copies; a mirror MTU (ERSPAN's T
 * bit) cuts frames → the same analysis as a snap-length cut at that size; a tunnel packet
 * fragmented on its way → reassembled, then taken apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../../src/analysis/capture.js';
import type { Analysis } from '../../src/analysis/types.js';
import { snapped, throughMirror, writeRecords, type MirrorKind, type MirrorOptions } from '../../src/decode/remote-mirror.test-kit.js';
import { ROOT } from '../helpers/paths.js';
import { readCaptures } from '../../src/capture/index.js';
import { DecodePipeline } from '../../src/decode/pipeline.js';
import { decodedToText } from '../../src/report/decode-text.js';
import { decodedToJson } from '../../src/report/decode-jsonl.js';

const DIRECT = readFileSync(join(ROOT, 'captures/lab/remote-mirror-direct.pcap'));
const NOTE = 'capture.remote-mirror';

function analyzeBytes(bytes: Uint8Array): Promise<Analysis> {
  return analyzeCapture({ name: 'x', stream: Readable.from([Buffer.from(bytes)]) }, { name: 'x' });
}

/** What must not differ: the clients and the findings, the remote-mirror note (and `also`) aside. */
function verdicts(a: Analysis, also: readonly string[] = []): unknown {
  const drop = new Set([NOTE, ...also]);
  return { clients: a.clients, findings: a.findings.filter((f) => !drop.has(f.code)).map(({ id: _id, ...f }) => f) };
}

function through(sessions: MirrorOptions[], delay?: number): Promise<Analysis> {
  return analyzeBytes(writeRecords(throughMirror(DIRECT, sessions, delay)));
}

describe('a remote mirror of a real boot', () => {
  const KINDS: MirrorKind[] = ['erspan1', 'erspan2', 'erspan3', 'gretap', 'vxlan'];
  for (const kind of KINDS) {
    it(`${kind}: the direct capture's analysis, frame for frame, plus ${NOTE}`, async () => {
      const [here, viaTunnel] = [await analyzeBytes(DIRECT), await through([{ kind, session: 7 }])];
      expect(here.clients.map((c) => c.booted)).toEqual([true]);
      expect(verdicts(viaTunnel)).toEqual(verdicts(here));
      const notes = viaTunnel.findings.filter((f) => f.code === NOTE);
      expect(notes).toHaveLength(1);
      expect(notes[0]!.severity).toBe('info');
      expect(notes[0]!.message).toMatch(/^The capture is of a remote mirror: 28 frame\(s\) came through .* from 203\.0\.113\.1 to 203\.0\.113\.2;/);
      expect(notes[0]!.frames).toEqual([1]);
    });
  }

  it('IP in GRE (no inner Ethernet header): the same device, steps and verdict', async () => {
    const [here, viaTunnel] = [await analyzeBytes(DIRECT), await through([{ kind: 'ip-gre' }])];
    const shape = (a: Analysis): unknown => a.clients.map((c) => ({ mac: c.mac, outcome: c.outcome, steps: c.steps.map((s) => [s.kind, s.ok, s.frames]) }));
    expect(shape(viaTunnel)).toEqual(shape(here));
    // A routed tunnel between two routers, not a mirror: worded as one.
    const notes = viaTunnel.findings.filter((f) => f.code === NOTE);
    expect(notes.map((f) => f.message)).toEqual([expect.stringMatching(/^Frames came through a routed tunnel: \d+ frame\(s\) came through the IP-in-GRE tunnel between 203\.0\.113\.1 and 203\.0\.113\.2;/)]);
  });

  it('a TFTP transfer whose server port is 4789 (VXLAN\'s) analyzes as on any other port: no tunnel, no issue', async () => {
    const SERVER_PORT = 56828; // the transfer port tftpd picked in the recorded boot
    const recs = snapped(DIRECT, 65535);
    let moved = 0;
    for (const r of recs) {
      const b = r.data;
      if (b.length < 42 || b[12] !== 0x08 || b[13] !== 0x00 || b[23] !== 17) continue;
      const udp = 14 + (b[14]! & 0x0f) * 4;
      for (const at of [udp, udp + 2]) {
        if (((b[at]! << 8) | b[at + 1]!) !== SERVER_PORT) continue;
        b[at] = 4789 >> 8;
        b[at + 1] = 4789 & 0xff;
        b[udp + 6] = b[udp + 7] = 0; // no UDP checksum (IPv4 allows it)
        moved++;
      }
    }
    expect(moved).toBeGreaterThan(10);
    const [here, on4789] = [await analyzeBytes(DIRECT), await analyzeBytes(writeRecords(recs))];
    const portless = (a: Analysis): string => JSON.stringify(verdicts(a)).replaceAll(String(SERVER_PORT), '4789');
    expect(here.clients.map((c) => c.booted)).toEqual([true]);
    expect(portless(on4789)).toBe(portless(here));
    expect(on4789.findings.map((f) => f.code)).toEqual(here.findings.map((f) => f.code));
  });

  it('two sessions mirroring both directions of two ports: every frame twice, the copies dropped', async () => {
    const here = await analyzeBytes(DIRECT);
    const twice = await through([{ kind: 'erspan2', session: 1 }, { kind: 'erspan2', session: 2, src: '203.0.113.3' }]);
    expect(twice.packets).toBe(2 * here.packets);
    // Frame numbers double (copies interleave): compare without them.
    const noFrames = (a: Analysis): unknown => JSON.parse(JSON.stringify(verdicts(a, ['capture.duplicate-frames']), (k, v: unknown) =>
      (k === 'frames' || k === 'frame' ? undefined : k === 'message' && typeof v === 'string' ? v.replace(/\(frames? [\d, ]+\)/g, '') : v)));
    expect(noFrames(twice)).toEqual(noFrames(here));
    const codes = twice.findings.map((f) => f.code);
    expect(codes).toContain('capture.duplicate-frames');
    expect(codes.filter((c) => c === NOTE)).toHaveLength(1);
    expect(twice.findings.find((f) => f.code === NOTE)!.message).toMatch(/session 1 from 203\.0\.113\.1 .*session 2 from 203\.0\.113\.3/);
  });

  it('a mirror MTU (ERSPAN T bit) cuts frames as a snap length does: the same verdicts, capture.snaplen from the inner IP lengths', async () => {
    const MTU = 200;
    const [cut, snap] = [await through([{ kind: 'erspan3', mirrorMtu: MTU }]), await analyzeBytes(writeRecords(snapped(DIRECT, MTU)))];
    // The same verdicts; capture.snaplen names what cut (the switch here, the snap length there).
    expect(verdicts(cut, ['capture.snaplen'])).toEqual(verdicts(snap, ['capture.snaplen']));
    const f = cut.findings.find((x) => x.code === 'capture.snaplen');
    expect(f?.message).toContain(`cut to ${MTU} bytes by the mirroring switch`);
    expect(snap.findings.find((x) => x.code === 'capture.snaplen')?.frames).toEqual(f?.frames);
    expect(cut.findings.map((x) => x.code)).not.toContain('decode.malformed');
  });

  it('a tunnel packet fragmented on the way to the collector is reassembled, then taken apart', async () => {
    const [here, viaTunnel] = [await analyzeBytes(DIRECT), await through([{ kind: 'gretap', fragmentAt: 256 }])];
    expect(viaTunnel.packets).toBeGreaterThan(here.packets);
    const noFrames = (a: Analysis): unknown => a.clients.map((c) => ({ mac: c.mac, outcome: c.outcome, booted: c.booted, steps: c.steps.map((s) => [s.kind, s.ok]) }));
    expect(noFrames(viaTunnel)).toEqual(noFrames(here));
    expect(viaTunnel.findings.filter((f) => f.code !== NOTE && f.severity !== 'info').map((f) => f.code).sort())
      .toEqual(here.findings.filter((f) => f.severity !== 'info').map((f) => f.code).sort());
  });

  it('decode marks each message of the real VXLAN capture with its tunnel, in text and JSON', async () => {
    const text: string[] = [];
    const json: { proto: string; src: string; tunnel?: unknown }[] = [];
    const pipe = new DecodePipeline({
      message(m) {
        text.push(decodedToText(m)?.[0] ?? '');
        json.push(decodedToJson(m) as { proto: string; src: string; tunnel?: unknown });
      },
    });
    await readCaptures(join(ROOT, 'captures/lab/remote-mirror-vxlan.pcap'), (r) => pipe.push(r));
    const dhcp = json.filter((j) => j.proto === 'dhcp4');
    expect(dhcp.length).toBeGreaterThanOrEqual(6);
    for (const j of dhcp) expect(j.tunnel).toEqual({ kind: 'vxlan', src: '203.0.113.1', dst: '203.0.113.5', id: 42 });
    expect(text.filter((l) => l.includes('DHCPv4')).every((l) => l.endsWith('[vxlan VNI 42 from 203.0.113.1]'))).toBe(true);
    // The collector's own ICMP errors are its traffic, not tunnelled.
    expect(json.filter((j) => j.proto === 'icmp').every((j) => j.tunnel === undefined && j.src.startsWith('203.0.113.5'))).toBe(true);
  });
});
