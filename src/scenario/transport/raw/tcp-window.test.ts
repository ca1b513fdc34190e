// Window scaling in the raw TCP client (RFC 7323): offered in the SYN; in effect only when the
// SYN-ACK carries it too, and then the client takes data far beyond 64 KiB ahead.
// ACKs are cumulative per receive batch: one for all the segments handled in one turn.
import { describe, expect, it } from 'vitest';
import { TcpFlag, type TcpSegment } from '../../../wire/tcp.js';
import { RawTcpConnection, TCP_RECEIVE_WINDOW, TCP_WINDOW_SHIFT, type TcpSegmentOut } from './tcp-client.js';

const ISS = 1000;
const PEER_ISS = 5000;

function seg(o: Partial<TcpSegment> & { seq: number; flags: number }): TcpSegment {
  return { srcPort: 80, dstPort: 50000, ack: ISS + 1, window: 65535, urgent: 0, options: new Uint8Array(0), payload: new Uint8Array(0), ...o } as TcpSegment;
}

async function open(scale: boolean): Promise<{ c: RawTcpConnection; out: TcpSegmentOut[]; got: number[] }> {
  const out: TcpSegmentOut[] = [];
  const c = new RawTcpConnection({ localPort: 50000, remotePort: 80, iss: ISS, emit: (s) => out.push(s), now: () => 0, onClosed: () => {} });
  const done = c.connect();
  c.handle(seg({ seq: PEER_ISS, flags: TcpFlag.SYN | TcpFlag.ACK, options: scale ? Uint8Array.of(2, 4, 5, 180, 1, 3, 3, 7) : Uint8Array.of(2, 4, 5, 180) }));
  await done;
  const got: number[] = [];
  c.onData((d) => got.push(d.length));
  return { c, out, got };
}

/** Data 100 kB ahead of the in-order point, then the gap before it. */
function aheadThenGap(c: RawTcpConnection): void {
  const gap = 100_000;
  c.handle(seg({ seq: PEER_ISS + 1 + gap, flags: TcpFlag.ACK, payload: new Uint8Array(1000) }));
  c.handle(seg({ seq: PEER_ISS + 1, flags: TcpFlag.ACK, payload: new Uint8Array(gap) }));
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('raw TCP client window scaling (RFC 7323)', () => {
  it('with a scaling server, keeps data beyond 64 KiB ahead and delivers it once the gap fills', async () => {
    const { c, out, got } = await open(true);
    aheadThenGap(c);
    expect(got.reduce((a, b) => a + b, 0)).toBe(101_000);
    await turn();
    expect(out.at(-1)!.ack).toBe(PEER_ISS + 1 + 101_000);
    c.abort('done', false);
  });

  it('without scaling on the SYN-ACK, the window stays 64 KiB (data beyond it is dropped)', async () => {
    const { c, got } = await open(false);
    expect(100_000).toBeGreaterThan(TCP_RECEIVE_WINDOW);
    aheadThenGap(c);
    expect(got.reduce((a, b) => a + b, 0)).toBe(100_000);
    c.abort('done', false);
  });

  it('answers the segments of one receive batch with one cumulative ACK', async () => {
    const { c, out } = await open(true);
    const before = out.length;
    for (let i = 0; i < 5; i++) c.handle(seg({ seq: PEER_ISS + 1 + i * 1000, flags: TcpFlag.ACK, payload: new Uint8Array(1000) }));
    await turn();
    const acks = out.slice(before);
    expect(acks).toHaveLength(1);
    expect(acks[0]!.ack).toBe(PEER_ISS + 1 + 5000);
    c.abort('done', false);
  });

  it('widens a ring-sized window when super-segments (GSO) arrive, and never shrinks it', async () => {
    const out: TcpSegmentOut[] = [];
    const c = new RawTcpConnection({ localPort: 50000, remotePort: 80, iss: ISS, mss: 1460, scaledWindow: 64 * 1460, emit: (s) => out.push(s), now: () => 0, onClosed: () => {} });
    const done = c.connect();
    c.handle(seg({ seq: PEER_ISS, flags: TcpFlag.SYN | TcpFlag.ACK, options: Uint8Array.of(2, 4, 5, 180, 1, 3, 3, 7) }));
    await done;
    const windowOf = (s: TcpSegmentOut): number => s.window * 2 ** TCP_WINDOW_SHIFT;
    c.handle(seg({ seq: PEER_ISS + 1, flags: TcpFlag.ACK, payload: new Uint8Array(1000) }));
    await turn();
    const small = windowOf(out.at(-1)!);
    expect(small).toBeLessThan(2 * TCP_RECEIVE_WINDOW);
    c.handle(seg({ seq: PEER_ISS + 1001, flags: TcpFlag.ACK, payload: new Uint8Array(14600) }));
    await turn();
    const wide = windowOf(out.at(-1)!);
    expect(wide).toBeGreaterThan(5 * small);
    c.handle(seg({ seq: PEER_ISS + 15601, flags: TcpFlag.ACK, payload: new Uint8Array(100) }));
    await turn();
    expect(windowOf(out.at(-1)!)).toBe(wide);
    c.abort('done', false);
  });
});
