import { describe, expect, it } from 'vitest';
import { ANSI } from './color.js';
import { sampleRun } from './run-fixture.test-kit.js';
import { renderRunText, totalsLine } from './run-text.js';

describe('renderRunText', () => {
  const lines = renderRunText(sampleRun());
  const text = lines.join('\n');

  it('has a header per scenario and a table per client with time vs budget', () => {
    expect(lines[0]).toBe('Scenario uefi-ipxe (scenarios/uefi-ipxe.yaml) — FAIL in 9.013 s');
    expect(text).toContain('Client pc1 52:54:00:00:0e:f1 (uefi-x64) — FAIL');
    const dora = lines.find((l) => l.includes('firmware DORA') && l.includes('│'))!;
    expect(dora).toMatch(/FAIL.*5\.412 s \/ 5 s/);
    expect(dora).toContain('type ack, bootfile ~/\\.efi$/');
    expect(lines.find((l) => l.includes('become ipxe') && l.includes('│'))).toMatch(/not run.*-/);
    expect(lines.find((l) => l.includes('│ DORA'))).toMatch(/ok.*2\.002 s \/ 5 s/);
  });

  it('prints every failure in full, control characters escaped', () => {
    expect(text).toContain('    firmware DORA took 5.412 s, budget 5 s');
    expect(text).toContain('    198.51.100.1 answered ERROR 1 File not found for a<b&c\\x00.efi');
    expect(text).toContain('    size: expected at least 100000, found 0');
  });

  it('ends with totals', () => {
    expect(lines[lines.length - 1]).toBe('FAIL — 1 scenario, 2 clients: 1 passed, 1 failed; 4 steps: 1 passed, 2 failed, 1 not run');
  });

  it('colours failures only when asked', () => {
    expect(text).not.toContain('\x1b[');
    expect(totalsLine(sampleRun(), ANSI)).toMatch(/^\x1b\[31mFAIL/);
  });
});
