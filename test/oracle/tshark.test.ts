/**
 * tshark as an independent oracle: for every fixture capture, the fields tshark decodes and the
 * fields `pxecheck decode --format jsonl` prints must agree frame by frame.
 */
import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { captureFiles, decodeCapture, ROOT } from '../helpers/fixtures.js';

const FIELDS = [
  'frame.number',
  'dhcp.option.dhcp', 'dhcp.id', 'dhcp.option.type', 'dhcp.file', 'dhcp.option.bootfile_name',
  'tftp.opcode', 'tftp.source_file', 'tftp.destination_file', 'tftp.block',
  'dhcpv6.msgtype', 'dhcpv6.xid',
  'http.request.method', 'http.request.uri', 'http.response.code',
  'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code',
] as const;
type Field = (typeof FIELDS)[number];

const DHCP4_TYPES = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'];
const DHCP6_TYPES = ['', 'SOLICIT', 'ADVERTISE', 'REQUEST', 'CONFIRM', 'RENEW', 'REBIND', 'REPLY', 'RELEASE',
  'DECLINE', 'RECONFIGURE', 'INFORMATION-REQUEST', 'RELAY-FORW', 'RELAY-REPL'];
const TFTP_OPS = ['', 'RRQ', 'WRQ', 'DATA', 'ACK', 'ERROR', 'OACK'];
/** ICMP error types pxecheck prints (RFC 792 / RFC 4443: the ones that quote a datagram). */
const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);
const isIcmpv6Error = (t: number): boolean => t < 128;

/**
 * Known, documented tshark behaviours where it is not a fair oracle:
 * - Wireshark decodes TFTP only by its conversation heuristics; frames it calls something else are
 *   compared only where it decoded TFTP.
 * - Wireshark 4.0 dissects a DHCPv4 packet with a bad magic cookie as BOOTP without options.
 */
function tsharkFrames(file: string): Map<number, Record<Field, string[]>> {
  const args = ['-r', join(ROOT, file), '-n', '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a', '-E', 'aggregator=|',
    // Decode DHCP on the proxyDHCP port too, as pxecheck does.
    '-d', 'udp.port==4011,dhcp', '-o', 'http.desegment_body:FALSE'];
  for (const f of FIELDS) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });
  const frames = new Map<number, Record<Field, string[]>>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const cols = line.split('\t');
    const rec = {} as Record<Field, string[]>;
    FIELDS.forEach((f, i) => (rec[f] = cols[i] ? cols[i]!.split('|') : []));
    frames.set(Number(cols[0]), rec);
  }
  return frames;
}

const files = captureFiles();
let totalCompared = 0;

