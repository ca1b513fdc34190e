// The frame template against the composer's full build: every datagram a template fills is the
// frame the composer writes for the same payload and IP id, bit for bit, and reads back with
// valid checksums — over block numbers and IP ids that wrap past 65,535.
import { describe, expect, it } from 'vitest';
import { ipv4FromString, ipv6FromString } from '../bytes.js';
import type { WireIssue } from '../issues.js';
import { parseIpv4 } from '../ipv4.js';
import { parseIpv6 } from '../ipv6.js';
import { parseTcp, TcpFlag, verifyTcpChecksum } from '../tcp.js';
import { parseUdp, verifyUdpChecksum } from '../udp.js';
import { ETHERNET_HEADER_LENGTH } from '../ethernet.js';
import { FrameComposer, type FrameAddresses } from './compose.js';

const v4: FrameAddresses = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '198.51.100.1', dstIp: '198.51.100.2', hopLimit: 64 };
const v6: FrameAddresses = { ...v4, srcIp: '2001:db8::1', dstIp: '2001:db8::2', hopLimit: 128 };

/** A TFTP ACK (opcode 4) of `block`. */
function ack(block: number): Uint8Array {
  return Uint8Array.of(0, 4, (block >> 8) & 0xff, block & 0xff);
}

/** The frame a fresh composer builds whose next IPv4 id is `id`. */
function fullBuild(a: FrameAddresses, id: number, payload: Uint8Array): Uint8Array {
  return new FrameComposer({ minFrameLength: 60, ipId: (id - 1) & 0xffff }).udp(a, 50001, 69, payload);
}

function checksumsValid(a: FrameAddresses, frame: Uint8Array): boolean {
  const issues: WireIssue[] = [];
  const ipBytes = frame.subarray(ETHERNET_HEADER_LENGTH);
  const v6 = a.srcIp.includes(':');
  const ip = v6 ? parseIpv6(ipBytes, issues) : parseIpv4(ipBytes, issues);
  if (ip === null) return false;
  const pseudo = v6 ? { src: ipv6FromString(a.srcIp), dst: ipv6FromString(a.dstIp) } : { src: ipv4FromString(a.srcIp), dst: ipv4FromString(a.dstIp) };
  const headerOk = v6 || (ip as { checksumOk: boolean }).checksumOk;
  return headerOk && verifyUdpChecksum(parseUdp(ip.payload, issues)!, pseudo) === 'ok' && issues.length === 0;
}

describe('UdpFrameTemplate', () => {
  it('fills ACK frames equal to the full build, checksums valid, over 70,000 blocks (block and IP id wrap)', () => {
    const firstId = 0xff00; // the id wraps after 256 datagrams, the block number after 65,536
    const t = new FrameComposer({ minFrameLength: 60, ipId: firstId - 1 }).udpTemplate(v4, 50001, 69, 4);
    let mismatches = 0;
    let invalid = 0;
    for (let k = 1; k <= 70_000; k++) {
      const payload = ack(k & 0xffff);
      const f = t.fill(payload);
      const id = (firstId + k) & 0xffff;
      const want = fullBuild(v4, id, payload);
      if (f.length !== want.length || f.some((b, i) => b !== want[i])) mismatches++;
      if (k % 97 === 0 || (k & 0xffff) < 3 || id < 3) if (!checksumsValid(v4, f)) invalid++;
    }
    expect({ mismatches, invalid }).toEqual({ mismatches: 0, invalid: 0 });
  });

  it('fills any payload of its length, odd lengths and IPv6 too', () => {
    for (const a of [v4, v6]) {
      for (const len of [1, 5, 33]) {
        const firstId = 7;
        const t = new FrameComposer({ minFrameLength: 60, ipId: firstId - 1 }).udpTemplate(a, 50001, 69, len);
        let seed = 1;
        let bad = 0;
        for (let k = 1; k <= 2_000; k++) {
          const payload = new Uint8Array(len).map(() => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24);
          const f = t.fill(payload);
          // IPv6 has no id per datagram: the full build is the same frame whatever the composer's counter.
          const want = fullBuild(a, (firstId + k) & 0xffff, payload);
          if (f.length !== want.length || f.some((b, i) => b !== want[i]) || !checksumsValid(a, f)) bad++;
        }
        expect({ family: a.srcIp, len, bad }).toEqual({ family: a.srcIp, len, bad: 0 });
      }
    }
  });

  it('refuses a payload shorter than its own length', () => {
    const t = new FrameComposer().udpTemplate(v4, 50001, 69, 4);
    expect(() => t.fill(new Uint8Array(3))).toThrow(RangeError);
  });
});

