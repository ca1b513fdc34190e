// SACK in the raw TCP client (RFC 2018): offered in the SYN; once the SYN-ACK permits it, every ACK
// sent while data beyond a gap is held names that data, the latest block first, so a server
// recovers all the losses of a window in one round trip.
import { describe, expect, it } from 'vitest';
import { decodeTcpOptions, TcpFlag, TcpOptionKind, type TcpOption, type TcpSegment } from '../../../wire/tcp.js';
import { RawTcpConnection, type TcpSegmentOut } from './tcp-client.js';

const ISS = 1000;
const PEER = 5001; // the peer's first data byte
const SYN_OPTS = Uint8Array.of(2, 4, 5, 180, 1, 3, 3, 7);

function seg(o: Partial<TcpSegment> & { seq: number; flags: number }): TcpSegment {
  return { srcPort: 80, dstPort: 50000, ack: ISS + 1, window: 65535, urgent: 0, options: new Uint8Array(0), payload: new Uint8Array(0), ...o } as TcpSegment;
}

async function open(sackPermitted: boolean, peer = PEER): Promise<{ c: RawTcpConnection; out: TcpSegmentOut[] }> {
  const out: TcpSegmentOut[] = [];
  const c = new RawTcpConnection({ localPort: 50000, remotePort: 80, iss: ISS, emit: (s) => out.push(s), now: () => 0, onClosed: () => {} });
  const done = c.connect();
  const options = sackPermitted ? Uint8Array.of(...SYN_OPTS, 1, 1, 4, 2) : SYN_OPTS;
  c.handle(seg({ seq: (peer - 1) >>> 0, flags: TcpFlag.SYN | TcpFlag.ACK, options }));
  await done;
  c.onData(() => {});
  return { c, out };
}

const data = (seq: number, n: number): TcpSegment => seg({ seq: seq >>> 0, flags: TcpFlag.ACK, payload: new Uint8Array(n) });
function sackBlocks(s: TcpSegmentOut): [number, number][] | null {
  const o = decodeTcpOptions(s.options ?? new Uint8Array(0), []).find((x): x is Extract<TcpOption, { kind: 5 }> => x.kind === TcpOptionKind.SACK);
  return o ? o.blocks : null;
}

