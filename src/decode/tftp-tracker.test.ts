import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { TftpSessionTracker } from './tftp-tracker.js';
import { PUBLIC } from '../../test/helpers/paths.js';
import { tsharkFields } from '../../test/helpers/tshark.js';

interface Udp { frame: number; time: number; src: string; sport: number; dst: string; dport: number; opcode: number }

/** Addresses and ports from tshark (the independent oracle), one row per UDP packet. */
function udpPackets(file: string): Udp[] {
  const rows = tsharkFields(join(PUBLIC, file), ['frame.number', 'frame.time_epoch', 'ip.src', 'udp.srcport', 'ip.dst',
    'udp.dstport', 'udp.payload'], { filter: 'udp' });
  return rows.map(([f, t, s, sp, d, dp, payload]) => {
    return { frame: Number(f), time: Number(t), src: s!, sport: Number(sp), dst: d!, dport: Number(dp), opcode: parseInt(payload!.slice(0, 4), 16) };
  });
}

/** What the decode pipeline does with each UDP packet. */
function track(tr: TftpSessionTracker, p: Udp): ReturnType<TftpSessionTracker['match']> {
  if (p.dport === 69 && (p.opcode === 1 || p.opcode === 2)) return tr.noteRequest(p.src, p.sport, p.dst, p.time, p.frame, 'rfc1350.txt', p.opcode === 1 ? 'RRQ' : 'WRQ');
  return tr.match(p.src, p.sport, p.dst, p.dport, p.time);
}

