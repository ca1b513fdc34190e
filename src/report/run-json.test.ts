import { describe, expect, it } from 'vitest';
import { renderRunJson } from './run-json.js';
import { sampleRun } from './run-fixture.test-kit.js';

describe('renderRunJson', () => {
  it('has the documented shape', () => {
    const j = JSON.parse(renderRunJson(sampleRun())) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['ok', 'scenarios']);
    const s = (j['scenarios'] as Array<Record<string, unknown>>)[0]!;
    expect(Object.keys(s)).toEqual(['name', 'file', 'ok', 'duration', 'clients']);
    const c = (s['clients'] as Array<Record<string, unknown>>)[0]!;
    expect(Object.keys(c)).toEqual(['name', 'persona', 'mac', 'ok', 'steps']);
    const step = (c['steps'] as Array<Record<string, unknown>>)[0]!;
    expect(Object.keys(step)).toEqual(['name', 'kind', 'ok', 'duration', 'budget', 'error', 'details']);
    expect(step).toMatchObject({ duration: 5412, budget: 5000, ok: false });
  });
});
