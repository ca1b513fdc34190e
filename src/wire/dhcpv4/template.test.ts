/** The encode-once template (offsets of the patchable fields) and the allocation-free reply scan. */
import { describe, expect, it } from 'vitest';
import { asciiBytes, ipv4FromString } from '../bytes.js';
import { buildDhcpV4, effectiveBootFile, emitDhcpV4, F, getOption, parseDhcpV4 } from './index.js';
import { encodeTemplate, isReplyFor, newReplyScan, scanReply } from './template.js';

describe('DHCPv4 templates', () => {
  it('reports where xid, secs, chaddr and each option are; patched bytes parse as the patched message', () => {
    const t = encodeTemplate(buildDhcpV4({
      op: 1, xid: 0, chaddr: '02:00:00:00:00:00', flags: 0x8000,
      options: [{ code: 53, data: Uint8Array.of(3) }, { code: 54, data: new Uint8Array(4) }, { code: 50, data: new Uint8Array(4) }, { code: 61, data: Uint8Array.of(1, 2, 0, 0, 0, 0, 0) }],
    }));
    const b = t.bytes.slice();
    b.set([0xde, 0xad, 0xbe, 0xef], t.xid);
    b.set([0, 7], t.secs);
    b.set([2, 1, 2, 3, 4, 5], t.chaddr);
    b.set(ipv4FromString('198.51.100.7'), t.options.get(50)!);
    b.set(ipv4FromString('198.51.100.1'), t.options.get(54)!);
    const m = parseDhcpV4(b, []);
    expect(m.xid).toBe(0xdeadbeef);
    expect(m.secs).toBe(7);
    expect([...m.chaddr.subarray(0, 6)]).toEqual([2, 1, 2, 3, 4, 5]);
    expect([...getOption(m, 50)!]).toEqual([198, 51, 100, 7]);
    expect([...getOption(m, 54)!]).toEqual([198, 51, 100, 1]);
    expect(t.options.get(61)).toBeGreaterThan(t.options.get(50)!);
  });

  it('scans a reply: type, server id, mask, router, boot file from option 67, the file field, or an overloaded file area', () => {
    const s = newReplyScan();
    const reply = (options: Parameters<typeof buildDhcpV4>[0]['options'], file?: string): Uint8Array =>
      emitDhcpV4(buildDhcpV4({ op: 2, xid: 0x01020304, yiaddr: '198.51.100.9', chaddr: '02:00:00:00:00:01', ...(file ? { file } : {}), options }));
    expect(scanReply(reply([{ code: 53, data: Uint8Array.of(2) }, { code: 54, data: ipv4FromString('198.51.100.1') },
      { code: 1, data: ipv4FromString('255.255.255.0') }, { code: 3, data: ipv4FromString('198.51.100.254') }]), s)).toBe(true);
    expect(s).toMatchObject({ xid: 0x01020304, type: 2, yiaddr: 0xc6336409, serverId: 0xc6336401, hasServerId: true, subnetMask: 0xffffff00, router: 0xc63364fe, hasBootFile: false });
    scanReply(reply([{ code: 53, data: Uint8Array.of(5) }, { code: 67, data: asciiBytes('ipxe.efi') }]), s);
    expect(s).toMatchObject({ type: 5, hasServerId: false, hasBootFile: true });
    scanReply(reply([{ code: 53, data: Uint8Array.of(5) }], 'undionly.kpxe'), s);
    expect(s.hasBootFile).toBe(true);
    // Option 52 = 1: the file field holds options (here a message type 6 would not count: first wins; 67 there does).
    scanReply(reply([{ code: 53, data: Uint8Array.of(5) }, { code: 52, data: Uint8Array.of(1) }, { code: 67, data: asciiBytes('x.efi'), area: 'file' }]), s);
    expect(s).toMatchObject({ type: 5, hasBootFile: true });
    expect(scanReply(Uint8Array.of(1, 2, 3), s)).toBe(false);
    const request = reply([{ code: 53, data: Uint8Array.of(3) }]);
    request[0] = 1;
    expect(scanReply(request, s)).toBe(false);
  });

  it('isReplyFor: a whole BOOTREPLY header with this xid and this MAC (at an offset of a table of MACs)', () => {
    const b = emitDhcpV4(buildDhcpV4({ op: 2, xid: 0xfedcba98, chaddr: '02:00:00:00:00:07', options: [{ code: 53, data: Uint8Array.of(2) }] }));
    const macs = Uint8Array.of(2, 0, 0, 0, 0, 6, 2, 0, 0, 0, 0, 7);
    expect(isReplyFor(b, 0xfedcba98, macs, 6, 6)).toBe(true);
    expect(isReplyFor(b, 0xfedcba98 | 0, macs, 6, 6)).toBe(true); // a signed xid is the same transaction
    expect(isReplyFor(b, 0xfedcba98, macs, 0, 6)).toBe(false);
    expect(isReplyFor(b, 0xfedcba99, macs, 6, 6)).toBe(false);
    expect(isReplyFor(b.subarray(0, 235), 0xfedcba98, macs, 6, 6)).toBe(false);
    const request = b.slice();
    request[0] = 1;
    expect(isReplyFor(request, 0xfedcba98, macs, 6, 6)).toBe(false);
  });

  it('hasBootFile is the general runner\'s effectiveBootFile(parse) !== null, so PXE offer choice is the same on both engines', () => {
    type Opts = Parameters<typeof buildDhcpV4>[0]['options'];
    const reply = (options: Opts, file = ''): Uint8Array =>
      emitDhcpV4(buildDhcpV4({ op: 2, xid: 1, yiaddr: '198.51.100.9', chaddr: '02:00:00:00:00:01', ...(file ? { file } : {}), options }));
    const type = { code: 53, data: Uint8Array.of(2) };
    const ov = (v: number) => ({ code: 52, data: Uint8Array.of(v) });
    const f67 = (text: string, area?: 'file' | 'sname') => ({ code: 67, data: Uint8Array.from(text, (c) => c.charCodeAt(0)), ...(area ? { area } : {}) });
    /** A reply whose options area ends in a cut-short option 67 (declared 9 bytes, 1 there). */
    const cut67 = (): Uint8Array => {
      const b = reply([type]);
      const end = b.indexOf(255, F.OPTIONS);
      return Uint8Array.of(...b.subarray(0, end), 67, 9, 0x61);
    };
    // The expected answer written out: both sides share the rule (bootNameSource), so agreeing is not enough.
    const cases: Array<[string, Uint8Array, boolean]> = [
      ['nothing', reply([type]), false],
      ['file field', reply([type], 'pxelinux.0'), true],
      ['option 67', reply([type, f67('ipxe.efi')]), true],
      ['option 67 empty', reply([type, f67('')]), true],
      ['option 67 NUL-led', reply([type, f67('\0x')]), true],
      ['option 67 empty, file field set', reply([type, f67('')], 'pxelinux.0'), true],
      ['option 67 NUL-led, file field set', reply([type, f67('\0')], 'pxelinux.0'), true],
      ['option 67 and file field', reply([type, f67('a.efi')], 'b.efi'), true],
      ['overload 1: options in file, no 67', reply([type, ov(1), { code: 12, data: Uint8Array.of(0x68), area: 'file' }]), false],
      ['overload 1: 67 in file', reply([type, ov(1), f67('x.efi', 'file')]), true],
      ['overload 1: empty 67 in file', reply([type, ov(1), f67('', 'file')]), true],
      ['overload 2: 67 in sname, file field empty', reply([type, ov(2), f67('x.efi', 'sname')]), true],
      ['overload 6 (not 1..3): 67 in sname not read', reply([type, ov(6), f67('x.efi', 'sname')]), false],
      ['overload 5 (odd): file field hidden', reply([type, ov(5)], 'pxelinux.0'), false],
      ['overload 4 (even): file field read', reply([type, ov(4)], 'pxelinux.0'), true],
      ['first option 52 counts', reply([type, ov(2), ov(1)], 'pxelinux.0'), true],
      ['a zero-length option 52 does not count', reply([type, { code: 52, data: new Uint8Array(0) }, ov(1)], 'pxelinux.0'), false],
      ['cut-short option 67', cut67(), true],
    ];
    const s = newReplyScan();
    for (const [what, b, want] of cases) {
      expect(effectiveBootFile(parseDhcpV4(b, [])) !== null, what).toBe(want);
      expect(scanReply(b, s), what).toBe(true);
      expect(s.hasBootFile, what).toBe(want);
    }
  });
});
