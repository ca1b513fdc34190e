import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import dc from 'node:diagnostics_channel';
import { createServer } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { hex, ipv4ToString } from '../../wire/bytes.js';
import { buildDhcpV4, emitDhcpV4, getOption, parseDhcpV4 } from '../../wire/dhcpv4/index.js';
import { parseIpv4 } from '../../wire/ipv4.js';
import { parseUdp } from '../../wire/udp.js';
import { emitClientMessage } from '../clients/dhcp4-message.js';
import { DhcpV6MsgType, emitDhcpV6, parseDhcpV6 } from '../../wire/dhcpv6/index.js';
import { parseIpv6 } from '../../wire/ipv6.js';
import { linkLocalFromMac } from '../../wire/ipv6-address.js';
import { ipv6ToString } from '../../wire/bytes.js';
import { createRelayTransport, relayDhcpMessage, relayDhcpV6Message, type RelayTransport } from './relay.js';
import { openSockets } from './sockets.test-kit.js';
import type { ClientTransport, UdpDatagram } from './types.js';

const A = '02:00:00:00:0b:01';
const LO = '127.0.0.1';

function discover(relay?: { giaddr: string }): Uint8Array {
  return emitClientMessage({ type: 1, xid: 0x1234, mac: A, secs: 0, broadcast: true, persona: [{ code: 55, data: Uint8Array.of(1, 3) }], ...(relay ? { relay } : {}) });
}

describe('relayDhcpMessage', () => {
  it('sets giaddr, hops + 1 and appends option 82 before END', () => {
    const out = parseDhcpV4(relayDhcpMessage(discover(), { relayFrom: '203.0.113.1', circuitId: 'eth0/7', remoteId: 'sw1' }), []);
    expect(ipv4ToString(out.giaddr)).toBe('203.0.113.1');
    expect(out.hops).toBe(1);
    expect(out.options.map((o) => o.code)).toEqual([53, 55, 82, 255]);
    expect(hex(getOption(out, 82)!)).toBe('0106' + hex(new TextEncoder().encode('eth0/7')) + '0203' + hex(new TextEncoder().encode('sw1')));
  });

  it('leaves a message the client already built as relayed alone, and adds no 82 without ids', () => {
    const relayed = discover({ giaddr: '203.0.113.9' });
    expect(relayDhcpMessage(relayed, { relayFrom: '203.0.113.1', circuitId: 'x' })).toBe(relayed);
    const plain = parseDhcpV4(relayDhcpMessage(discover(), { relayFrom: '203.0.113.1' }), []);
    expect(plain.options.map((o) => o.code)).toEqual([53, 55, 255]);
  });
});

function udpServer(): Promise<{ sock: Socket; port: number; got: { msg: Buffer; rinfo: RemoteInfo }[] }> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const got: { msg: Buffer; rinfo: RemoteInfo }[] = [];
    sock.on('message', (msg, rinfo) => got.push({ msg, rinfo }));
    sock.bind(0, LO, () => resolve({ sock, port: sock.address().port, got }));
  });
}

/** A relay transport on loopback with client A added, a UDP server for its flows and the MACs of what it hands back; closed after `fn`. */
async function withFlowServer(fn: (tid: Awaited<ReturnType<typeof udpServer>>, t: ClientTransport, got: string[]) => Promise<void>): Promise<void> {
  const tid = await udpServer();
  const t = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO });
  const got: string[] = [];
  t.onUdp((mac) => got.push(mac));
  try {
    t.addClient(A);
    await fn(tid, t, got);
  } finally {
    await t.close();
    tid.sock.close();
  }
}

const waitUntil = async (pred: () => boolean, ms = 2000): Promise<void> => {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
};

