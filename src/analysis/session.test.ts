import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateBootTraffic, writeCapture } from '../gen/index.js';
import { analyzeCapture } from './capture.js';
import type { AnalysisPart } from './engine.js';
import { JsonWriter, JunitWriter, TextWriter } from '../report/analyze-stream.js';
import { renderAnalysisJson } from '../report/analyze-json.js';
import { renderAnalysisText } from '../report/analyze-text.js';
import { renderJunit } from '../report/junit.js';
import { analyzeJsonSchema } from '../report/analyze-schema.js';
import type { Analysis } from './types.js';

/** A generated capture of `clients` boots with a little of every fault. */
function capture(clients: number): { file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pxecheck-session-'));
  const file = join(dir, 'gen.pcap');
  writeCapture(file, { format: 'pcap' }, (emit) => generateBootTraffic({
    clients, seed: 11, mix: { fileSize: [2_000, 8_000], http: 0.5 },
    faults: { tftpLoss: 0.05, nak: 0.05, twoServers: 0.05, tftpMissingFile: 0.05, noBootfile: 0.05, ipxeLoop: 0.05, proxyOnly: 0.05 },
  }, emit));
  return { file, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function written(w: JsonWriter | TextWriter | JunitWriter, a: Analysis): string {
  let s = '';
  w.end(a, (c) => { s += c; });
  return s;
}

describe('analysis in parts (devices released as they finish)', () => {
  it('gives every device the verdict the whole analysis gives, numbers findings on, and streams valid JSON', async () => {
    const { file, done } = capture(2_000);
    // Short thresholds: a device may be released 10 s after its last packet (5 s + margin).
    const thresholds = { stall: 5, tftpIdle: 5, ipv6Stall: 5, noReply: 2 };
    try {
      const whole = await analyzeCapture(file, { name: 'gen.pcap', thresholds });
      const parts: AnalysisPart[] = [];
      const json = new JsonWriter(false);
      // Parts handed on before the end of reading was announced, each time it was.
      const readEnds: number[] = [];
      const head = await analyzeCapture(file, {
        name: 'gen.pcap', thresholds,
        release: { idle: Infinity, keepBelow: 0, pressureIdle: 0, every: 5 },
        onPart: (p) => { parts.push(p); json.part(p); },
        onReadEnd: () => { readEnds.push(parts.length); },
      });
      expect(parts.length).toBeGreaterThan(3);
      // Once, just before the last part (the devices left at the end of the capture).
      expect(readEnds).toEqual([parts.length - 1]);
      expect(head.clients).toEqual([]);
      const clients = parts.flatMap((p) => p.clients);
      const findings = parts.flatMap((p) => p.findings);
      // Same devices (each client of the generator boots once), same verdicts, same counts.
      expect(clients.map((c) => `${c.mac} ${c.outcome} ${c.rootCause}`).sort()).toEqual(whole.clients.map((c) => `${c.mac} ${c.outcome} ${c.rootCause}`).sort());
      const { firstPacket, lastPacket, ...counts } = head.summary;
      const { firstPacket: f0, lastPacket: l0, ...wholeCounts } = whole.summary;
      expect(counts).toEqual(wholeCounts);
      expect([firstPacket, lastPacket]).toEqual([f0, l0]);
      // Ids run F1..Fn across parts; every root cause and consequence names a finding of the report.
      expect(findings.map((f) => f.id)).toEqual(findings.map((_, i) => `F${i + 1}`));
      const ids = new Set(findings.map((f) => f.id));
      for (const c of clients) for (const a of c.attempts) if (a.rootCauseId !== null) expect(ids.has(a.rootCauseId)).toBe(true);
      for (const f of findings) if (f.causedBy !== null) expect(ids.has(f.causedBy)).toBe(true);
      // The streamed document is one valid report holding all of it.
      const doc = JSON.parse(written(json, head));
      expect(analyzeJsonSchema.safeParse(doc).success).toBe(true);
      expect(doc.clients).toHaveLength(whole.clients.length);
      expect(doc.findings).toHaveLength(findings.length);
    } finally {
      done();
    }
  }, 120_000);

  it('written in one part, each format is byte for byte the whole-analysis report', async () => {
    const { file, done } = capture(200);
    try {
      const a = await analyzeCapture(file, { name: 'gen.pcap' });
      const head = { ...a, clients: [], findings: [] };
      const feed = <W extends JsonWriter | TextWriter | JunitWriter>(w: W): W => { w.part(a); return w; };
      expect(written(feed(new JsonWriter(false)), head)).toBe(renderAnalysisJson(a) + '\n');
      expect(written(feed(new JsonWriter(true)), head)).toBe(JSON.stringify({ tool: 'pxecheck', ...JSON.parse(renderAnalysisJson(a)) }) + '\n');
      expect(written(feed(new TextWriter()), head)).toBe(renderAnalysisText(a).join('\n') + '\n');
      expect(written(feed(new JunitWriter()), head)).toBe(renderJunit(a) + '\n');
    } finally {
      done();
    }
  }, 120_000);
});
