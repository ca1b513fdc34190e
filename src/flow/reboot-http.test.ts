/**
 * A machine power-cycled while its HTTP connection was still open to the server: its next boot's
 * HTTP reuses the 4-tuple (iPXE draws the same port, often the same ISN) within the 120 s idle
 * timeout, and an idle connection must end where it went quiet. Built from real lab captures
 * spliced after themselves (test/helpers/splice.ts), tshark as the oracle for stream boundaries.
 */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { analyzeCapture } from '../analysis/capture.js';
import type { Analysis, ClientReport } from '../analysis/types.js';
import type { BootStep } from './types.js';
import { readCaptureBuffer } from '../capture/index.js';
import { DecodePipeline } from '../decode/pipeline.js';
import { ethernetPcap, resetAnswering, spliceAfterItself, withLateCopies } from '../../test/helpers/splice.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { TcpFlag } from '../wire/tcp.js';
import { PcapWriter } from '../capture/writer.js';
import { LinkType } from '../wire/link-type.js';
import { hasTshark, tsharkFields } from '../../test/helpers/tshark.js';

const IPXE_HTTP = 'captures/lab/bios-ipxe-dnsmasq.pcap'; // iPXE: boot.ipxe, kernel, initrd on one connection left open
const BLACKHOLE = 'captures/lab/mtu-http-blackhole.pcapng'; // a body that never completes; the server's FIN, no client FIN
/** A re-seeded machine's other ISNs (both directions of the copy shifted alike): behind the old
 *  stream's, so fed into it the new bytes would pass for retransmissions. */
const OTHER_ISN = 0xf0000000;

function analyzeBytes(bytes: Uint8Array): Promise<Analysis> {
  return analyzeCapture({ name: 'spliced.pcap', stream: Readable.from([Buffer.from(bytes)]) });
}

function bootClient(a: Analysis): ClientReport {
  const boot = a.clients.filter((c) => c.role === 'boot');
  expect(boot).toHaveLength(1);
  return boot[0]!;
}

type HttpStep = Extract<BootStep, { kind: 'http' }>;
const httpSteps = (c: ClientReport, attempt: number): HttpStep[] =>
  c.attempts[attempt]!.steps.filter((s): s is HttpStep => s.kind === 'http');

describe('a rebooted machine reusing its HTTP connection\'s ports within the idle timeout', () => {
  for (const [name, isnShift] of [['the same ISNs', 0], ['other ISNs', OTHER_ISN]] as const) {
    it(`iPXE booted again 30 s later (${name}): the second boot fetches its own script, kernel and initrd`, async () => {
      const s = spliceAfterItself(IPXE_HTTP, 30, { isnShift });
      const c = bootClient(await analyzeBytes(s.bytes));
      expect(c.attempts.map((x) => x.outcome)).toEqual(['booted', 'booted']);
      const first = httpSteps(c, 0);
      const second = httpSteps(c, 1);
      expect(second.map((x) => x.url)).toEqual(first.map((x) => x.url));
      expect(first.length).toBeGreaterThanOrEqual(3);
      expect(second.every((x) => x.ok && x.complete && x.start > s.last)).toBe(true);
      // Nothing of the first boot's connection runs into the second boot.
      expect(first.every((x) => x.start + x.duration <= s.last)).toBe(true);
    });
  }

  it('a body cut by a path-MTU black hole, the machine booted again 30 s later: both boots have their HTTP step and its cause', async () => {
    const s = spliceAfterItself(BLACKHOLE, 30);
    const a = await analyzeBytes(s.bytes);
    const c = bootClient(a);
    expect(c.attempts).toHaveLength(2);
    for (const i of [0, 1]) {
      expect(c.attempts[i]!.rootCause).toBe('net.pmtu-blackhole');
      const h = httpSteps(c, i);
      expect(h).toHaveLength(1);
      expect(h[0]!.status).toBe(200);
      expect(h[0]!.complete).toBe(false);
    }
    // The first boot's HTTP step ends with its connection's last packet, inside the first boot.
    const h0 = httpSteps(c, 0)[0]!;
    expect(h0.start + h0.duration).toBeLessThanOrEqual(s.last);
    expect(c.attempts[0]!.end).toBeLessThanOrEqual(s.last);
  });
});