describe('TcpAckTemplate', () => {
  /** The bare ACK a fresh composer builds whose next IPv4 id is `id`. */
  function fullAck(a: FrameAddresses, id: number, seq: number, ack: number, window: number): Uint8Array {
    return new FrameComposer({ minFrameLength: 60, ipId: (id - 1) & 0xffff }).tcp(a, { srcPort: 49152, dstPort: 80, seq, ack, flags: TcpFlag.ACK, window, urgent: 0 }, new Uint8Array(0));
  }

  function tcpChecksumOk(a: FrameAddresses, frame: Uint8Array): boolean {
    const issues: WireIssue[] = [];
    const v6 = a.srcIp.includes(':');
    const ipBytes = frame.subarray(ETHERNET_HEADER_LENGTH);
    const ip = v6 ? parseIpv6(ipBytes, issues) : parseIpv4(ipBytes, issues);
    if (ip === null || (!v6 && !(ip as { checksumOk: boolean }).checksumOk)) return false;
    const pseudo = v6 ? { src: ipv6FromString(a.srcIp), dst: ipv6FromString(a.dstIp) } : { src: ipv4FromString(a.srcIp), dst: ipv4FromString(a.dstIp) };
    const seg = parseTcp(ip.payload, issues);
    return seg !== null && verifyTcpChecksum(seg, pseudo) === 'ok' && issues.length === 0;
  }

  it('each ACK is the full build of the same segment and IP id, over sequence numbers, windows and ids that wrap', () => {
    for (const a of [v4, v6]) {
      const firstId = 0xfff0;
      const t = new FrameComposer({ minFrameLength: 60, ipId: firstId - 1 }).tcpAckTemplate(a, 49152, 80);
      let seed = 12345;
      const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
      let mismatches = 0;
      let invalid = 0;
      const corners = [0, 1, 0xffff, 0x10000, 0xfffffffe, 0xffffffff];
      for (let k = 1; k <= 3000; k++) {
        const seq = k <= corners.length ? corners[k - 1]! : rnd();
        const ack = k <= corners.length ? corners[corners.length - k]! : rnd();
        const window = k % 3 === 0 ? 0xffff : k % 5 === 0 ? 0 : rnd() & 0xffff;
        const f = t.next(seq, ack, window);
        // IPv6 has no id: the template's frame keeps the composer's (none), the full build too.
        const want = fullAck(a, a === v6 ? 0 : (firstId + k) & 0xffff, seq, ack, window);
        if (f.length !== want.length || f.some((b, i) => b !== want[i])) mismatches++;
        if (!tcpChecksumOk(a, f)) invalid++;
      }
      expect({ family: a.srcIp, mismatches, invalid }).toEqual({ family: a.srcIp, mismatches: 0, invalid: 0 });
    }
  });

  it('hands out a frame of its own each time: a queued ACK is not changed by the next', () => {
    const t = new FrameComposer({ minFrameLength: 60 }).tcpAckTemplate(v4, 49152, 80);
    const first = t.next(1000, 2000, 512);
    const copy = first.slice();
    const second = t.next(1000, 9000, 512);
    expect(second).not.toEqual(first);
    expect(first).toEqual(copy);
  });
});
