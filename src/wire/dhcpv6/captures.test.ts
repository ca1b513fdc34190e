import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesEqual } from '../bytes.js';
import type { WireIssue } from '../issues.js';
import {
  bootFileUrl, clientDuid, dhcpV6ToJson, emitDhcpV6, emitDhcpV6Into, formatDhcpV6Text,
  innermostMessage, parseDhcpV6, userClasses, vendorClass,
} from './index.js';
import type { DhcpV6Message, DhcpV6Option } from './types.js';
import { PUBLIC } from '../../../test/helpers/paths.js';
import { udpPayloads } from '../../../test/helpers/pcap.js';
import { hasTshark, tsharkFields } from '../../../test/helpers/tshark.js';

const FILES = [
  'tcpdump/dhcpv6-ia-na.pcap',
  'tcpdump/dhcpv6-mud.pcap',
  'tcpdump/dhcpv6-rfc6355-duid-uuid.pcap',
  'tcpdump/dhcpv6-vendor-specific-information.pcap',
  'tcpdump/dhcpv4v6-rfc5970-rfc8572.pcap',
  'tcpdump/dhcp6_reconf_asan.pcap',
  'arkime/wireshark-dhcpv6.pcap',
];

interface Payload { file: string; frame: number; data: Uint8Array }

/** The DHCPv6 payloads (UDP port 546 or 547) of a public capture. */
function dhcpv6Payloads(file: string): Payload[] {
  return udpPayloads(join(PUBLIC, file), [546, 547]).map(({ frame, payload }) => ({ file, frame, data: payload }));
}

const ALL: Payload[] = FILES.flatMap(dhcpv6Payloads);

/** Pre-order walk, as tshark lists nested option types (IA contents, relayed messages). */
function walk(opts: readonly DhcpV6Option[], codes: number[], duids: number[]): void {
  for (const o of opts) {
    codes.push(o.code);
    const v = o.value as unknown;
    if ((o.code === 1 || o.code === 2) && o.value) {
      const d = o.value as { kind: string; type?: number };
      duids.push(({ llt: 1, en: 2, ll: 3, uuid: 4 } as Record<string, number>)[d.kind] ?? d.type!);
    }
    if (v && typeof v === 'object' && 'options' in v && Array.isArray(v.options) && o.code !== 17) {
      walk(v.options as DhcpV6Option[], codes, duids);
    }
  }
}

function msgTypes(m: DhcpV6Message): number[] {
  const inner = m.relay ? (m.options.find((o) => o.code === 9)?.value as DhcpV6Message | undefined) : undefined;
  return [m.msgType, ...(inner ? msgTypes(inner) : [])];
}

