// The native batch socket (native/udp_sync.c openBatch/sendBatch) on loopback: a batch of
// datagrams sent and received whole, in order, with their sources; a send list longer than one
// sendmmsg; a datagram larger than any DHCP message; a refused send counted and skipped.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { UdpBatchSocket, type BatchOutgoing } from './udp-batch.js';

const LOOPBACK = 0x7f000001;
const skip = UdpBatchSocket.available() ? false : 'native helper not built (build/Release/udp_sync.node)';

/** Datagram i: its number in the first 4 bytes, then bytes that depend on it, `len(i)` long. */
function datagram(i: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  new DataView(b.buffer).setUint32(0, i);
  for (let k = 4; k < len; k++) b[k] = (i * 7 + k) & 255;
  return b;
}
const lenOf = (i: number): number => 200 + ((i * 37) % 400);

const open: { close(): void }[] = [];
afterEach(() => { for (const s of open.splice(0)) s.close(); });

function dgram(): Promise<Socket> {
  const s = createSocket('udp4');
  open.push(s);
  return new Promise((r) => s.bind(0, '127.0.0.1', () => r(s)));
}

describe.skipIf(skip)('UdpBatchSocket', () => {
  // holdMs 1: wake-ups coalesced in a storm (the burst's later datagrams are read after a hold).
  it.each([0, 1])('receives a burst whole, in order, each with its source (holdMs %i)', async (holdMs) => {
    const got: { bytes: Uint8Array; addr: number; port: number }[] = [];
    const sock = UdpBatchSocket.open('127.0.0.1', 0, 1 << 20, (p, addr, port) => got.push({ bytes: p.slice(), addr, port }), holdMs);
    open.push(sock);
    const tx = await dgram();
    const N = 300; // several recvmmsg rounds of 64
    // In spurts a few ms apart, so that wake-ups follow each other closely.
    for (let i = 0; i < N; i++) {
      tx.send(datagram(i, lenOf(i)), sock.port, '127.0.0.1');
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 2));
    }
    for (let t = 0; t < 200 && got.length < N; t++) await new Promise((r) => setTimeout(r, 10));
    expect(got.length).toBe(N);
    got.forEach((g, i) => {
      expect(g.bytes).toEqual(datagram(i, lenOf(i)));
      expect(g.addr).toBe(LOOPBACK);
      expect(g.port).toBe(tx.address().port);
    });
  });

  it('sends a list longer than one sendmmsg whole and in order', async () => {
    const sock = UdpBatchSocket.open('127.0.0.1', 0, 0, () => undefined);
    open.push(sock);
    const rx = await dgram();
    const got: { bytes: Uint8Array; port: number }[] = [];
    rx.on('message', (m, r) => got.push({ bytes: new Uint8Array(m), port: r.port }));
    const N = 150;
    const list: BatchOutgoing[] = Array.from({ length: N }, (_, i) => ({ payload: datagram(i, lenOf(i)), addr: LOOPBACK, port: rx.address().port }));
    expect(sock.send(list)).toBe(N);
    for (let t = 0; t < 200 && got.length < N; t++) await new Promise((r) => setTimeout(r, 10));
    expect(got.length).toBe(N);
    got.forEach((g, i) => { expect(g.bytes).toEqual(datagram(i, lenOf(i))); expect(g.port).toBe(sock.port); });
    expect(sock.lastError).toBeNull();
  });

  it('sends only the part of a list asked for, and a datagram larger than a frame arrives whole', async () => {
    const got: Uint8Array[] = [];
    const a = UdpBatchSocket.open('127.0.0.1', 0, 1 << 20, (p) => got.push(p.slice()));
    const b = UdpBatchSocket.open('127.0.0.1', 0, 0, () => undefined);
    open.push(a, b);
    const list: BatchOutgoing[] = [datagram(0, 100), datagram(1, 9000), datagram(2, 300), datagram(3, 50)].map((payload) => ({ payload, addr: LOOPBACK, port: a.port }));
    expect(b.send(list, 1, 3)).toBe(2);
    for (let t = 0; t < 100 && got.length < 2; t++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toEqual([datagram(1, 9000), datagram(2, 300)]);
  });

  it('skips and counts a datagram the kernel refuses, sends the rest', async () => {
    const sock = UdpBatchSocket.open('127.0.0.1', 0, 0, () => undefined);
    open.push(sock);
    const rx = await dgram();
    const got: number[] = [];
    rx.on('message', (m) => got.push(m.readUInt32BE(0)));
    const to = rx.address().port;
    // 255.255.255.255 without SO_BROADCAST: EACCES for that one only.
    const list: BatchOutgoing[] = [
      { payload: datagram(0, 64), addr: LOOPBACK, port: to },
      { payload: datagram(1, 64), addr: 0xffffffff, port: to },
      { payload: datagram(2, 64), addr: LOOPBACK, port: to },
    ];
    expect(sock.send(list)).toBe(2);
    expect(sock.lastError).toMatch(/sendmmsg/);
    for (let t = 0; t < 100 && got.length < 2; t++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([0, 2]);
  });

  it('a socket closed while a hold is pending stops cleanly, and another on its port receives', async () => {
    const first: number[] = [];
    const a = UdpBatchSocket.open('127.0.0.1', 0, 0, (p) => first.push(p[0]!), 1);
    const tx = await dgram();
    for (let i = 0; i < 20; i++) tx.send(Uint8Array.of(i), a.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 20));
    tx.send(Uint8Array.of(99), a.port, '127.0.0.1');
    tx.send(Uint8Array.of(98), a.port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 0)); // dgram sends in a later tick: both are a's, in its queue or read
    a.close(); // maybe inside a hold: its timer must not restart a closed socket's watch
    const port = a.port;
    const got: number[] = [];
    const b = UdpBatchSocket.open('127.0.0.1', port, 0, (p) => got.push(p[0]!), 1);
    open.push(b);
    await new Promise((r) => setTimeout(r, 20));
    tx.send(Uint8Array.of(7), port, '127.0.0.1');
    for (let t = 0; t < 100 && got.length < 1; t++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([7]);
    expect(first.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('reports a bind failure with its code, and close is idempotent', () => {
    const a = UdpBatchSocket.open('127.0.0.1', 0, 0, () => undefined);
    open.push(a);
    expect(() => UdpBatchSocket.open('192.0.2.77', 0, 0, () => undefined)).toThrow(expect.objectContaining({ code: 'EADDRNOTAVAIL' }));
    a.close();
    a.close();
  });
});
