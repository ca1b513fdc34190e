/**
 * What an IPv6 boot explains, on real lab captures merged as field captures are: only the power-on
 * of the device it belongs to. A router advertisement with M=0 is why a boot over IPv6 had no
 * address, not why a client on the same dual-stack link got no DHCPv4 offer; an IPv6 lease or
 * fetch makes a DHCPv4 wait a mere delay in its own power-on, not in the next one minutes later.
 */
import { describe, it, expect } from 'vitest';
import { Readable } from 'node:stream';
import { analyzeCapture } from '../analysis/capture.js';
import type { Analysis, ClientReport } from '../analysis/types.js';
import { cutCapture, ethernetPcap, movedTo } from '../../test/helpers/splice.js';
import { loadFrames, type FixtureFrame } from '../../test/helpers/frames.js';
import { EtherType, parseEthernet } from '../wire/ethernet.js';
import { parseIpv4 } from '../wire/ipv4.js';
import { parseUdp } from '../wire/udp.js';
import { UdpPort } from '../wire/ports.js';
import { IpProtocol } from '../wire/ip-protocol.js';
import { Icmpv6Type } from '../wire/icmpv6.js';
import { DhcpV4MessageType, msgType, parseDhcpV4, type DhcpV4Message } from '../wire/dhcpv4/index.js';
import { REBOOT_GAP_S } from '../flow/attempts.js';

/** PXEv4 unanswered, PXEv6 chains iPXE over a DHCPv6 lease, iPXE obeys an RA with M=0 O=0 and fails. */
const BROKEN_RA = 'captures/lab-v6/broken-ra-no-managed.pcapng';
/** UEFI PXE over IPv4 served by dnsmasq: the firmware's DORA and TFTP, then iPXE's DHCP and HTTP. */
const DNSMASQ = 'captures/lab/uefi-pxe-dnsmasq.pcapng';
/** PXEv4 unanswered, PXEv6 chains iPXE over TFTP from 2001:db8:1::1, which loops on its own binary. */
const CHAINLOAD_LOOP = 'captures/lab-v6/uefi-pxe6-kea.pcapng';

function analyzeBytes(bytes: Uint8Array): Promise<Analysis> {
  return analyzeCapture({ name: 'bent.pcap', stream: Readable.from([Buffer.from(bytes)]) });
}

function clientOf(a: Analysis, mac: string): ClientReport {
  const c = a.clients.find((x) => x.mac === mac);
  expect(c).toBeDefined();
  return c!;
}

/** The DHCPv4 message of an untagged Ethernet/IPv4/UDP frame to the server port, else null. */
function dhcp4Request(f: FixtureFrame): DhcpV4Message | null {
  const eth = parseEthernet(f.data, []);
  if (eth === null || eth.vlans.length > 0 || eth.etherType !== EtherType.IPV4) return null;
  const ip = parseIpv4(eth.payload, []);
  if (ip === null || ip.protocol !== IpProtocol.UDP) return null;
  const udp = parseUdp(ip.payload, []);
  if (udp === null || udp.dstPort !== UdpPort.DHCP_SERVER) return null;
  return parseDhcpV4(udp.payload, []);
}

function dhcp4RequestType(f: FixtureFrame): number | null {
  const m = dhcp4Request(f);
  return m === null ? null : msgType(m);
}

const dhcp4Xid = (f: FixtureFrame): number => dhcp4Request(f)!.xid;

/** Is it an untagged router solicitation (ICMPv6 right after the IPv6 header)? */
function isRouterSolicitation(f: FixtureFrame): boolean {
  const d = f.data;
  return d.length > 54 && eth16(d, 12) === EtherType.IPV6 && d[20] === IpProtocol.ICMPV6 && d[54] === Icmpv6Type.ROUTER_SOLICITATION;
}

const eth16 = (d: Uint8Array, at: number) => (d[at]! << 8) | d[at + 1]!;

