/**
 * `pxecheck capture`'s default BPF filter, compiled and applied by libpcap itself (tcpdump -r runs
 * the same pcap_compile/pcap_offline_filter the capture binding does): it must keep what a boot
 * sends and the remote-mirror tunnels that carry it to a collector — ERSPAN and gretap are GRE
 * (IP protocol 47) over IPv4 or IPv6, possibly in an 802.1Q tag; VXLAN is UDP anyway.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CAPTURE_FILTER } from '../../src/cli/capture-defaults.js';
import { mirrored, writeRecords } from '../../src/decode/remote-mirror.test-kit.js';
import { ipv4FromString } from '../../src/wire/bytes.js';
import { EtherType, emitEthernet, type VlanTag } from '../../src/wire/ethernet.js';
import { emitErspan } from '../../src/wire/erspan.js';
import { emitGre } from '../../src/wire/gre.js';
import { IpProtocol } from '../../src/wire/ip-protocol.js';
import { emitIpv4 } from '../../src/wire/ipv4.js';
import { emitIpv6 } from '../../src/wire/ipv6.js';
import { ArpOperation, emitArp, ethernetIpv4Arp } from '../../src/wire/arp.js';
import { LinkType } from '../../src/wire/link-type.js';
import { UdpPort } from '../../src/wire/ports.js';
import { emitUdp } from '../../src/wire/udp.js';

function hasTcpdump(): boolean {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const MAC = { dst: '02:00:5e:00:01:02', src: '02:00:5e:00:01:01' };
const TAG: VlanTag = { tpid: EtherType.VLAN, pcp: 0, dei: 0, vid: 20 };

/** A DHCP DISCOVER as the client sent it (the mirrored frame). */
function discover(): Uint8Array {
  const udp = emitUdp({ srcPort: UdpPort.DHCP_CLIENT, dstPort: UdpPort.DHCP_SERVER }, new Uint8Array(300), { src: ipv4FromString('0.0.0.0'), dst: ipv4FromString('255.255.255.255') });
  const ip = emitIpv4({ dscp: 0, ecn: 0, identification: 1, df: false, mf: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.UDP, src: '0.0.0.0', dst: '255.255.255.255' }, udp);
  return emitEthernet({ ...MAC, vlans: [], etherType: EtherType.IPV4 }, ip);
}

function overIpv6(gre: Uint8Array, vlans: VlanTag[] = []): Uint8Array {
  const ip6 = emitIpv6({ trafficClass: 0, flowLabel: 0, hopLimit: 64, nextHeader: IpProtocol.GRE, src: '2001:db8::1', dst: '2001:db8::2' }, gre);
  return emitEthernet({ ...MAC, vlans, etherType: EtherType.IPV6 }, ip6);
}

function overIpv4(gre: Uint8Array, vlans: VlanTag[]): Uint8Array {
  const ip = emitIpv4({ dscp: 0, ecn: 0, identification: 2, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.GRE, src: '198.51.100.1', dst: '198.51.100.2' }, gre);
  return emitEthernet({ ...MAC, vlans, etherType: EtherType.IPV4 }, ip);
}

function arpRequest(vlans: VlanTag[]): Uint8Array {
  return emitEthernet({ ...MAC, vlans, etherType: EtherType.ARP }, emitArp(ethernetIpv4Arp(ArpOperation.REQUEST, MAC.src, '198.51.100.10', '00:00:00:00:00:00', '198.51.100.1')));
}

/** Whether libpcap's compiled default filter accepts `frame`. */
function passes(frame: Uint8Array): boolean {
  const file = join(dir, 'one.pcapng');
  writeFileSync(file, writeRecords([{ time: 1, data: frame, linkType: LinkType.ETHERNET }]));
  const out = execFileSync('tcpdump', ['--count', '-r', file, DEFAULT_CAPTURE_FILTER], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
  const n = /(\d+) packets?/.exec(out);
  if (n === null) throw new Error(`tcpdump --count said: ${out}`);
  return Number(n[1]) === 1;
}

const dir = mkdtempSync(join(tmpdir(), 'pxecheck-filter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasTcpdump())('the default capture filter (libpcap via tcpdump -r)', () => {
  it('keeps GRE mirror sessions over IPv4 and IPv6, tagged or not, as well as the boot itself', () => {
    const inner = discover();
    const erspan2 = emitGre({ protocolType: EtherType.ERSPAN, sequence: 1 }, emitErspan({ type: 2, vlan: 0, cos: 0, encap: 0, truncated: false, session: 7, index: 1 }, inner));
    const gretap = emitGre({ protocolType: EtherType.TEB, key: 5 }, inner);
    const kept: [string, Uint8Array][] = [
      ['the boot frame', inner],
      ['ERSPAN II over IPv4', mirrored(inner, 1, { kind: 'erspan2' })[0]!],
      ['gretap over IPv4', mirrored(inner, 2, { kind: 'gretap' })[0]!],
      ['VXLAN', mirrored(inner, 3, { kind: 'vxlan' })[0]!],
      ['ERSPAN II over IPv6', overIpv6(erspan2)],
      ['gretap over IPv6', overIpv6(gretap)],
      ['ERSPAN II over IPv4 in VLAN 20', overIpv4(erspan2, [TAG])],
      ['gretap over IPv6 in VLAN 20', overIpv6(gretap, [TAG])],
      ['ARP request', arpRequest([])],
      ['ARP request in VLAN 20', arpRequest([TAG])],
    ];
    for (const [name, frame] of kept) expect(passes(frame), name).toBe(true);
    // The filter still filters: an SSH segment is not boot traffic.
    const ssh = emitIpv4({ dscp: 0, ecn: 0, identification: 3, df: true, mf: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.TCP, src: '198.51.100.1', dst: '198.51.100.2' },
      Uint8Array.of(0xc0, 0x00, 0, 22, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0));
    expect(passes(emitEthernet({ ...MAC, vlans: [], etherType: EtherType.IPV4 }, ssh))).toBe(false);
  });
});
