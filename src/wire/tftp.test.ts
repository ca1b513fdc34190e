import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bytesEqual, fromHex, hex, u16, u32, u32le } from './bytes.js';
import type { WireIssue } from './issues.js';
import {
  buildAck, buildData, buildError, buildOack, buildRrq, emitTftp, emitTftpInto, formatTftpText, parseTftp,
  tftpLength, tftpNegotiation, tftpOption, tftpToJson, type TftpPacket,
} from './tftp.js';

const CAPTURES = fileURLToPath(new URL('../../captures/public/', import.meta.url));

interface UdpPayload { frame: number; payload: Uint8Array }

/** Tiny classic-pcap walker (Ethernet, DLT_NULL, Linux SLL; IPv4/IPv6; UDP) for the fixtures. */
function udpPayloadsFromPcap(file: string): UdpPayload[] {
  const b = new Uint8Array(readFileSync(file));
  const le = u32le(b, 0) === 0xa1b2c3d4 || u32le(b, 0) === 0xa1b23c4d;
  const r32 = (o: number): number => (le ? u32le(b, o) : u32(b, o));
  const linkType = r32(20);
  const out: UdpPayload[] = [];
  let o = 24;
  for (let frame = 1; o + 16 <= b.length; frame++) {
    const incl = r32(o + 8);
    const pkt = b.subarray(o + 16, Math.min(b.length, o + 16 + incl));
    o += 16 + incl;
    let l3 = 0;
    let ethertype = 0;
    if (linkType === 1) {
      l3 = 14;
      ethertype = u16(pkt, 12);
      while (ethertype === 0x8100) { ethertype = u16(pkt, l3 + 2); l3 += 4; }
    } else if (linkType === 0) {
      l3 = 4;
      const fam = u32le(pkt, 0) < 256 ? u32le(pkt, 0) : u32(pkt, 0);
      ethertype = fam === 2 ? 0x0800 : 0x86dd;
    } else if (linkType === 113) {
      l3 = 16;
      ethertype = u16(pkt, 14);
    } else continue;
    let l4: number;
    if (ethertype === 0x0800) {
      if (pkt[l3 + 9] !== 17) continue;
      l4 = l3 + (pkt[l3]! & 15) * 4;
    } else if (ethertype === 0x86dd) {
      if (pkt[l3 + 6] !== 17) continue;
      l4 = l3 + 40;
    } else continue;
    const udpLen = u16(pkt, l4 + 4);
    out.push({ frame, payload: pkt.subarray(l4 + 8, Math.min(pkt.length, l4 + Math.max(8, udpLen))) });
  }
  return out;
}