describe('TftpSessionTracker', () => {
  it('matches the whole RRQ → DATA/ACK transfer of tftp_rrq.pcap across the port change', () => {
    const pkts = udpPackets('spicy-tftp/tftp_rrq.pcap');
    expect(pkts.length).toBe(99);
    const tr = new TftpSessionTracker();
    const sessions = pkts.map((p) => track(tr, p));
    const first = sessions[0]!;
    expect(first).not.toBeNull();
    for (const s of sessions) expect(s).toBe(first);
    expect(first).toMatchObject({
      clientAddr: '192.168.0.253', clientPort: 50618, serverAddr: '192.168.0.10', replyAddr: '192.168.0.10',
      serverPort: 3445, replyAddrDiffers: false, requestFrame: 1, file: 'rfc1350.txt', kind: 'RRQ', packets: 98,
    });
    // An unrelated UDP packet between the same hosts (other ports) is not part of it.
    expect(tr.match('192.168.0.10', 3446, '192.168.0.253', 50618, pkts[98]!.time)).toBeNull();
    expect(first!.strayPackets).toBe(1);
    expect(tr.match('192.168.0.253', 50618, '192.168.0.10', 53, pkts[98]!.time)).toBeNull();
    expect(tr.match('198.51.100.1', 1000, '198.51.100.2', 2000, pkts[98]!.time)).toBeNull();
  });

  it('follows a WRQ whose first answer is ACK 0 (tftp_wrq.pcap)', () => {
    const pkts = udpPackets('spicy-tftp/tftp_wrq.pcap');
    const tr = new TftpSessionTracker();
    const sessions = pkts.map((p) => track(tr, p));
    expect(new Set(sessions).size).toBe(1);
    expect(sessions[0]).toMatchObject({ kind: 'WRQ', serverPort: 2087, packets: pkts.length - 1 });
  });

  it('accepts the first answer from another server address (multi-homed) and notes it', () => {
    const tr = new TftpSessionTracker();
    const s = tr.noteRequest('198.51.100.10', 2000, '198.51.100.1', 0, 1);
    expect(tr.match('198.51.100.2', 40000, '198.51.100.10', 2000, 0.1)).toBe(s);
    expect(s).toMatchObject({ replyAddr: '198.51.100.2', serverPort: 40000, replyAddrDiffers: true });
    expect(tr.match('198.51.100.10', 2000, '198.51.100.2', 40000, 0.2)).toBe(s);
    expect(tr.match('198.51.100.10', 2000, '198.51.100.1', 40000, 0.2)).toBeNull();
  });

  it('a retransmitted request is the same session; IPv6 endpoints work', () => {
    const tr = new TftpSessionTracker();
    const a = tr.noteRequest('2001:db8::10', 3000, '2001:db8::1', 0, 1, 'boot.efi', 'RRQ');
    const b = tr.noteRequest('2001:db8::10', 3000, '2001:db8::1', 1, 5, 'boot.efi', 'RRQ');
    expect(b).toBe(a);
    expect(a.requestFrames).toEqual([1, 5]);
    expect(tr.match('2001:db8::1', 50000, '2001:db8::10', 3000, 1.1)).toBe(a);
    expect(tr.match('2001:db8::10', 3000, '2001:db8::1', 50000, 1.2)).toBe(a);
    // After the answer, a new request from the same port starts a new transfer.
    const c = tr.noteRequest('2001:db8::10', 3000, '2001:db8::1', 2, 9, 'next.efi', 'RRQ');
    expect(c).not.toBe(a);
    expect(c.id).toBe(2);
  });

  it('a request repeated after the answer but before the client took it is the same session, on the TID the client takes', () => {
    const C = '198.51.100.100';
    const S = '198.51.100.1';
    // The client's timer fired before it read the OACK: RRQ, OACK (TID 40000), RRQ again, OACK (TID 40001).
    const kept = new TftpSessionTracker();
    const a = kept.noteRequest(C, 3000, S, 0, 1, 'boot.efi', 'RRQ');
    expect(kept.match(S, 40000, C, 3000, 1.2)).toBe(a);
    expect(kept.noteRequest(C, 3000, S, 1.21, 3, 'boot.efi', 'RRQ')).toBe(a);
    // It answers the first with ACK 0 and the second with ERROR 5, which belongs to no transfer.
    expect(kept.match(C, 3000, S, 40000, 1.22)).toBe(a);
    expect(kept.match(S, 40001, C, 3000, 1.23)).toBeNull();
    expect(kept.match(C, 3000, S, 40001, 1.24)).toBeNull();
    expect(kept.match(S, 40000, C, 3000, 1.3)).toBe(a);
    expect(a).toMatchObject({ requestFrames: [1, 3], serverPort: 40000, strayPackets: 1 });
    // The first answer never reached the client: it takes the second TID, and the transfer follows it there.
    const moved = new TftpSessionTracker();
    const b = moved.noteRequest(C, 3000, S, 0, 1, 'boot.efi', 'RRQ');
    expect(moved.match(S, 40000, C, 3000, 1.2)).toBe(b);
    expect(moved.noteRequest(C, 3000, S, 1.21, 3, 'boot.efi', 'RRQ')).toBe(b);
    expect(moved.match(S, 40001, C, 3000, 1.23)).toBeNull();
    expect(moved.match(C, 3000, S, 40001, 1.24)).toBe(b);
    expect(moved.match(S, 40001, C, 3000, 1.3)).toBe(b);
    expect(moved.match(S, 40000, C, 3000, 1.4)).toBeNull();
    expect(b).toMatchObject({ requestFrames: [1, 3], serverPort: 40001 });
    // Once the client has spoken to the server's TID, a new request from that port is a new transfer.
    expect(moved.noteRequest(C, 3000, S, 2, 9, 'boot.efi', 'RRQ')).not.toBe(b);
  });

  it('a request after an ERROR, or after the idle timeout with the answer never taken, is a new session', () => {
    const C = '198.51.100.100';
    const S = '198.51.100.1';
    const tr = new TftpSessionTracker({ idleTimeout: 30 });
    const a = tr.noteRequest(C, 2070, S, 0, 1, 'missing.cfg', 'RRQ');
    expect(tr.match(S, 40000, C, 2070, 0.01)).toBe(a);
    tr.noteError(a);
    expect(tr.noteRequest(C, 2070, S, 3, 3, 'missing.cfg', 'RRQ')).not.toBe(a);
    // A ROM that reuses its port: an OACK it never took, then the machine rebooted a minute later.
    const b = tr.noteRequest(C, 2071, S, 10, 5, 'boot.efi', 'RRQ');
    expect(tr.match(S, 40001, C, 2071, 10.01)).toBe(b);
    expect(tr.noteRequest(C, 2071, S, 12, 7, 'boot.efi', 'RRQ')).toBe(b);
    expect(tr.noteRequest(C, 2071, S, 72, 9, 'boot.efi', 'RRQ')).not.toBe(b);
  });

  it('expires idle sessions and evicts the oldest beyond maxSessions', () => {
    const tr = new TftpSessionTracker({ idleTimeout: 10, maxSessions: 2 });
    const a = tr.noteRequest('198.51.100.10', 1, '198.51.100.1', 0, 1);
    const b = tr.noteRequest('198.51.100.10', 2, '198.51.100.1', 5, 2);
    const c = tr.noteRequest('198.51.100.10', 3, '198.51.100.1', 6, 3);
    expect(tr.size).toBe(2);
    expect(tr.expire(7)).toEqual([a]); // evicted
    expect(tr.match('198.51.100.1', 9, '198.51.100.10', 1, 7)).toBeNull();
    tr.match('198.51.100.1', 9, '198.51.100.10', 3, 14); // keeps c alive
    expect(tr.expire(15.5)).toEqual([b]);
    expect(tr.expire(30)).toEqual([c]);
    expect(tr.size).toBe(0);
  });
});