describe('an idle connection closes at its last packet', () => {
  it('a body cut short, the next boot 130 s later (past the idle timeout): the first HTTP step does not stretch into it', async () => {
    const s = spliceAfterItself(BLACKHOLE, 130);
    const a = await analyzeBytes(s.bytes);
    const c = bootClient(a);
    expect(c.attempts).toHaveLength(2);
    const h0 = httpSteps(c, 0)[0]!;
    expect(h0.start + h0.duration).toBeLessThanOrEqual(s.last);
    expect(c.attempts[0]!.end).toBeLessThanOrEqual(s.last);
    // The "closed inside a body" evidence of the first boot is a frame of the first boot.
    const closed = a.findings.filter((f) => f.code === 'decode.malformed' && f.client === c.mac);
    expect(closed.length).toBeGreaterThan(0);
    const frames = closed.flatMap((f) => f.frames);
    expect(frames.filter((f) => f <= s.frames)).not.toEqual([]);
    expect(frames.every((f) => f <= s.frames || f > s.frames + 1)).toBe(true); // never the copy's first frame
  });
});

/** The TCP connection of each HTTP request frame, as the decoder numbers them. */
function requestConnections(bytes: Uint8Array): Map<number, number> {
  const out = new Map<number, number>();
  const pipe = new DecodePipeline({ message: (m) => { if (m.proto === 'http' && m.kind === 'request') out.set(m.frame, m.connection); } });
  readCaptureBuffer(bytes, (r) => pipe.push(r));
  pipe.finish();
  return out;
}

