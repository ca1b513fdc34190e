// Path-MTU findings on traffic built with the real encoders and read by the real pipeline: TFTP
// DATA in IP fragments (IPv4 and IPv6) with fragments lost or not, and ICMP fragmentation needed /
// ICMPv6 packet too big. The lab captures (real MTU mismatch) are judged in test/mtu/.
import { describe, expect, it } from 'vitest';
import { PcapWriter } from '../capture/writer.js';
import { LinkType } from '../wire/link-type.js';
import { analyzeCapture } from '../analysis/capture.js';
import type { Analysis } from '../analysis/types.js';
import { buildAck, buildData, buildError, buildOack, buildRrq } from '../wire/tftp.js';
import { emitEthernet, EtherType } from '../wire/ethernet.js';
import { emitIpv4 } from '../wire/ipv4.js';
import { emitIcmp } from '../wire/icmp.js';
import { emitIcmpv6 } from '../wire/icmpv6.js';
import { ipv6FromString } from '../wire/bytes.js';
import { icmpv6Frame, udpFrames, type L2Addresses } from '../scenario/transport/raw/frames.js';
import { inferFragment } from '../flow/mtu.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const T0 = 1_700_000_000;
const CLI_MAC = '52:54:00:00:f0:0a';
const SRV_MAC = '02:00:00:00:00:01';
const RTR_MAC = '02:00:00:00:00:fe';

interface Ends { cli: string; srv: string }
const V4: Ends = { cli: '198.51.100.150', srv: '198.51.100.1' };
const V6: Ends = { cli: '2001:db8:1::150', srv: '2001:db8:1::1' };

