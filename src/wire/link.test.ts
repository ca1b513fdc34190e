import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { parseLink, type LinkFrame } from './link.js';
import { fromHex } from './bytes.js';
import type { WireIssue } from './issues.js';
import { emitEthernet } from './ethernet.js';
import { emitSll, emitSll2 } from './sll.js';
import { LinkType } from './link-type.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { PUBLIC } from '../../test/helpers/paths.js';

const IP4 = fromHex('45000014000000004011000000000000');
const IP6 = fromHex('6000000000001140');

function link(linkType: number, frame: Uint8Array): { f: LinkFrame | null; issues: WireIssue[] } {
  const issues: WireIssue[] = [];
  return { f: parseLink(linkType, frame, issues), issues };
}

function firstFrame(file: string): { linkType: number; data: Uint8Array } {
  return loadFrames(join(PUBLIC, file))[0]!;
}

describe('parseLink', () => {
  it('Ethernet with stacked VLANs', () => {
    const frame = emitEthernet({ dst: '01:02:03:04:05:06', src: '0a:0b:0c:0d:0e:0f', vlans: [{ tpid: 0x88a8, pcp: 0, dei: 0, vid: 7 }, { tpid: 0x8100, pcp: 0, dei: 0, vid: 20 }], etherType: 0x86dd }, IP6);
    const { f, issues } = link(LinkType.ETHERNET, frame);
    expect(issues).toEqual([]);
    expect({ ...f!, payload: [...f!.payload] }).toEqual({ srcMac: '0a:0b:0c:0d:0e:0f', dstMac: '01:02:03:04:05:06', vlans: [7, 20], etherType: 0x86dd, payload: [...IP6], payloadOffset: 22 });
  });

  it('DLT_NULL in either host order, LOOP in network order, all IPv6 families', () => {
    for (const hdr of ['02000000', '00000002']) expect(link(LinkType.NULL, fromHex(hdr + '45')).f).toMatchObject({ etherType: 0x0800, payloadOffset: 4 });
    for (const af of [10, 24, 28, 30]) {
      expect(link(LinkType.NULL, Uint8Array.of(af, 0, 0, 0, 0x60)).f!.etherType).toBe(0x86dd);
      expect(link(LinkType.LOOP, Uint8Array.of(0, 0, 0, af, 0x60)).f!.etherType).toBe(0x86dd);
    }
    // LOOP is always network order: 02 00 00 00 is not AF_INET there.
    const { f, issues } = link(LinkType.LOOP, fromHex('0200000045'));
    expect(f!.etherType).toBeNull();
    expect(issues).toEqual([expect.objectContaining({ kind: 'unsupported', layer: 'null' })]);
    expect(link(LinkType.NULL, fromHex('0200')).f).toBeNull();
  });

  it('the DLT_NULL public capture (tftp_oack) is IPv4', () => {
    const { linkType, data } = firstFrame('spicy-tftp/tftp_oack.pcap');
    expect(linkType).toBe(LinkType.NULL);
    const { f, issues } = link(linkType, data);
    expect(issues).toEqual([]);
    expect(f).toMatchObject({ srcMac: null, dstMac: null, vlans: [], etherType: 0x0800, payloadOffset: 4 });
    expect(f!.payload[0]).toBe(0x45);
  });

  it('the malformed SLL public capture (tftp-heapoverflow) still yields IPv4', () => {
    const { linkType, data } = firstFrame('tcpdump/tftp-heapoverflow.pcap');
    expect(linkType).toBe(LinkType.LINUX_SLL);
    const { f, issues } = link(linkType, data);
    // Address length 0x3030 (tshark shows 12336): no MAC, flagged malformed.
    expect(f).toMatchObject({ srcMac: null, etherType: 0x0800, payloadOffset: 16 });
    expect(issues).toEqual([expect.objectContaining({ kind: 'malformed', layer: 'sll', offset: 4 })]);
  });

  it('raw IP link types', () => {
    expect(link(LinkType.RAW, IP4).f!.etherType).toBe(0x0800);
    expect(link(LinkType.RAW, IP6).f!.etherType).toBe(0x86dd);
    expect(link(LinkType.IPV4, IP4).f).toMatchObject({ etherType: 0x0800, payloadOffset: 0 });
    expect(link(LinkType.IPV6, IP6).f).toMatchObject({ etherType: 0x86dd, payloadOffset: 0 });
    const bad = link(LinkType.RAW, fromHex('50'));
    expect(bad.f!.etherType).toBeNull();
    expect(bad.issues[0]).toMatchObject({ kind: 'malformed' });
    expect(link(LinkType.RAW, new Uint8Array(0)).f).toBeNull();
  });

  it('SLL and SLL2, with a VLAN tag left in the data', () => {
    const addr = Uint8Array.of(2, 0, 0, 0, 0, 9, 0, 0);
    const vlan = fromHex('0064 0800');
    const s1 = link(LinkType.LINUX_SLL, emitSll({ packetType: 0, arphrdType: 1, addressLength: 6, address: addr, protocol: 0x8100 }, new Uint8Array([...vlan, ...IP4])));
    expect(s1.issues).toEqual([]);
    expect(s1.f).toMatchObject({ srcMac: '02:00:00:00:00:09', dstMac: null, vlans: [100], etherType: 0x0800, payloadOffset: 20 });
    const s2 = link(LinkType.LINUX_SLL2, emitSll2({ protocol: 0x86dd, reserved: 0, interfaceIndex: 2, arphrdType: 1, packetType: 4, addressLength: 6, address: addr }, IP6));
    expect(s2.f).toMatchObject({ srcMac: '02:00:00:00:00:09', vlans: [], etherType: 0x86dd, payloadOffset: 20 });
    expect(s2.f!.payload.length).toBe(IP6.length);
  });

  it('unknown link type: unsupported issue and null', () => {
    const { f, issues } = link(147, IP4);
    expect(f).toBeNull();
    expect(issues).toEqual([expect.objectContaining({ kind: 'unsupported', layer: 'link' })]);
  });
});
