import { describe, expect, it } from 'vitest';
import { asciiBytes, fromHex, hex } from '../bytes.js';
import type { WireIssue } from '../issues.js';
import {
  buildDhcpV4, clientArch, dhcpV4Length, dhcpV4ToJson, effectiveBootFile, effectiveServerName, emitDhcpV4,
  emitDhcpV4Into, formatDhcpV4Text, getOption, isIpxe, isProxyOffer, isPxeClient, msgTypeName, optionValue,
  parseDhcpV4, userClasses, vendorClass, type DhcpV4Message, type JsonValue,
} from './index.js';

function reparse(msg: DhcpV4Message, issues: WireIssue[] = []): DhcpV4Message {
  return parseDhcpV4(emitDhcpV4(msg), issues);
}

/** A real DHCP header (op 1, xid 0x01020304, chaddr 00:11:22:33:44:55) followed by `opts`. */
function withOptions(opts: string): Uint8Array {
  const hdr = new Uint8Array(240);
  hdr.set([1, 1, 6, 0, 1, 2, 3, 4]);
  hdr.set([0, 0x11, 0x22, 0x33, 0x44, 0x55], 28);
  hdr.set([0x63, 0x82, 0x53, 0x63], 236);
  const o = fromHex(opts);
  const out = new Uint8Array(240 + o.length);
  out.set(hdr);
  out.set(o, 240);
  return out;
}

const PXE_UUID = '4c4c4544-0051-3610-8058-b5c04f4a4d32';

const pxeDiscover = (): DhcpV4Message => buildDhcpV4({
  xid: 0xdeadbeef, chaddr: '52:54:00:12:34:56', flags: 0x8000, secs: 4,
  options: [
    { code: 53, value: 'DISCOVER' },
    { code: 57, value: 1472 },
    { code: 55, value: [1, 2, 3, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97, 128] },
    { code: 97, value: { type: 0, uuid: PXE_UUID } },
    { code: 94, value: { type: 1, major: 3, minor: 16 } },
    { code: 93, value: [7] },
    { code: 60, value: 'PXEClient:Arch:00007:UNDI:003016' },
  ],
});

describe('fixed header layout (RFC 2131 figure 1)', () => {
  it('puts every field at its RFC offset (chaddr 16 bytes, sname at 44, file at 108, cookie at 236)', () => {
    const msg = buildDhcpV4({
      op: 2, htype: 1, hops: 3, xid: 0x11223344, secs: 0x5566, flags: 0x8000, ciaddr: '198.51.100.1',
      yiaddr: '198.51.100.2', siaddr: '198.51.100.3', giaddr: '198.51.100.4', chaddr: 'aa:bb:cc:dd:ee:ff',
      sname: 'srv', file: 'boot.efi', options: [{ code: 53, value: 'ACK' }],
    });
    const b = emitDhcpV4(msg);
    expect(hex(b.subarray(0, 28))).toBe('020106031122334455668000c6336401c6336402c6336403c6336404');
    expect(hex(b.subarray(28, 44))).toBe('aabbccddeeff' + '00'.repeat(10));
    expect(String.fromCharCode(...b.subarray(44, 47))).toBe('srv');
    expect(b[47]).toBe(0);
    expect(String.fromCharCode(...b.subarray(108, 116))).toBe('boot.efi');
    expect(hex(b.subarray(236, 240))).toBe('63825363');
    expect(hex(b.subarray(240))).toBe('350105ff');
    expect(b.length).toBe(dhcpV4Length(msg));
  });

  it('emits into a 0xa5-prefilled buffer at an offset, touching exactly its own bytes', () => {
    const msg = pxeDiscover();
    const ref = emitDhcpV4(msg);
    const buf = new Uint8Array(ref.length + 20).fill(0xa5);
    const n = emitDhcpV4Into(msg, buf, 7);
    expect(n).toBe(ref.length);
    expect(hex(buf.subarray(7, 7 + n))).toBe(hex(ref));
    expect([...buf.subarray(0, 7), ...buf.subarray(7 + n)].every((x) => x === 0xa5)).toBe(true);
    // Zero fields really are written as zeros (no 0xa5 leaking into ciaddr, chaddr padding, sname).
    expect(hex(buf.subarray(7 + 12, 7 + 28))).toBe('00'.repeat(16));
    expect(hex(buf.subarray(7 + 34, 7 + 236))).toBe('00'.repeat(202));
  });
});