/** Frames at times, written as a pcap and analyzed by the real pipeline. */
class Wire {
  readonly frames: { t: number; data: Uint8Array }[] = [];
  constructor(readonly ends: Ends) {}
  private addr(fromClient: boolean, hopLimit?: number): L2Addresses {
    const { cli, srv } = this.ends;
    return fromClient
      ? { srcMac: CLI_MAC, dstMac: SRV_MAC, srcIp: cli, dstIp: srv, ...(hopLimit ? { hopLimit } : {}) }
      : { srcMac: SRV_MAC, dstMac: CLI_MAC, srcIp: srv, dstIp: cli, ...(hopLimit ? { hopLimit } : {}) };
  }
  udp(t: number, fromClient: boolean, sport: number, dport: number, payload: Uint8Array, mtu = 1500, keep?: (i: number, n: number) => boolean): void {
    const fs = udpFrames(this.addr(fromClient, 64), sport, dport, payload, mtu);
    fs.forEach((data, i) => { if (!keep || keep(i, fs.length)) this.frames.push({ t, data }); });
  }
  raw(t: number, data: Uint8Array): void {
    this.frames.push({ t, data });
  }
  async analyze(): Promise<Analysis> {
    const chunks: Uint8Array[] = [];
    const w = new PcapWriter((c) => chunks.push(c), LinkType.ETHERNET, { snaplen: 65535 });
    for (const f of this.frames) w.writePacket(T0 + f.t, f.data);
    const dir = mkdtempSync(join(tmpdir(), 'pxecheck-mtu-'));
    try {
      const file = join(dir, 'mtu.pcap');
      writeFileSync(file, Buffer.concat(chunks));
      return await analyzeCapture(file);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const TID = 40000;
const CPORT = 2070;

/** RRQ with blksize, OACK, ACK 0, then DATA 1 (blksize bytes) sent `sends` times 4 s apart, the
 *  client repeating ACK 0; `keep` picks which fragments of each DATA reach the capture point. */
function stalledTransfer(w: Wire, blksize: number, sends: number, keep?: (i: number, n: number) => boolean): void {
  w.udp(0, true, CPORT, 69, buildRrq('big.efi', 'octet', { tsize: 0, blksize }));
  w.udp(0.01, false, TID, CPORT, buildOack({ tsize: 65536, blksize }));
  w.udp(0.02, true, CPORT, TID, buildAck(0));
  for (let i = 0; i < sends; i++) {
    w.udp(0.03 + 4 * i, false, TID, CPORT, buildData(1, new Uint8Array(blksize).fill(0x5a)), 1500, keep);
    w.udp(3.9 + 4 * i, true, CPORT, TID, buildAck(0));
  }
}

const codes = (a: Analysis): string[] => a.findings.map((f) => f.code);
const lastOnly = (i: number, n: number): boolean => i === n - 1;

describe('net.fragments-lost', () => {
  it('IPv4: blksize 8192 DATA whose first fragments never arrive is the root cause of the stall, naming blksize and the MTU evidence', async () => {
    const w = new Wire(V4);
    stalledTransfer(w, 8192, 4, lastOnly);
    const a = await w.analyze();
    const f = a.findings.find((x) => x.code === 'net.fragments-lost')!;
    expect(f).toMatchObject({ severity: 'error', client: `ip:${V4.cli}` });
    expect(f.message).toContain('blksize 8192');
    expect(f.message).toContain('fragments of 1500 bytes');
    expect(f.message).toMatch(/path MTU is below 1500/);
    expect(f.message).toContain('their first fragment never arrived');
    expect(a.clients[0]!.rootCause).toBe('net.fragments-lost');
    // The timeout that follows is its consequence, not a second error.
    for (const g of a.findings.filter((x) => x.code === 'tftp.timeout')) expect(g.causedBy).toBe(f.id);
    expect(a.findings.filter((x) => x.severity === 'error')).toHaveLength(1);
  });

  it('IPv6: the same with a Fragment header; the sender\'s fragment size is read from where its last fragment starts', async () => {
    const w = new Wire(V6);
    stalledTransfer(w, 8192, 3, lastOnly);
    const a = await w.analyze();
    const f = a.findings.find((x) => x.code === 'net.fragments-lost')!;
    expect(f.severity).toBe('error');
    expect(f.message).toContain(`from ${V6.srv}`);
    expect(f.message).toMatch(/fragments of 1496 bytes/);
  });

  it('all fragments arrive: no finding (real networks fragment fine)', async () => {
    const w = new Wire(V4);
    w.udp(0, true, CPORT, 69, buildRrq('big.efi', 'octet', { blksize: 8192 }));
    w.udp(0.01, false, TID, CPORT, buildOack({ blksize: 8192 }));
    w.udp(0.02, true, CPORT, TID, buildAck(0));
    w.udp(0.03, false, TID, CPORT, buildData(1, new Uint8Array(8192)));
    w.udp(0.04, true, CPORT, TID, buildAck(1));
    w.udp(0.05, false, TID, CPORT, buildData(2, new Uint8Array(100)));
    w.udp(0.06, true, CPORT, TID, buildAck(2));
    const a = await w.analyze();
    expect(codes(a).filter((c) => c.startsWith('net.'))).toEqual([]);
    expect(a.clients[0]!.outcome).toBe('booted');
  });

  it('a fragment lost once, the block resent whole and the transfer done: no MTU finding', async () => {
    const w = new Wire(V4);
    w.udp(0, true, CPORT, 69, buildRrq('big.efi', 'octet', { blksize: 8192 }));
    w.udp(0.01, false, TID, CPORT, buildOack({ blksize: 8192 }));
    w.udp(0.02, true, CPORT, TID, buildAck(0));
    w.udp(0.03, false, TID, CPORT, buildData(1, new Uint8Array(8192)), 1500, (i) => i !== 2);
    w.udp(1.03, false, TID, CPORT, buildData(1, new Uint8Array(8192)));
    w.udp(1.04, true, CPORT, TID, buildAck(1));
    w.udp(1.05, false, TID, CPORT, buildData(2, new Uint8Array(10)));
    w.udp(1.06, true, CPORT, TID, buildAck(2));
    const a = await w.analyze();
    expect(codes(a)).not.toContain('net.fragments-lost');
    expect(a.clients[0]!.outcome).toBe('booted');
  });
});

describe('net.pmtu-blackhole (TFTP)', () => {
  it('blksize 1468 DATA sent again and again, never acknowledged while the client repeats ACK 0', async () => {
    const w = new Wire(V4);
    stalledTransfer(w, 1468, 3);
    const a = await w.analyze();
    const f = a.findings.find((x) => x.code === 'net.pmtu-blackhole')!;
    expect(f.severity).toBe('error');
    expect(f.message).toMatch(/blksize 1468.*1500-byte IP packet/);
    expect(a.clients[0]!.rootCause).toBe('net.pmtu-blackhole');
  });

  it('a request sent again while its OACK was on the way is one transfer, not a second fetch of the program (no chainload loop)', async () => {
    // As in the lab's mtu-mismatch run on a loaded host: the client's 1 s timer fires before it reads
    // the OACK, so a second server process answers the repeated RRQ and gets ERROR 5.
    const w = new Wire(V4);
    const stall = (t: number, port: number, tid: number, again: boolean): void => {
      const opts = { blksize: 1468, timeout: 1 };
      w.udp(t, true, port, 69, buildRrq('snponly.efi', 'octet', opts));
      w.udp(t + 1.2, false, tid, port, buildOack(opts));
      if (again) w.udp(t + 1.21, true, port, 69, buildRrq('snponly.efi', 'octet', opts));
      w.udp(t + 1.22, true, port, tid, buildAck(0));
      if (again) {
        w.udp(t + 1.23, false, tid + 1, port, buildOack(opts));
        w.udp(t + 1.24, true, port, tid + 1, buildError(5, 'Unknown transfer ID'));
      }
      for (let i = 0; i < 3; i++) {
        w.udp(t + 1.3 + i, false, tid, port, buildData(1, new Uint8Array(1468)));
        w.udp(t + 1.31 + i, true, port, tid, buildAck(0));
      }
    };
    stall(0, CPORT, TID, true);
    stall(10, CPORT + 1, TID + 100, false);
    const a = await w.analyze();
    expect(codes(a)).not.toContain('ipxe.chainload-loop');
    // Two transfers (the repeated request is a retransmission of the first), and the MTU is the cause.
    expect(a.clients[0]!.steps.filter((x) => x.kind === 'tftp')).toHaveLength(2);
    expect(codes(a)).toContain('net.pmtu-blackhole');
    expect(a.clients[0]!.rootCause).toBe('net.pmtu-blackhole');
  });

  it('a transfer at 512-byte blocks that stalls is not blamed on the MTU', async () => {
    const w = new Wire(V4);
    w.udp(0, true, CPORT, 69, buildRrq('big.efi', 'octet'));
    for (let i = 0; i < 3; i++) w.udp(0.01 + 4 * i, false, TID, CPORT, buildData(1, new Uint8Array(512)));
    const a = await w.analyze();
    expect(codes(a).filter((c) => c.startsWith('net.'))).toEqual([]);
  });
});

/** ICMPv4 fragmentation needed from a router, quoting the server's DATA datagram. */
function fragNeeded(w: Wire, t: number, router: string, mtu: number, quotedUdp: Uint8Array): void {
  const quotedIp = udpFrames({ srcMac: SRV_MAC, dstMac: RTR_MAC, srcIp: V4.srv, dstIp: V4.cli, hopLimit: 64 }, TID, CPORT, quotedUdp, 65535)[0]!.subarray(14, 14 + 28 + 8);
  const icmp = emitIcmp({ type: 3, code: 4, rest: mtu & 0xffff, body: quotedIp });
  const ip = emitIpv4({ dscp: 0, ecn: 0, identification: 9, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: 1, src: router, dst: V4.srv }, icmp);
  w.raw(t, emitEthernet({ dst: SRV_MAC, src: RTR_MAC, vlans: [], etherType: EtherType.IPV4 }, ip));
}

describe('net.packet-too-big', () => {
  it('ICMP fragmentation needed naming MTU 1000 for a TFTP DATA, the transfer stalled: the root cause, with a blksize that fits', async () => {
    const w = new Wire(V4);
    stalledTransfer(w, 1468, 3);
    fragNeeded(w, 0.031, '203.0.113.1', 1000, buildData(1, new Uint8Array(1468)));
    w.frames.sort((x, y) => x.t - y.t);
    const a = await w.analyze();
    const f = a.findings.find((x) => x.code === 'net.packet-too-big')!;
    expect(f.severity).toBe('error');
    expect(f.message).toContain('203.0.113.1 answered 1 UDP packet(s) 198.51.100.1 40000→2070 → 198.51.100.150 with ICMP fragmentation needed (MTU 1000)');
    expect(f.message).toContain('blksize 968 fits');
    expect(a.clients[0]!.rootCause).toBe('net.packet-too-big');
    // The ICMP explains the stall: no second MTU finding for the same transfer.
    expect(codes(a)).not.toContain('net.pmtu-blackhole');
  });

  it('the sender adapted (the transfer completed): a warning', async () => {
    const w = new Wire(V4);
    w.udp(0, true, CPORT, 69, buildRrq('big.efi', 'octet', { blksize: 1468 }));
    w.udp(0.01, false, TID, CPORT, buildOack({ blksize: 1468 }));
    w.udp(0.02, true, CPORT, TID, buildAck(0));
    fragNeeded(w, 0.03, '203.0.113.1', 1000, buildData(1, new Uint8Array(1468)));
    w.udp(1.03, false, TID, CPORT, buildData(1, new Uint8Array(1468)), 1000);
    w.udp(1.04, true, CPORT, TID, buildAck(1));
    w.udp(1.05, false, TID, CPORT, buildData(2, new Uint8Array(3)));
    w.udp(1.06, true, CPORT, TID, buildAck(2));
    const a = await w.analyze();
    expect(a.findings.find((x) => x.code === 'net.packet-too-big')).toMatchObject({ severity: 'warning' });
    expect(a.clients[0]!.outcome).toBe('booted');
  });

  it('ICMPv6 packet too big names its MTU', async () => {
    const w = new Wire(V6);
    stalledTransfer(w, 1468, 3);
    const router = '2001:db8:2::1';
    const quoted = udpFrames({ srcMac: SRV_MAC, dstMac: RTR_MAC, srcIp: V6.srv, dstIp: V6.cli, hopLimit: 64 }, TID, CPORT, buildData(1, new Uint8Array(1468)), 65535)[0]!.subarray(14, 14 + 1232);
    const msg = emitIcmpv6({ type: 2, code: 0, rest: 1280, body: quoted }, { src: ipv6FromString(router), dst: ipv6FromString(V6.srv) });
    w.raw(0.031, icmpv6Frame({ srcMac: RTR_MAC, dstMac: SRV_MAC, srcIp: router, dstIp: V6.srv, hopLimit: 64 }, msg));
    w.frames.sort((x, y) => x.t - y.t);
    const a = await w.analyze();
    const f = a.findings.find((x) => x.code === 'net.packet-too-big')!;
    expect(f.message).toContain('ICMPv6 packet too big (MTU 1280)');
    expect(f.message).toContain('blksize 1228 fits');
  });
});

describe('inferFragment', () => {
  it('reads the sender\'s fragment size from the last fragment\'s offset', () => {
    expect(inferFragment(4, 7400)).toBe(1500);
    expect(inferFragment(4, 976 * 8)).toBe(996);
    expect(inferFragment(6, 1448 * 5)).toBe(1496);
    expect(inferFragment(4, 0)).toBeNull();
  });
});

describe('a request repeated on the same client port', () => {
  it('after an ERROR is a new fetch, not a retransmission of the failed one (a phone asking again for a missing file)', async () => {
    const w = new Wire(V4);
    for (const t of [0, 3]) {
      w.udp(t, true, CPORT, 69, buildRrq('CTLSEP525400000001.tlv', 'octet'));
      w.udp(t + 0.01, false, TID + t, CPORT, buildError(1, 'File not found'));
    }
    const a = await w.analyze();
    const steps = a.clients[0]!.steps.filter((x) => x.kind === 'tftp');
    expect(steps, JSON.stringify(steps)).toHaveLength(2);
    expect(a.findings.filter((f) => f.code === 'tftp.error')).toHaveLength(2);
    expect(codes(a)).not.toContain('tftp.retransmit');
  });
});
