import { describe, expect, it } from 'vitest';
import { bytesEqual, fromHex, hex } from '../bytes.js';
import type { WireIssue } from '../issues.js';
import {
  buildDhcpV6, dhcpV6ToJson, duidLinkLayerAddress, emitDhcpV6, encodeOptionPayload,
  formatDhcpV6Text, getOptionValue, innermostMessage, MAX_RELAY_DEPTH, parseDhcpV6, userClasses,
} from './index.js';
import type { DhcpV6Message, DhcpV6MessageSpec, DhcpV6OptionSpec } from './types.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function parseHex(h: string, base = 0): { msg: DhcpV6Message; issues: WireIssue[] } {
  const issues: WireIssue[] = [];
  const msg = parseDhcpV6(fromHex(h), issues, base);
  return { msg, issues };
}

/** Builds one option, checks it re-encodes to the same payload and returns its parsed form. */
function roundTrip(spec: DhcpV6OptionSpec) {
  const issues: WireIssue[] = [];
  const msg = buildDhcpV6({ msgType: 7, xid: 1, options: [spec] }, issues);
  expect(issues).toEqual([]);
  const opt = msg.options[0]!;
  expect(bytesEqual(encodeOptionPayload(opt), opt.data)).toBe(true);
  expect(bytesEqual(encodeOptionPayload({ ...spec } as DhcpV6OptionSpec), opt.data)).toBe(true);
  return opt;
}

describe('DUIDs', () => {
  it('decodes DUID-LLT, -EN, -LL, -UUID and keeps unknown types', () => {
    const llt = parseHex('01000001 0001000e 0001 0001 29d08193 000001010000').msg;
    expect(getOptionValue(llt, 1)).toEqual({ kind: 'llt', hwType: 1, time: 0x29d08193, linkLayer: fromHex('000001010000') });
    expect(duidLinkLayerAddress(getOptionValue(llt, 1))).toBe('00:00:01:01:00:00');
    const en = parseHex('01000001 0002000a 0002 00000009 0c0c0c0c').msg;
    expect(getOptionValue(en, 2)).toEqual({ kind: 'en', enterprise: 9, identifier: fromHex('0c0c0c0c') });
    expect(duidLinkLayerAddress(getOptionValue(en, 2))).toBeUndefined();
    const ll = parseHex('01000001 0001000a 0003 0001 000102030405').msg;
    expect(duidLinkLayerAddress(getOptionValue(ll, 1))).toBe('00:01:02:03:04:05');
    const other = parseHex('01000001 00010004 0009 abcd').msg;
    expect(getOptionValue(other, 1)).toEqual({ kind: 'other', type: 9, data: fromHex('abcd') });
    expect(dhcpV6ToJson(other).options[0]!.value).toEqual({ type: 9, data: 'abcd' });
  });

  it('reports a DUID-UUID of the wrong length as malformed at its payload', () => {
    const { msg, issues } = parseHex('01000001 00010006 0004 01020304', 50);
    expect(issues.map((i) => [i.kind, i.offset])).toEqual([['malformed', 58]]);
    expect(getOptionValue(msg, 1)).toEqual({ kind: 'other', type: 4, data: fromHex('01020304') });
  });
});

