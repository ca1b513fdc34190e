import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import {
  buildData, buildError, buildOack, parseTftp, tftpNegotiation, type TftpOption, type TftpPacket,
} from '../../wire/tftp.js';
import { FakeClock } from '../clock.js';
import { MemoryNetwork, type FakeServer } from '../transport/memory.js';
import { TftpClient, type TftpClientConfig } from './tftp.js';
import type { UdpDatagram } from './types.js';

const SERVER = '198.51.100.1';
const CLIENT = '198.51.100.150';

function fileOf(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 8)) & 0xff;
  return b;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface FakeTftpConfig {
  files: Record<string, Uint8Array>;
  /** Which requested options the OACK acknowledges (default all known ones) plus extras. */
  oack?: (requested: TftpOption[], size: number) => TftpOption[];
  /** Send every DATA twice. */
  duplicateData?: boolean;
  /** Ignore ACK 0 windows: the server's window, overriding the negotiated one. */
  tidBase?: number;
}

interface Session {
  tid: number;
  client: UdpDatagram['src'];
  data: Uint8Array;
  blksize: number;
  windowsize: number;
  lastBlock: number;
}

/** A small RFC 1350/2347/7440 server: one TID per transfer, sends a window per ACK. */
function fakeTftpServer(cfg: FakeTftpConfig): FakeServer & { received: TftpPacket[] } {
  const sessions = new Map<number, Session>();
  const received: TftpPacket[] = [];
  let nextTid = cfg.tidBase ?? 50000;
  const from = (s: Session, payload: Uint8Array): UdpDatagram => ({ src: { addr: SERVER, port: s.tid }, dst: s.client, payload });
  const windowFrom = (s: Session, first: number): UdpDatagram[] => {
    const out: UdpDatagram[] = [];
    for (let b = first; b < first + s.windowsize && b <= s.lastBlock; b++) {
      const chunk = s.data.subarray((b - 1) * s.blksize, b * s.blksize);
      out.push(from(s, buildData(b, chunk)));
      if (cfg.duplicateData) out.push(from(s, buildData(b, chunk)));
    }
    return out;
  };
  const handle = (d: UdpDatagram): UdpDatagram[] => {
    const p = parseTftp(d.payload.slice(), []);
    received.push(p);
    if (d.dst.port === 69 && p.code === 1) {
      const s: Session = { tid: nextTid++, client: d.src, data: new Uint8Array(0), blksize: 512, windowsize: 1, lastBlock: 0 };
      const file = cfg.files[p.file ?? ''];
      if (!file) return [from(s, buildError(1, 'File not found'))];
      const acked = cfg.oack ? cfg.oack(p.options ?? [], file.length)
        : (p.options ?? []).map((o) => (o.name === 'tsize' ? { name: 'tsize', value: String(file.length) } : o));
      const n = tftpNegotiation({ opcode: 'OACK', code: 6, options: acked });
      s.data = file;
      s.blksize = n.blksize ?? 512;
      s.windowsize = n.windowsize ?? 1;
      s.lastBlock = Math.floor(file.length / s.blksize) + 1;
      sessions.set(s.tid, s);
      return acked.length ? [from(s, buildOack(acked))] : windowFrom(s, 1);
    }
    const s = sessions.get(d.dst.port);
    if (!s) return [];
    if (p.code === 5) { sessions.delete(s.tid); return []; }
    if (p.code === 4 && p.block !== undefined && p.block < s.lastBlock) return windowFrom(s, p.block + 1);
    return [];
  };
  return { addr: SERVER, handle, received };
}

function run(cfg: Partial<TftpClientConfig>, server: FakeServer, net?: MemoryNetwork) {
  const n = net ?? new MemoryNetwork(new FakeClock());
  n.addServer(server);
  const c = new TftpClient({ server: SERVER, clientAddr: CLIENT, clientPort: 40000, file: 'boot.efi', ...cfg });
  return { r: n.run(c)!, net: n };
}

function clientPackets(net: MemoryNetwork): TftpPacket[] {
  return net.sentByClient().map((d) => parseTftp(d.payload, []));
}

const acks = (net: MemoryNetwork): number[] => clientPackets(net).filter((p) => p.code === 4).map((p) => p.block!);

