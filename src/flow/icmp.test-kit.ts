/**
 * Test kit: ICMP errors for the Sim of sim.test-kit.ts, built as the pipeline would see them (real
 * IPv4 + UDP bytes quoted in a real ICMP message, parsed by the real parser).
 */
import { ipv4FromString } from '../wire/bytes.js';
import { emitIpv4 } from '../wire/ipv4.js';
import { emitUdp } from '../wire/udp.js';
import { emitIcmp, icmpCodeName, icmpTypeName, parseIcmp } from '../wire/icmp.js';
import type { WireIssue } from '../wire/issues.js';
import { T0, type Endpoint, type Sim } from './sim.test-kit.js';

/** `from` answers the UDP datagram `quotedFrom` → `quotedTo` (carrying `payload`) with ICMP
 *  destination unreachable `code` (3: port unreachable) at `t` seconds after T0. */
export function icmpUnreachable(
  sim: Sim, from: string, quotedFrom: Endpoint, quotedTo: Endpoint, payload: Uint8Array, code = 3, t?: number,
): void {
  if (t !== undefined) sim.now = t;
  const pseudo = { src: ipv4FromString(quotedFrom.addr), dst: ipv4FromString(quotedTo.addr) };
  const quoted = emitIpv4({
    dscp: 0, ecn: 0, identification: 7, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: 17,
    src: quotedFrom.addr, dst: quotedTo.addr,
  }, emitUdp({ srcPort: quotedFrom.port, dstPort: quotedTo.port }, payload, pseudo));
  const bytes = emitIcmp({ type: 3, code, rest: 0, body: quoted });
  const issues: WireIssue[] = [];
  const msg = parseIcmp(bytes, issues)!;
  const q = msg.quoted!;
  sim.builder.message({
    frame: ++sim.frame, time: T0 + sim.now, srcAddr: from, srcPort: 0, dstAddr: quotedFrom.addr, dstPort: 0,
    srcMac: null, dstMac: null, vlans: [], issues,
    proto: 'icmp', ipVersion: 4, type: msg.type, code: msg.code, typeName: icmpTypeName(msg.type),
    codeName: icmpCodeName(msg.type, msg.code),
    quoted: { src: q.src, dst: q.dst, protocol: q.protocol, srcPort: q.srcPort, dstPort: q.dstPort },
    msg, payload: bytes,
  });
}
