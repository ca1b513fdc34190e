import { describe, expect, it } from 'vitest';
import { latin1String } from '../wire/bytes.js';
import { SharedStrings } from './shared-strings.js';

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('SharedStrings byte-keyed texts', () => {
  it('gives the decoded text of the bytes, also after the bytes it first saw were overwritten', () => {
    const t = new SharedStrings();
    const scratch = bytes('pxelinux.0');
    const first = t.latin1(scratch);
    scratch.set(bytes('ipxe.efi\0\0'));
    expect(t.latin1(scratch)).toBe(latin1String(scratch));
    expect(t.latin1(bytes('pxelinux.0'))).toBe(first);
    // Bytes past ASCII decode as latin1String does (windows-1252: 0x80 is the euro sign).
    const high = Uint8Array.of(0x80, 0xe9, 0x41);
    expect(t.latin1(high)).toBe(latin1String(high));
    expect(t.latin1(new Uint8Array(0))).toBe('');
  });

  it('tells apart many texts that share a slot, read from one reused buffer as the parser gives them', () => {
    const t = new SharedStrings();
    const scratch = new Uint8Array(14);
    for (let i = 0; i < 3_000; i++) {
      const name = `boot/${String(i).padStart(5, '0')}.efi`;
      scratch.set(bytes(name));
      expect(t.latin1(scratch)).toBe(name);
    }
  });

  it('lists the codes of a bitmap ascending, one list per set', () => {
    const t = new SharedStrings();
    const bits = new Uint16Array(16);
    for (const c of [53, 1, 3, 254, 54, 15]) bits[c >>> 4]! |= 1 << (c & 15);
    const list = t.codes(bits);
    expect(list).toEqual([1, 3, 15, 53, 54, 254]);
    expect(t.codes(bits.slice())).toBe(list);
    bits[0] = 0;
    expect(t.codes(bits)).toEqual([53, 54, 254]); // codes 0–15 cleared
  });

  it('tells apart many code sets marked in one reused bitmap', () => {
    const t = new SharedStrings();
    const bits = new Uint16Array(16);
    for (let i = 1; i < 3_000; i++) {
      bits.fill(0);
      const want = [1 + (i % 200), 201 + (i % 13), 220 + (i % 31)].filter((c, k, all) => all.indexOf(c) === k);
      for (const c of want) bits[c >>> 4]! |= 1 << (c & 15);
      expect(t.codes(bits)).toEqual(want);
    }
  });

  it('appends to a shared list as texts() would, the list unchanged', () => {
    const t = new SharedStrings();
    const one = t.appended<string>([], 'a');
    const two = t.appended(one, 'b');
    expect(two).toEqual(['a', 'b']);
    expect(one).toEqual(['a']);
    expect(t.appended(one, 'b')).toBe(two);
    expect(t.appended(one, 'c')).toEqual(['a', 'c']);
  });
});
