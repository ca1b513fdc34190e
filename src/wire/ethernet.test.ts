import { describe, it, expect } from 'vitest';
import { emitEthernet, emitEthernetInto, ethernetLength, parseEthernet, type EthernetRepr } from './ethernet.js';
import { fromHex, hex } from './bytes.js';
import type { WireIssue } from './issues.js';
import { LinkType } from './link-type.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { captureFiles } from '../../test/helpers/paths.js';

const QINQ: EthernetRepr = {
  dst: 'ff:ff:ff:ff:ff:ff',
  src: '00:11:22:33:44:55',
  vlans: [
    { tpid: 0x88a8, pcp: 5, dei: 1, vid: 100 },
    { tpid: 0x8100, pcp: 0, dei: 0, vid: 4094 },
  ],
  etherType: 0x0800,
};

describe('ethernet emit', () => {
  it('writes every header byte into a 0xa5-prefilled buffer and nothing past it', () => {
    const payload = Uint8Array.of(0x45, 0x00);
    const out = new Uint8Array(40).fill(0xa5);
    const n = emitEthernetInto(QINQ, payload, out, 3);
    expect(n).toBe(ethernetLength(QINQ, payload.length));
    expect(n).toBe(14 + 8 + 2);
    expect(hex(out.subarray(0, 3))).toBe('a5a5a5');
    expect(hex(out.subarray(3, 3 + n))).toBe('ffffffffffff' + '001122334455' + '88a8' + 'b064' + '8100' + '0ffe' + '0800' + '4500');
    expect(out.subarray(3 + n).every((b) => b === 0xa5)).toBe(true);
  });

  it.each([
    ['untagged', { ...QINQ, vlans: [] }],
    ['802.1Q', { ...QINQ, vlans: [{ tpid: 0x8100, pcp: 7, dei: 0, vid: 1 }], etherType: 0x86dd }],
    ['802.1ad + 802.1Q', QINQ],
    ['0x9100 outer', { ...QINQ, vlans: [{ tpid: 0x9100, pcp: 1, dei: 1, vid: 4095 }, QINQ.vlans[1]!] }],
    ['802.3 length field', { ...QINQ, vlans: [], etherType: 46 }],
  ])('parse(emit(x)) == x: %s', (_, repr: EthernetRepr) => {
    const payload = Uint8Array.of(1, 2, 3);
    const issues: WireIssue[] = [];
    const frame = parseEthernet(emitEthernet(repr, payload), issues, 0);
    expect(issues).toEqual([]);
    expect(frame).not.toBeNull();
    const { headerLength, payload: p, ...back } = frame!;
    expect(back).toEqual(repr);
    expect(headerLength).toBe(14 + 4 * repr.vlans.length);
    expect([...p]).toEqual([1, 2, 3]);
  });
});

describe('ethernet parse', () => {
  it('reports a short header as truncated and returns null', () => {
    const issues: WireIssue[] = [];
    expect(parseEthernet(new Uint8Array(13), issues, 100)).toBeNull();
    expect(issues).toEqual([expect.objectContaining({ kind: 'truncated', layer: 'ethernet', offset: 100 })]);
  });

  it('stops at a cut VLAN tag, keeps what it read, and still round-trips', () => {
    const bytes = emitEthernet(QINQ, new Uint8Array(0)).subarray(0, 14 + 4 + 1);
    const issues: WireIssue[] = [];
    const f = parseEthernet(bytes, issues, 0)!;
    expect(f.vlans.map((v) => v.vid)).toEqual([100]);
    expect(f.etherType).toBe(0x8100);
    expect(issues).toEqual([expect.objectContaining({ kind: 'truncated', layer: 'ethernet', offset: 18 })]);
    expect(hex(emitEthernet(f, f.payload))).toBe(hex(bytes));
  });

  it('round-trips every Ethernet frame of the public captures', () => {
    let frames = 0;
    for (const file of captureFiles('public')) {
      for (const rec of loadFrames(file)) {
        if (rec.linkType !== LinkType.ETHERNET) continue;
        const parsed = parseEthernet(rec.data, [], 0);
        if (!parsed) continue;
        frames++;
        expect(hex(emitEthernet(parsed, parsed.payload))).toBe(hex(rec.data));
      }
    }
    expect(frames).toBeGreaterThan(800);
  });

  it('reads a real 802.1Q frame', () => {
    // dst, src, 8100 tag pcp 3 vid 10, IPv4
    const bytes = fromHex('01005e000001 020000000001 8100 600a 0800 45');
    const f = parseEthernet(bytes, [], 0)!;
    expect(f.vlans).toEqual([{ tpid: 0x8100, pcp: 3, dei: 0, vid: 10 }]);
    expect(f.dst).toBe('01:00:5e:00:00:01');
    expect(f.payload[0]).toBe(0x45);
  });
});
