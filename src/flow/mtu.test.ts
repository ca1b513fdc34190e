import { describe, it, expect } from 'vitest';
import type { FragmentSeen, TcpSegmentSeen } from '../decode/messages.js';
import { TcpFlag } from '../wire/tcp.js';
import { MtuTracker } from './mtu.js';

const SERVER = '198.51.100.1';
const CLIENT = '198.51.100.137';
const KEY = 'mac:52:54:00:00:f0:01';
const tracker = () => new MtuTracker((addr) => (addr === CLIENT ? KEY : `ip:${addr}`));

/** A fragment (never completed) of datagram `id` from the server to the client. */
function frag(frame: number, time: number, id: number, offset: number, more: boolean): FragmentSeen {
  return { frame, time, ipVersion: 4, src: SERVER, dst: CLIENT, srcMac: null, id, offset, more, dataLength: 800, packetLength: 820, completed: false };
}

function seg(frame: number, time: number, fromServer: boolean, flags: number, seq: number, ack: number, len: number): TcpSegmentSeen {
  const [src, dst, srcPort, dstPort] = fromServer ? [SERVER, CLIENT, 80, 49152] : [CLIENT, SERVER, 49152, 80];
  return { frame, time, src, srcPort, dst, dstPort, src4: -1, dst4: -1, seq, ack, flags, dataLength: len, packetLength: len + 52 };
}

/** A connection whose first full-size segment from the server is sent `sends` times, unacknowledged. */
function stalledConnection(t: MtuTracker, frame0: number, t0: number, sends: number): void {
  const { SYN, ACK } = TcpFlag;
  t.tcpSegment(seg(frame0, t0, false, SYN, 1000, 0, 0));
  t.tcpSegment(seg(frame0 + 1, t0, true, SYN | ACK, 5000, 1001, 0));
  t.tcpSegment(seg(frame0 + 2, t0, false, ACK, 1001, 5001, 0));
  for (let i = 0; i < sends; i++) {
    t.tcpSegment(seg(frame0 + 3 + 2 * i, t0 + i, true, ACK, 5001, 1001, 1448));
    t.tcpSegment(seg(frame0 + 4 + 2 * i, t0 + i, false, ACK, 1001, 5001, 0)); // the client still at byte 0
  }
}

describe('MtuTracker: a device that boots again', () => {
  it('a new SYN with the same ports and ISN after data is a new connection: each stall its own fact', () => {
    const t = tracker();
    stalledConnection(t, 1, 0, 4);
    stalledConnection(t, 100, 200, 4);
    const holes = t.factsFor(KEY)!.blackHoles;
    expect(holes.map((h) => ({ first: h.first, sends: h.sends }))).toEqual([{ first: 1, sends: 4 }, { first: 201, sends: 4 }]);
    expect(holes[1]!.frames.every((f) => f >= 100)).toBe(true);
  });

  it('a SYN sent again before any data keeps the connection', () => {
    const t = tracker();
    t.tcpSegment(seg(1, 0, false, TcpFlag.SYN, 1000, 0, 0));
    stalledConnection(t, 2, 1, 4);
    expect(t.factsFor(KEY)!.blackHoles).toHaveLength(1);
  });

  it('fragments after a new boot (startOver) are a new record; the old boot\'s waiting datagram is lost', () => {
    const t = tracker();
    t.fragment(frag(1, 0, 7, 1480, true));
    t.fragment(frag(2, 0, 7, 2960, false));
    t.startOver(KEY);
    // The rebooted stack draws the same IP id: not the old datagram's missing piece.
    t.fragment(frag(10, 200, 7, 1480, true));
    t.fragment(frag(11, 200, 7, 2960, false));
    t.fragment(frag(12, 205, 9, 1480, true));
    const fr = t.factsFor(KEY)!.fragments;
    expect(fr.map((f) => ({ first: f.first, datagrams: f.datagrams, lost: f.lost }))).toEqual([
      { first: 0, datagrams: 1, lost: 1 },
      { first: 200, datagrams: 2, lost: 1 }, // id 9 is still within the wait at the end
    ]);
    expect(fr[1]!.frames).toEqual([10, 11]);
  });

  it('without a new boot the same pair stays one record', () => {
    const t = tracker();
    t.fragment(frag(1, 0, 7, 1480, true));
    t.fragment(frag(2, 5, 8, 1480, true));
    expect(t.factsFor(KEY)!.fragments).toHaveLength(1);
  });
});
