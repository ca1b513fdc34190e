import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TextOutput } from './output.js';
import { Spool } from './spool.js';

/** Text with multi-byte characters, so a chunk boundary can fall inside one. */
function pieces(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `line ${i} é€😀 ${'x'.repeat(i % 97)}\n`);
}

describe('Spool', () => {
  it('gives the text back in order from memory, as strings or as bytes', () => {
    for (const bytes of [false, true]) {
      const s = new Spool();
      const ps = pieces(50);
      for (const p of ps) s.write(p);
      const got: string[] = [];
      s.drain(bytes ? { text: (t) => got.push(t), bytes: (b) => got.push(Buffer.from(b).toString('utf8')) } : (t) => got.push(t));
      expect(got.join('')).toBe(ps.join(''));
      expect(s.length).toBe(0);
    }
  });

  it('past its memory limit keeps the text in a file and gives back the same text or its UTF-8 bytes', () => {
    const ps = [...pieces(20_000), 'é'.repeat(3 << 20), ...pieces(100)];
    const want = ps.join('');
    const asText = new Spool(1000);
    for (const p of ps) asText.write(p);
    let text = '';
    asText.drain((t) => { text += t; });
    expect(text).toBe(want);

    const asBytes = new Spool(1000);
    for (const p of ps) asBytes.write(p);
    const chunks: Buffer[] = [];
    let strings = 0;
    asBytes.drain({ text: () => { strings++; }, bytes: (b) => chunks.push(Buffer.from(b)) });
    expect(strings).toBe(0);
    expect(Buffer.concat(chunks).equals(Buffer.from(want, 'utf8'))).toBe(true);
  });

  it('drained as bytes into a TextOutput, lands between the text written before and after it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pxecheck-spool-'));
    try {
      const file = join(dir, 'out.txt');
      const ps = pieces(5_000);
      const s = new Spool(1000);
      for (const p of ps) s.write(p);
      const out = TextOutput.open(file);
      out.text('head é\n');
      s.drain({ text: (t) => out.text(t), bytes: (b) => out.bytes(b) });
      out.text('tail\n');
      out.close();
      expect(readFileSync(file, 'utf8')).toBe(`head é\n${ps.join('')}tail\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
