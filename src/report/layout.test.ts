import { describe, it, expect } from 'vitest';
import { boxTable, columnWidths, reportWidth, truncate, visibleWidth, wrapCell, wrapLine } from './layout.js';
import { collapseSequence, humanDuration } from './humanize.js';

/** A word: a run without a break opportunity (space, arrow, comma, slash, ? or &). */
const WORD = /[^ →,/?&]+/g;

/** Random text mixing ASCII, break characters, arrows, colour escapes, astral and lone surrogates. */
function randomText(seed: number): string {
  const parts = ['a', 'Z', ' ', ',', '/', '→', '\x1b[31m', '\x1b[0m', '😀', '\ud800', '\udc00', 'é', '\t', '?', '&', 'kpxe'];
  let x = seed;
  let s = '';
  const n = (seed * 7) % 40;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += parts[x % parts.length];
  }
  return s;
}

describe('visibleWidth', () => {
  it('counts code points outside colour escapes, as a spread of the stripped string does', () => {
    for (let seed = 1; seed < 500; seed++) {
      const s = randomText(seed);
      expect(visibleWidth(s), JSON.stringify(s)).toBe([...s.replace(/\x1b\[[0-9;]*m/g, '')].length);
    }
  });
});

describe('wrapCell', () => {
  it('gives a paragraph that fits as one trimmed line, and wrapped lines that fit otherwise', () => {
    for (let seed = 1; seed < 300; seed++) {
      const s = randomText(seed).replace(/\x1b\[[0-9;]*m/g, '');
      for (const width of [8, 20, 60]) {
        const lines = wrapCell(s, width);
        if (visibleWidth(s) <= width) expect(lines).toEqual([s.trim()]);
        else for (const l of lines) expect(visibleWidth(l), JSON.stringify(s)).toBeLessThanOrEqual(width);
      }
    }
  });
  const samples = [
    'DISCOVER→OFFER→DISCOVER→OFFER→REQUEST→ACK',
    'ok 198.51.100.122, boot undionly.kpxe, next-server 198.51.100.1, 2 offers',
    'GET http://198.51.100.1/boot/ipxe/some/long/path/vmlinuz?arch=x86_64&mac=52-54-00-00-0e-f1',
    'SOLICIT→ADVERTISE→REQUEST→REPLY (xid 0x6c5b5a, 2 retransmissions)',
  ];
  it('keeps every line within the width and never splits a word that fits', () => {
    for (const text of samples) {
      for (const width of [10, 14, 20, 33, 56]) {
        const lines = wrapCell(text, width);
        for (const l of lines) expect(visibleWidth(l), `${width}: ${l}`).toBeLessThanOrEqual(width);
        const words = new Set(lines.flatMap((l) => l.match(WORD) ?? []));
        for (const w of text.match(WORD) ?? []) if (w.length < width) expect(words.has(w), `${width}: ${w} in ${lines.join(' | ')}`).toBe(true);
      }
    }
  });
  it('wraps as the regex split with whole-line measuring did (widths added piece by piece)', () => {
    // The former wrapCell: pieces from a lookbehind split, each candidate line measured whole.
    const reference = (text: string, width: number): string[] => {
      const lines: string[] = [];
      for (const para of text.split('\n')) {
        if (visibleWidth(para) <= width) {
          lines.push(para.trim());
          continue;
        }
        let line = '';
        for (const raw of para.split(/(?<=[ →,/?&])/u)) {
          const piece = raw.length > width && visibleWidth(raw) > width ? truncate(raw, width) : raw;
          if (line !== '' && visibleWidth(line + piece.trimEnd()) > width) {
            lines.push(line.trimEnd());
            line = '';
          }
          line += line === '' ? piece.trimStart() : piece;
        }
        lines.push(line.trimEnd());
      }
      return lines;
    };
    for (let seed = 1; seed < 1000; seed++) {
      const s = (seed % 5 === 0 ? ' \t ' : '') + randomText(seed) + (seed % 3 === 0 ? `\n ${randomText(seed + 7)}` : '');
      for (let width = 1; width <= 24; width += seed % 2 === 0 ? 1 : 5) expect(wrapCell(s, width), JSON.stringify(s)).toEqual(reference(s, width));
    }
    for (const text of samples) for (const width of [10, 14, 20, 33, 56]) expect(wrapCell(text, width)).toEqual(reference(text, width));
  });
  it('breaks after arrows rather than inside a message name', () => {
    expect(wrapCell('DISCOVER→OFFER→REQUEST', 12)).toEqual(['DISCOVER→', 'OFFER→', 'REQUEST']);
  });
  it('cuts a piece longer than the line with an ellipsis', () => {
    expect(wrapCell('averyveryverylongfilename.efi', 10)).toEqual(['averyvery…']);
    expect(truncate('abc', 5)).toBe('abc');
  });
  it('ignores colour escapes when measuring', () => {
    expect(visibleWidth('\x1b[31mFAIL\x1b[39m')).toBe(4);
  });
});

describe('boxTable', () => {
  it('draws the same table with the cell widths given as it measures them itself', () => {
    for (let seed = 1; seed < 300; seed++) {
      const rows = [0, 1, 2].map((r) => [0, 1, 2].map((c) => randomText(seed * 9 + r * 3 + c) + (c === 1 && seed % 4 === 0 ? `\n${randomText(seed)}` : '')));
      const widths = [0, 1, 2].map((c) => Math.max(1, ...rows.map((r) => visibleWidth(r[c]!))));
      expect(boxTable(rows, widths, rows.map((r) => r.map(visibleWidth)))).toEqual(boxTable(rows, widths));
    }
  });
  it('draws every line as wide as its column widths say, whichever tables it drew before', () => {
    // Tables of many shapes one after the other (the rules of recent shapes are kept): each
    // line, rule or row, of each one spans its own widths.
    for (let seed = 1; seed < 400; seed++) {
      const rows = [0, 1, 2].map((r) => [0, 1].map((c) => randomText(seed * 7 + r * 2 + c) + (seed % 5 === 0 && r === 1 ? `\n${randomText(seed)}` : '')));
      const widths = [0, 1].map((c) => Math.max(1, ...rows.flatMap((r) => r[c]!.split('\n').map(visibleWidth))) + (seed % 3));
      for (const line of boxTable(rows, widths)) expect(visibleWidth(line)).toBe(widths[0]! + widths[1]! + 3 * 2 + 1);
    }
  });
});

describe('wrapLine', () => {
  it('wraps prose at spaces with an indent, or leaves it whole without a width', () => {
    const line = '  ERROR   dhcp.nak: Server 198.51.100.1 NAKed the REQUEST for 198.51.100.77 (frame 23)';
    expect(wrapLine(line, null, 4)).toEqual([line]);
    const wrapped = wrapLine(line, 40, 4);
    expect(wrapped.length).toBeGreaterThan(1);
    for (const l of wrapped) expect(l.length).toBeLessThanOrEqual(40);
    for (const l of wrapped.slice(1)) expect(l.startsWith('    ')).toBe(true);
    expect(wrapped.map((l) => l.trim()).join(' ')).toBe(line.trim().replace(/ +/g, ' ').replace('ERROR dhcp', 'ERROR   dhcp'));
  });
});

describe('columnWidths', () => {
  it('fits the flexible columns into the total, fixed ones untouched', () => {
    const w = columnWidths([7, 16, 60, 80, 8], new Set([2, 3]), 80, 56);
    expect(w[0]).toBe(7);
    expect(w[4]).toBe(8);
    expect(w.reduce((s, x) => s + x, 0) + 3 * 5 + 1).toBeLessThanOrEqual(80);
  });
  it('keeps a short flexible column and gives the room to the long one', () => {
    const w = columnWidths([6, 6, 10, 100, 6], new Set([2, 3]), 120, 200);
    expect(w[2]).toBe(10);
    expect(w[3]).toBe(120 - 16 - 18 - 10);
  });
  it('without a total caps flexible columns at the cap', () => {
    expect(columnWidths([5, 100], new Set([1]), null, 56)).toEqual([5, 56]);
  });
});

describe('reportWidth', () => {
  it('takes the terminal, else COLUMNS, else no limit', () => {
    expect(reportWidth({ stdoutIsTTY: true, columns: 120, env: { COLUMNS: '90' } })).toBe(120);
    expect(reportWidth({ stdoutIsTTY: false, columns: 120, env: { COLUMNS: '90' } })).toBe(90);
    expect(reportWidth({ stdoutIsTTY: false, env: {} })).toBeNull();
    expect(reportWidth({ stdoutIsTTY: false, env: { COLUMNS: 'wide' } })).toBeNull();
    expect(reportWidth({ stdoutIsTTY: true, columns: 20, env: {} })).toBe(40);
  });
});

describe('humanDuration', () => {
  it('keeps seconds below a minute and uses two units above', () => {
    expect(humanDuration(0.5)).toBe('0.500 s');
    expect(humanDuration(0.5, '')).toBe('0.500s');
    expect(humanDuration(192)).toBe('3 min 12 s');
    expect(humanDuration(7500)).toBe('2 h 5 min');
    expect(humanDuration(745841437.167)).toBe('8632 d 10 h');
    expect(humanDuration(8 * 86400 + 15 * 3600 + 59)).toBe('8 d 15 h');
    expect(humanDuration(3600)).toBe('1 h');
    expect(humanDuration(-1)).toBe('n/a');
  });
});

describe('collapseSequence', () => {
  it('collapses runs and repeated exchanges, keeps short repeats readable', () => {
    expect(collapseSequence(['DISCOVER', 'OFFER', 'OFFER', 'REQUEST', 'ACK'])).toBe('DISCOVER→OFFER×2→REQUEST→ACK');
    expect(collapseSequence(Array.from({ length: 250 }, () => ['INFORM', 'ACK']).flat())).toBe('INFORM→ACK ×250');
    expect(collapseSequence(['DISCOVER', 'OFFER', 'DISCOVER', 'OFFER', 'REQUEST', 'ACK'])).toBe('DISCOVER→OFFER→DISCOVER→OFFER→REQUEST→ACK');
    expect(collapseSequence(['DISCOVER', ...Array.from({ length: 3 }, () => ['REQUEST', 'NAK']).flat(), 'DISCOVER'])).toBe('DISCOVER→REQUEST→NAK ×3→DISCOVER');
    expect(collapseSequence([])).toBe('');
  });
  it('collapses as the block-array version did, on random message runs', () => {
    // The former collapseSequence: slices and joins per block.
    const reference = (messages: readonly string[]): string => {
      const parts: string[] = [];
      let i = 0;
      while (i < messages.length) {
        let best = { len: 1, times: 1 };
        for (let len = 1; len <= 4 && i + 2 * len <= messages.length; len++) {
          let times = 1;
          const same = (a: number, b: number): boolean => messages.slice(a, a + len).join('\0') === messages.slice(b, b + len).join('\0');
          while (i + (times + 1) * len <= messages.length && same(i, i + times * len)) times++;
          const worth = len === 1 ? times >= 2 : times >= 3;
          if (worth && len * times > best.len * best.times) best = { len, times };
        }
        const block = messages.slice(i, i + best.len).join('→');
        parts.push(best.times === 1 ? block : best.len === 1 ? `${block}×${best.times}` : `${block} ×${best.times}`);
        i += best.len * best.times;
      }
      return parts.join('→');
    };
    const names = ['DISCOVER', 'OFFER', 'REQUEST', 'ACK'];
    let x = 7;
    for (let n = 0; n < 3000; n++) {
      const m: string[] = [];
      for (let k = (n * 5) % 23; k > 0; k--) {
        x = (x * 1103515245 + 12345) >>> 0;
        m.push(names[(x >>> 8) % (n % 2 === 0 ? 2 : 4)]!);
      }
      expect(collapseSequence(m), m.join(' ')).toBe(reference(m));
    }
  });
});