describe('relay transport on loopback', () => {
  it('counts a send the kernel refuses (EMSGSIZE) as a send error, naming it', async () => {
    const srv = await udpServer();
    const t = (await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO, serverPort: srv.port })) as RelayTransport;
    try {
      t.addClient(A);
      // Larger than any UDP datagram may be: the send fails in the kernel, not in the transport.
      t.sendUdp(A, { src: { addr: '203.0.113.100', port: 2071 }, dst: { addr: LO, port: srv.port }, payload: new Uint8Array(70_000) });
      await waitUntil(() => t.counters.sendErrors > 0);
      expect(t.counters.sendErrors).toBe(1);
      expect(t.lastError).toMatch(/EMSGSIZE/);
    } finally {
      await t.close();
      srv.sock.close();
    }
  });

  // batchDhcp: the native batch socket (recvmmsg/sendmmsg; the default when the helper is built) and Node's dgram.
  it.each([true, false])('relays DHCP to the server, hands replies to the chaddr client, keeps other UDP flows per client port (batchDhcp %s)', async (batchDhcp) => {
    const srv = await udpServer();
    const t = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO, serverPort: srv.port, circuitId: 'c1', batchDhcp });
    const got: [string, UdpDatagram][] = [];
    const frames: [string, number, Uint8Array][] = [];
    t.onUdp((mac, d) => got.push([mac, d]));
    t.onFrame!((dir, _t, lt, f) => frames.push([dir, lt, f]));
    t.addClient(A);
    try {
      t.sendUdp(A, { src: { addr: '0.0.0.0', port: 68 }, dst: { addr: '255.255.255.255', port: 67 }, payload: discover(), broadcast: true });
      await waitUntil(() => srv.got.length === 1);
      const req = parseDhcpV4(srv.got[0]!.msg, []);
      expect([ipv4ToString(req.giaddr), req.hops, req.xid]).toEqual([LO, 1, 0x1234]);
      const relayPort = srv.got[0]!.rinfo.port;
      // The server answers the relay; one reply for a MAC nobody simulates is dropped.
      const reply = (mac: string): Buffer => Buffer.from(emitDhcpV4(buildDhcpV4({ op: 2, xid: 0x1234, chaddr: mac, yiaddr: '203.0.113.100', giaddr: LO, options: [{ code: 53, data: Uint8Array.of(2) }] })));
      srv.sock.send(reply('02:00:00:00:0b:99'), relayPort, LO);
      srv.sock.send(reply(A), relayPort, LO);
      await waitUntil(() => got.length === 1);
      await new Promise((r) => setTimeout(r, 20));
      expect(got.map(([m, d]) => [m, d.src.port, d.dst.port])).toEqual([[A, srv.port, relayPort]]);

      // TFTP-like: the answer comes from a new port (a new TID) and goes back to the client's port.
      t.sendUdp(A, { src: { addr: '203.0.113.100', port: 2070 }, dst: { addr: LO, port: srv.port }, payload: Uint8Array.of(0, 1) });
      await waitUntil(() => srv.got.length === 2);
      const tid = await udpServer();
      tid.sock.send(Uint8Array.of(0, 3, 0, 1), srv.got[1]!.rinfo.port, LO);
      await waitUntil(() => got.length === 2);
      expect(got[1]![1]).toMatchObject({ src: { addr: LO, port: tid.port }, dst: { addr: '203.0.113.100', port: 2070 } });
      tid.sock.close();

      // --pcap frames: raw IPv4 (link type 228) with the UDP inside.
      expect(frames.every(([, lt]) => lt === 228)).toBe(true);
      const first = parseIpv4(frames[0]![2], [])!;
      expect([first.src, first.dst, parseUdp(first.payload, [])!.dstPort]).toEqual([LO, LO, srv.port]);
      expect(frames.map(([d]) => d)).toEqual(['sent', 'received', 'received', 'sent', 'received']);
    } finally {
      await t.close();
      srv.sock.close();
    }
  });

  it('connects TCP from the relay address and streams both ways', async () => {
    const server = createServer((s) => s.on('data', () => s.end('HTTP/1.0 200 OK\r\n\r\nhi')));
    await new Promise<void>((r) => server.listen(0, LO, r));
    const port = (server.address() as { port: number }).port;
    const t = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO });
    try {
      const s = await t.connectTcp(A, { addr: LO, port }, 2000);
      let text = '';
      const ended = new Promise<string | undefined>((r) => s.onEnd((_t, e) => r(e)));
      s.onData((d) => (text += Buffer.from(d).toString()));
      s.write(new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'));
      expect(await ended).toBeUndefined();
      expect(text).toBe('HTTP/1.0 200 OK\r\n\r\nhi');
      s.close();
      await expect(t.connectTcp(A, { addr: LO, port: 1 }, 2000)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await t.close();
      server.close();
    }
  });

  it('prewarmTcp: one HTTP exchange by the HTTP client with a listener of its own on relayFrom before it resolves, nothing left open; streams work after it', async () => {
    // diagnostics_channel sees every TCP socket this process opens or accepts: the warm-up's two ends.
    type Seen = { side: string; at?: string | undefined; socket: { destroyed: boolean; localAddress?: string } };
    const seen: Seen[] = [];
    let request = '';
    const onClient = (m: unknown): void => { seen.push({ side: 'client', socket: (m as { socket: Seen['socket'] }).socket }); };
    const onServer = (m: unknown): void => {
      const socket = (m as { socket: Seen['socket'] & NodeJS.EventEmitter }).socket;
      seen.push({ side: 'server', at: socket.localAddress, socket });
      socket.on('data', (d: Buffer) => { request += d.toString('latin1'); });
    };
    dc.subscribe('net.client.socket', onClient);
    dc.subscribe('net.server.socket', onServer);
    let t: ClientTransport | null = null;
    try {
      const cold = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO });
      await cold.close();
      expect(seen).toEqual([]);
      // A lowered --max-pps: the warm-up would take the run's tokens (connect, write, close), so none.
      const paced = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO, prewarmTcp: true, rateLimitPps: 10 });
      await paced.close();
      expect(seen).toEqual([]);
      t = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO, prewarmTcp: true });
      expect(seen.map((x) => x.side)).toEqual(['client', 'server']);
      expect(seen[1]!.at).toBe(LO); // the listener was on relayFrom
      // What an HTTP step's client sends (its code is what the warm-up is for), not a token line.
      expect(request).toMatch(/^GET \/ HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n\r\n$/);
      await vi.waitFor(() => expect(seen.every((x) => x.socket.destroyed)).toBe(true), { timeout: 2000, interval: 10 });
    } finally {
      dc.unsubscribe('net.client.socket', onClient);
      dc.unsubscribe('net.server.socket', onServer);
    }
    const server = createServer((c) => c.on('data', () => c.end('HTTP/1.0 200 OK\r\n\r\nwarm')));
    await new Promise<void>((r) => server.listen(0, LO, r));
    try {
      const s = await t.connectTcp(A, { addr: LO, port: (server.address() as { port: number }).port }, 2000);
      let text = '';
      const ended = new Promise<string | undefined>((r) => s.onEnd((_t, e) => r(e)));
      s.onData((d) => (text += Buffer.from(d).toString()));
      s.write(new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'));
      expect(await ended).toBeUndefined();
      expect(text).toBe('HTTP/1.0 200 OK\r\n\r\nwarm');
      s.close();
    } finally {
      await t.close();
      server.close();
    }
  });

  it('streams read into one shared buffer still get their own bytes, early ones included', async () => {
    // Two servers send 3 MB each (several reads of the shared buffer), interleaved.
    const body = (seed: number): Buffer => Buffer.from(Array.from({ length: 3_000_000 }, (_, i) => (i * seed + (i >> 12)) & 0xff));
    const want = [body(7), body(13)];
    const servers = want.map((b) => createServer((s) => { s.end(b); }));
    const ports = await Promise.all(servers.map((srv) => new Promise<number>((r) => srv.listen(0, LO, () => r((srv.address() as { port: number }).port)))));
    const t = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO });
    try {
      const streams = await Promise.all(ports.map((port) => t.connectTcp(A, { addr: LO, port }, 2000)));
      // The first handler comes late: what arrived before it must not be overwritten by later reads.
      await new Promise((r) => setTimeout(r, 50));
      const got = await Promise.all(streams.map((s) => new Promise<Buffer>((resolve) => {
        const parts: Buffer[] = [];
        s.onData((d) => parts.push(Buffer.from(d)));
        s.onEnd(() => resolve(Buffer.concat(parts)));
      })));
      expect(got.map((g) => g.length)).toEqual([3_000_000, 3_000_000]);
      expect(got.map((g, i) => g.equals(want[i]!))).toEqual([true, true]);
    } finally {
      await t.close();
      for (const srv of servers) srv.close();
    }
  });

  it('removeClient closes the client\'s UDP flows: a late answer to its port reaches nobody', async () => {
    await withFlowServer(async (tid, t, got) => {
      t.sendUdp(A, { src: { addr: '203.0.113.100', port: 2070 }, dst: { addr: LO, port: tid.port }, payload: Uint8Array.of(0, 1) });
      await waitUntil(() => tid.got.length === 1);
      const port = tid.got[0]!.rinfo.port;
      tid.sock.send(Uint8Array.of(0, 3, 0, 1), port, LO);
      await waitUntil(() => got.length === 1);
      t.removeClient!(A);
      tid.sock.send(Uint8Array.of(0, 3, 0, 2), port, LO);
      await new Promise((r) => setTimeout(r, 200));
      expect(got).toEqual([A]);
    });
  });

  it('endUdpFlow closes a transfer\'s socket after what it sent: 20 transfers of one client hold no more sockets than none', async () => {
    await withFlowServer(async (tid, t, got) => {
      const before = openSockets();
      // Each transfer ends in the turn it sent its last datagram, before its socket is even bound:
      // the close waits for that datagram, so the server still gets every one.
      for (let i = 0; i < 20; i++) {
        t.sendUdp(A, { src: { addr: '203.0.113.100', port: 3000 + i }, dst: { addr: LO, port: tid.port }, payload: Uint8Array.of(0, 4, 0, i) });
        t.endUdpFlow!(A, 3000 + i);
      }
      await waitUntil(() => tid.got.length === 20 && openSockets() <= before);
      expect(tid.got.map((g) => g.msg[3])).toEqual(Array.from({ length: 20 }, (_, i) => i));
      expect(openSockets()).toBeLessThanOrEqual(before);
      // A late answer to an ended transfer's port reaches nobody.
      tid.sock.send(Uint8Array.of(0, 3, 0, 1), tid.got[19]!.rinfo.port, LO);
      await new Promise((r) => setTimeout(r, 200));
      expect(got).toEqual([]);
    });
  });

  it('close() closes an ended flow whose close still waits behind paced datagrams, after a new transfer took its port', async () => {
    const before = openSockets();
    const tid = await udpServer();
    const t = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO, rateLimitPps: 5 });
    try {
      const tftp = (n: number): UdpDatagram => ({ src: { addr: '203.0.113.100', port: 3000 }, dst: { addr: LO, port: tid.port }, payload: Uint8Array.of(0, 4, 0, n) });
      // A burst of one: the first leaves, the other two (and the ended flow's close) wait for tokens.
      for (let i = 0; i < 3; i++) t.sendUdp(A, tftp(i));
      t.endUdpFlow!(A, 3000);
      t.sendUdp(A, tftp(9)); // the next transfer from the same client port: a flow of its own
      await waitUntil(() => tid.got.length === 1);
    } finally {
      await t.close();
      tid.sock.close();
    }
    await waitUntil(() => openSockets() <= before);
    expect(openSockets()).toBeLessThanOrEqual(before);
  });

  it('removeClient ends a client\'s flows after their paced datagrams: an ended transfer\'s last ACKs and another flow\'s all arrive', async () => {
    const tid = await udpServer();
    const t = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO, rateLimitPps: 20 }) as RelayTransport;
    try {
      const before = openSockets();
      for (let i = 0; i < 5; i++) t.sendUdp(A, { src: { addr: '203.0.113.100', port: 3000 }, dst: { addr: LO, port: tid.port }, payload: Uint8Array.of(0, 4, 0, i) });
      t.endUdpFlow!(A, 3000);
      for (let i = 5; i < 8; i++) t.sendUdp(A, { src: { addr: '203.0.113.100', port: 3001 }, dst: { addr: LO, port: tid.port }, payload: Uint8Array.of(0, 4, 0, i) });
      t.removeClient!(A); // load mode does this right after the client's last step
      await waitUntil(() => tid.got.length === 8 && openSockets() <= before, 10_000);
      expect(tid.got.map((g) => g.msg[3]).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      expect(t.counters.sendErrors).toBe(0);
      expect(openSockets()).toBeLessThanOrEqual(before); // both flows' sockets closed
    } finally {
      await t.close();
      tid.sock.close();
    }
  });

  it('an ended flow\'s close takes no --max-pps token nor queue slot: one-datagram transfers up to the queue bound lose nothing', async () => {
    const N = 10;
    const tid = await udpServer();
    // A burst of five; the other five fill the queue exactly.
    const t = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO, rateLimitPps: 50, queueLimit: N - 5 }) as RelayTransport;
    const sent: number[] = [];
    t.onFrame!((dir, time) => { if (dir === 'sent') sent.push(time); });
    try {
      const before = openSockets();
      for (let i = 0; i < N; i++) {
        t.sendUdp(A, { src: { addr: '203.0.113.100', port: 3000 + i }, dst: { addr: LO, port: tid.port }, payload: Uint8Array.of(0, 4, 0, i) });
        t.endUdpFlow!(A, 3000 + i);
      }
      await waitUntil(() => tid.got.length === N && openSockets() <= before, 10_000);
      expect(t.dropped).toBe(0);
      expect(tid.got.map((g) => g.msg[3]).sort((a, b) => a! - b!)).toEqual(Array.from({ length: N }, (_, i) => i));
      expect(sent).toHaveLength(N);
      expect(openSockets()).toBeLessThanOrEqual(before);
    } finally {
      await t.close();
      tid.sock.close();
    }
  });

  it('--max-pps paces relay mode too: DHCP and other UDP flows share one token bucket, nothing is lost under the queue bound', async () => {
    const RATE = 40;
    const N = 120;
    const srv = await udpServer();
    const times: number[] = [];
    srv.sock.on('message', () => times.push(performance.now() / 1000));
    const t = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO, serverPort: srv.port, rateLimitPps: RATE });
    const sentFrames: number[] = [];
    t.onFrame!((dir, time) => { if (dir === 'sent') sentFrames.push(time); });
    try {
      for (let i = 0; i < N; i++) {
        if (i % 2 === 0) t.sendUdp(A, { src: { addr: '0.0.0.0', port: 68 }, dst: { addr: '255.255.255.255', port: 67 }, payload: discover(), broadcast: true });
        else t.sendUdp(A, { src: { addr: '203.0.113.100', port: 2070 }, dst: { addr: LO, port: srv.port }, payload: Uint8Array.of(0, 1) });
      }
      await waitUntil(() => times.length === N, 30_000);
      expect(times).toHaveLength(N);
      // Loose bounds (a loaded machine only makes it slower): no one-second window above 1.5× the
      // rate, and the whole no faster than the rate allows after the first burst (a tenth of a second's worth).
      let most = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i]! - times[j]! >= 1) j++;
        most = Math.max(most, i - j + 1);
      }
      expect(most).toBeLessThanOrEqual(RATE * 1.5);
      expect(times[N - 1]! - times[0]!).toBeGreaterThan(((N - RATE / 10) / RATE) * 0.7);
      expect(sentFrames).toHaveLength(N); // --pcap sees each packet when it leaves, not when it was queued
    } finally {
      await t.close();
      srv.sock.close();
    }
  });

  it('--max-pps paces TCP connects too: each waits for its token (and the wait counts against its timeout)', async () => {
    const RATE = 10;
    const N = 12;
    const accepted: number[] = [];
    const server = createServer((c) => { accepted.push(performance.now() / 1000); c.end(); });
    await new Promise<void>((r) => server.listen(0, LO, r));
    const port = (server.address() as { port: number }).port;
    const t = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO, rateLimitPps: RATE });
    try {
      const streams = await Promise.all(Array.from({ length: N }, () => t.connectTcp(A, { addr: LO, port }, 20_000)));
      await waitUntil(() => accepted.length === N, 10_000);
      expect(accepted).toHaveLength(N);
      // The first burst is a tenth of a second's worth (1 here); the rest one per 1/RATE s at best.
      expect(accepted[N - 1]! - accepted[0]!).toBeGreaterThan(((N - 1) / RATE) * 0.7);
      for (const s of streams) s.close();
      // A connect that cannot get its token in time fails by its timeout, not later.
      const slow = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO, rateLimitPps: 1 });
      try {
        const first = slow.connectTcp(A, { addr: LO, port }, 5_000);
        await expect(slow.connectTcp(A, { addr: LO, port }, 100)).rejects.toThrow(/timed out after 100 ms/);
        (await first).close();
      } finally {
        await slow.close();
      }
    } finally {
      await t.close();
      server.close();
    }
  });

  it.each([true, false])('explains a relay address that is not on this host (batchDhcp %s)', async (batchDhcp) => {
    await expect(createRelayTransport({ relayFrom: '203.0.113.77', relayPort: 0, server: LO, batchDhcp })).rejects.toThrow(/not an address of this host/);
  });

  it('a burst of DHCP replies reaches the clients whole and in order; a kept reply is not overwritten by later ones', async () => {
    const srv = await udpServer();
    const t = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO, serverPort: srv.port });
    const N = 200; // more than one receive batch (64)
    const macs = Array.from({ length: N }, (_, i) => `02:00:00:01:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`);
    const got: [string, UdpDatagram][] = [];
    t.onUdp((mac, d) => got.push([mac, d]));
    try {
      for (const m of macs) t.addClient(m);
      t.sendUdp(A, { src: { addr: '0.0.0.0', port: 68 }, dst: { addr: '255.255.255.255', port: 67 }, payload: discover(), broadcast: true });
      await waitUntil(() => srv.got.length === 1);
      const relayPort = srv.got[0]!.rinfo.port;
      for (let i = 0; i < N; i++) {
        srv.sock.send(emitDhcpV4(buildDhcpV4({ op: 2, xid: i, chaddr: macs[i]!, yiaddr: `203.0.113.${i % 250 + 1}`, giaddr: LO, options: [{ code: 53, data: Uint8Array.of(2) }] })), relayPort, LO);
      }
      await waitUntil(() => got.length === N, 5000);
      expect(got.map(([m]) => m)).toEqual(macs);
      got.forEach(([, d], i) => {
        const m = parseDhcpV4(d.payload, []);
        expect([m.xid, ipv4ToString(m.yiaddr), d.src.port]).toEqual([i, `203.0.113.${i % 250 + 1}`, srv.port]);
      });
    } finally {
      await t.close();
      srv.sock.close();
    }
  });
});

