/**
 * Many DHCP-only boot clients, fast: one firmware DORA (without a boot file) built by the real
 * generator, replayed for each client with its MAC and xid patched in place and the UDP checksum
 * cleared (allowed over IPv4). For memory tests and benchmarks of a million clients, where the
 * full generator would spend minutes building frames.
 */
import { generateBootTraffic } from './traffic.js';
import type { FrameSink } from './traffic.js';

export interface FloodOptions {
  clients: number;
  /** New clients per second of capture time. */
  rate?: number;
  startTime?: number;
}

/** Offsets in an untagged Ethernet/IPv4(20)/UDP frame. */
const UDP = 14 + 20;
const DHCP = UDP + 8;

export function dhcpFlood(opts: FloodOptions, emit: FrameSink): { frames: number; endTime: number } {
  const template: { time: number; frame: Uint8Array }[] = [];
  generateBootTraffic({ clients: 1, seed: 7, faults: { noBootfile: true } }, (time, frame) => template.push({ time, frame: frame.slice() }));
  const t0 = template[0]!.time;
  const mac = template[0]!.frame.subarray(6, 12).slice();
  const frames = template.map(({ time, frame }) => ({ dt: time - t0, frame, macAt: macOffsets(frame, mac) }));
  for (const f of frames) f.frame.fill(0, UDP + 6, UDP + 8);
  const rate = opts.rate ?? 200;
  const start = opts.startTime ?? 1_700_000_000;
  let n = 0;
  let end = start;
  // Clients overlap: each starts 1/rate s after the previous and its DORA lasts well under a second.
  const inFlight = Math.max(1, Math.ceil(rate));
  const order: { t: number; client: number; i: number }[] = [];
  for (let base = 0; base < opts.clients; base += inFlight) {
    order.length = 0;
    for (let c = base; c < Math.min(opts.clients, base + inFlight); c++) {
      const t = start + c / rate;
      for (let i = 0; i < frames.length; i++) order.push({ t: t + frames[i]!.dt, client: c, i });
    }
    order.sort((a, b) => a.t - b.t);
    for (const o of order) {
      const f = frames[o.i]!;
      patch(f.frame, f.macAt, o.client);
      emit(o.t, f.frame);
      n++;
      end = o.t;
    }
  }
  return { frames: n, endTime: end };
}

function macOffsets(frame: Uint8Array, mac: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 6 <= frame.length; i++) {
    let same = true;
    for (let k = 0; k < 6 && same; k++) same = frame[i + k] === mac[k];
    if (same) out.push(i);
  }
  return out;
}

/** Client `n`: MAC 52:54:01:nn:nn:nn and xid n (the template's other bytes stay). */
function patch(frame: Uint8Array, macAt: readonly number[], n: number): void {
  for (const at of macAt) {
    frame[at] = 0x52; frame[at + 1] = 0x54; frame[at + 2] = 0x01;
    frame[at + 3] = (n >>> 16) & 0xff; frame[at + 4] = (n >>> 8) & 0xff; frame[at + 5] = n & 0xff;
  }
  frame[DHCP + 4] = (n >>> 24) & 0xff; frame[DHCP + 5] = (n >>> 16) & 0xff; frame[DHCP + 6] = (n >>> 8) & 0xff; frame[DHCP + 7] = n & 0xff;
}