describe('a router advertisement with M=0 on a dual-stack link', () => {
  it(`${DNSMASQ} with iPXE's DHCPv4 server gone silent, merged into ${BROKEN_RA}: the IPv4 client's no-offer is its own root cause, not the RA`, async () => {
    const dn = loadFrames(DNSMASQ);
    const mac = '52:54:00:00:0e:f1';
    // iPXE's DHCP: the transaction of the capture's last DISCOVER. From its first DISCOVER on only
    // the client's DISCOVERs and router solicitations stay (no OFFER, no ACK, no HTTP): no server
    // answered iPXE's DHCPv4.
    const discovers = dn.flatMap((f, i) => (dhcp4RequestType(f) === DhcpV4MessageType.DISCOVER ? [{ i, xid: dhcp4Xid(f) }] : []));
    const ipxeXid = discovers.at(-1)!.xid;
    const ipxeAt = discovers.find((x) => x.xid === ipxeXid)!.i;
    const fromClient = (f: FixtureFrame) => parseEthernet(f.data, [])?.src === mac;
    const cut = dn.filter((f, i) => i < ipxeAt || (fromClient(f) && (dhcp4RequestType(f) === DhcpV4MessageType.DISCOVER || isRouterSolicitation(f))));
    expect(cut.length).toBe(ipxeAt + 8);
    expect(cut.length).toBeLessThan(dn.length);
    const ra = loadFrames(BROKEN_RA);
    const a = await analyzeBytes(ethernetPcap([...movedTo(ra, ra[0]!.time), ...movedTo(cut, ra[0]!.time + 62)]));

    const c = clientOf(a, mac);
    expect(c.attempts).toHaveLength(1);
    const root = a.findings.find((f) => f.id === c.attempts[0]!.rootCauseId)!;
    expect([root.code, root.severity, root.causedBy]).toEqual(['dhcp.no-offer', 'error', null]);
    expect(root.message).toContain(`0x${ipxeXid.toString(16)}`);
    // Nothing of the IPv4 client is put down to the router advertisement.
    const raFinding = a.findings.find((f) => f.code === 'ra.missing-managed-flag')!;
    expect(a.findings.filter((f) => f.client === mac && f.causedBy === raFinding.id)).toEqual([]);
    // The client that did boot over IPv6 keeps the RA as its root cause.
    const v6 = clientOf(a, '52:54:00:00:0e:f6');
    expect(v6.attempts.find((x) => x.entry === 'pxe6')!.rootCauseId).toBe(raFinding.id);
  });
});

describe('an IPv6 lease or fetch proves working IPv6 in its own power-on only', () => {
  it(`${CHAINLOAD_LOOP} at -s 96, then 300 s later the first PXEv4 DISCOVERs of ${BROKEN_RA} at -s 96: the later power-on's no-offer is an error`, async () => {
    const kea = loadFrames(CHAINLOAD_LOOP);
    const ra = loadFrames(BROKEN_RA);
    const pxe4 = ra.slice(0, 16);
    expect(pxe4.filter((f) => dhcp4RequestType(f) === DhcpV4MessageType.DISCOVER).length).toBeGreaterThan(0);
    const start = kea.at(-1)!.time + 300;
    expect(300).toBeGreaterThan(REBOOT_GAP_S);
    const a = await analyzeBytes(ethernetPcap([...movedTo(kea, kea[0]!.time), ...movedTo(pxe4, start)], { snap: 96 }));
    const mac = '52:54:00:00:0e:f6';
    const noOffer = a.findings.filter((f) => f.code === 'dhcp.no-offer' && f.client === mac);
    const later = noOffer.filter((f) => (f.time ?? 0) >= start);
    const earlier = noOffer.filter((f) => (f.time ?? 0) < start);
    expect(later).toHaveLength(1);
    // No IPv6 seen in that power-on: nothing makes its wait a delay.
    expect(later[0]!.severity).toBe('error');
    expect(later[0]!.message).not.toMatch(/IPv6|DHCPv6/);
    expect(a.summary.errors).toBeGreaterThan(0);
    // The first power-on's waits stay delays: its boot went on over IPv6 (the fetch of snponly.efi).
    expect(earlier.length).toBeGreaterThan(0);
    expect(earlier.map((f) => f.severity)).not.toContain('error');
    // The same with the kea capture whole: as a control, the cut alone is not what makes it an error.
    const whole = await analyzeBytes(cutCapture(CHAINLOAD_LOOP, { snap: 96 }));
    expect(whole.findings.filter((f) => f.code === 'dhcp.no-offer' && f.severity === 'error')).toEqual([]);
  });
});