describe('builder → emit → parse', () => {
  it('a PXE DISCOVER keeps 93/94/97/60/55 values', () => {
    const issues: WireIssue[] = [];
    const msg = reparse(pxeDiscover(), issues);
    expect(issues).toEqual([]);
    expect(msg.op).toBe(1);
    expect(msg.xid).toBe(0xdeadbeef);
    expect(msgTypeName(msg)).toBe('DISCOVER');
    expect(clientArch(msg)).toEqual([7]);
    expect(optionValue(msg, 93)).toEqual([{ code: 7, name: 'x64 UEFI' }]);
    expect(optionValue(msg, 94)).toEqual({ type: 1, major: 3, minor: 16 });
    expect(optionValue(msg, 97)).toEqual({ type: 0, uuid: PXE_UUID });
    expect(optionValue(msg, 57)).toBe(1472);
    expect((optionValue(msg, 55) as number[]).length).toBe(27);
    expect(vendorClass(msg)).toBe('PXEClient:Arch:00007:UNDI:003016');
    expect(isPxeClient(msg)).toBe(true);
    expect(dhcpV4ToJson(msg).chaddr).toBe('52:54:00:12:34:56');
  });

  const pxeMenu: JsonValue = [
    { code: 6, name: 'PXE_DISCOVERY_CONTROL', value: 3 },
    { code: 8, name: 'PXE_BOOT_SERVERS', value: [{ type: 0x8000, addresses: ['198.51.100.5'] }, { type: 1, addresses: [] }] },
    { code: 9, name: 'PXE_BOOT_MENU', value: [{ type: 0x8000, description: 'Install' }, { type: 0, description: 'Local' }] },
    { code: 10, name: 'PXE_MENU_PROMPT', value: { timeout: 10, prompt: 'Press F8' } },
    { code: 71, name: 'PXE_BOOT_ITEM', value: { type: 0x8000, layer: 0 } },
    { code: 1, name: 'PXE_MTFTP_IP', value: '203.0.113.9' },
    { code: 2, name: 'PXE_MTFTP_CPORT', value: 1758 },
    { code: 255, name: 'END', value: null },
  ];

  it('a proxyDHCP OFFER with option 43 PXE sub-options', () => {
    const built = buildDhcpV4({
      xid: 7, chaddr: '52:54:00:12:34:56', siaddr: '198.51.100.5', file: 'ipxe.efi',
      options: [
        { code: 53, value: 'OFFER' }, { code: 54, value: '198.51.100.5' },
        { code: 60, value: 'PXEClient' }, { code: 97, value: { type: 0, uuid: PXE_UUID } }, { code: 43, value: pxeMenu },
      ],
    });
    const issues: WireIssue[] = [];
    const msg = reparse(built, issues);
    expect(issues).toEqual([]);
    expect(msg.op).toBe(2);
    expect(isProxyOffer(msg)).toBe(true);
    expect(optionValue(msg, 43)).toEqual(pxeMenu);
    expect(effectiveBootFile(msg)).toBe('ipxe.efi');
    // The PXE menu sub-option is encoded exactly as PXE 2.1 lays it out.
    expect(hex(getOption(msg, 43)!.subarray(0, 3))).toBe('060103');
  });

  it('option 43 is raw hex unless option 60 starts with PXEClient', () => {
    const msg = reparse(buildDhcpV4({
      xid: 7, options: [{ code: 53, value: 'OFFER' }, { code: 60, value: 'MSFT 5.0' }, { code: 43, value: pxeMenu }],
    }));
    expect(optionValue(msg, 43)).toBe(hex(getOption(msg, 43)!));
  });

  it('iPXE: option 175 sub-options and the plain-text user class', () => {
    const encap: JsonValue = [
      { code: 1, name: 'priority', value: -1 },
      { code: 0x13, name: 'http', value: 1 },
      { code: 0x24, name: 'efi', value: 1 },
      { code: 0xb1, name: 'bus-id', value: { type: 1, vendor: 0x8086, device: 0x100e } },
      { code: 0xeb, name: 'version', value: '1.21.1' },
    ];
    const msg = reparse(buildDhcpV4({
      xid: 9, options: [
        { code: 53, value: 'REQUEST' }, { code: 175, value: encap }, { code: 77, value: 'iPXE' },
      ],
    }));
    expect(optionValue(msg, 175)).toEqual(encap);
    expect(hex(getOption(msg, 175)!.subarray(0, 3))).toBe('0101ff');
    expect(hex(getOption(msg, 77)!)).toBe('69505845');
    expect(userClasses(msg)).toEqual(['iPXE']);
    expect(isIpxe(msg)).toBe(true);
  });

  it('option 77 RFC 3004 instances, 82 sub-options, 81, 121, 119, 124, 125, 143, 61 and 150 round-trip', () => {
    const values: [number, JsonValue][] = [
      [77, ['sub1', 'second']],
      [82, [
        { code: 1, name: 'circuit-id', value: '0001' }, { code: 2, name: 'remote-id', value: 'aabbcc' },
        { code: 5, name: 'link-selection', value: '198.51.100.0' }, { code: 6, name: 'subscriber-id', value: 'sub' },
        { code: 9, name: 'vendor-specific', value: [{ enterprise: 3561, data: '0102' }] },
        { code: 11, name: 'server-id-override', value: '198.51.100.1' },
        { code: 151, name: 'vss', value: { type: 0, data: 'vpn1' } }, { code: 200, name: 'unknown-200', value: 'ff' },
      ]],
      [81, { flags: 5, rcode1: 0, rcode2: 0, name: 'host.example.org' }],
      [121, [{ destination: '10.0.0.0/8', router: '198.51.100.1' }, { destination: '0.0.0.0/0', router: '198.51.100.254' }]],
      [119, ['example.org', 'lab.example.org']],
      [124, [{ enterprise: 30065, data: '054172697374' }]],
      [125, [{ enterprise: 3561, data: '0401ab' }]],
      [143, ['https://203.0.113.1/restconf']],
      [61, { type: 1, id: '52:54:00:12:34:56' }],
      [150, ['198.51.100.10', '198.51.100.11']],
      [211, 30], [209, 'pxelinux.cfg/default'], [252, 'http://wpad/wpad.dat'], [160, 'http://prov.example/'],
    ];
    const issues: WireIssue[] = [];
    const msg = reparse(buildDhcpV4({ xid: 1, options: values.map(([code, value]) => ({ code, value })) }), issues);
    expect(issues).toEqual([]);
    for (const [code, value] of values) expect(optionValue(msg, code), `option ${code}`).toEqual(value);
  });

  it('option 119 follows compression pointers (RFC 3397 example)', () => {
    // eng.apple.com., marketing.apple.com. with a pointer to "apple.com" at offset 4.
    const d = '03656e67056170706c6503636f6d00096d61726b6574696e67c004';
    const msg = parseDhcpV4(withOptions(`77${(d.length / 2).toString(16)}${d}ff`), []);
    expect(optionValue(msg, 119)).toEqual(['eng.apple.com', 'marketing.apple.com']);
  });
});

