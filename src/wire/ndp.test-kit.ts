/** Test helper: the Neighbour Discovery messages of a capture file, with their IPv6 header facts. */
import { loadFrames } from '../../test/helpers/frames.js';
import { IpProtocol } from './ip-protocol.js';
import { parseIpv6 } from './ipv6.js';
import { parseLink } from './link.js';
import type { WireIssue } from './issues.js';
import { isNdpType } from './ndp.js';

export interface NdFrame { frame: number; icmp: Uint8Array; src: Uint8Array; dst: Uint8Array; hopLimit: number }

/** The ICMPv6 ND messages of a capture (unfragmented IPv6 over any link the readers know). */
export function ndFrames(file: string): NdFrame[] {
  const out: NdFrame[] = [];
  for (const f of loadFrames(file)) {
    const issues: WireIssue[] = [];
    const link = parseLink(f.linkType, f.data, issues);
    if (!link || link.etherType !== 0x86dd) continue;
    const ip = parseIpv6(link.payload, issues, link.payloadOffset);
    if (!ip || ip.fragment || ip.nextHeader !== IpProtocol.ICMPV6 || ip.payload.length === 0 || !isNdpType(ip.payload[0]!)) continue;
    out.push({ frame: f.frame, icmp: ip.payload, src: ip.srcBytes, dst: ip.dstBytes, hopLimit: ip.hopLimit });
  }
  return out;
}

