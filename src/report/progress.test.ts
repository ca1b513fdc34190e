import { describe, it, expect } from 'vitest';
import { PROGRESS_MIN_BYTES, createProgress } from './progress.js';

function setup(totalBytes: number, isTTY: boolean | undefined) {
  const writes: string[] = [];
  let t = 0;
  const p = createProgress({ label: 'reading x.pcap', totalBytes, isTTY, write: (s) => writes.push(s), now: () => t });
  return { p, writes, tick: (ms: number) => (t += ms) };
}

describe('progress', () => {
  it('is off for small files and for non-terminals', () => {
    expect(setup(PROGRESS_MIN_BYTES - 1, true).p).toBeNull();
    expect(setup(PROGRESS_MIN_BYTES * 2, false).p).toBeNull();
    expect(setup(PROGRESS_MIN_BYTES * 2, undefined).p).toBeNull();
  });

  it('draws percentages at most every 100 ms, always 100 %, then erases the line', () => {
    const total = 100 * 1024 * 1024;
    const { p, writes, tick } = setup(total, true);
    p!.update(total * 0.1);
    p!.update(total * 0.2); // same instant: skipped
    tick(150);
    p!.update(total * 0.2);
    p!.update(total * 0.205); // same percentage after time passes is also skipped
    p!.update(total);
    p!.done();
    expect(writes).toEqual(['\r\x1b[Kreading x.pcap 10%', '\r\x1b[Kreading x.pcap 20%', '\r\x1b[Kreading x.pcap 100%', '\r\x1b[K']);
  });

  it('done() writes nothing when nothing was drawn', () => {
    const { p, writes } = setup(PROGRESS_MIN_BYTES, true);
    p!.done();
    expect(writes).toEqual([]);
  });
});
