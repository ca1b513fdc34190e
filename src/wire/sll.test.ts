import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { emitSll, emitSll2, emitSllInto, parseSll, parseSll2, sllAddressString, type Sll2Repr, type SllRepr } from './sll.js';
import { hex } from './bytes.js';
import type { WireIssue } from './issues.js';
import { loadFrames } from '../../test/helpers/frames.js';
import { PUBLIC } from '../../test/helpers/paths.js';

const SLL: SllRepr = {
  packetType: 4,
  arphrdType: 1,
  addressLength: 6,
  address: Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0, 0),
  protocol: 0x86dd,
};

describe('SLL', () => {
  it('emits into a 0xa5-prefilled buffer exactly', () => {
    const out = new Uint8Array(24).fill(0xa5);
    const n = emitSllInto(SLL, Uint8Array.of(0x60), out, 2);
    expect(n).toBe(17);
    expect(hex(out)).toBe('a5a5' + '0004' + '0001' + '0006' + '5254001234560000' + '86dd' + '60' + 'a5'.repeat(5));
  });

  it('parse(emit(x)) == x and reads the address', () => {
    const issues: WireIssue[] = [];
    const f = parseSll(emitSll(SLL, Uint8Array.of(1, 2)), issues, 0)!;
    expect(issues).toEqual([]);
    expect({ ...f.repr, address: [...f.repr.address] }).toEqual({ ...SLL, address: [...SLL.address] });
    expect([...f.payload]).toEqual([1, 2]);
    expect(sllAddressString(f.repr)).toBe('52:54:00:12:34:56');
  });

  it('flags an impossible address length and a short header', () => {
    const issues: WireIssue[] = [];
    const bytes = emitSll({ ...SLL, addressLength: 0x3030 }, new Uint8Array(0));
    const f = parseSll(bytes, issues, 10)!;
    expect(sllAddressString(f.repr)).toBeNull();
    expect(issues).toEqual([expect.objectContaining({ kind: 'malformed', layer: 'sll', offset: 14 })]);
    expect(parseSll(bytes.subarray(0, 15), issues, 0)).toBeNull();
    expect(issues[1]).toMatchObject({ kind: 'truncated', layer: 'sll' });
  });
});

describe('SLL2', () => {
  const repr: Sll2Repr = { ...SLL, reserved: 0, interfaceIndex: 3, protocol: 0x0800 };
  it('round-trips and lays fields where the spec says', () => {
    const bytes = emitSll2(repr, Uint8Array.of(0x45));
    expect(hex(bytes)).toBe('0800' + '0000' + '00000003' + '0001' + '04' + '06' + '5254001234560000' + '45');
    const f = parseSll2(bytes, [], 0)!;
    expect({ ...f.repr, address: hex(f.repr.address) }).toEqual({ ...repr, address: hex(repr.address) });
    expect(hex(f.payload)).toBe('45');
  });
});

describe('SLL, real capture', () => {
  it('round-trips the frame of tcpdump/tftp-heapoverflow.pcap (malformed address length kept)', () => {
    const frames = loadFrames(join(PUBLIC, 'tcpdump/tftp-heapoverflow.pcap')).map((r) => r.data);
    expect(frames).toHaveLength(1);
    const issues: WireIssue[] = [];
    const f = parseSll(frames[0]!, issues, 0)!;
    // tshark: sll.pkttype 12336, sll.halen 12336, sll.etype 0x0800.
    expect([f.repr.packetType, f.repr.addressLength, f.repr.protocol]).toEqual([12336, 12336, 0x0800]);
    expect(hex(emitSll(f.repr, f.payload))).toBe(hex(frames[0]!));
  });
});
