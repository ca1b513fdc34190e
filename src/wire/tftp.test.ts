import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { bytesEqual, fromHex, hex } from './bytes.js';
import type { WireIssue } from './issues.js';
import {
  buildAck, buildData, buildError, buildOack, buildRrq, emitTftp, emitTftpInto, formatTftpText, parseTftp, tftpDataBlock, writeAck,
  tftpLength, tftpNegotiation, tftpOption, tftpToJson, type TftpPacket,
} from './tftp.js';
import { PUBLIC } from '../../test/helpers/paths.js';
import { udpPayloads } from '../../test/helpers/pcap.js';
import { hasTshark, tsharkFields } from '../../test/helpers/tshark.js';

// nDPI/tftp.pcap is a pcapng despite its name; the real reader takes both.
const FIXTURES = [
  'tcpdump/tftp.pcap',
  'spicy-tftp/tftp_oack.pcap',
  'spicy-tftp/tftp_rrq.pcap',
  'spicy-tftp/tftp_wrq.pcap',
  'nDPI/tftp.pcap',
  'tcpdump/tftp-heapoverflow.pcap',
];

const ORACLE_FIELDS = [
  'frame.number', 'tftp.opcode', 'tftp.source_file', 'tftp.destination_file', 'tftp.type', 'tftp.block',
  'tftp.error.code', 'tftp.option.name', 'tftp.option.value',
];

describe('TFTP against tshark on every public capture', () => {
  for (const file of FIXTURES) {
    it.skipIf(!hasTshark())(`${file}: fields agree with tshark, emit(parse(x)) == x`, () => {
      const payloads = udpPayloads(join(PUBLIC, file));
      expect(payloads.length).toBeGreaterThan(0);
      const oracle = new Map(tsharkFields(join(PUBLIC, file), ORACLE_FIELDS, { occurrence: 'a', aggregator: '|' }).map((r) => [Number(r[0]), r]));
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
        if (file === 'tcpdump/tftp-heapoverflow.pcap') {
          expect(pkt).toMatchObject({ opcode: 'RRQ', file: '00', unterminated: true });
        } else if (file !== 'nDPI/tftp.pcap' || frame > 2) expect(issues, `frame ${frame}`).toEqual([]);
      }
      expect(compared).toBe(payloads.length);
    });
  }

  it('decodes the OACK negotiation of tftp_oack.pcap', () => {
    const [rrq, oack, ack0, data1] = udpPayloads(join(PUBLIC, 'spicy-tftp/tftp_oack.pcap'));
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
    const reused = new Uint8Array(4).fill(0xa5);
    for (const b of [0, 1, 0x1234, 0xffff, 0x1_0003]) {
      expect(buildAck(b)).toEqual(emitTftp({ opcode: 'ACK', code: 4, block: b & 0xffff }));
      expect(writeAck(reused, b)).toEqual(buildAck(b));
    }
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

  it('tftpDataBlock: the block of a DATA packet (as parseTftp reads it), -1 for anything else', () => {
    for (const b of [0, 1, 0x1234, 0xffff]) {
      const data = buildData(b, new Uint8Array([9, 9]));
      expect(tftpDataBlock(data)).toBe(parseTftp(data, []).block);
      expect(tftpDataBlock(data.subarray(0, 4))).toBe(b); // an empty last block
    }
    for (const other of [buildAck(7), buildError(1, 'x'), buildOack({ blksize: 512 }), buildRrq('f'), new Uint8Array([0, 3, 1]), new Uint8Array([1, 3, 0, 1])]) {
      expect(tftpDataBlock(other)).toBe(-1);
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
    for (const file of FIXTURES) {
      for (const { payload } of udpPayloads(join(PUBLIC, file))) {
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
