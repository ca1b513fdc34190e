import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { analysisToJson, renderAnalysisJson } from './analyze-json.js';
import { ANALYZE_JSON_VERSION, analyzeJsonSchema, analyzeJsonSchemaDocument } from './analyze-schema.js';
import { nastyAnalysis, sampleAnalysis } from '../../test/cli/fixtures.js';

const SCHEMA_DOC = fileURLToPath(new URL('../../docs/analyze.schema.json', import.meta.url));

describe('analyze json', () => {
  it('is the Analysis object plus tool and version, pretty-printed', () => {
    const a = sampleAnalysis();
    const text = renderAnalysisJson(a);
    expect(text.split('\n')[1]).toBe('  "tool": "pxecheck",');
    expect(JSON.parse(text)).toEqual({ tool: 'pxecheck', version: ANALYZE_JSON_VERSION, ...a });
  });

  it('validates against the schema, nasty strings included', () => {
    for (const a of [sampleAnalysis(), nastyAnalysis()]) {
      const r = analyzeJsonSchema.safeParse(JSON.parse(renderAnalysisJson(a)));
      expect(r.success, r.error?.message).toBe(true);
    }
  });

  it('the schema rejects unknown fields, unknown codes and wrong step shapes', () => {
    const extra = { ...analysisToJson(sampleAnalysis()), extra: 1 };
    expect(analyzeJsonSchema.safeParse(extra).success).toBe(false);
    const badCode = analysisToJson(sampleAnalysis());
    (badCode.findings[0] as { code: string }).code = 'dhcp.no-such-code';
    expect(analyzeJsonSchema.safeParse(badCode).success).toBe(false);
    const badStep = analysisToJson(sampleAnalysis());
    delete (badStep.clients[0]!.steps[1] as Partial<{ file: string }>).file;
    expect(analyzeJsonSchema.safeParse(badStep).success).toBe(false);
  });

  it('docs/analyze.schema.json is generated from the zod schema (UPDATE_DOCS=1 rewrites it)', () => {
    const generated = JSON.stringify(analyzeJsonSchemaDocument(), null, 2) + '\n';
    if (process.env['UPDATE_DOCS'] === '1') writeFileSync(SCHEMA_DOC, generated);
    const doc = JSON.parse(readFileSync(SCHEMA_DOC, 'utf8')) as Record<string, unknown>;
    expect(doc['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(doc).toEqual(analyzeJsonSchemaDocument());
  });
});
