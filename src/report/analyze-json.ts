/** `analyze --format json`: the Analysis object, tagged with the tool and the contract version. */
import type { Analysis } from '../analysis/types.js';
import type { AnalyzeJson } from './analyze-schema.js';
import { ANALYZE_JSON_VERSION } from './analyze-version.js';

export function analysisToJson(a: Analysis): AnalyzeJson {
  return { tool: 'pxecheck', version: ANALYZE_JSON_VERSION, ...a };
}

export function renderAnalysisJson(a: Analysis): string {
  return JSON.stringify(analysisToJson(a), null, 2);
}