describe('DHCPv6 over real captures', () => {
  it('finds every DHCPv6 packet', () => {
    expect(ALL.length).toBe(4 + 5 + 2 + 1 + 10 + 1 + 6);
  });

  it.skipIf(!hasTshark())('agrees with tshark on types, xids, option codes and DUID types', () => {
    for (const file of FILES) {
      const rows = tsharkFields(join(PUBLIC, file), ['frame.number', 'dhcpv6.msgtype', 'dhcpv6.xid', 'dhcpv6.option.type',
        'dhcpv6.duid.type', 'dhcpv6.option.length'], { filter: 'dhcpv6', aggregator: ',', allowFailure: true });
      const mine = ALL.filter((p) => p.file === file);
      expect(mine.map((p) => String(p.frame))).toEqual(rows.map((row) => row[0]));
      for (const [i, p] of mine.entries()) {
        const [, types, xids, codes, duidTypes, lengths] = rows[i]!;
        const msg = parseDhcpV6(p.data, []);
        const where = `${file}#${p.frame}`;
        expect(msgTypes(msg).join(','), where).toBe(types);
        const inner = innermostMessage(msg);
        const xid = inner.relay ? '' : `0x${inner.xid.toString(16).padStart(6, '0')}`;
        expect(xid, where).toBe(xids);
        const myCodes: number[] = [];
        const myDuids: number[] = [];
        walk(msg.options, myCodes, myDuids);
        expect(myCodes.join(','), where).toBe(codes);
        expect(myDuids.join(','), where).toBe(duidTypes);
        const myLengths: number[] = [];
        const lens = (opts: readonly DhcpV6Option[]): void => {
          for (const o of opts) {
            myLengths.push(o.declaredLength ?? o.data.length);
            const v = o.value as { options?: unknown } | undefined;
            if (v && typeof v === 'object' && Array.isArray(v.options) && o.code !== 17) lens(v.options as DhcpV6Option[]);
          }
        };
        lens(msg.options);
        expect(myLengths.join(','), where).toBe(lengths);
      }
    }
  });

  it('round-trips every packet exactly, also into a 0xa5-filled buffer at an offset', () => {
    for (const p of ALL) {
      const msg = parseDhcpV6(p.data, []);
      expect(bytesEqual(emitDhcpV6(msg), p.data), `${p.file}#${p.frame}`).toBe(true);
      const buf = new Uint8Array(p.data.length + 10).fill(0xa5);
      expect(emitDhcpV6Into(msg, buf, 5)).toBe(5 + p.data.length);
      expect(bytesEqual(buf.subarray(5, 5 + p.data.length), p.data)).toBe(true);
      expect(buf[4]).toBe(0xa5);
      expect(buf[5 + p.data.length]).toBe(0xa5);
    }
  });

  it('decodes the well-formed captures without issues', () => {
    for (const p of ALL) {
      if (p.file.includes('asan')) continue;
      const issues: WireIssue[] = [];
      parseDhcpV6(p.data, issues);
      expect(issues, `${p.file}#${p.frame}`).toEqual([]);
    }
  });

  it('reports the malformed RECONF_MSG options of the fuzz case at their offsets', () => {
    const p = ALL.find((x) => x.file.includes('asan'))!;
    const issues: WireIssue[] = [];
    const msg = parseDhcpV6(p.data, issues, 1000);
    expect(msg.relay).toBe(true);
    expect(msg.msgType).toBe(13);
    expect(msg.options.map((o) => [o.code, o.data.length, o.value])).toEqual([[19, 0, undefined], [19, 0, undefined]]);
    // Options start at 34 and 38; a zero-length payload is reported where the payload starts.
    expect(issues.map((i) => [i.kind, i.offset])).toEqual([['malformed', 1038], ['malformed', 1042]]);
    expect(dhcpV6ToJson(msg)).toMatchObject({ msgType: 'RELAY-REPL', hopCount: 29, linkAddress: '300:10ed:ff:f01:f:0:7f:7f' });
  });

  it('reads DUID-UUID, boot file URL, SZTP redirect, vendor opts and user class', () => {
    const uuid = ALL.find((p) => p.file.includes('duid-uuid'))!;
    expect(clientDuid(parseDhcpV6(uuid.data, []))).toEqual({ kind: 'uuid', uuid: 'a256e92e-40ab-d0d2-a3ab-3b3ff2ff8998' });

    const ztp = ALL.filter((p) => p.file.includes('rfc5970'));
    const adv = parseDhcpV6(ztp.find((p) => p.frame === 11)!.data, []);
    expect(bootFileUrl(adv)).toBe('my-startup-config');
    const redirect = parseDhcpV6(ztp.find((p) => p.frame === 3)!.data, []);
    expect(redirect.options.find((o) => o.code === 136)?.value).toEqual([
      'https://sztp1.download.com', 'https://sztp2.download.com:8080', 'https://10.10.0.0',
      'https://10.10.0.0:8000', 'https://[2001:4860:4860::8888]:8080',
    ]);
    const j = dhcpV6ToJson(adv);
    expect(j.options.map((o) => o.name)).toEqual(['IA_NA', 'CLIENTID', 'SERVERID', 'BOOTFILE_URL', 'DOMAIN_LIST', 'DNS_SERVERS']);
    expect(j.options[4]!.value).toEqual(['aristanetworks.com']);
    expect(j.options[5]!.value).toEqual(['1234:5678::2']);
    expect(j.options[0]!.value).toEqual({
      iaid: 0x01010000, t1: 0, t2: 0,
      options: [{ code: 5, name: 'IAADDR', value: { address: '1234:5678::4', preferred: 18000, valid: 28800, options: [] } }],
    });
    const inf = parseDhcpV6(ztp.find((p) => p.frame === 14)!.data, []);
    expect(inf.msgType).toBe(11);
    expect(userClasses(inf).length).toBeGreaterThan(0);
    expect(vendorClass(inf)).toBeUndefined();
    expect(dhcpV6ToJson(inf).options[0]).toMatchObject({ code: 17, name: 'VENDOR_OPTS', value: { enterprise: 30065 } });
  });

  it('gives relay messages their addresses and the relayed message under `relayed`', () => {
    const p = ALL.find((x) => x.file.includes('mud'))!;
    const msg = parseDhcpV6(p.data, []);
    const j = dhcpV6ToJson(msg);
    expect(j).toMatchObject({ msgType: 'RELAY-FORW', linkAddress: '2001:8a8:1006:3:225:84ff:fedb:2380' });
    expect(j.xid).toBeUndefined();
    expect(j.relayed).toMatchObject({ msgType: 'SOLICIT', xid: 0x78244b });
    expect(j.relayed!.options.find((o) => o.code === 112)?.value).toMatch(/^https?:\/\//);
    const text = formatDhcpV6Text(msg);
    expect(text[0]).toMatch(/^RELAY-FORW hop-count \d+ link 2001:8a8:1006:3:225:84ff:fedb:2380 peer /);
    expect(text).toContain('    SOLICIT xid 0x78244b');
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });
});

describe('truncation sweep over every real payload', () => {
  it('decodes every prefix without throwing, reports truncation at the cut option, round-trips', () => {
    const base = 100;
    for (const p of ALL) {
      const full = parseDhcpV6(p.data, []);
      const header = full.relay ? 34 : 4;
      // Top-level option starts; a cut exactly on one of them leaves a shorter valid message.
      const starts: number[] = [];
      let o = header;
      for (const opt of full.options) { starts.push(o); o += 4 + opt.data.length; }
      for (let len = 0; len < p.data.length; len++) {
        const prefix = p.data.subarray(0, len);
        const issues: WireIssue[] = [];
        const msg = parseDhcpV6(prefix, issues, base);
        const truncated = issues.filter((i) => i.kind === 'truncated');
        const where = `${p.file}#${p.frame} len ${len}`;
        for (const i of issues) expect(i.offset, where).toBeLessThanOrEqual(base + len);
        if (len < header) {
          expect(truncated[0]?.offset, where).toBe(base);
          continue;
        }
        const cutInside = starts.filter((s) => s < len).pop();
        if (len === header || starts.includes(len)) expect(truncated, where).toEqual([]);
        else expect(truncated[0]?.offset, where).toBe(base + cutInside!);
        expect(bytesEqual(emitDhcpV6(msg), prefix), where).toBe(true);
        dhcpV6ToJson(msg);
        formatDhcpV6Text(msg);
      }
    }
  });
});
