/** Capture plumbing for tests: tiny pcaps for tshark to judge, and UDP payloads of a capture. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapWriter } from '../../src/capture/writer.js';
import { LinkType } from '../../src/wire/link-type.js';
import { EtherType } from '../../src/wire/ethernet.js';
import { parseLink } from '../../src/wire/link.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';
import { parseUdp } from '../../src/wire/udp.js';
import { IpProtocol } from '../../src/wire/ip-protocol.js';
import type { WireIssue } from '../../src/wire/issues.js';
import { loadFrames } from './frames.js';

/** A little-endian microsecond pcap of `frames` (all at time 0, snaplen 65535) via the real writer. */
export function pcapOf(frames: readonly Uint8Array[], linkType: number = LinkType.ETHERNET): Uint8Array {
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter((c) => chunks.push(c), linkType, { snaplen: 65535 });
  for (const f of frames) w.writePacket(0, f);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

/** Writes `bytes` to a file in a fresh temporary directory, runs `use` on its path, then removes it. */
export function withTempCapture<T>(bytes: Uint8Array, use: (path: string) => T, name = 'capture.pcap'): T {
  const dir = mkdtempSync(join(tmpdir(), 'pxecheck-test-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, bytes);
    return use(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface UdpPayload {
  frame: number;
  time: number;
  srcPort: number;
  dstPort: number;
  /** Cut to the UDP length; what was captured when that length is bogus. */
  payload: Uint8Array;
}

/** The UDP payloads of a capture (any link type the decoder knows; IPv4 or IPv6; first or no
 *  fragment), read by the real reader and parsers. With `ports`, only datagrams from or to one. */
export function udpPayloads(file: string, ports?: readonly number[]): UdpPayload[] {
  const out: UdpPayload[] = [];
  for (const rec of loadFrames(file)) {
    const issues: WireIssue[] = [];
    const link = parseLink(rec.linkType, rec.data, issues);
    let l4: Uint8Array | null = null;
    if (link?.etherType === EtherType.IPV4) {
      const ip = parseIpv4(link.payload, issues);
      if (ip && ip.protocol === IpProtocol.UDP && ip.fragmentOffset === 0) l4 = ip.payload;
    } else if (link?.etherType === EtherType.IPV6) {
      const ip = parseIpv6(link.payload, issues);
      if (ip && ip.nextHeader === IpProtocol.UDP && (ip.fragment?.offset ?? 0) === 0) l4 = ip.payload;
    }
    const udp = l4 && parseUdp(l4, issues);
    if (!udp) continue;
    if (ports && !ports.includes(udp.srcPort) && !ports.includes(udp.dstPort)) continue;
    out.push({ frame: rec.frame, time: rec.time, srcPort: udp.srcPort, dstPort: udp.dstPort, payload: udp.payload });
  }
  return out;
}
