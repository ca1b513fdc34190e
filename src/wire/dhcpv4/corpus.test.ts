/**
 * Every DHCPv4 packet of captures/public against tshark (the independent oracle), plus exact
 * round trips and a truncation sweep.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hex } from '../bytes.js';
import type { WireIssue } from '../issues.js';
import {
  dhcpV4Length, dhcpV4ToJson, effectiveBootFile, effectiveServerName, emitDhcpV4, msgType, msgTypeName, optionValue,
  parseDhcpV4, userClasses,
} from './index.js';
import { PUBLIC } from '../../../test/helpers/paths.js';
import { udpPayloads } from '../../../test/helpers/pcap.js';
import { hasTshark, tsharkFields } from '../../../test/helpers/tshark.js';

const FILES = [
  'tcpdump/dhcp-rfc3004.pcap', 'tcpdump/dhcp-rfc5859.pcap', 'tcpdump/dhcp-option-108.pcapng',
  'tcpdump/dhcpv4v6-rfc5970-rfc8572.pcap', 'tcpdump/bootp_asan.pcap', 'tcpdump/bootp_asan-2.pcap',
  'zeek/dhcp.pcap', 'zeek/dhcp_ack_subscriber_id_and_agent_remote_id.pcap',
  'zeek/dhcp_bad_cookie_option_retention.pcap', 'zeek/dhcp_flood.pcap',
  'suricata-verify/dhcp-eve-extended.pcap', 'suricata-verify/dhcp-option-52-overload.pcap',
  'suricata-verify/dhcp-option-52-overload-both.pcap', 'arkime/wireshark-dhcp.pcap',
];

interface Payload { frame: number; data: Uint8Array }

/** The DHCPv4 payloads (UDP port 67 or 68) of a public capture. */
function dhcpPayloads(file: string): Payload[] {
  return udpPayloads(join(PUBLIC, file), [67, 68]).map(({ frame, payload }) => ({ frame, data: payload }));
}

interface SharkRow {
  frame: number; op: string; xid: string; type: string; codes: number[]; file: string; bootfile: string;
  relaySubs: string; userClass: string; tftp: string;
}

function tshark(file: string): Map<number, SharkRow> {
  const fields = ['frame.number', 'dhcp.type', 'dhcp.id', 'dhcp.option.dhcp', 'dhcp.option.type', 'dhcp.file',
    'dhcp.option.bootfile_name', 'dhcp.option.agent_information_option.suboption', 'dhcp.option.user_class.data',
    'dhcp.option.tftp_server_address'];
  const rows = new Map<number, SharkRow>();
  for (const c of tsharkFields(join(PUBLIC, file), fields, { filter: 'dhcp', separator: '|' })) {
    rows.set(Number(c[0]), {
      frame: Number(c[0]), op: c[1]!, xid: c[2]!, type: c[3]!,
      codes: c[4] ? c[4].split(',').map(Number) : [], file: c[5]!, bootfile: c[6]!, relaySubs: c[7]!,
      userClass: c[8]!, tftp: c[9]!,
    });
  }
  return rows;
}

/** tshark lists END and PAD as 0; both are left out of the comparison. */
function realCodes(codes: number[]): number[] {
  return codes.filter((c) => c !== 0 && c !== 255).sort((a, b) => a - b);
}

describe('DHCPv4 corpus vs tshark', () => {
  for (const file of FILES) {
    it.skipIf(!hasTshark())(file, () => {
      const payloads = dhcpPayloads(file);
      expect(payloads.length).toBeGreaterThan(0);
      const shark = tshark(file);
      let compared = 0;
      for (const { frame, data } of payloads) {
        const issues: WireIssue[] = [];
        const msg = parseDhcpV4(data, issues, 0);
        // Round trip: exact bytes for every packet, broken ones included.
        expect(dhcpV4Length(msg)).toBe(data.length);
        expect(hex(emitDhcpV4(msg))).toBe(hex(data));
        const row = shark.get(frame);
        if (!row || data.length < 240) continue;
        compared++;
        expect(msg.op, `frame ${frame} op`).toBe(Number(row.op));
        expect(msg.xid, `frame ${frame} xid`).toBe(parseInt(row.xid, 16));
        expect(msgType(msg), `frame ${frame} type`).toBe(row.type ? Number(row.type) : null);
        const mine = realCodes(msg.options.map((o) => o.code));
        expect(mine, `frame ${frame} option codes`).toEqual(realCodes(row.codes));
        if (row.bootfile) expect(effectiveBootFile(msg)).toBe(row.bootfile);
        else if (row.file) expect(effectiveBootFile(msg)).toBe(row.file);
        if (row.relaySubs) {
          const subs = optionValue(msg, 82) as { code: number }[];
          expect(subs.map((s) => s.code).join(',')).toBe(row.relaySubs);
        }
        if (row.userClass) {
          expect(userClasses(msg).map((s) => hex(new TextEncoder().encode(s))).join(',')).toBe(row.userClass);
        }
        if (row.tftp) expect((optionValue(msg, 150) as string[]).join(',')).toBe(row.tftp);
      }
      if (!file.includes('asan')) expect(compared).toBeGreaterThan(0);
    });
  }
});

