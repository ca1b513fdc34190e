import { describe, it, expect } from 'vitest';
import { decodeCapture } from '../../test/helpers/fixtures.js';
import { decodedToText } from './decode-text.js';

const FILE = 'captures/lab-v6/broken-ra-no-managed.pcapng';

describe('decode output of neighbour discovery', () => {
  it('jsonl: an RA as proto ndp with its fields, options, hop limit and summary', async () => {
    const d = await decodeCapture(FILE);
    const ra = d.json.find((j) => j.proto === 'ndp' && j.kind === 'ra')!;
    expect(ra).toMatchObject({
      proto: 'ndp', src: expect.stringMatching(/^\[fe80::[0-9a-f:]+\]:0$/), dst: '[ff02::1]:0',
      type: 134, kind: 'ra', managed: false, other: false, preference: 'medium', hopLimit: 255,
      options: { prefixes: [{ prefix: '2001:db8:1::', length: 64, onLink: true, autonomous: false }], raw: [] },
      summary: expect.stringMatching(/^Router Advertisement from fe80::\S+ M=0 O=0 lifetime \d+ pref medium prefix 2001:db8:1::\/64 L=1 A=0/),
      issues: [],
    });
    // One JSON record per ND frame tshark sees (31 in this file).
    expect(d.json.filter((j) => j.proto === 'ndp')).toHaveLength(31);
  });

  it('text: a header with bare addresses and label NDP, then the summary line', async () => {
    const d = await decodeCapture(FILE);
    const ns = d.messages.find((m) => m.proto === 'ndp' && m.msg.kind === 'ns' && m.srcAddr === '::')!;
    const lines = decodedToText(ns)!;
    expect(lines[0]).toMatch(/^#\d+ {2}\S+ {2}NDP {2}:: -> ff02::1:ff[0-9a-f:]+ {2}\(52:54:00:00:0e:f6\)$/);
    expect(lines[1]).toMatch(/^ {2}Neighbor Solicitation for \S+ \(DAD\)$/);
    expect(lines[2]).toBe('');
  });
});