describe('TftpClient', () => {
  it('lock-step transfer without options, final short block, sha256', () => {
    const file = fileOf(3000);
    const { r, net } = run({}, fakeTftpServer({ files: { 'boot.efi': file } }));
    expect(r.ok).toBe(true);
    expect(r.bytes).toBe(3000);
    expect(r.blocks).toBe(6);
    expect(r.sha256).toBe(sha(file));
    expect(r.data).toBeNull();
    expect(acks(net)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(net.sentByClient()[0]!.dst).toEqual({ addr: SERVER, port: 69 });
    expect(net.sentByClient()[1]!.dst).toEqual({ addr: SERVER, port: 50000 });
    expect(r.negotiated).toEqual({ blksize: 512, windowsize: 1, timeout: null });
  });

  it('digest: false skips the SHA-256 (null) and receives, counts, keeps and ACKs the same', () => {
    const file = fileOf(5000);
    const server = (): FakeServer => fakeTftpServer({ files: { 'boot.efi': file } });
    const hashed = run({ options: { blksize: 1024, windowsize: 2 } }, server());
    const plain = run({ options: { blksize: 1024, windowsize: 2 }, digest: false, keepData: true }, server());
    expect(hashed.r.sha256).toBe(sha(file));
    expect(plain.r.sha256).toBeNull();
    expect(plain.r).toMatchObject({ ok: true, bytes: 5000, blocks: hashed.r.blocks, negotiated: hashed.r.negotiated });
    expect(plain.r.data).toEqual(file);
    expect(acks(plain.net)).toEqual(acks(hashed.net));
  });

  it('reuseAck (a driver that copies each datagram at once): the same ACKs, and a timeout resends the last one', () => {
    const file = fileOf(3000);
    const server = fakeTftpServer({ files: { 'boot.efi': file } });
    const c = new TftpClient({ server: SERVER, clientAddr: CLIENT, clientPort: 40000, file: 'boot.efi', options: { blksize: 512 }, reuseAck: true, keepData: true });
    const sent: Uint8Array[] = [];
    let now = 0;
    let inbox: UdpDatagram[] = [];
    for (let turn = 0; turn < 50; turn++) { // as driveBlocking: send what is due, then stop if done
      for (const d of c.dispatch(now)) { sent.push(d.payload.slice()); inbox.push(...(server.handle({ ...d, payload: d.payload.slice() }, now) as UdpDatagram[])); }
      c.idle();
      if (c.done() !== null) break;
      const got = inbox;
      inbox = [];
      for (const d of got) c.process(d, now);
    }
    const r = c.done()!;
    expect(r).toMatchObject({ ok: true, bytes: 3000, sha256: sha(file) });
    expect(r.data).toEqual(file);
    const ackBlocks = sent.map((b) => parseTftp(b, [])).filter((p) => p.code === 4).map((p) => p.block);
    expect(ackBlocks).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // A lost DATA: the retransmission is the last ACK's bytes, still intact.
    const lossy = new TftpClient({ server: SERVER, clientAddr: CLIENT, clientPort: 40000, file: 'boot.efi', reuseAck: true, retransmitAfter: 1 });
    lossy.dispatch(0);
    lossy.process({ src: { addr: SERVER, port: 50001 }, dst: { addr: CLIENT, port: 40000 }, payload: buildData(1, file.subarray(0, 512)) }, 0);
    expect(parseTftp(lossy.dispatch(0)[0]!.payload.slice(), []).block).toBe(1);
    lossy.idle();
    lossy.process({ src: { addr: SERVER, port: 50001 }, dst: { addr: CLIENT, port: 40000 }, payload: buildData(2, file.subarray(512, 1024)) }, 0.5);
    expect(parseTftp(lossy.dispatch(0.5)[0]!.payload.slice(), []).block).toBe(2);
    lossy.idle();
    expect(lossy.dispatch(0.9)).toEqual([]);
    const again = lossy.dispatch(1.6);
    expect(again.map((d) => parseTftp(d.payload, []).block)).toEqual([2]);
  });

  it('reuseAck with a driver that does not send each ACK before the next block: an Error naming the contract, never a wrong ACK', () => {
    const file = fileOf(2048);
    const from = { src: { addr: SERVER, port: 50001 }, dst: { addr: CLIENT, port: 40000 } };
    const data = (n: number): UdpDatagram => ({ ...from, payload: buildData(n, file.subarray((n - 1) * 512, n * 512)) });
    const client = (reuseAck: boolean): TftpClient => {
      const c = new TftpClient({ server: SERVER, clientAddr: CLIENT, clientPort: 40000, file: 'boot.efi', reuseAck });
      c.dispatch(0); // the RRQ
      c.idle();
      return c;
    };
    // Two blocks processed before one dispatch (an event-loop driver's mailbox): the first ACK is still queued.
    const batched = client(true);
    batched.process(data(1), 0);
    expect(() => batched.process(data(2), 0)).toThrow(/reuseAck.*send or copy each datagram dispatch\(\) returns, then call idle\(\)/);
    // Dispatched but not confirmed sent (no idle(): a driver that queues it for later).
    const queued = client(true);
    queued.process(data(1), 0);
    const held = queued.dispatch(0);
    expect(() => queued.process(data(2), 0)).toThrow(/reuseAck/);
    expect(parseTftp(held[0]!.payload, []).block).toBe(1); // the ACK handed out is intact
    // Without reuseAck the same batching is fine: each ACK is its own buffer.
    const fresh = client(false);
    fresh.process(data(1), 0);
    fresh.process(data(2), 0);
    expect(fresh.dispatch(0).map((d) => parseTftp(d.payload, []).block)).toEqual([1, 2]);
  });

  it('a size that is a multiple of blksize ends with an empty block; keepData', () => {
    const file = fileOf(1024);
    const { r } = run({ keepData: true }, fakeTftpServer({ files: { 'boot.efi': file } }));
    expect(r.blocks).toBe(3);
    expect(r.data).toEqual(file);
  });

  it('windowed (windowsize 4): OACK → ACK 0, then one ACK per window', () => {
    const file = fileOf(5000);
    const { r, net } = run({ options: { blksize: 512, windowsize: 4, tsize: true } }, fakeTftpServer({ files: { 'boot.efi': file } }));
    expect(r.ok).toBe(true);
    expect(r.negotiated.windowsize).toBe(4);
    expect(r.tsize).toBe(5000);
    expect(acks(net)).toEqual([0, 4, 8, 10]);
    expect(r.sha256).toBe(sha(file));
    const rrq = clientPackets(net)[0]!;
    expect(rrq.options).toEqual([{ name: 'tsize', value: '0' }, { name: 'blksize', value: '512' }, { name: 'windowsize', value: '4' }]);
  });

  it('OACK that ignores options: defaults for the rest, unrequested ones reported', () => {
    const file = fileOf(4000);
    const server = fakeTftpServer({
      files: { 'boot.efi': file },
      oack: () => [{ name: 'blksize', value: '1468' }, { name: 'foo', value: 'bar' }],
    });
    const { r, net } = run({ options: { blksize: 1468, windowsize: 4, timeout: 5 } }, server);
    expect(r.ok).toBe(true);
    expect(r.negotiated).toEqual({ blksize: 1468, windowsize: 1, timeout: null });
    expect(r.unrequestedOptions).toEqual(['foo']);
    expect(acks(net)).toEqual([0, 1, 2, 3]);
    expect(r.sha256).toBe(sha(file));
  });

  it('UEFI tsize probe: OACK → ERROR 8 → new RRQ from a new port without tsize', () => {
    const file = fileOf(2000);
    const { r, net } = run({ tsizeProbe: true, options: { blksize: 1468, windowsize: 4 } }, fakeTftpServer({ files: { 'boot.efi': file } }));
    expect(r.ok).toBe(true);
    expect(r.tsize).toBe(2000);
    const out = net.sentByClient();
    const pk = out.map((d) => parseTftp(d.payload, []));
    expect(pk.slice(0, 4).map((p) => p.opcode)).toEqual(['RRQ', 'ERROR', 'RRQ', 'ACK']);
    expect(pk[0]!.options!.map((o) => o.name)).toEqual(['tsize', 'blksize', 'windowsize']);
    expect(pk[1]!.errorCode).toBe(8);
    expect(out[1]!.dst.port).toBe(50000);
    expect(pk[2]!.options!.map((o) => o.name)).toEqual(['blksize', 'windowsize']);
    expect(out[2]!.src.port).toBe(40001);
    expect(out[3]!.dst.port).toBe(50001);
    expect(r.messages.map((m) => `${m.dir} ${m.type}`).slice(0, 6))
      .toEqual(['sent RRQ', 'received OACK', 'sent ERROR', 'sent RRQ', 'received OACK', 'sent ACK']);
    expect(r.sha256).toBe(sha(file));
  });

  it('lost DATA: the last ACK is resent after the timeout, then completion', () => {
    const file = fileOf(3000);
    let dataSeen = 0;
    const net = new MemoryNetwork(new FakeClock(), {
      drop: (d, dir) => dir === 'toClient' && d.payload[1] === 3 && ++dataSeen === 3,
    });
    const { r } = run({ retransmitAfter: 1 }, fakeTftpServer({ files: { 'boot.efi': file } }), net);
    expect(r.ok).toBe(true);
    expect(r.retransmits).toBe(1);
    expect(acks(net)).toEqual([1, 2, 2, 3, 4, 5, 6]);
    const ackTimes = net.log.filter((e) => e.dir === 'toServer').map((e) => e.time);
    expect(ackTimes[3]! - ackTimes[2]!).toBeCloseTo(1, 6);
    expect(r.sha256).toBe(sha(file));
    expect(r.bytes).toBe(3000);
  });

  it('windowed gap: ACK of the last in-order block, server resends from there', () => {
    const file = fileOf(5000);
    let dataSeen = 0;
    const net = new MemoryNetwork(new FakeClock(), {
      drop: (d, dir) => dir === 'toClient' && d.payload[1] === 3 && ++dataSeen === 2,
    });
    const { r } = run({ options: { windowsize: 4 } }, fakeTftpServer({ files: { 'boot.efi': file } }), net);
    expect(r.ok).toBe(true);
    expect(r.sha256).toBe(sha(file));
    // Blocks 3 and 4 arrive after the gap: one ACK 1, not two; then windows 2-5, 6-9, 10.
    expect(acks(net)).toEqual([0, 1, 5, 9, 10]);
  });

  it('ERROR 1 from the server ends the transfer with the reason', () => {
    const { r } = run({ file: 'missing.efi' }, fakeTftpServer({ files: {} }));
    expect(r.ok).toBe(false);
    expect(r.errorCode).toBe(1);
    expect(r.error).toBe('ERROR 1 (file not found): File not found');
  });

  it('a packet from a wrong TID gets ERROR 5 and the transfer goes on', () => {
    const file = fileOf(3000);
    const net = new MemoryNetwork(new FakeClock());
    net.inject({ src: { addr: SERVER, port: 9999 }, dst: { addr: CLIENT, port: 40000 }, payload: buildData(3, new Uint8Array(512)) }, 0.0035);
    const { r } = run({}, fakeTftpServer({ files: { 'boot.efi': file } }), net);
    expect(r.ok).toBe(true);
    expect(r.wrongTid).toBe(1);
    expect(r.sha256).toBe(sha(file));
    const err = net.sentByClient().find((d) => d.payload[1] === 5)!;
    expect(err.dst).toEqual({ addr: SERVER, port: 9999 });
    expect(parseTftp(err.payload, []).errorCode).toBe(5);
  });

  it('duplicate DATA is not counted twice', () => {
    const file = fileOf(3000);
    const { r } = run({}, fakeTftpServer({ files: { 'boot.efi': file }, duplicateData: true }));
    expect(r.ok).toBe(true);
    expect(r.bytes).toBe(3000);
    expect(r.blocks).toBe(6);
    expect(r.duplicates).toBeGreaterThanOrEqual(5);
    expect(r.sha256).toBe(sha(file));
  });

  it('no answer: bounded RRQ retransmissions, then a timeout error', () => {
    const net = new MemoryNetwork(new FakeClock());
    const c = new TftpClient({ server: SERVER, clientAddr: CLIENT, clientPort: 40000, file: 'x', maxRetransmits: 3, retransmitAfter: 2 });
    const r = net.run(c)!;
    expect(r.ok).toBe(false);
    expect(r.error).toBe(`timeout: nothing from ${SERVER} after 3 retransmission(s)`);
    expect(net.log.map((e) => e.time)).toEqual([0, 2, 4, 6]);
    expect(r.timings.end).toBe(8);
  });
});