describe('tshark oracle', () => {
  it('has fixtures to compare', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  for (const file of files) {
    it(`agrees with tshark on ${file}`, async () => {
      const ours = await decodeCapture(file);
      const theirs = tsharkFrames(file);
      const mismatches: string[] = [];
      const note = (frame: number, what: string, a: unknown, b: unknown): void => {
        if (JSON.stringify(a) !== JSON.stringify(b)) mismatches.push(`frame ${frame} ${what}: pxecheck ${JSON.stringify(a)} tshark ${JSON.stringify(b)}`);
      };
      let compared = 0;
      for (const j of ours.json) {
        const frame = j.frame as number;
        const t = theirs.get(frame);
        if (!t) continue;
        if (j.proto === 'icmp') {
          // The outer message is the first occurrence (an error may quote another ICMP message).
          compared++;
          const v6 = j.ipVersion === 6;
          const type = t[v6 ? 'icmpv6.type' : 'icmp.type'][0];
          const code = t[v6 ? 'icmpv6.code' : 'icmp.code'][0];
          note(frame, 'icmp type/code', [j.type, j.code], [type === undefined ? null : Number(type), code === undefined ? null : Number(code)]);
        } else if (j.proto === 'dhcp4' && t['dhcp.id'].length > 0) {
          compared++;
          note(frame, 'xid', j.xid, parseInt(t['dhcp.id'][0]!, 16));
          const mt = t['dhcp.option.dhcp'][0];
          note(frame, 'msgType', j.msgType, mt ? (DHCP4_TYPES[Number(mt)] ?? Number(mt)) : null);
          const codes = (j.options as { code: number }[]).map((o) => o.code);
          // tshark lists each instance of a split option (RFC 3396: options, file, sname); pxecheck
          // joins them into one entry at the first instance's place, as a client reads them.
          const tcodes = [...new Set(t['dhcp.option.type'].map(Number).filter((c) => c !== 0 && c !== 255))];
          note(frame, 'option codes', codes, tcodes);
          const file67 = (j.options as { code: number; value: unknown }[]).find((o) => o.code === 67)?.value ?? null;
          note(frame, 'option 67', file67, t['dhcp.option.bootfile_name'][0] ?? null);
          if (!j.overload) note(frame, 'file', j.file, t['dhcp.file'][0] ?? '');
        } else if (j.proto === 'dhcp6' && t['dhcpv6.msgtype'].length > 0) {
          compared++;
          const types: string[] = [];
          for (let m: Record<string, unknown> | undefined = j; m; m = m.relayed as Record<string, unknown> | undefined) types.push(String(m.msgType));
          note(frame, 'msgType chain', types, t['dhcpv6.msgtype'].map((n) => DHCP6_TYPES[Number(n)] ?? n));
          let inner: Record<string, unknown> = j;
          while (inner.relayed) inner = inner.relayed as Record<string, unknown>;
          if (t['dhcpv6.xid'][0]) note(frame, 'xid', inner.xid, parseInt(t['dhcpv6.xid'][0]!, 16));
        } else if (j.proto === 'tftp' && t['tftp.opcode'].length > 0) {
          compared++;
          note(frame, 'opcode', j.opcode, TFTP_OPS[Number(t['tftp.opcode'][0])] ?? Number(t['tftp.opcode'][0]));
          // tshark repeats the request's file name on every packet of the transfer: compare requests.
          const tfile = t['tftp.source_file'][0] ?? t['tftp.destination_file'][0];
          if (tfile !== undefined && (j.opcode === 'RRQ' || j.opcode === 'WRQ')) note(frame, 'file', j.file, tfile);
          if (t['tftp.block'][0] !== undefined) note(frame, 'block', j.block, Number(t['tftp.block'][0]));
        } else if (j.proto === 'http' && (t['http.request.method'].length > 0 || t['http.response.code'].length > 0)) {
          compared++;
          if (j.kind === 'request') {
            note(frame, 'method', j.method, t['http.request.method'][0]);
            note(frame, 'uri', j.uri, t['http.request.uri'][0]);
          } else {
            note(frame, 'status', j.status, Number(t['http.response.code'][0]));
          }
        }
      }
      // Every frame tshark calls DHCP/DHCPv6/TFTP/HTTP or an ICMP error must also be decoded by us
      // (a DHCP/TFTP packet quoted inside an ICMP error is printed as that ICMP error).
      const oursFrames = new Set(ours.json.map((j) => j.frame as number));
      let icmpErrors = 0;
      for (const [frame, t] of theirs) {
        const v4 = t['icmp.type'][0];
        const v6 = t['icmpv6.type'][0];
        const icmpError = (v4 !== undefined && ICMP_ERRORS.has(Number(v4))) || (v6 !== undefined && isIcmpv6Error(Number(v6)));
        if (icmpError) icmpErrors++;
        const tsharkHas = t['dhcp.id'].length > 0 || t['dhcpv6.msgtype'].length > 0 || t['tftp.opcode'].length > 0 ||
          t['http.request.method'].length > 0 || t['http.response.code'].length > 0 || icmpError;
        if (tsharkHas && !oursFrames.has(frame)) mismatches.push(`frame ${frame}: tshark decodes it, pxecheck printed nothing`);
      }
      // And nothing else of ICMP: echo and neighbour discovery are not printed.
      note(0, 'icmp error count', ours.json.filter((j) => j.proto === 'icmp').length, icmpErrors);
      expect(mismatches).toEqual([]);
      // Every fixture holds something pxecheck decodes (or reports as undecodable).
      expect(ours.json.length + ours.undecoded.length).toBeGreaterThan(0);
      totalCompared += compared;
    });
  }

  it('compared a substantial number of messages field by field', () => {
    expect(totalCompared).toBeGreaterThan(2000);
  });
});
