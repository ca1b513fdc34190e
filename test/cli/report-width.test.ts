/** Text reports of real lab captures fit 80- and 200-column terminals without splitting a word. */
import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { analyzeCapture } from '../../src/analysis/capture.js';
import { renderAnalysisText } from '../../src/report/analyze-text.js';
import { ANSI, PLAIN } from '../../src/report/color.js';
import { sampleAnalysis } from './fixtures.js';
import { visibleWidth } from '../../src/report/layout.js';
import type { Analysis } from '../../src/analysis/types.js';

const CAPTURES = ['lab/broken-ipxe-loop.pcapng', 'lab/broken-two-dhcp-servers.pcapng', 'lab-v6/broken-ra-no-managed.pcapng', 'lab/uefi-pxe-kea.pcapng'];
const path = (c: string): string => fileURLToPath(new URL(`../../captures/${c}`, import.meta.url));
/** Table cells and prose as words: runs between spaces, borders, arrows and commas. */
const words = (lines: string[]): string[] => lines.join('\n').split(/[\s│┌┐└┘├┤┬┴┼─→,]+/).filter((w) => w !== '');

describe.each(CAPTURES)('%s', (capture) => {
  let analysis: Analysis;
  const render = async (width: number | null): Promise<string[]> => {
    analysis ??= await analyzeCapture(path(capture), {});
    return renderAnalysisText(analysis, ANSI, { width });
  };

  it.each([80, 200])('at %i columns: no line is longer, no word is split', async (width) => {
    const whole = await render(100_000);
    const fitted = await render(width);
    for (const l of fitted) expect(visibleWidth(l), l).toBeLessThanOrEqual(width);
    // Every word short enough for a cell (10 columns at least) is still on one line.
    const have = new Set(words(fitted).map((w) => w.replace(/\x1b\[[0-9;]*m/g, '')));
    for (const w of new Set(words(whole).map((x) => x.replace(/\x1b\[[0-9;]*m/g, '')))) {
      if ([...w].length < 10) expect(have.has(w), `"${w}" split at ${width} columns`).toBe(true);
    }
  });
});

describe('long and repetitive chains', () => {
  it('humanises a clock jump and collapses a repeated exchange', () => {
    const a = sampleAnalysis();
    const step = a.clients[0]!.steps[0]!;
    step.duration = 745841437.167;
    if (step.kind === 'dhcp4') step.messages = Array.from({ length: 250 }, () => ['INFORM', 'ACK']).flat();
    const text = renderAnalysisText(a, PLAIN, { width: 80 }).join('\n');
    expect(text).not.toContain('745841437');
    expect(text).toMatch(/8632 d 10 h/);
    expect(text).toContain('INFORM→ACK ×250');
    expect(text.split('\n').every((l) => visibleWidth(l) <= 80)).toBe(true);
  });
});