describe('malformed and nested options', () => {
  it('reports a nested option that overflows its IA_NA as malformed, keeps the IA', () => {
    // IA_NA of 16: iaid t1 t2 then a nested IAADDR claiming 24 bytes with only 0 left after header.
    const { msg, issues } = parseHex('01000001 00030010 00000001 00000002 00000003 00050018');
    expect(issues).toEqual([{ kind: 'malformed', layer: 'dhcp6', offset: 20, message: expect.stringContaining('option 5 (IAADDR)') }]);
    const ia = getOptionValue(msg, 3)!;
    expect(ia).toMatchObject({ iaid: 1, t1: 2, t2: 3 });
    expect(ia.options[0]).toMatchObject({ code: 5, declaredLength: 24, data: new Uint8Array(0) });
    expect(bytesEqual(emitDhcpV6(msg), fromHex('01000001 00030010 00000001 00000002 00000003 00050018'))).toBe(true);
  });

  it('rejects compression pointers in domain lists', () => {
    const { msg, issues } = parseHex('07000001 00180005 03636f6dc0');
    expect(issues.map((i) => [i.kind, i.offset])).toEqual([['malformed', 12]]);
    expect(getOptionValue(msg, 24)).toBeUndefined();
    expect(dhcpV6ToJson(msg).options[0]!.value).toBe('03636f6dc0');
  });

  it('keeps unknown message types and options as numbers and raw bytes', () => {
    const { msg, issues } = parseHex('c8000102 fffe0001 aa');
    expect(issues).toEqual([]);
    expect(msg).toMatchObject({ relay: false, msgType: 200, xid: 0x102 });
    expect(dhcpV6ToJson(msg)).toMatchObject({ msgType: 200, options: [{ code: 65534, name: null, value: 'aa' }] });
    expect(formatDhcpV6Text(msg)).toEqual(['200 xid 0x000102', '  option(65534): aa']);
  });

  it('keeps 1-3 stray bytes after the last option and re-emits them', () => {
    const bytes = fromHex('01000001 000e0000 0102');
    const issues: WireIssue[] = [];
    const msg = parseDhcpV6(bytes, issues);
    expect(issues.map((i) => [i.kind, i.offset])).toEqual([['truncated', 8]]);
    expect(msg.trailing).toEqual(fromHex('0102'));
    expect(bytesEqual(emitDhcpV6(msg), bytes)).toBe(true);
  });

  it('bounds relay nesting and never throws on deep input', () => {
    let spec: DhcpV6MessageSpec = { msgType: 1, xid: 5, options: [] };
    for (let i = 0; i < MAX_RELAY_DEPTH + 3; i++) {
      spec = { relay: true, msgType: 12, hopCount: i, linkAddress: '::', peerAddress: '::', options: [{ code: 9, value: spec }] };
    }
    const bytes = emitDhcpV6(spec);
    const issues: WireIssue[] = [];
    const msg = parseDhcpV6(bytes, issues);
    expect(issues.map((i) => i.kind)).toEqual(['unsupported']);
    expect(issues[0]!.offset).toBe((MAX_RELAY_DEPTH + 1) * 38);
    const deepest = innermostMessage(msg);
    expect(deepest.relay).toBe(true);
    expect(bytesEqual(emitDhcpV6(msg), bytes)).toBe(true);
  });

  it('reports a relayed message whose options overrun the Relay Message option as malformed', () => {
    // RELAY-FORW, option 9 of 8 bytes holding SOLICIT with an option claiming 9 bytes.
    const h = '0c00' + '00'.repeat(32) + '00090008' + '01000001' + '00080009';
    const { msg, issues } = parseHex(h);
    expect(issues.map((i) => [i.kind, i.offset])).toEqual([['malformed', 42]]);
    expect(innermostMessage(msg)).toMatchObject({ msgType: 1, xid: 1 });
  });
});

