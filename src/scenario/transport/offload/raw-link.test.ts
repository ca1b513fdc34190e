// The raw worker's link spins (reads the ring without sleeping) only while its flow is active: the
// read after a send, and the reads after a frame came (a datagram's other fragments, a window's
// next block); a read that timed out ends that, so an idle or silent flow never spins.
import { describe, expect, it } from 'vitest';
import type { BlockingCapture } from '../../../capture/live.js';
import { udpFrames } from '../raw/frames.js';
import { RawUdpLink, type RawFlow } from './raw-link.js';

const flow: RawFlow = {
  iface: 'raw0', clientMac: '02:00:00:00:00:01', serverMac: '02:00:00:00:00:02', clientIp: '198.51.100.10',
  server: '198.51.100.1', mtu: 1500, filter: '',
};
const fromServer = { srcMac: flow.serverMac, dstMac: flow.clientMac, srcIp: flow.server, dstIp: flow.clientIp };

/** A capture that hands out queued frames (or times out) and records each read's spin. */
function fakeCapture(): { cap: BlockingCapture; queue: Uint8Array[]; spins: number[] } {
  const queue: Uint8Array[] = [];
  const spins: number[] = [];
  const cap: BlockingCapture = {
    next(buf, _timeoutMs, spinUs = 0) {
      spins.push(spinUs);
      const f = queue.shift();
      if (f === undefined) return -1;
      buf.set(f);
      return f.length;
    },
    waits: () => ({ spun: 0, slept: 0 }),
    inject: () => {},
    setFilter: () => {},
    close: () => {},
  };
  return { cap, queue, spins };
}

describe('RawUdpLink spins only while its flow is active', () => {
  it('idle: no spin; after a send: spin; between fragments: spin; after a timeout: none until the next send', () => {
    const { cap, queue, spins } = fakeCapture();
    const link = new RawUdpLink(cap, flow);
    const h = link.open(flow.clientIp, 40000);
    link.peer(h, flow.server, 69);
    const buf = new Uint8Array(65536);

    expect(link.recv(h, buf, 10)).toBe(-1); // nothing sent yet
    expect(spins.at(-1)).toBe(0);

    link.send(h, new Uint8Array(4), 4); // an ACK
    const block = new Uint8Array(8196).fill(7);
    const frags = udpFrames(fromServer, 50000, 40000, block, 1500);
    expect(frags.length).toBeGreaterThan(1);
    queue.push(...frags);
    spins.length = 0;
    expect(link.recv(h, buf, 10)).toBe(block.length); // one datagram from its fragments
    expect(spins).toHaveLength(frags.length);
    expect(spins.every((s) => s > 0 && s <= 200)).toBe(true); // bounded: well under a wake-up's worth ×2

    expect(link.recv(h, buf, 10)).toBe(-1); // the spin right after a frame came, then the timeout
    expect(spins.at(-1)).toBeGreaterThan(0);
    expect(link.recv(h, buf, 10)).toBe(-1); // silent flow: asleep, no spin
    expect(link.recv(h, buf, 10)).toBe(-1);
    expect(spins.slice(-2)).toEqual([0, 0]);

    link.send(h, new Uint8Array(4), 4);
    expect(link.recv(h, buf, 10)).toBe(-1);
    expect(spins.at(-1)).toBeGreaterThan(0);
  });
});