describe('TCP stream boundaries of a reboot on the same ports agree with tshark', () => {
  // tshark splits a 4-tuple's streams on a SYN with another ISN; with the same ISN it keeps one
  // stream (its own limit: a re-seeded iPXE), so the oracle runs on the other-ISN splices only.
  for (const [file, gap] of [[IPXE_HTTP, 30], [BLACKHOLE, 30], [BLACKHOLE, 130]] as const) {
    it.skipIf(!hasTshark())(`${file}, again ${gap} s later with other ISNs`, () => {
      const s = spliceAfterItself(file, gap, { isnShift: OTHER_ISN });
      const dir = mkdtempSync(join(tmpdir(), 'pxecheck-reboot-http-'));
      try {
        const path = join(dir, 'spliced.pcap');
        writeFileSync(path, s.bytes);
        const theirs = new Map(tsharkFields(path, ['frame.number', 'tcp.stream'], { filter: 'http.request' }).map(([f, st]) => [Number(f), Number(st)]));
        const ours = requestConnections(s.bytes);
        expect([...ours.keys()].sort((x, y) => x - y)).toEqual([...theirs.keys()].sort((x, y) => x - y));
        // The same partition of the requests into connections.
        const pairs = new Set([...ours].map(([f, conn]) => `${conn}/${theirs.get(f)}`));
        expect(pairs.size).toBe(new Set(ours.values()).size);
        expect(pairs.size).toBe(new Set(theirs.values()).size);
        expect(pairs.size).toBe(2);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

/** 0-based index of the capture's first client SYN (no ACK) of an untagged Ethernet/IPv4 frame. */
function firstSynIndex(file: string): number {
  const i = loadFrames(file).findIndex((f) => f.data.length >= 54 && f.data[12] === 0x08 && f.data[13] === 0x00 && f.data[23] === 6
    && (f.data[14 + (f.data[14]! & 0x0f) * 4 + 13]! & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN);
  expect(i).toBeGreaterThanOrEqual(0);
  return i;
}

describe('late copies of frames (two mirror sessions, merged taps, ERSPAN, -i any) are no reboot', () => {
  const cases: [string, () => Uint8Array][] = [
    ['a copy of the HTTP SYN 2 ms later', () => { const syn = firstSynIndex(IPXE_HTTP); return withLateCopies(IPXE_HTTP, 0.002, (i) => i === syn); }],
    ['a copy of every frame 5 ms later', () => withLateCopies(IPXE_HTTP, 0.005, () => true)],
  ];
  for (const [name, build] of cases) {
    it(`${IPXE_HTTP} with ${name}: booted, its HTTP steps as without the copies`, async () => {
      const base = bootClient(await analyzeCapture({ name: 'base.pcap', stream: Readable.from([Buffer.from(withLateCopies(IPXE_HTTP, 0, () => false))]) }));
      const c = bootClient(await analyzeBytes(build()));
      expect(base.attempts.map((x) => x.outcome)).toEqual(['booted']);
      expect(c.attempts.map((x) => x.outcome)).toEqual(['booted']);
      expect(c.attempts[0]!.rootCause).toBe(base.attempts[0]!.rootCause);
      const steps = httpSteps(c, 0);
      expect(steps.map((x) => [x.url, x.status, x.ok, x.complete])).toEqual(httpSteps(base, 0).map((x) => [x.url, x.status, x.ok, x.complete]));
      expect(steps.length).toBeGreaterThanOrEqual(3);
    });
  }
});

describe('an HTTP step ends with the last bytes its connection delivered', () => {
  it('a body cut by a black hole, the capture ending on the server\'s retransmissions (no FIN): the step ends at its last new segment', async () => {
    const frames = loadFrames(BLACKHOLE);
    // Up to the server's last retransmission (tshark: frames 23-28 retransmit, 30 is its FIN).
    const kept = frames.slice(0, 28);
    const chunks: Uint8Array[] = [];
    const w = new PcapWriter((c) => chunks.push(c), LinkType.ETHERNET, { snaplen: 262144 });
    for (const f of kept) w.writePacket(f.time, f.data);
    const c = bootClient(await analyzeBytes(Buffer.concat(chunks)));
    const h = httpSteps(c, 0);
    expect(h).toHaveLength(1);
    expect(h[0]!.complete).toBe(false);
    // Frame 22 delivered the last new bytes; the retransmissions run 6.5 s past it.
    expect(h[0]!.start + h[0]!.duration).toBeLessThan(frames[21]!.time + 0.1);
  });
});

describe('a RST ends an HTTP step where it belongs', () => {
  // The black hole's body, up to the server's last retransmission before the client's FIN (frames
  // 1-28: the last new bytes in frame 22, retransmissions to 6.8 s); the machine is then reset.
  const frames = loadFrames(BLACKHOLE);
  const firstBoot = frames.slice(0, 28);
  const lastProgress = frames[21]!.time;
  const retransmission = frames[27]!;

  it('the rebooted client\'s RST to the server\'s retransmission, inside its next boot, ends the first boot\'s step at its last new bytes', async () => {
    // The next boot 40 s on (the same MAC, address and port); 0.2 s into it (address bound, before
    // its SYN) the server's next retransmission reaches it and it answers with a RST.
    const shift = firstBoot.at(-1)!.time - frames[0]!.time + 40;
    const again = frames.map((f) => ({ time: f.time + shift, data: f.data }));
    const rstAt = frames[0]!.time + shift + 0.2;
    const bytes = ethernetPcap([
      ...firstBoot, ...again,
      { time: rstAt, data: retransmission.data },
      { time: rstAt + 0.0003, data: resetAnswering(retransmission.data) },
    ]);
    const c = bootClient(await analyzeBytes(bytes));
    expect(c.attempts).toHaveLength(2);
    expect(c.attempts.map((x) => x.rootCause)).toEqual(['net.pmtu-blackhole', 'net.pmtu-blackhole']);
    const h0 = httpSteps(c, 0);
    expect(h0).toHaveLength(1);
    expect(h0[0]!.complete).toBe(false);
    // Not stretched to the RST, 40 s on inside the next boot.
    expect(h0[0]!.start + h0[0]!.duration).toBeLessThan(lastProgress + 0.1);
    expect(c.attempts[0]!.end).toBeLessThanOrEqual(firstBoot.at(-1)!.time);
    expect(httpSteps(c, 1)[0]!.start).toBeGreaterThan(rstAt);
  });

  it('a client aborting right after its last bytes: the step ends at its RST', async () => {
    // The client resets the download 5 ms after the server's last new segment (frame 22).
    const abortAt = lastProgress + 0.005;
    const bytes = ethernetPcap([...frames.slice(0, 22), { time: abortAt, data: resetAnswering(frames[21]!.data) }]);
    const c = bootClient(await analyzeBytes(bytes));
    const h = httpSteps(c, 0);
    expect(h).toHaveLength(1);
    expect(h[0]!.complete).toBe(false);
    expect(h[0]!.start + h[0]!.duration).toBeCloseTo(abortAt, 3);
  });

  // The black hole's stall (frames 1-29, the client's FIN left out) ended 70 s in by the client
  // (a receive timeout) or a firewall, then the device's next boot entry 3 s later: the UEFI PXE
  // lab capture, its MAC made the black-hole client's. Nothing new began between the connection's
  // last progress and its close: a RST there ends the step like a FIN does.
  const stall = frames.slice(0, 29);
  const clientFin = frames[29]!;
  const UEFI = loadFrames('captures/lab/uefi-pxe-dnsmasq.pcapng');
  const nextEntry = (at: number) => UEFI.map((f) => ({ time: f.time + at - UEFI[0]!.time, data: withMac(f.data, UEFI_MAC, BLACKHOLE_MAC) }));

  it('a stalled download reset 70 s in, the next boot entry 3 s later: the step ends at the RST, as with a FIN there', async () => {
    const closeAt = frames[0]!.time + 70;
    const results = [];
    for (const close of [resetAnswering(retransmission.data), clientFin.data]) {
      const a = await analyzeBytes(ethernetPcap([...stall, { time: closeAt, data: close }, ...nextEntry(closeAt + 3)]));
      const c = bootClient(a);
      const h0 = httpSteps(c, 0);
      expect(h0).toHaveLength(1);
      expect(h0[0]!.complete).toBe(false);
      expect(h0[0]!.start + h0[0]!.duration).toBeCloseTo(closeAt, 3);
      results.push({ outcomes: c.attempts.map((x) => x.outcome), errors: a.summary.errors, severities: a.findings.map((f) => `${f.code}:${f.severity}`).sort() });
    }
    expect(results[0]).toEqual(results[1]);
  });

  it('a stalled download reset 70 s in after the running system renewed its lease (REQUEST/ACK, new xid): a renewal is no new boot, the step ends at the RST', async () => {
    // Frames 3-4 of the capture are its DHCP REQUEST and ACK: sent again 40 s in under another xid.
    const renewed = (f: { data: Uint8Array }): Uint8Array => { const o = f.data.slice(); o[46] = 0x11; return o; };
    const t0 = frames[0]!.time;
    const renew = [{ time: t0 + 40, data: renewed(frames[2]!) }, { time: t0 + 40.01, data: renewed(frames[3]!) }];
    const closeAt = t0 + 70;
    const c = bootClient(await analyzeBytes(ethernetPcap([...stall, ...renew, { time: closeAt, data: resetAnswering(retransmission.data) }])));
    const h0 = httpSteps(c, 0);
    expect(h0).toHaveLength(1);
    expect(h0[0]!.start + h0[0]!.duration).toBeCloseTo(closeAt, 3);
  });

  it('a stalled download reset 6 s after its last new bytes, nothing else: "closed inside a body" cites the RST', async () => {
    const rstFrame = stall.length + 1;
    const a = await analyzeBytes(ethernetPcap([...stall, { time: clientFin.time, data: resetAnswering(retransmission.data) }]));
    const closed = a.findings.filter((f) => f.code === 'decode.malformed' && /closed inside a body/.test(f.message));
    expect(closed).toHaveLength(1);
    expect(closed[0]!.frames).toContain(rstFrame);
  });
});

const BLACKHOLE_MAC = [0x52, 0x54, 0x00, 0x00, 0xf0, 0x01];
const UEFI_MAC = [0x52, 0x54, 0x00, 0x00, 0x0e, 0xf1];

/** The frame with every copy of one MAC (Ethernet header, DHCP chaddr, client identifier) made another. */
function withMac(frame: Uint8Array, from: readonly number[], to: readonly number[]): Uint8Array {
  const out = frame.slice();
  for (let i = 0; i + 6 <= out.length; i++) if (from.every((b, k) => out[i + k] === b)) out.set(to, i);
  return out;
}