describe('option codecs round-trip through the table', () => {
  it('encodes and decodes the typed options', () => {
    expect(roundTrip({ code: 4, value: { iaid: 9, options: [{ code: 5, value: { address: '2001:db8::5', preferred: 1, valid: 2, options: [] } }] } }).value)
      .toMatchObject({ iaid: 9, options: [{ code: 5, value: { address: '2001:db8::5' } }] });
    expect(roundTrip({ code: 25, value: { iaid: 1, t1: 2, t2: 3, options: [{ code: 26, value: { preferred: 4, valid: 5, prefixLength: 56, prefix: '2001:db8:100::', options: [] } }] } }).value)
      .toMatchObject({ options: [{ code: 26, value: { prefixLength: 56, prefix: '2001:db8:100::' } }] });
    expect(roundTrip({ code: 11, value: { protocol: 3, algorithm: 1, rdm: 0, replayDetection: fromHex('0000000000000001'), info: fromHex('ff') } }).data.length).toBe(12);
    expect(roundTrip({ code: 12, value: '2001:db8::2' }).value).toBe('2001:db8::2');
    expect(roundTrip({ code: 14, value: true }).data.length).toBe(0);
    expect(roundTrip({ code: 15, value: [enc('iPXE'), fromHex('00ff')] }).data).toEqual(fromHex('000469505845 000200ff'));
    expect(roundTrip({ code: 17, value: { enterprise: 30065, options: [{ code: 1, data: enc('a') }] } }).data).toEqual(fromHex('00007571 00010001 61'));
    expect(roundTrip({ code: 19, value: 5 }).value).toBe(5);
    expect(roundTrip({ code: 21, value: ['sip.example.com', 'b.example'] }).value).toEqual(['sip.example.com', 'b.example']);
    expect(roundTrip({ code: 32, value: 86400 }).value).toBe(86400);
    expect(roundTrip({ code: 37, value: { enterprise: 4491, remoteId: fromHex('0102') } }).data).toEqual(fromHex('0000118b 0102'));
    expect(roundTrip({ code: 39, value: { flags: 1, name: 'host', partial: true } }).data).toEqual(fromHex('01 04686f7374'));
    expect(roundTrip({ code: 39, value: { flags: 0, name: 'host.example', partial: false } }).value).toEqual({ flags: 0, name: 'host.example', partial: false });
    expect(roundTrip({ code: 56, value: [{ code: 1, value: '2001:db8::123' }, { code: 3, value: 'ntp.example' }] }).value)
      .toMatchObject([{ code: 1, value: '2001:db8::123' }, { code: 3, value: 'ntp.example' }]);
    expect(roundTrip({ code: 60, value: ['a', 'bc'] }).data).toEqual(fromHex('000161 00026263'));
    expect(roundTrip({ code: 62, value: { type: 1, major: 3, minor: 16 } }).data).toEqual(fromHex('010310'));
    expect(roundTrip({ code: 79, value: { hwType: 1, address: fromHex('020000000001') } }).value).toEqual({ hwType: 1, address: fromHex('020000000001') });
    expect(roundTrip({ code: 82, value: 3600 }).data).toEqual(fromHex('00000e10'));
    expect(roundTrip({ code: 112, value: 'https://mud.example/x' }).value).toBe('https://mud.example/x');
    expect(roundTrip({ code: 143, value: ['2001:db8::9'] }).value).toEqual(['2001:db8::9']);
  });

  it('shows user classes as text when printable, hex otherwise', () => {
    const msg = buildDhcpV6({ msgType: 1, xid: 1, options: [{ code: 15, value: [enc('iPXE'), fromHex('00ff')] }] });
    expect(userClasses(msg)).toEqual(['iPXE', '\u0000\u00ff']);
    expect(dhcpV6ToJson(msg).options[0]!.value).toEqual(['iPXE', { hex: '00ff' }]);
    expect(formatDhcpV6Text(msg)[1]).toBe('  USER_CLASS(15): "iPXE" 0x00ff');
  });

  it('names status codes and architecture types, keeps unknown ones as numbers', () => {
    const msg = buildDhcpV6({ msgType: 7, xid: 1, options: [
      { code: 13, value: { status: 2, message: 'none left' } },
      { code: 13, value: { status: 999, message: '' } },
      { code: 61, value: [16, 19, 0, 500] },
    ] });
    const j = dhcpV6ToJson(msg);
    expect(j.options[0]!.value).toEqual({ status: 2, name: 'NoAddrsAvail', message: 'none left' });
    expect(j.options[1]!.value).toEqual({ status: 999, name: null, message: '' });
    expect(j.options[2]!.value).toEqual([
      { code: 16, name: 'x64 UEFI HTTP' }, { code: 19, name: 'ARM64 UEFI HTTP' }, { code: 0, name: 'x86 BIOS' }, { code: 500, name: null },
    ]);
    expect(hex(emitDhcpV6(msg)).endsWith('003d0008' + '0010001300000' + '1f4')).toBe(true);
  });
});