describe('raw TCP client SACK (RFC 2018)', () => {
  it('offers SACK in its SYN', () => {
    const out: TcpSegmentOut[] = [];
    const c = new RawTcpConnection({ localPort: 50000, remotePort: 80, iss: ISS, emit: (s) => out.push(s), now: () => 0, onClosed: () => {} });
    void c.connect().catch(() => {});
    const kinds = decodeTcpOptions(out[0]!.options!, []).map((o) => o.kind);
    expect(kinds).toEqual(expect.arrayContaining([TcpOptionKind.MSS, TcpOptionKind.WINDOW_SCALE, TcpOptionKind.SACK_PERMITTED]));
    c.abort('done', false);
  });

  it('names the data held beyond gaps, the block of the latest segment first, and nothing once they fill', async () => {
    const { c, out } = await open(true);
    c.handle(data(PEER, 1000)); // in order
    c.handle(data(PEER + 2000, 1000)); // gap 1000..2000
    expect(sackBlocks(out.at(-1)!)).toEqual([[PEER + 2000, PEER + 3000]]);
    expect(out.at(-1)!.ack).toBe(PEER + 1000);
    c.handle(data(PEER + 5000, 1000)); // second gap 3000..5000
    expect(sackBlocks(out.at(-1)!)).toEqual([[PEER + 5000, PEER + 6000], [PEER + 2000, PEER + 3000]]);
    c.handle(data(PEER + 3000, 1000)); // extends the first range: it goes first
    expect(sackBlocks(out.at(-1)!)).toEqual([[PEER + 2000, PEER + 4000], [PEER + 5000, PEER + 6000]]);
    c.handle(data(PEER + 1000, 1000)); // fills the first gap
    expect(out.at(-1)!.ack).toBe(PEER + 4000);
    expect(sackBlocks(out.at(-1)!)).toEqual([[PEER + 5000, PEER + 6000]]);
    c.handle(data(PEER + 4000, 1000)); // fills the last gap
    expect(out.at(-1)!.ack).toBe(PEER + 6000);
    expect(sackBlocks(out.at(-1)!)).toBeNull();
    c.abort('done', false);
  });

  it('sends at most four blocks (40 option bytes without timestamps)', async () => {
    const { c, out } = await open(true);
    for (let i = 0; i < 6; i++) c.handle(data(PEER + 2000 * (i + 1), 1000));
    const blocks = sackBlocks(out.at(-1)!)!;
    expect(blocks).toHaveLength(4);
    expect(blocks[0]).toEqual([PEER + 12_000, PEER + 13_000]);
    expect(out.at(-1)!.options!.length).toBeLessThanOrEqual(40);
    c.abort('done', false);
  });

  it('sends no SACK when the SYN-ACK did not permit it', async () => {
    const { c, out } = await open(false);
    c.handle(data(PEER + 2000, 1000));
    expect(out.at(-1)!.ack).toBe(PEER);
    expect(sackBlocks(out.at(-1)!)).toBeNull();
    c.abort('done', false);
  });
  it('a duplicate of held data: a D-SACK block for it first, then the range holding it (RFC 2883 §4, RFC 2018 §4)', async () => {
    const { c, out } = await open(true);
    c.handle(data(PEER, 1000));
    c.handle(data(PEER + 2000, 1000));
    c.handle(data(PEER + 5000, 1000));
    const before = out.length;
    c.handle(data(PEER + 2000, 1000)); // the lower held range again
    expect(out.length).toBe(before + 1); // at once: the sender counts duplicate ACKs
    expect(out.at(-1)!.ack).toBe(PEER + 1000);
    expect(sackBlocks(out.at(-1)!)).toEqual([[PEER + 2000, PEER + 3000], [PEER + 2000, PEER + 3000], [PEER + 5000, PEER + 6000]]);
    c.handle(data(PEER + 2200, 300)); // inside a held range, not one of its segments
    expect(sackBlocks(out.at(-1)!)).toEqual([[PEER + 2200, PEER + 2500], [PEER + 2000, PEER + 3000], [PEER + 5000, PEER + 6000]]);
    c.handle(data(PEER + 7000, 1000)); // new data: the D-SACK was one-shot
    expect(sackBlocks(out.at(-1)!)).toEqual([[PEER + 7000, PEER + 8000], [PEER + 2000, PEER + 3000], [PEER + 5000, PEER + 6000]]);
    c.abort('done', false);
  });

  it('a duplicate below the cumulative ACK: a D-SACK block alone (RFC 2883 §4.1.1), then no option', async () => {
    const { c, out } = await open(true);
    c.handle(data(PEER, 1000));
    await Promise.resolve();
    c.handle(data(PEER, 500));
    expect(out.at(-1)!.ack).toBe(PEER + 1000);
    expect(sackBlocks(out.at(-1)!)).toEqual([[PEER, PEER + 500]]);
    c.handle(data(PEER + 1000, 1000));
    await Promise.resolve();
    expect(out.at(-1)!.ack).toBe(PEER + 2000);
    expect(sackBlocks(out.at(-1)!)).toBeNull();
    c.abort('done', false);
  });

  it('four blocks at most with a D-SACK: the duplicate, the range it fell in, then the newest others', async () => {
    const { c, out } = await open(true);
    for (let i = 1; i <= 6; i++) c.handle(data(PEER + 2000 * i, 1000));
    c.handle(data(PEER + 2000, 1000)); // the oldest range again
    expect(sackBlocks(out.at(-1)!)).toEqual([[PEER + 2000, PEER + 3000], [PEER + 2000, PEER + 3000], [PEER + 12_000, PEER + 13_000], [PEER + 10_000, PEER + 11_000]]);
    expect(out.at(-1)!.options!.length).toBeLessThanOrEqual(40);
    c.abort('done', false);
  });

  it('SACK blocks across the sequence wrap', async () => {
    const peer = 0xfffffa23; // the 32-bit sequence space wraps inside the first gap
    const { c, out } = await open(true, peer);
    c.handle(data(peer, 1000));
    c.handle(data(peer + 2000, 1000));
    expect(out.at(-1)!.ack).toBe(4294966795);
    expect(sackBlocks(out.at(-1)!)).toEqual([[499, 1499]]);
    c.handle(data(peer + 5000, 1000));
    expect(sackBlocks(out.at(-1)!)).toEqual([[3499, 4499], [499, 1499]]);
    c.handle(data(peer + 1000, 1000)); // fills the first gap
    expect(out.at(-1)!.ack).toBe(1499);
    expect(sackBlocks(out.at(-1)!)).toEqual([[3499, 4499]]);
    c.abort('done', false);
  });
});
