/**
 * Hostile captures for the robustness tests and bench/hostile.mjs: traffic built with the real
 * encoders that tries to make the analyzer hold memory (streams that never close, fragments that
 * never complete, bodies that never end), wrap counters, or repeat one finding without end.
 * Each generator writes frames in time order to a FrameSink and returns nothing else.
 */
import { buildDhcpV4, DhcpV4Code, DhcpV4MessageType, emitDhcpV4, type DhcpV4OptionInput } from '../wire/dhcpv4/index.js';
import { TcpPort, UdpPort } from '../wire/ports.js';
import { asciiBytes } from '../wire/bytes.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { emitEthernet, EtherType } from '../wire/ethernet.js';
import { emitIpv4 } from '../wire/ipv4.js';
import { emitIpv6 } from '../wire/ipv6.js';
import { TcpFlag, type TcpRepr } from '../wire/tcp.js';
import { buildAck, buildData, buildOack, buildRrq } from '../wire/tftp.js';
import { addr, FrameFactory, type FrameHeads } from './frames.js';
import type { FrameSink } from './traffic.js';

const SERVER = addr('198.51.100.1');
const SERVER_MAC = '02:00:00:00:00:01';
const T0 = 1_700_000_000;

/** The i-th client of a hostile capture: 198.18.0.0/15 and a locally administered MAC. */
function client(i: number): FrameHeads {
  const ip = `198.${18 + ((i >> 16) & 1)}.${(i >> 8) & 0xff}.${i & 0xff}`;
  const mac = `02:aa:00:${((i >> 16) & 0xff).toString(16).padStart(2, '0')}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
  return { srcMac: mac, dstMac: SERVER_MAC, src: addr(ip), dst: SERVER, ttl: 64 };
}

function back(h: FrameHeads): FrameHeads {
  return { srcMac: h.dstMac, dstMac: h.srcMac, src: h.dst, dst: h.src, ttl: 64 };
}

function seg(srcPort: number, dstPort: number, seq: number, ack: number, flags: number): TcpRepr {
  return { srcPort, dstPort, seq, ack, flags, window: 65535, urgent: 0 };
}

const EMPTY = new Uint8Array(0);

/**
 * `streams` HTTP connections, all open at once (within the reassembler's idle timeout): handshake,
 * a GET, then the server's answer arrives `gap` bytes ahead of what was seen, so each direction
 * holds out-of-order bytes that the missing segment never releases. Nothing ever closes. The
 * streams come from `clients` hosts (default 1000; distinct hosts by the million are another test).
 */
export function tcpGapStreams(emit: FrameSink, streams: number, opts: { gap?: number; held?: number; segments?: number; clients?: number } = {}): void {
  const clients = opts.clients ?? 1000;
  const f = new FrameFactory();
  const gap = opts.gap ?? 1000;
  const held = new Uint8Array(opts.held ?? 1400).fill(0x41);
  const segments = opts.segments ?? 1;
  const span = 60; // seconds: well inside the 120 s idle timeout
  for (let i = 0; i < streams; i++) {
    const t = T0 + (span * i) / streams;
    const c = client(i % clients);
    const s = back(c);
    const port = 10000 + (Math.floor(i / clients) % 50000);
    const req = asciiBytes(`GET /file${i} HTTP/1.1\r\nHost: 198.51.100.1\r\n\r\n`);
    emit(t, f.tcp(c, seg(port, TcpPort.HTTP, 1000, 0, TcpFlag.SYN), EMPTY));
    emit(t, f.tcp(s, seg(TcpPort.HTTP, port, 5000, 1001, TcpFlag.SYN | TcpFlag.ACK), EMPTY));
    emit(t, f.tcp(c, seg(port, TcpPort.HTTP, 1001, 5001, TcpFlag.ACK | TcpFlag.PSH), req));
    for (let k = 0; k < segments; k++) {
      const seq = (5001 + gap + k * held.length) >>> 0;
      emit(t, f.tcp(s, seg(TcpPort.HTTP, port, seq, 1001 + req.length, TcpFlag.ACK), held));
    }
  }
}

/** First fragments (offset 0, more fragments) of `count` UDP datagrams that never complete. */
export function fragmentFlood(emit: FrameSink, count: number, version: 4 | 6, opts: { piece?: number; pieces?: number } = {}): void {
  const piece = new Uint8Array(opts.piece ?? 1400).fill(0x42);
  const pieces = opts.pieces ?? 1;
  for (let i = 0; i < count; i++) {
    const t = T0 + i * 0.0001;
    const c = client(i % 60000);
    for (let k = 0; k < pieces; k++) {
      const offset = k * piece.length;
      let ip: Uint8Array;
      if (version === 4) {
        ip = emitIpv4({
          dscp: 0, ecn: 0, identification: i & 0xffff, df: false, mf: true, fragmentOffset: offset, ttl: 64,
          protocol: IpProtocol.UDP, src: c.src.ip, dst: SERVER.ip,
        }, piece);
      } else {
        ip = emitIpv6({
          trafficClass: 0, flowLabel: 0, hopLimit: 64, nextHeader: IpProtocol.UDP,
          src: `2001:db8::${(i % 60000).toString(16)}`, dst: '2001:db8::1',
          fragment: { offset, more: true, identification: i },
        }, piece);
      }
      emit(t, emitEthernet({ src: c.srcMac, dst: SERVER_MAC, vlans: [], etherType: version === 4 ? EtherType.IPV4 : EtherType.IPV6 }, ip));
    }
  }
}

/** One HTTP download whose chunked body never ends: `chunks` chunks of `size` bytes, no last chunk. */
export function endlessChunkedBody(emit: FrameSink, chunks: number, size = 1400): void {
  const f = new FrameFactory();
  const c = client(1);
  const s = back(c);
  const port = 40000;
  const req = asciiBytes('GET /boot.ipxe HTTP/1.1\r\nHost: 198.51.100.1\r\n\r\n');
  const head = asciiBytes('HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n');
  const chunk = new Uint8Array(size + 8);
  chunk.set(asciiBytes(`${size.toString(16).padStart(4, '0')}\r\n`));
  chunk.fill(0x43, 6, 6 + size);
  chunk.set(asciiBytes('\r\n'), 6 + size);
  const body = chunk.subarray(0, size + 8);
  let t = T0;
  emit(t, f.tcp(c, seg(port, TcpPort.HTTP, 1000, 0, TcpFlag.SYN), EMPTY));
  emit(t, f.tcp(s, seg(TcpPort.HTTP, port, 5000, 1001, TcpFlag.SYN | TcpFlag.ACK), EMPTY));
  emit(t, f.tcp(c, seg(port, TcpPort.HTTP, 1001, 5001, TcpFlag.ACK | TcpFlag.PSH), req));
  let sseq = 5001;
  emit(t, f.tcp(s, seg(TcpPort.HTTP, port, sseq, 1001 + req.length, TcpFlag.ACK), head));
  sseq += head.length;
  for (let i = 0; i < chunks; i++) {
    t += 0.0001;
    emit(t, f.tcp(s, seg(TcpPort.HTTP, port, sseq >>> 0, 1001 + req.length, TcpFlag.ACK), body));
    sseq += body.length;
  }
}

/**
 * A TFTP download of `blocks` blocks of `blksize` bytes (negotiated: RRQ, OACK, ACK 0; the last
 * block short, so complete), lock-step
 * DATA/ACK, block numbers rolling over from 65535 to 0 as tftpd-hpa and most servers do.
 */
export function tftpRollover(emit: FrameSink, blocks: number, blksize = 8): void {
  const f = new FrameFactory();
  const c = client(2);
  const s = back(c);
  const cport = 2070;
  const sport = 33000;
  let t = T0;
  emit(t, f.udp(c, cport, UdpPort.TFTP, buildRrq('big.img', 'octet', { blksize })));
  emit(t, f.udp(s, sport, cport, buildOack({ blksize })));
  emit(t, f.udp(c, cport, sport, buildAck(0)));
  const full = new Uint8Array(blksize).fill(0x44);
  const last = full.subarray(0, blksize - 1);
  for (let b = 1; b <= blocks; b++) {
    t += 0.00005;
    emit(t, f.udp(s, sport, cport, buildData(b & 0xffff, b === blocks ? last : full)));
    emit(t, f.udp(c, cport, sport, buildAck(b & 0xffff)));
  }
}

/** DHCP OFFERs whose options area holds `instances` instances of one option (RFC 3396 joins them). */
export function dhcpConcatenation(emit: FrameSink, messages: number, instances: number): void {
  const f = new FrameFactory();
  for (let i = 0; i < messages; i++) {
    const c = client(i);
    const s = back(c);
    const options: DhcpV4OptionInput[] = [{ code: DhcpV4Code.MESSAGE_TYPE, value: DhcpV4MessageType.OFFER }, { code: DhcpV4Code.SERVER_ID, value: SERVER.ip }];
    // Each instance of option 43 carries a 1-byte piece of the vendor data.
    for (let k = 0; k < instances; k++) options.push({ code: DhcpV4Code.VENDOR_SPECIFIC, data: Uint8Array.of(k & 0xff) });
    // And one code spread over many instances of a string option: the boot file name.
    for (let k = 0; k < Math.min(instances, 200); k++) options.push({ code: DhcpV4Code.BOOTFILE_NAME, data: asciiBytes('b') });
    const msg = buildDhcpV4({ xid: i + 1, chaddr: c.srcMac, yiaddr: c.src.ip, siaddr: SERVER.ip, options });
    emit(T0 + i * 0.001, f.udp(s, UdpPort.DHCP_SERVER, UdpPort.DHCP_CLIENT, emitDhcpV4(msg)));
  }
}

/** DHCP OFFERs with option 52 = 3: the file and sname fields are full of options (RFC 2132 §9.3). */
export function dhcpOverload(emit: FrameSink, messages: number): void {
  const f = new FrameFactory();
  for (let i = 0; i < messages; i++) {
    const c = client(i);
    const s = back(c);
    const options: DhcpV4OptionInput[] = [{ code: DhcpV4Code.MESSAGE_TYPE, value: DhcpV4MessageType.OFFER }, { code: DhcpV4Code.SERVER_ID, value: SERVER.ip }, { code: DhcpV4Code.OVERLOAD, value: 3 }];
    // file (128 bytes): the boot file name split over instances, then pads; sname (64 bytes): option 66.
    for (let k = 0; k < 25; k++) options.push({ code: DhcpV4Code.BOOTFILE_NAME, data: asciiBytes('ab'), area: 'file' });
    for (let k = 0; k < 15; k++) options.push({ code: DhcpV4Code.TFTP_SERVER_NAME, data: asciiBytes('x'), area: 'sname' });
    const msg = buildDhcpV4({ xid: i + 1, chaddr: c.srcMac, yiaddr: c.src.ip, siaddr: SERVER.ip, options });
    emit(T0 + i * 0.001, f.udp(s, UdpPort.DHCP_SERVER, UdpPort.DHCP_CLIENT, emitDhcpV4(msg)));
  }
}

/**
 * One client that asks for the same file `count` times from new ports and is never answered: the
 * same finding (tftp.timeout) `count` times for one device.
 */
export function identicalFindings(emit: FrameSink, count: number): void {
  const f = new FrameFactory();
  const c = client(3);
  const rrq = buildRrq('pxelinux.0', 'octet');
  for (let i = 0; i < count; i++) {
    emit(T0 + i * 0.001, f.udp(c, 1024 + (i % 60000), UdpPort.TFTP, rrq));
  }
}

/**
 * One device, `count` TFTP transfers that all stall, then an ACK storm: each RRQ (blksize 8) gets
 * its OACK and the client's ACK 0; once all have started, the client sends ACK 0 again on every
 * one of them. Every transfer is open from its start to the end of the capture, so a rule that
 * looked at the device's later steps for each step did count² work. At most 60,000 (distinct
 * ports, within the TFTP tracker's 65,536 and its 30 s idle time).
 */
export function stalledTransfers(emit: FrameSink, count: number): void {
  const n = Math.min(count, 60_000);
  const f = new FrameFactory();
  const c = client(5);
  const s = back(c);
  const rrq = buildRrq('boot.img', 'octet', { blksize: 8 });
  const oack = buildOack({ blksize: 8 });
  const ack0 = buildAck(0);
  const step = 10 / Math.max(n, 1); // all started within 10 s
  const port = (i: number): number => 5000 + i; // clear of the DHCP ports (67, 68, 546, 547, 4011) and TFTP's 69
  let t = T0;
  for (let i = 0; i < n; i++) {
    emit(t, f.udp(c, port(i), UdpPort.TFTP, rrq));
    emit(t, f.udp(s, port(i), port(i), oack));
    emit(t, f.udp(c, port(i), port(i), ack0));
    t += step;
  }
  for (let i = 0; i < n; i++) {
    emit(t, f.udp(c, port(i), port(i), ack0));
    t += step;
  }
  // Another host, 15 s on: the capture outlasts every transfer's idle time (10 s), so each is a timeout.
  emit(t + 15, f.udp(client(6), 9, 9, asciiBytes('end')));
}

/**
 * One device, `count` DHCP DISCOVERs, each a new transaction (xid), none answered, all within 10 s,
 * then 15 s of quiet: `count` dhcp.no-offer steps in one attempt. A rule that looked at the
 * device's other steps for each DHCP step did count² work.
 */
export function unansweredDiscovers(emit: FrameSink, count: number): void {
  const f = new FrameFactory();
  const c = client(7);
  const h: FrameHeads = { ...c, dstMac: 'ff:ff:ff:ff:ff:ff', src: addr('0.0.0.0'), dst: addr('255.255.255.255') };
  const step = 10 / Math.max(count, 1);
  let t = T0;
  for (let i = 0; i < count; i++) {
    const msg = buildDhcpV4({
      xid: 0x1000 + i, chaddr: c.srcMac, flags: 0x8000,
      options: [{ code: DhcpV4Code.MESSAGE_TYPE, value: DhcpV4MessageType.DISCOVER }, { code: DhcpV4Code.VENDOR_CLASS, value: 'PXEClient:Arch:00007:UNDI:003016' }, { code: DhcpV4Code.CLIENT_ARCH, value: [7] }],
    });
    emit(t, f.udp(h, UdpPort.DHCP_CLIENT, UdpPort.DHCP_SERVER, emitDhcpV4(msg)));
    t += step;
  }
  emit(t + 15, f.udp(client(8), 9, 9, asciiBytes('end')));
}

/** Timestamps that jump: `before` DHCP DISCOVERs, then the clock jumps by `jump` seconds, then `after` more. */
export function clockJump(emit: FrameSink, before: number, after: number, jump: number): void {
  const f = new FrameFactory();
  const c = client(4);
  const h: FrameHeads = { ...c, dstMac: 'ff:ff:ff:ff:ff:ff', src: addr('0.0.0.0'), dst: addr('255.255.255.255') };
  const discover = (xid: number) => emitDhcpV4(buildDhcpV4({
    xid, chaddr: c.srcMac, flags: 0x8000, options: [{ code: DhcpV4Code.MESSAGE_TYPE, value: DhcpV4MessageType.DISCOVER }, { code: DhcpV4Code.VENDOR_CLASS, value: 'PXEClient:Arch:00007:UNDI:003016' }, { code: DhcpV4Code.CLIENT_ARCH, value: [7] }],
  }));
  let t = T0;
  for (let i = 0; i < before; i++) { emit(t, f.udp(h, UdpPort.DHCP_CLIENT, UdpPort.DHCP_SERVER, discover(0x100 + i))); t += 1; }
  t += jump;
  for (let i = 0; i < after; i++) { emit(t, f.udp(h, UdpPort.DHCP_CLIENT, UdpPort.DHCP_SERVER, discover(0x200 + i))); t += 1; }
}
