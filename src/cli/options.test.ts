import { describe, it, expect } from 'vitest';
import { checkAnalyzeArgs, checkDecodeArgs, normalizeMac, parseProtoList, parseTimeBound, parseXids, THRESHOLD_FLAGS, thresholdHelp } from './options.js';
import { DEFAULT_THRESHOLDS } from '../findings/types.js';
import { UsageError } from './exit-codes.js';

describe('decode options', () => {
  it('defaults to text and all protocols', () => {
    const a = checkDecodeArgs({ file: 'x.pcap' });
    expect(a.format).toBe('text');
    expect(a.protos).toBeNull();
  });
  it('rejects an unknown format, naming the allowed ones', () => {
    expect(() => checkDecodeArgs({ file: 'x.pcap', format: 'xml' })).toThrow(/text, summary, line, jsonl, none.*"xml"/);
  });
  it('rejects a missing file', () => {
    expect(() => checkDecodeArgs({})).toThrow(UsageError);
  });
  it('parses comma lists and repeated flags, dhcp meaning both versions', () => {
    expect([...parseProtoList('dhcp4,tftp')!].sort()).toEqual(['dhcp4', 'tftp']);
    expect([...parseProtoList(['http', 'dhcp'])!].sort()).toEqual(['dhcp4', 'dhcp6', 'http']);
  });
  it('rejects an unknown protocol', () => {
    expect(() => parseProtoList('dhcp4,smtp')).toThrow(/unknown protocol "smtp"/);
  });
});

describe('analyze options', () => {
  it('defaults: text, every client, engine thresholds', () => {
    expect(checkAnalyzeArgs({ file: 'x.pcap' })).toEqual({ file: 'x.pcap', files: ['x.pcap'], merge: false, format: 'text', clients: null, onlyFailed: false, keepDuplicates: false, output: undefined, thresholds: {} });
  });
  it('takes several positional FILEs, then -r FILEs, and --merge', () => {
    const a = checkAnalyzeArgs({ file: ['a.pcap', 'dir'], read: ['-'], merge: true });
    expect(a).toMatchObject({ file: 'a.pcap', files: ['a.pcap', 'dir', '-'], merge: true });
    expect(checkAnalyzeArgs({ read: 'b.pcap' }).files).toEqual(['b.pcap']);
    expect(checkDecodeArgs({ file: [], read: ['c.pcapng'] })).toMatchObject({ file: 'c.pcapng', files: ['c.pcapng'], merge: false });
    expect(() => checkAnalyzeArgs({ file: [] })).toThrow(/missing FILE/);
  });
  it('rejects an unknown format, naming the allowed ones', () => {
    expect(() => checkAnalyzeArgs({ file: 'x.pcap', format: 'xml' })).toThrow(/text, json, junit.*"xml"/);
    expect(() => checkAnalyzeArgs({ format: 'json' })).toThrow(UsageError);
  });
  it('maps threshold flags to AnalysisThresholds keys', () => {
    const a = checkAnalyzeArgs({ file: 'x', 'slow-offer': '0.5', 'no-reply': '6', 'loop-count': '4', 'tftp-idle': '2.5' });
    expect(a.thresholds).toEqual({ slowOffer: 0.5, noReply: 6, loopCount: 4, tftpIdle: 2.5 });
  });
  it('rejects thresholds that are not positive numbers, with the flag in the message', () => {
    expect(() => checkAnalyzeArgs({ file: 'x', 'slow-offer': '0' })).toThrow(/--slow-offer must be a positive number of seconds \(got "0"\)/);
    expect(() => checkAnalyzeArgs({ file: 'x', 'no-reply': '-1' })).toThrow(/--no-reply/);
    expect(() => checkAnalyzeArgs({ file: 'x', 'tftp-idle': 'soon' })).toThrow(/--tftp-idle .*"soon"/);
    expect(() => checkAnalyzeArgs({ file: 'x', 'tftp-idle': '' })).toThrow(/--tftp-idle/);
    expect(() => checkAnalyzeArgs({ file: 'x', 'slow-offer': 'Infinity' })).toThrow(/--slow-offer/);
    expect(() => checkAnalyzeArgs({ file: 'x', 'loop-count': '2.5' })).toThrow(/--loop-count must be an integer >= 2/);
    expect(() => checkAnalyzeArgs({ file: 'x', 'loop-count': '1' })).toThrow(/--loop-count/);
    expect(() => checkAnalyzeArgs({ file: 'x', 'slow-offer': ['1', '2'] })).toThrow(/more than once/);
  });
  it('help text shows the defaults from DEFAULT_THRESHOLDS', () => {
    for (const t of THRESHOLD_FLAGS) expect(thresholdHelp(t)).toContain(`(default ${DEFAULT_THRESHOLDS[t.key]}`);
  });
  it('normalises MACs with : or - separators, any case', () => {
    expect(normalizeMac('52-54-00-AB-CD-EF')).toBe('52:54:00:ab:cd:ef');
    expect(normalizeMac('0:1b:2:c:d:e')).toBe('00:1b:02:0c:0d:0e');
    expect(normalizeMac('525400ABCDEF')).toBe('52:54:00:ab:cd:ef');
    expect(checkAnalyzeArgs({ file: 'x', client: ['52:54:00:AB:CD:EF'] }).clients).toEqual([{ kind: 'mac', mac: '52:54:00:ab:cd:ef' }]);
  });
  it('rejects malformed MACs', () => {
    for (const bad of ['52:54:00:ab:cd', '52:54:00:ab:cd:ef:01', 'zz:54:00:ab:cd:ef', '525:4:00:ab:cd:ef', '']) {
      expect(() => normalizeMac(bad), bad).toThrow(/not a MAC address/);
    }
  });
  it('--server without --scenario is an error, not ignored', () => {
    expect(() => checkAnalyzeArgs({ file: 'x', server: '198.51.100.1' })).toThrow(/--server only applies with --scenario/);
    expect(checkAnalyzeArgs({ file: 'x', server: '198.51.100.1', scenario: ['s.yaml'] }).file).toBe('x');
  });
  it('--only-failed is a switch', () => {
    expect(checkAnalyzeArgs({ file: 'x', 'only-failed': true }).onlyFailed).toBe(true);
  });
});