describe('truncation sweep', () => {
  it('every prefix of real packets decodes without throwing, reports truncation, round-trips', () => {
    const samples = [
      ...dhcpPayloads('suricata-verify/dhcp-option-52-overload-both.pcap'),
      ...dhcpPayloads('zeek/dhcp_ack_subscriber_id_and_agent_remote_id.pcap'),
      ...dhcpPayloads('tcpdump/dhcp-rfc3004.pcap').slice(0, 1),
    ];
    for (const { data } of samples) {
      const full: WireIssue[] = [];
      const whole = parseDhcpV4(data, full);
      expect(full).toEqual([]);
      // Cutting before END must say truncated or missing END; padding after END may go.
      const endAt = data.length - whole.trailer.length;
      for (let n = 0; n < data.length; n++) {
        if (n === 236) continue; // a bare fixed header is a legal BOOTP message without vendor area
        const cut = data.subarray(0, n);
        const issues: WireIssue[] = [];
        const msg = parseDhcpV4(cut, issues, 14);
        if (n < endAt) expect(issues.length, `prefix ${n}`).toBeGreaterThan(0);
        else expect(issues).toEqual([]);
        for (const i of issues) expect(i.offset).toBeGreaterThanOrEqual(14);
        if (n < 240) expect(issues.some((i) => i.kind === 'truncated')).toBe(true);
        expect(hex(emitDhcpV4(msg))).toBe(hex(cut));
      }
    }
  });
});

describe('fixtures with special cases', () => {
  it('option 52 = 2 (suricata dhcp-option-52-overload): options read from sname', () => {
    const p = dhcpPayloads('suricata-verify/dhcp-option-52-overload.pcap').find((x) => x.frame === 4)!;
    const issues: WireIssue[] = [];
    const msg = parseDhcpV4(p.data, issues);
    expect(issues).toEqual([]);
    expect(msg.options.filter((o) => o.area === 'sname' && o.code !== 0 && o.code !== 255).map((o) => o.code))
      .toEqual([6, 3, 15]);
    expect(effectiveServerName(msg)).toBeNull();
    const json = dhcpV4ToJson(msg);
    expect(json).toMatchObject({ sname: '', overload: 2 });
    expect((json.options as { code: number; area?: string }[]).filter((o) => o.area === 'sname').map((o) => o.code))
      .toEqual([6, 3, 15]);
    // Frame 3 (no overload) carries a plain sname.
    const plain = parseDhcpV4(dhcpPayloads('suricata-verify/dhcp-option-52-overload.pcap').find((x) => x.frame === 3)!.data, []);
    expect(effectiveServerName(plain)).toBe('evil-pxe.attacker.local');
  });

  it('option 52 = 3 (overload-both): file first, then sname; message 56 joined per RFC 3396', () => {
    const [p] = dhcpPayloads('suricata-verify/dhcp-option-52-overload-both.pcap');
    const msg = parseDhcpV4(p!.data, []);
    expect(msg.options.filter((o) => o.code === 56).map((o) => o.area)).toEqual(['options', 'file', 'sname']);
    expect(optionValue(msg, 56)).toBe('Paddingfile name field overloadsname field overload');
    expect(dhcpV4ToJson(msg)).toMatchObject({ file: '', sname: '', overload: 3, msgType: 'DISCOVER' });
    expect(effectiveBootFile(msg)).toBeNull();
  });

  it('bad magic cookie (zeek): malformed at 236, vendor area kept raw, no message type', () => {
    const all = dhcpPayloads('zeek/dhcp_bad_cookie_option_retention.pcap');
    const types = all.map(({ data }) => {
      const issues: WireIssue[] = [];
      const msg = parseDhcpV4(data, issues, 42);
      if (msgTypeName(msg) === null) {
        expect(issues).toEqual([expect.objectContaining({ kind: 'malformed', offset: 42 + 236 })]);
        expect(msg.options).toEqual([]);
      }
      return msgTypeName(msg);
    });
    expect(types).toEqual(['DISCOVER', null, null, null, 'DISCOVER']);
  });

  it('fuzzed BOOTP (tcpdump bootp_asan): truncated header reported, no throw', () => {
    for (const f of ['tcpdump/bootp_asan.pcap', 'tcpdump/bootp_asan-2.pcap']) {
      for (const { data } of dhcpPayloads(f)) {
        const issues: WireIssue[] = [];
        parseDhcpV4(data, issues);
        expect(issues).toEqual([expect.objectContaining({ kind: 'truncated', offset: data.length })]);
      }
    }
  });
});