function tshark(file: string, fields: string[]): string[][] {
  const args = ['-r', file, '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|'];
  for (const f of fields) args.push('-e', f);
  const text = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return text.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

function udpPayloadsViaTshark(file: string): UdpPayload[] {
  return tshark(file, ['frame.number', 'udp.payload'])
    .filter((r) => r[1])
    .map((r) => ({ frame: Number(r[0]), payload: fromHex(r[1]!) }));
}

const FIXTURES: Array<{ file: string; pcapng?: boolean }> = [
  { file: 'tcpdump/tftp.pcap' },
  { file: 'spicy-tftp/tftp_oack.pcap' },
  { file: 'spicy-tftp/tftp_rrq.pcap' },
  { file: 'spicy-tftp/tftp_wrq.pcap' },
  { file: 'nDPI/tftp.pcap', pcapng: true },
  { file: 'tcpdump/tftp-heapoverflow.pcap' },
];

function payloadsOf(fx: { file: string; pcapng?: boolean }): UdpPayload[] {
  return fx.pcapng ? udpPayloadsViaTshark(CAPTURES + fx.file) : udpPayloadsFromPcap(CAPTURES + fx.file);
}

const ORACLE_FIELDS = [
  'frame.number', 'tftp.opcode', 'tftp.source_file', 'tftp.destination_file', 'tftp.type', 'tftp.block',
  'tftp.error.code', 'tftp.option.name', 'tftp.option.value',
];

describe('TFTP against tshark on every public capture', () => {
  for (const fx of FIXTURES) {
    it(`${fx.file}: fields agree with tshark, emit(parse(x)) == x`, () => {
      const payloads = payloadsOf(fx);
      expect(payloads.length).toBeGreaterThan(0);
      const oracle = new Map(tshark(CAPTURES + fx.file, ORACLE_FIELDS).map((r) => [Number(r[0]), r]));
      let compared = 0;
      for (const { frame, payload } of payloads) {
        const issues: WireIssue[] = [];
        const pkt = parseTftp(payload, issues, 0);
        expect(hex(emitTftp(pkt)), `frame ${frame} round trip`).toBe(hex(payload));
        expect(tftpLength(pkt)).toBe(payload.length);
        const t = oracle.get(frame);
        if (!t || !t[1]) continue;
        compared++;
        const [, opcode, src, dst, mode, block, errCode, optNames, optValues] = t;
        expect(pkt.code, `frame ${frame} opcode`).toBe(Number(opcode));
        // tshark drops a string cut before its NUL (the fuzz case); we keep it and flag it.
        if (pkt.unterminated) expect(issues.some((i) => i.kind === 'truncated')).toBe(true);
        else if (pkt.code === 1) expect(pkt.file).toBe(src);
        else if (pkt.code === 2) expect(pkt.file).toBe(dst);
        if ((pkt.code === 1 || pkt.code === 2) && !pkt.unterminated) expect(pkt.mode ?? '').toBe(mode);
        if (pkt.code === 3 || pkt.code === 4) expect(pkt.block).toBe(Number(block));
        if (pkt.code === 5) expect(pkt.errorCode).toBe(Number(errCode));
        if (pkt.code === 1 || pkt.code === 2 || pkt.code === 6) {
          const opts = pkt.options ?? [];
          expect(opts.map((o) => o.name).join('|'), `frame ${frame} option names`).toBe(optNames ?? '');
          expect(opts.map((o) => o.value ?? '').join('|'), `frame ${frame} option values`).toBe(optValues ?? '');
        }
        // Well-formed packets (tshark's view aside) raise no issue; nDPI has deliberately odd ones.
        if (fx.file === 'tcpdump/tftp-heapoverflow.pcap') {
          expect(pkt).toMatchObject({ opcode: 'RRQ', file: '00', unterminated: true });
        } else if (fx.file !== 'nDPI/tftp.pcap' || frame > 2) expect(issues, `frame ${frame}`).toEqual([]);
      }
      expect(compared).toBe(payloads.length);
    });
  }

  it('decodes the OACK negotiation of tftp_oack.pcap', () => {
    const [rrq, oack, ack0, data1] = udpPayloadsFromPcap(CAPTURES + 'spicy-tftp/tftp_oack.pcap');
    const issues: WireIssue[] = [];
    const r = parseTftp(rrq!.payload, issues);
    expect(r).toMatchObject({ opcode: 'RRQ', file: 'hello.txt', mode: 'octet', options: [{ name: 'blksize', value: '256' }] });
    const o = parseTftp(oack!.payload, issues);
    expect(tftpToJson(o)).toEqual({ opcode: 'OACK', options: { blksize: '256' } });
    expect(tftpNegotiation(o)).toEqual({ blksize: 256, invalid: [] });
    expect(parseTftp(ack0!.payload, issues)).toEqual({ opcode: 'ACK', code: 4, block: 0 });
    const d = parseTftp(data1!.payload, issues);
    expect(d.block).toBe(1);
    expect(d.data!.length).toBe(256);
    expect(issues).toEqual([]);
  });

  it('keeps nDPI\'s garbled request (empty names, option without value) byte-exact', () => {
    const issues: WireIssue[] = [];
    const bytes = fromHex('000100000000000000000000006f6374657400');
    const p = parseTftp(bytes, issues, 100);
    expect(p.file).toBe('');
    expect(p.mode).toBe('');
    expect(p.options!.length).toBe(5);
    expect(p.options![4]).toEqual({ name: '', value: 'octet' });
    expect(issues.some((i) => i.message === 'empty filename' && i.offset === 102)).toBe(true);
    expect(issues.some((i) => i.message.startsWith('unknown transfer mode') && i.offset === 103)).toBe(true);
    expect(hex(emitTftp(p))).toBe(hex(bytes));
  });
});

describe('TFTP malformed input', () => {
  it('ERROR without trailing NUL keeps the message and reports it at the end', () => {
    const issues: WireIssue[] = [];
    const bytes = fromHex('00050001' + hex(new TextEncoder().encode('nope')));
    const p = parseTftp(bytes, issues, 42);
    expect(p).toMatchObject({ opcode: 'ERROR', errorCode: 1, errorMessage: 'nope', unterminated: true });
    expect(issues).toEqual([{ kind: 'truncated', layer: 'tftp', offset: 42 + 8, message: 'error message has no terminating NUL' }]);
    expect(hex(emitTftp(p))).toBe(hex(bytes));
    expect(formatTftpText(p)).toEqual(['TFTP ERROR 1 (file not found) "nope"']);
  });

  it('ERROR 8 names option negotiation; trailing bytes after the NUL are kept', () => {
    const issues: WireIssue[] = [];
    const bytes = fromHex('0005000862616400ffff');
    const p = parseTftp(bytes, issues);
    expect(tftpToJson(p)).toEqual({ opcode: 'ERROR', errorCode: 8, errorName: 'option negotiation refused', errorMessage: 'bad', extraBytes: 2 });
    expect(issues[0]).toMatchObject({ kind: 'malformed', offset: 8 });
    expect(hex(emitTftp(p))).toBe(hex(bytes));
  });

  it('unknown opcode is kept as a number with its body', () => {
    const issues: WireIssue[] = [];
    const bytes = fromHex('0009abcdef');
    const p = parseTftp(bytes, issues, 10);
    expect(p.opcode).toBe(9);
    expect(issues).toEqual([{ kind: 'unsupported', layer: 'tftp', offset: 10, message: 'unknown TFTP opcode 9' }]);
    expect(hex(emitTftp(p))).toBe(hex(bytes));
  });

  it('ACK with odd trailing bytes reports them at their offset', () => {
    const issues: WireIssue[] = [];
    const p = parseTftp(fromHex('0004000700'), issues, 0);
    expect(p.block).toBe(7);
    expect(issues).toEqual([{ kind: 'malformed', layer: 'tftp', offset: 4, message: '1 trailing bytes after ACK' }]);
  });

  it('option names keep their case; lookup is case-insensitive', () => {
    const p = parseTftp(buildRrq('pxelinux.0', 'octet', [{ name: 'BlkSize', value: '1468' }, { name: 'tsize', value: '0' }]), []);
    expect(tftpToJson(p)['options']).toEqual({ BlkSize: '1468', tsize: '0' });
    expect(tftpOption(p, 'blksize')).toBe('1468');
    expect(tftpNegotiation(p)).toEqual({ blksize: 1468, tsize: 0, invalid: [] });
    expect(tftpNegotiation(parseTftp(buildOack({ blksize: 4, windowsize: 'x' }), [])).invalid).toEqual(['blksize', 'windowsize']);
  });
});

describe('TFTP builders and emit', () => {
  it('build the exact RFC bytes', () => {
    expect(hex(buildRrq('a.bin', 'octet', { blksize: 1428, tsize: 0 }))).toBe(
      '0001' + '612e62696e00' + '6f6374657400' + '626c6b73697a650031343238007473697a65003000');
    expect(hex(buildAck(0x1_0002))).toBe('00040002'); // block numbers wrap at 16 bits
    expect(hex(buildData(3, fromHex('0102')))).toBe('000300030102');
    expect(hex(buildError(1, 'File not found'))).toBe('00050001' + '46696c65206e6f7420666f756e64' + '00');
    expect(hex(buildOack({ blksize: '512' }))).toBe('0006626c6b73697a650035313200');
  });

  it('emitTftpInto writes every byte (buffer pre-filled with 0xa5) at an offset', () => {
    const pkts: TftpPacket[] = [
      parseTftp(buildRrq('f', 'netascii', { timeout: 3 }), []),
      parseTftp(buildError(0, ''), []),
      parseTftp(buildData(65535, new Uint8Array(512).fill(7)), []),
      parseTftp(buildOack({ windowsize: 8 }), []),
    ];
    for (const p of pkts) {
      const want = emitTftp(p);
      const out = new Uint8Array(want.length + 10).fill(0xa5);
      const end = emitTftpInto(p, out, 5);
      expect(end).toBe(5 + want.length);
      expect(bytesEqual(out.subarray(5, end), want)).toBe(true);
      expect(out[4]).toBe(0xa5);
      expect(out[end]).toBe(0xa5);
    }
  });

  it('DATA payload is a view, not a copy', () => {
    const bytes = buildData(1, new Uint8Array([1, 2, 3]));
    const p = parseTftp(bytes, []);
    expect(p.data!.buffer).toBe(bytes.buffer);
    expect(p.data!.byteOffset).toBe(4);
  });
});

describe('TFTP truncation sweep', () => {
  it('every prefix of every real TFTP packet decodes without throwing and round-trips', () => {
    let prefixes = 0;
    for (const fx of FIXTURES) {
      for (const { payload } of payloadsOf(fx)) {
        const full = parseTftp(payload, []);
        for (let n = 0; n < payload.length; n++) {
          const prefix = payload.subarray(0, n);
          const issues: WireIssue[] = [];
          const p = parseTftp(prefix, issues, 0);
          prefixes++;
          if (!bytesEqual(emitTftp(p), prefix)) expect(hex(emitTftp(p))).toBe(hex(prefix));
          for (const i of issues) expect(i.offset).toBeLessThanOrEqual(n);
          // Short fixed fields and strings cut before their NUL must be reported as truncation
          // (a DATA prefix past the block, or a request cut after a NUL, can be a valid packet).
          const stringy = full.code === 1 || full.code === 2 || full.code === 5 || full.code === 6;
          if (n < 4 || (stringy && prefix[n - 1] !== 0)) {
            expect(issues.some((i) => i.kind === 'truncated'), `prefix ${n} of ${hex(payload.subarray(0, 16))}`).toBe(true);
          }
        }
      }
    }
    expect(prefixes).toBeGreaterThan(1000);
  });
});
