/**
 * Golden outputs: `analyze --format json` of every capture under captures/ is committed next to it
 * as `<capture>.report.json`. Regenerate on purpose only: `UPDATE_GOLDEN=1 npx vitest run test/golden`,
 * then review the diff like code.
 */
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureFiles, ROOT } from '../helpers/fixtures.js';
import { analyzeCapture } from '../../src/analysis/capture.js';
import { renderAnalysisJson } from '../../src/report/analyze-json.js';

const update = process.env.UPDATE_GOLDEN === '1';

function goldenPath(capture: string): string {
  return join(ROOT, capture.replace(/\.(pcap|pcapng|cap)(\.gz)?$/, '') + '.report.json');
}

describe('analyze golden reports', () => {
  for (const file of captureFiles()) {
    it(file, async () => {
      const analysis = await analyzeCapture(join(ROOT, file), { name: file });
      const text = renderAnalysisJson(analysis);
      const golden = goldenPath(file);
      if (update || !existsSync(golden)) {
        if (!update) throw new Error(`no golden file ${golden}: run with UPDATE_GOLDEN=1 and review it`);
        writeFileSync(golden, text.endsWith('\n') ? text : text + '\n');
        return;
      }
      expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(golden, 'utf8')));
    });
  }
});
