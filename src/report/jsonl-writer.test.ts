import { describe, expect, it } from 'vitest';
import { prng } from '../../test/helpers/frames.js';
import { JsonlWriter } from './jsonl-writer.js';

/** A writer over a slab of `capacity` bytes and the text it has handed out so far. */
function writer(capacity?: number): { w: JsonlWriter; text: () => string } {
  const chunks: Buffer[] = [];
  const w = new JsonlWriter({ broken: false, bytes: (b) => void chunks.push(Buffer.from(b)) }, capacity);
  return {
    w,
    text: () => {
      w.flush();
      const t = Buffer.concat(chunks).toString('utf8');
      chunks.length = 0;
      return t;
    },
  };
}

describe('JsonlWriter', () => {
  it('writes numbers and capture times as JSON.stringify does', () => {
    const { w, text } = writer();
    const rnd = prng(3);
    const values: number[] = [0, 1, 9, 10, 99, 100, 65535, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -1, -0, 0.5,
      1e21, 1e-7, NaN, Infinity, -Infinity, 1700000000, 1700000000.000001, 1700000000.1, 1700000000.999999, 2 ** 30, 2 ** 33];
    for (let i = 0; i < 20_000; i++) {
      values.push(Math.floor(rnd() * 2 ** 32), rnd() * 1e6, 2 ** 30 + Math.floor(rnd() * 2 ** 32) + Math.floor(rnd() * 1e6) * 1e-6,
        2 ** 30 + rnd() * 2 ** 32);
    }
    for (const v of values) {
      w.room(64);
      w.number(v);
      w.newline();
      w.room(64);
      w.time(v);
      w.newline();
    }
    const want = values.map((v) => `${JSON.stringify(v)}\n${JSON.stringify(v)}\n`).join('');
    const got = text();
    expect(got.length).toBe(want.length);
    expect(got === want).toBe(true);
  });

  it('writes strings, text and whole lines as UTF-8, across slab boundaries and longer than the slab', () => {
    const { w, text } = writer(0); // the smallest slab (1 KiB)
    const strings = ['', 'plain', 'quote " backslash \\ tab \t nul \u0000 del \u007f', 'é ü 日本 🚀', '\ud800 lone', 'x'.repeat(5000), '日'.repeat(2000)];
    let want = '';
    for (const s of strings) {
      w.string(s);
      w.newline();
      w.recordLine({ a: s, n: 1 });
      want += `${JSON.stringify(s)}\n${JSON.stringify({ a: s, n: 1 })}\n`;
    }
    expect(text()).toBe(want);
  });

  it('starts every line with the capture member once one is set', () => {
    const { w, text } = writer();
    w.setCapture('dir/é "x".pcap');
    w.recordLine({ frame: 1 });
    w.setCapture(null);
    w.recordLine({ frame: 2 });
    const lines = text().split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({ capture: 'dir/é "x".pcap', frame: 1 });
    expect(Object.keys(JSON.parse(lines[0]!))[0]).toBe('capture');
    expect(lines[1]).toBe('{"frame":2}');
  });
});
