import { describe, it, expect } from 'vitest';
import { formatOffset, messageSequence, middleCut, printable, renderAnalysisText } from './analyze-text.js';
import { visibleWidth, wrapCell } from './layout.js';
import { ANSI, PLAIN } from './color.js';
import { BAD_MAC, GOOD_MAC, nastyAnalysis, sampleAnalysis } from '../../test/cli/fixtures.js';

const ESC = '\x1b[';

describe('text helpers', () => {
  it('collapses runs of the same message', () => {
    expect(messageSequence(['DISCOVER', 'OFFER', 'OFFER', 'REQUEST', 'ACK'])).toBe('DISCOVER→OFFER×2→REQUEST→ACK');
    expect(messageSequence(['SOLICIT', 'SOLICIT', 'SOLICIT'])).toBe('SOLICIT×3');
    expect(messageSequence([])).toBe('');
  });
  it('formats offsets as +s.mmm', () => {
    expect(formatOffset(0)).toBe('+0.000');
    expect(formatOffset(12.3456)).toBe('+12.346');
  });
});

describe('renderAnalysisText', () => {
  const text = renderAnalysisText(sampleAnalysis(), PLAIN).join('\n');
  const rows = text.split('\n');
  const cells = (line: string): string[] => line.split('│').slice(1, -1).map((c) => c.trim());
  /** A table row with its wrapped continuation lines joined, as `cell | cell | …`. */
  const row = (needle: string): string => {
    const at = rows.findIndex((l) => l.includes(needle));
    expect(at, needle).toBeGreaterThanOrEqual(0);
    const joined = cells(rows[at]!);
    for (let i = at + 1; rows[i]?.startsWith('│') && cells(rows[i]!)[0] === ''; i++) {
      cells(rows[i]!).forEach((c, k) => { if (c) joined[k] = `${joined[k]} ${c}`; });
    }
    return joined.join(' | ');
  };

  it('starts with the summary', () => {
    expect(rows[0]).toBe('File:     captures/lab/sample.pcapng');
    expect(text).toContain('Packets:  23');
    expect(text).toContain('Boots:    1 booted, 1 failed');
    expect(text).toContain('Time to boot program: median 3.500 s, p95 3.500 s');
  });

  it('has one timeline row per step with offset, what, result and duration', () => {
    expect(row('DISCOVER→OFFER×2→REQUEST→ACK')).toBe(
      '+0.000 | dhcp4 (firmware) | DISCOVER→OFFER×2→REQUEST→ACK | ok 198.51.100.50, boot ipxe.efi, next-server 198.51.100.1, 2 offers | 0.500s',
    );
    // The long result cell wraps instead of widening the table.
    expect(Math.max(...rows.filter((l) => /^[│┌├└]/.test(l)).map((l) => l.length))).toBeLessThan(140);
    expect(row('tftp (probe)')).toMatch(/\+1\.200 .*RRQ ipxe\.efi.*ok tsize 1048576, ended by the client/);
    expect(row('1048576 bytes')).toMatch(/\+1\.300 .*RRQ ipxe\.efi.*blksize 1468, 2 retransmits.*1\.100s/);
    expect(row('GET http://198.51.100.1/boot.ipxe')).toMatch(/\+3\.500 .*http.*ok 200, 312 bytes/);
    expect(row('DISCOVER→OFFER→REQUEST→NAK')).toMatch(/\+0\.000 .*FAIL/);
  });

  it('lists each client’s findings after its table, capture-wide findings last', () => {
    const good = text.indexOf(`Client ${GOOD_MAC}`);
    const bad = text.indexOf(`Client ${BAD_MAC}`);
    const nak = text.indexOf('ERROR   dhcp.nak: Server 198.51.100.1 NAKed');
    const wide = text.indexOf('Capture-wide findings');
    expect(good).toBeGreaterThanOrEqual(0);
    expect(good).toBeLessThan(text.indexOf('WARNING tftp.retransmit: ipxe.efi: 2 blocks sent twice (frames 10, 11)'));
    expect(bad).toBeLessThan(nak);
    expect(nak).toBeLessThan(wide);
    expect(text.indexOf('WARNING capture.truncated')).toBeGreaterThan(wide);
    expect(text).toContain('INFO    tftp.tsize-probe');
    expect(text).toContain('hint: The requested address is not valid');
    expect(text).not.toContain(ESC);
  });

  it('colours severities and failures only with the ANSI palette', () => {
    const coloured = renderAnalysisText(sampleAnalysis(), ANSI).join('\n');
    expect(coloured).toContain('\x1b[31mERROR  \x1b[39m dhcp.nak');
    expect(coloured).toContain('\x1b[33mWARNING\x1b[39m tftp.retransmit');
    expect(coloured).toContain('\x1b[31mFAIL\x1b[39m');
    // Colour escapes do not shift the table: stripped, the coloured render is the plain one.
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(text);
  });
});

describe('control characters from the capture', () => {
  it('are shown escaped, never sent to the terminal', () => {
    const text = renderAnalysisText(nastyAnalysis(), PLAIN).join('\n');
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
    expect(text).toContain('File:     captures/a<b>&c"d\'e\\x00f\\x1bg');
    expect(text).toContain('server said a<b>&c"d\'e\\x00f\\x1bg');
  });
});

describe('printable', () => {
  it('shows every C0/C1 control as \\xNN and leaves every other character as it is', () => {
    for (let c = 0; c < 0x200; c++) {
      const ch = String.fromCharCode(c);
      const control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
      const s = `a${ch}b${ch}`;
      expect(printable(s)).toBe(control ? `a\\x${c.toString(16).padStart(2, '0')}b\\x${c.toString(16).padStart(2, '0')}` : s);
    }
  });
});

describe('middleCut: a run longer than a line keeps its end (the file name)', () => {
  it('shortens the middle of a long file name, host or query value; short runs and break points stay', () => {
    const url = 'GET http://[2001:db8:0:1::10]:8080/a/b/c/snponly-x86_64-with-a-very-long-suffix-name.efi';
    const lines = wrapCell(middleCut(url, 40), 40);
    expect(lines.every((l) => visibleWidth(l) <= 40)).toBe(true);
    expect(lines[lines.length - 1]!.endsWith('-name.efi')).toBe(true);
    expect(lines.join('')).toMatch(/^GET http:\/\/\[2001:db8:0:1::10\]:8080\/a\/b\/c\/snponly-x86_64-.*…/);
    const host = `GET http://${'h'.repeat(60)}.example.com/vmlinuz`;
    expect(wrapCell(middleCut(host, 30), 30).join('')).toMatch(/^GET http:\/\/h+…h*\.example\.com\/vmlinuz$/);
    expect(middleCut('GET http://198.51.100.1/boot.ipxe', 20)).toBe('GET http://198.51.100.1/boot.ipxe');
  });

  it('the step table of a file or a terminal keeps a long URL\'s file name', () => {
    const a = sampleAnalysis();
    const name = 'snponly-x86_64-signed-with-a-very-long-build-suffix-20261122.efi';
    for (const c of a.clients) for (const s of c.steps) if (s.kind === 'http') s.url = `http://${'boot-server-'.repeat(6)}example.com/${name}`;
    for (const width of [undefined, 100]) {
      const text = renderAnalysisText(a, PLAIN, { width }).join('\n');
      expect(text).toMatch(/-20261122\.efi/);
    }
  });
});
