/** `analyze --format rows` over every capture: each line fits pxecheck.rows/1 and the rows say
 *  what the JSON report says (one device row per client, every attempt, step and finding once). */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { analyzeCapture } from '../analysis/capture.js';
import { CaptureFormatError } from '../capture/types.js';
import { captureFiles, ROOT } from '../../test/helpers/paths.js';
import { analysisRowSchema } from './analyze-rows-schema.js';
import { writeAnalysisRows, type AnalysisRow } from './analyze-rows.js';
import { siteOf, vendorOf } from '../analysis/device-keys.js';

describe('analyze rows over every capture', () => {
  for (const file of captureFiles()) {
    it(file, async () => {
      let a;
      try {
        a = await analyzeCapture(join(ROOT, file), { name: file });
      } catch (err) {
        expect(err).toBeInstanceOf(CaptureFormatError);
        return;
      }
      const lines: string[] = [];
      writeAnalysisRows(a, (l) => lines.push(l));
      const rows = lines.map((l) => {
        expect(l).not.toContain('\n');
        const parsed = analysisRowSchema.safeParse(JSON.parse(l));
        expect(parsed.success, `${parsed.error?.message}\n${l}`).toBe(true);
        return parsed.data as AnalysisRow;
      });
      const of = (k: AnalysisRow['kind']) => rows.filter((r) => r.kind === k);
      expect(of('device').map((r) => [r.mac, r.outcome, r.rootCause, r.role])).toEqual(a.clients.map((c) => [c.mac, c.outcome, c.rootCause, c.role]));
      expect(of('attempt').map((r) => [r.mac, r.attempt, r.outcome, r.rootCause, r.stage])).toEqual(
        a.clients.flatMap((c) => c.attempts.map((t) => [c.mac, t.index, t.outcome, t.rootCause, t.stage])));
      expect(of('step').map((r) => [r.mac, r.proto, r.start])).toEqual(a.clients.flatMap((c) => c.attempts.flatMap((t) => t.steps.map((s) => [c.mac, s.kind, s.start]))));
      expect(of('finding').map((r) => r.findingId).sort()).toEqual(a.findings.map((f) => f.id).sort());
      for (const r of rows) {
        expect(r.file).toBe(file);
        expect(r.site).toBe(siteOf(file));
        if (r.start !== null) expect(Math.abs(Date.parse(r.startIso!) / 1000 - r.start)).toBeLessThan(0.001);
      }
      // Exactly the findings that are some attempt's root cause are marked as one.
      const rootIds = new Set(a.clients.flatMap((c) => c.attempts.map((t) => t.rootCauseId)).filter((id) => id !== null));
      expect(of('finding').filter((r) => r.isRootCause).map((r) => r.findingId).sort()).toEqual([...rootIds].sort());
      for (const r of of('finding')) expect(r.code).toBe(a.findings.find((f) => f.id === r.findingId)!.code);
    });
  }
});

describe('row columns', () => {
  it('names the site after the folder, none for a bare name or a merge', () => {
    expect(siteOf('sites/lyon/rack1.pcap')).toBe('lyon');
    expect(siteOf('rack1.pcap')).toBeNull();
    expect(siteOf('a/x.pcap + b/y.pcap')).toBeNull();
  });

  it('takes the vendor from the vendor class up to its first colon', () => {
    expect(vendorOf('PXEClient:Arch:00007:UNDI:003000')).toBe('PXEClient');
    expect(vendorOf('Cisco Systems, Inc. IP Phone CP-8841')).toBe('Cisco Systems, Inc. IP Phone CP-8841');
    expect(vendorOf(null)).toBeNull();
    expect(vendorOf(':x')).toBeNull();
  });
});