const LO6 = '::1';

function udp6Server(): Promise<{ sock: Socket; port: number; got: { msg: Buffer; rinfo: RemoteInfo }[] }> {
  return new Promise((resolve) => {
    const sock = createSocket('udp6');
    const got: { msg: Buffer; rinfo: RemoteInfo }[] = [];
    sock.on('message', (msg, rinfo) => got.push({ msg, rinfo }));
    sock.bind(0, LO6, () => resolve({ sock, port: sock.address().port, got }));
  });
}

const SOLICIT6 = Uint8Array.of(1, 0x12, 0x34, 0x56, 0, 8, 0, 2, 0, 0);

describe('relayDhcpV6Message', () => {
  it('wraps a client message in RELAY-FORW (link, peer, interface-id, relay message) and leaves a relayed one alone', () => {
    const out = parseDhcpV6(relayDhcpV6Message(SOLICIT6, { linkAddress: '2001:db8:1::1', peerAddress: 'fe80::1', interfaceId: 'eth0' }), []);
    expect(out.relay).toBe(true);
    if (!out.relay) return;
    expect([out.msgType, out.hopCount, ipv6ToString(out.linkAddress), ipv6ToString(out.peerAddress)]).toEqual([12, 0, '2001:db8:1::1', 'fe80::1']);
    expect(out.options.map((o) => o.code)).toEqual([18, 9]);
    expect([...out.options[1]!.data]).toEqual([...SOLICIT6]);
    const relayed = relayDhcpV6Message(SOLICIT6, { linkAddress: '2001:db8:1::1', peerAddress: 'fe80::1' });
    expect(relayDhcpV6Message(relayed, { linkAddress: '2001:db8:9::1', peerAddress: 'fe80::9' })).toBe(relayed);
  });
});