describe('decode filters', () => {
  it('parses xids as hex with or without 0x, repeated or comma-separated', () => {
    expect([...parseXids(['0x1A2b', 'ff,0x10'])!]).toEqual([0x1a2b, 0xff, 0x10]);
    expect(parseXids(undefined)).toBeNull();
    for (const bad of ['', 'xyz', '0x123456789', '-1']) expect(() => parseXids(bad), bad).toThrow(/--xid/);
  });
  it('reads --from/--to as seconds after the first packet or as ISO time', () => {
    expect(parseTimeBound('12.5', 'from')).toEqual({ kind: 'relative', seconds: 12.5 });
    expect(parseTimeBound('3s', 'from')).toEqual({ kind: 'relative', seconds: 3 });
    expect(parseTimeBound('2024-01-02T03:04:05Z', 'to')).toEqual({ kind: 'absolute', epoch: Date.UTC(2024, 0, 2, 3, 4, 5) / 1000 });
    expect(parseTimeBound('2024-01-02T03:04:05.250+01:00', 'to')).toEqual({ kind: 'absolute', epoch: Date.UTC(2024, 0, 2, 2, 4, 5, 250) / 1000 });
    for (const bad of ['soon', '-3', '2024-13-45T99:00:00Z', '']) expect(() => parseTimeBound(bad, 'from'), bad).toThrow(/--from/);
    expect(() => parseTimeBound(['1', '2'], 'to')).toThrow(/more than once/);
  });
  it('accepts summary and line formats and client filters', () => {
    const a = checkDecodeArgs({ file: 'x', format: 'line', client: ['aabb.ccdd.eeff', '198.51.100.7'], xid: ['0x1'] });
    expect(a.format).toBe('line');
    expect(a.clients).toEqual([{ kind: 'mac', mac: 'aa:bb:cc:dd:ee:ff' }, { kind: 'ip', addr: '198.51.100.7' }]);
    expect([...a.xids!]).toEqual([1]);
  });
});