describe('RFC 3396 long options', () => {
  it('the builder splits a 300-byte value into 255 + 45 and decoding joins them', () => {
    const path = 'x'.repeat(300);
    const msg = reparse(buildDhcpV4({ xid: 1, options: [{ code: 17, value: path }] }));
    expect(msg.options.filter((o) => o.code === 17).map((o) => o.data.length)).toEqual([255, 45]);
    expect(optionValue(msg, 17)).toBe(path);
    const json = dhcpV4ToJson(msg).options as { code: number; value: JsonValue; instances?: number }[];
    expect(json.find((o) => o.code === 17)).toMatchObject({ value: path, instances: 2 });
  });

  it('a value split across two instances decodes only once joined', () => {
    // Option 121: 24-bit route 198.51.100.0/24 via 198.51.100.1, cut in the middle of the router.
    const issues: WireIssue[] = [];
    const bytes = withOptions('7906' + '18c63364c633' + '7902' + '6401' + 'ff');
    const msg = parseDhcpV4(bytes, issues);
    expect(issues).toEqual([]);
    expect(optionValue(msg, 121)).toEqual([{ destination: '198.51.100.0/24', router: '198.51.100.1' }]);
    expect(hex(emitDhcpV4(msg))).toBe(hex(bytes));
  });
});

