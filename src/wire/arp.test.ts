import { describe, expect, it } from 'vitest';
import { ArpOperation, arpLength, arpOperationName, emitArp, emitArpInto, ethernetIpv4Arp, parseArp, readEthernetIpv4Arp } from './arp.js';
import { fromHex, hex } from './bytes.js';
import { emitEthernet, EtherType } from './ethernet.js';
import type { WireIssue } from './issues.js';
import { pcapOf, withTempCapture } from '../../test/helpers/pcap.js';
import { hasTshark, tsharkFields } from '../../test/helpers/tshark.js';

// who-has 198.51.100.1 tell 198.51.100.150, from 02:00:00:00:00:0a (RFC 826 layout, written by hand).
const REQUEST_HEX =
  '0001 0800 06 04 0001' + '02000000000a' + 'c6336496' + '000000000000' + 'c6336401';

describe('parseArp', () => {
  it('reads a hand-written Ethernet/IPv4 request', () => {
    const issues: WireIssue[] = [];
    const p = parseArp(fromHex(REQUEST_HEX), issues, 14)!;
    expect(issues).toEqual([]);
    expect(p).toEqual({
      htype: 1, ptype: 0x0800, hlen: 6, plen: 4, operation: 1, length: 28,
      senderMac: '02:00:00:00:00:0a', senderIp: '198.51.100.150', targetMac: '00:00:00:00:00:00', targetIp: '198.51.100.1',
    });
    expect(arpOperationName(p.operation)).toBe('request');
    expect(arpOperationName(9)).toBe('9');
  });

  it('ignores Ethernet padding and reports every truncation with its offset', () => {
    const padded = new Uint8Array(46);
    padded.set(fromHex(REQUEST_HEX));
    expect(parseArp(padded, [])!.length).toBe(28);
    const full = fromHex(REQUEST_HEX);
    for (let n = 0; n < full.length; n++) {
      const issues: WireIssue[] = [];
      expect(parseArp(full.subarray(0, n), issues, 14)).toBeNull();
      expect(issues).toEqual([expect.objectContaining({ kind: 'truncated', layer: 'arp', offset: 14 + n })]);
    }
  });

  it('keeps odd address sizes as hex and flags them', () => {
    const odd = fromHex('0001 0800 08 04 0003 0102030405060708 c6336401 1112131415161718 c6336402');
    const issues: WireIssue[] = [];
    const p = parseArp(odd, issues)!;
    expect(issues).toEqual([expect.objectContaining({ kind: 'malformed', offset: 4 })]);
    expect(p).toMatchObject({ hlen: 8, operation: 3, senderMac: '0102030405060708', targetIp: '198.51.100.2' });
    expect(hex(emitArp(p))).toBe(hex(odd));
  });
});

describe('emitArp', () => {
  it('writes a reply into a 0xa5 buffer at an offset', () => {
    const r = ethernetIpv4Arp(ArpOperation.REPLY, '02:00:00:00:00:0a', '198.51.100.150', '02:00:00:00:00:01', '198.51.100.1');
    const out = new Uint8Array(32).fill(0xa5);
    expect(emitArpInto(r, out, 2)).toBe(28);
    expect(hex(out)).toBe('a5a5' + '0001080006040002' + '02000000000a' + 'c6336496' + '020000000001' + 'c6336401' + 'a5a5');
    expect(arpLength(r)).toBe(28);
  });

  it('emit(parse(x)) is x', () => {
    const b = fromHex(REQUEST_HEX);
    expect(hex(emitArp(parseArp(b, [])!))).toBe(hex(b));
  });

  it.skipIf(!hasTshark())('agrees with tshark on the fields of frames it writes', () => {
    const reprs = [
      ethernetIpv4Arp(ArpOperation.REQUEST, '02:00:00:00:00:0a', '198.51.100.150', '00:00:00:00:00:00', '198.51.100.1'),
      ethernetIpv4Arp(ArpOperation.REPLY, '02:00:00:00:00:01', '198.51.100.1', '02:00:00:00:00:0a', '198.51.100.150'),
    ];
    const frames = reprs.map((r) => emitEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: r.senderMac, vlans: [], etherType: EtherType.ARP }, emitArp(r)));
    const lines = withTempCapture(pcapOf(frames), (file) => tsharkFields(file, ['arp.opcode', 'arp.src.hw_mac',
      'arp.src.proto_ipv4', 'arp.dst.hw_mac', 'arp.dst.proto_ipv4'], { numeric: true }));
    const ours = frames.map((f) => {
      const p = parseArp(f.subarray(14), [])!;
      return [String(p.operation), p.senderMac, p.senderIp, p.targetMac, p.targetIp];
    });
    expect(ours).toEqual(lines);
  });
});

describe('readEthernetIpv4Arp', () => {
  const out = { operation: 0, senderMac: '', targetMac: '', sender4: 0, target4: 0 };
  it('reads a request in place, after a link header', () => {
    const arp = emitArp(ethernetIpv4Arp(ArpOperation.REQUEST, '52:54:00:00:0e:f1', '198.51.100.187', '00:00:00:00:00:00', '198.51.100.1'));
    const frame = new Uint8Array(14 + arp.length + 18);
    frame.set(arp, 14);
    expect(readEthernetIpv4Arp(frame, 14, out)).toBe(true);
    expect(out).toEqual({ operation: 1, senderMac: '52:54:00:00:0e:f1', targetMac: '00:00:00:00:00:00', sender4: 0xc63364bb, target4: 0xc6336401 });
  });
  it('refuses a cut packet, another hardware type and RARP', () => {
    const req = ethernetIpv4Arp(ArpOperation.REQUEST, '52:54:00:00:0e:f1', '198.51.100.187', '00:00:00:00:00:00', '198.51.100.1');
    expect(readEthernetIpv4Arp(emitArp(req).subarray(0, 27), 0, out)).toBe(false);
    expect(readEthernetIpv4Arp(emitArp({ ...req, htype: 6 }), 0, out)).toBe(false);
    expect(readEthernetIpv4Arp(emitArp({ ...req, operation: ArpOperation.RARP_REQUEST }), 0, out)).toBe(false);
  });
});