describe('relay transport over IPv6 loopback', () => {
  it('relays DHCPv6 from its 547 socket, hands RELAY-REPL to the peer-address client (unwrapped if it wrapped), runs TFTP-like flows over udp6', async () => {
    const srv = await udp6Server();
    const t = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO, relayFrom6: LO6, relayPort6: 0, server6: LO6, serverPort6: srv.port });
    const got: [string, UdpDatagram][] = [];
    const frames: [string, number, Uint8Array][] = [];
    t.onUdp((mac, d) => got.push([mac, d]));
    t.onFrame!((dir, _t, lt, f) => frames.push([dir, lt, f]));
    const B = '02:00:00:00:0b:02';
    t.addClient(A);
    t.addClient(B);
    try {
      // A plain Solicit to ff02::1:2 is wrapped by the transport; B's client relays its own.
      t.sendUdp(A, { src: { addr: linkLocalFromMac(A), port: 546 }, dst: { addr: 'ff02::1:2', port: 547 }, payload: SOLICIT6 });
      const bForw = relayDhcpV6Message(SOLICIT6, { linkAddress: LO6, peerAddress: '2001:db8:7::b' });
      t.sendUdp(B, { src: { addr: LO6, port: 547 }, dst: { addr: LO6, port: 547 }, payload: bForw });
      await waitUntil(() => srv.got.length === 2);
      const forw = parseDhcpV6(srv.got[0]!.msg, []);
      expect(forw.relay && [forw.msgType, ipv6ToString(forw.linkAddress), ipv6ToString(forw.peerAddress)]).toEqual([12, LO6, linkLocalFromMac(A)]);
      expect(Buffer.from(srv.got[1]!.msg)).toEqual(Buffer.from(bForw));
      const relayPort = srv.got[0]!.rinfo.port;
      expect(srv.got[1]!.rinfo.port).toBe(relayPort);
      const repl = (peer: string): Buffer => Buffer.from(emitDhcpV6({
        relay: true, msgType: DhcpV6MsgType.RELAY_REPL, hopCount: 0, linkAddress: LO6, peerAddress: peer,
        options: [{ code: 9, data: Uint8Array.of(2, 0x12, 0x34, 0x56) }],
      }));
      srv.sock.send(repl('fe80::99'), relayPort, LO6); // nobody's
      srv.sock.send(repl(linkLocalFromMac(A)), relayPort, LO6);
      srv.sock.send(repl('2001:db8:7::b'), relayPort, LO6);
      await waitUntil(() => got.length === 2);
      await new Promise((r) => setTimeout(r, 20));
      // A's Solicit was wrapped here: A gets the Relay Message (an Advertise) at its link-local port 546,
      // as from a relay agent on its link (RFC 8415 §19.2); B built its own RELAY-FORW and gets the RELAY-REPL.
      expect(got.map(([m, d]) => [m, d.src.port, d.dst.addr, d.dst.port, d.payload[0]])).toEqual([
        [A, srv.port, linkLocalFromMac(A), 546, 2], [B, srv.port, LO6, relayPort, 13]]);
      expect([...got[0]![1].payload]).toEqual([2, 0x12, 0x34, 0x56]);

      // TFTP over IPv6: a fresh udp6 socket from relayFrom6; the answer goes back to the client's port.
      t.sendUdp(A, { src: { addr: '2001:db8:1::100', port: 2070 }, dst: { addr: LO6, port: srv.port }, payload: Uint8Array.of(0, 1) });
      await waitUntil(() => srv.got.length === 3);
      srv.sock.send(Uint8Array.of(0, 3, 0, 1), srv.got[2]!.rinfo.port, LO6);
      await waitUntil(() => got.length === 3);
      expect(got[2]![1]).toMatchObject({ src: { addr: LO6, port: srv.port }, dst: { addr: '2001:db8:1::100', port: 2070 } });

      // --pcap frames for IPv6 are raw IPv6 (link type 229).
      const v6frames = frames.filter(([, lt]) => lt === 229);
      expect(v6frames.length).toBe(frames.length);
      const first = parseIpv6(v6frames[0]![2], [])!;
      expect([first.src, first.dst, first.nextHeader]).toEqual([LO6, LO6, 17]);
    } finally {
      await t.close();
      srv.sock.close();
    }
  });

  it('connects TCP to an IPv6 server from relayFrom6, and refuses without one', async () => {
    const server = createServer((s) => s.on('data', () => s.end('HTTP/1.0 200 OK\r\n\r\nv6')));
    await new Promise<void>((r) => server.listen(0, LO6, r));
    const port = (server.address() as { port: number }).port;
    const t = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO, relayFrom6: LO6, relayPort6: 0 });
    const t4 = await createRelayTransport({ relayFrom: LO, relayPort: 0, server: LO });
    try {
      const s = await t.connectTcp(A, { addr: LO6, port }, 2000);
      let text = '';
      const ended = new Promise<string | undefined>((r) => s.onEnd((_t, e) => r(e)));
      s.onData((d) => (text += Buffer.from(d).toString()));
      s.write(new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'));
      expect(await ended).toBeUndefined();
      expect(text).toBe('HTTP/1.0 200 OK\r\n\r\nv6');
      await expect(t4.connectTcp(A, { addr: LO6, port }, 2000)).rejects.toThrow(/needs relayFrom6/);
    } finally {
      await t.close();
      await t4.close();
      server.close();
    }
  });
});