describe('option 52 overload', () => {
  it('builds options into file (then sname) and reads them back from there', () => {
    const built = buildDhcpV4({
      xid: 5, options: [
        { code: 53, value: 'OFFER' }, { code: 52, value: 3 },
        { code: 67, value: 'bootx64.efi', area: 'file' }, { code: 66, value: '198.51.100.7', area: 'sname' },
      ],
    });
    const bytes = emitDhcpV4(built);
    expect(hex(bytes.subarray(108, 110))).toBe('430b');
    expect(hex(bytes.subarray(44, 46))).toBe('420c');
    const issues: WireIssue[] = [];
    const msg = parseDhcpV4(bytes, issues);
    expect(issues).toEqual([]);
    expect(msg.options.map((o) => `${o.area}:${o.code}`)).toEqual(
      ['options:53', 'options:52', 'options:255', 'file:67', 'file:255', 'sname:66', 'sname:255']);
    expect(effectiveBootFile(msg)).toBe('bootx64.efi');
    expect(effectiveServerName(msg)).toBe('198.51.100.7');
    const json = dhcpV4ToJson(msg);
    expect(json).toMatchObject({ file: '', sname: '', overload: 3 });
    expect(json.options).toContainEqual({ code: 67, name: 'bootfile-name', value: 'bootx64.efi', area: 'file' });
    expect(hex(emitDhcpV4(msg))).toBe(hex(bytes));
  });

  it('boot file and boot server name follow one rule: the option (even empty) before the field, the field unless overloaded or empty', () => {
    type Opts = NonNullable<Parameters<typeof buildDhcpV4>[0]['options']>;
    const names = (options: Opts, fields: { file?: string; sname?: string } = {}): [string | null, string | null] => {
      const msg = reparse(buildDhcpV4({ op: 2, xid: 1, ...fields, options: [{ code: 53, value: 'OFFER' }, ...options] }));
      return [effectiveBootFile(msg), effectiveServerName(msg)];
    };
    const text = (code: number, t: string, area?: 'file' | 'sname') => ({ code, data: asciiBytes(t), ...(area ? { area } : {}) });
    expect(names([])).toEqual([null, null]);
    expect(names([], { file: 'a.efi', sname: 'boot1' })).toEqual(['a.efi', 'boot1']);
    expect(names([text(67, 'o.efi'), text(66, 'o-server')], { file: 'a.efi', sname: 'boot1' })).toEqual(['o.efi', 'o-server']);
    expect(names([text(67, ''), text(66, '')], { file: 'a.efi', sname: 'boot1' })).toEqual(['', '']);
    // Overload 3: both fields hold options; names only from options found there.
    expect(names([{ code: 52, value: 3 }, { code: 12, value: 'h', area: 'file' }, { code: 12, value: 'h', area: 'sname' }])).toEqual([null, null]);
    expect(names([{ code: 52, value: 3 }, text(67, 'f.efi', 'file'), text(66, 's', 'sname')])).toEqual(['f.efi', 's']);
    // Overload 1 hides only file, overload 2 only sname.
    expect(names([{ code: 52, value: 1 }, { code: 12, value: 'h', area: 'file' }], { sname: 'boot1' })).toEqual([null, 'boot1']);
    expect(names([{ code: 52, value: 2 }, { code: 12, value: 'h', area: 'sname' }], { file: 'a.efi' })).toEqual(['a.efi', null]);
  });

  it('an overload value outside 1..3 is malformed and the fields stay plain', () => {
    const issues: WireIssue[] = [];
    const msg = parseDhcpV4(withOptions('340104ff'), issues, 100);
    expect(issues).toContainEqual(expect.objectContaining({ kind: 'malformed', offset: 340 }));
    expect(msg.options.every((o) => o.area === 'options')).toBe(true);
  });
});

