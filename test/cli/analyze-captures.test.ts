/** Every capture in captures/: the engine's Analysis renders in all three formats and its json validates. */
import { describe, it, expect } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeCapture } from '../../src/analysis/capture.js';
import { renderAnalysisJson } from '../../src/report/analyze-json.js';
import { analyzeJsonSchema } from '../../src/report/analyze-schema.js';
import { renderAnalysisText } from '../../src/report/analyze-text.js';
import { renderJunit } from '../../src/report/junit.js';
import { CaptureFormatError } from '../../src/capture/types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function captures(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return captures(p);
    return /\.(pcap|pcapng|cap)(\.gz)?$/.test(name) ? [relative(ROOT, p)] : [];
  });
}

describe('analyze reports over every capture', () => {
  for (const file of captures(join(ROOT, 'captures'))) {
    it(file, async () => {
      let a;
      try {
        a = await analyzeCapture(join(ROOT, file));
      } catch (err) {
        // Fuzzer captures may not be readable captures at all: that is exit 2, not a report.
        expect(err).toBeInstanceOf(CaptureFormatError);
        return;
      }
      const parsed = analyzeJsonSchema.safeParse(JSON.parse(renderAnalysisJson(a)));
      expect(parsed.success, parsed.error?.message).toBe(true);
      const text = renderAnalysisText(a).join('\n');
      for (const c of a.clients) expect(text).toContain(`Client ${c.mac}`);
      const xml = renderJunit(a);
      expect(xml.match(/<testcase [^>]*name="client /g)?.length ?? 0).toBe(a.clients.length);
      expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    });
  }
});