describe('TftpSessionTracker with numeric IPv4 addresses (the decode pipeline)', () => {
  /** 198.51.100.x as the dissector gives it (a 32-bit number). */
  const v4 = (x: number): number => ((198 << 24) >>> 0) + (51 << 16) + (100 << 8) + x;
  const datagram = (src: number, srcPort: number, dst: number, dstPort: number) =>
    ({ src: `198.51.100.${src}`, dst: `198.51.100.${dst}`, srcPort, dstPort, src4: v4(src), dst4: v4(dst) });

  it('sees a session opened, replaced or expired after a look-up of the same endpoint', () => {
    const tr = new TftpSessionTracker({ idleTimeout: 30 });
    // Looked up before any request: nothing (and nothing stale remembered afterwards).
    expect(tr.matchDatagram(datagram(1, 40000, 10, 2000), { time: 0 })).toBeNull();
    const first = tr.noteRequest('198.51.100.10', 2000, '198.51.100.1', 1, 1, 'a.efi', 'RRQ');
    expect(tr.matchDatagram(datagram(1, 40000, 10, 2000), { time: 1.1 })).toBe(first);
    expect(tr.matchDatagram(datagram(10, 2000, 1, 40000), { time: 1.2 })).toBe(first);
    // The client reboots and asks again from the same port after the ERROR: a new session.
    tr.noteError(first);
    const second = tr.noteRequest('198.51.100.10', 2000, '198.51.100.1', 5, 9, 'b.efi', 'RRQ');
    expect(second).not.toBe(first);
    expect(tr.matchDatagram(datagram(1, 40001, 10, 2000), { time: 5.1 })).toBe(second);
    expect(second.packets).toBe(1);
    // Gone once idle: no session answers for that endpoint any more.
    expect(tr.expire(100)).toEqual([second]);
    expect(tr.matchDatagram(datagram(1, 40001, 10, 2000), { time: 100.1 })).toBeNull();
    expect(tr.matchDatagram(datagram(10, 2000, 1, 40001), { time: 100.2 })).toBeNull();
  });

  it('tells endpoints apart that share an address or a port', () => {
    const tr = new TftpSessionTracker();
    const sessions = [];
    for (let c = 10; c < 60; c++) for (const port of [2000, 2001]) sessions.push(tr.noteRequest(`198.51.100.${c}`, port, '198.51.100.1', 0, sessions.length + 1));
    let i = 0;
    for (let c = 10; c < 60; c++) {
      for (const port of [2000, 2001]) {
        const s = sessions[i++]!;
        expect(tr.matchDatagram(datagram(1, 30000 + i, c, port), { time: 1 })).toBe(s);
        expect(tr.matchDatagram(datagram(c, port, 1, 30000 + i), { time: 1 })).toBe(s);
      }
    }
  });
});