describe('malformed and truncated input', () => {
  it('an option running past the end: truncated at the option offset, kept raw, exact emit', () => {
    const bytes = withOptions('350101' + '0c0a6162');
    const issues: WireIssue[] = [];
    const msg = parseDhcpV4(bytes, issues, 42);
    expect(issues).toEqual([expect.objectContaining({ kind: 'truncated', offset: 42 + 243 })]);
    expect(msg.options.at(-1)).toMatchObject({ code: 12, declaredLength: 10 });
    expect(hex(emitDhcpV4(msg))).toBe(hex(bytes));
  });

  it('a value that does not fit its type: malformed at the value offset, raw hex in JSON', () => {
    const issues: WireIssue[] = [];
    const msg = parseDhcpV4(withOptions('350101' + '0103ffffff' + 'ff'), issues, 10);
    expect(issues).toEqual([expect.objectContaining({ kind: 'malformed', offset: 10 + 245 })]);
    expect(dhcpV4ToJson(msg).options).toContainEqual({ code: 1, name: 'subnet-mask', value: 'ffffff' });
  });

  it('a PXE sub-option overrunning option 43 is reported and the option falls back to hex', () => {
    const issues: WireIssue[] = [];
    const msg = parseDhcpV4(withOptions('3c09505845436c69656e74' + '2b04' + '0605ffff' + 'ff'), issues);
    expect(issues).toEqual([expect.objectContaining({ kind: 'malformed', offset: 240 + 11 + 2 })]);
    expect(optionValue(msg, 43)).toBe('0605ffff');
  });

  it('missing END is malformed; a missing cookie is plain BOOTP', () => {
    const issues: WireIssue[] = [];
    parseDhcpV4(withOptions('350101'), issues);
    expect(issues).toEqual([expect.objectContaining({ kind: 'malformed', offset: 243 })]);
    const bootp: WireIssue[] = [];
    const b = parseDhcpV4(new Uint8Array(300), bootp);
    expect(bootp).toEqual([]);
    expect(msgTypeName(b)).toBeNull();
    expect(dhcpV4ToJson(b).msgType).toBeNull();
  });
});

describe('views', () => {
  it('text view names fields and options', () => {
    const lines = formatDhcpV4Text(reparse(pxeDiscover()));
    expect(lines).toContain('TYPE:   DISCOVER');
    expect(lines).toContain('XID:    0xdeadbeef');
    expect(lines).toContain('OPTION:  93 client-arch: 7 (x64 UEFI)');
    expect(lines).toContain('OPTION:  60 vendor-class: "PXEClient:Arch:00007:UNDI:003016"');
    expect(lines.some((l) => l.startsWith('CHADDR: 52:54:00:12:34:56'))).toBe(true);
  });

  it('JSON view matches the contract', () => {
    const json = dhcpV4ToJson(reparse(buildDhcpV4({
      xid: 0x3d1d, chaddr: '00:0b:82:01:fc:42', file: 'pxelinux.0', sname: 'tftp',
      options: [{ code: 53, value: 'ACK' }, { code: 0 }, { code: 3, value: ['192.0.2.1'] }],
    })));
    expect(json).toEqual({
      op: 2, htype: 1, hlen: 6, hops: 0, xid: 0x3d1d, secs: 0, flags: 0, msgType: 'ACK',
      ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: '00:0b:82:01:fc:42',
      sname: 'tftp', file: 'pxelinux.0',
      options: [{ code: 53, name: 'message-type', value: 'ACK' }, { code: 3, name: 'router', value: ['192.0.2.1'] }],
    });
    expect(asciiBytes('x')[0]).toBe(0x78);
  });
});
