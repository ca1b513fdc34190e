/** `pxecheck analyze` of a capture file: reader → decode pipeline → flow facts → analysis. */
import { readCaptureFile, type ReadCaptureOptions } from '../capture/index.js';
import { DecodePipeline } from '../decode/pipeline.js';
import type { AnalysisThresholds } from '../findings/types.js';
import { BootChainBuilder } from '../flow/builder.js';
import { analyzeFacts } from './engine.js';
import type { Analysis } from './types.js';

export interface AnalyzeOptions {
  thresholds?: Partial<AnalysisThresholds>;
  signal?: ReadCaptureOptions['signal'];
  onProgress?: ReadCaptureOptions['onProgress'];
  /** Name shown as `file` (default: the path). */
  name?: string;
}

/** Throws CaptureFormatError when the file is not a capture; never on bad packets. */
export async function analyzeCapture(path: string, opts: AnalyzeOptions = {}): Promise<Analysis> {
  const builder = new BootChainBuilder();
  const pipeline = new DecodePipeline(builder);
  let first: number | null = null;
  let last: number | null = null;
  const summary = await readCaptureFile(path, (rec) => {
    if (first === null) first = rec.time;
    if (last === null || rec.time > last) last = rec.time;
    pipeline.push(rec);
  }, { signal: opts.signal, onProgress: opts.onProgress });
  pipeline.finish();
  const facts = builder.facts({
    file: opts.name ?? path,
    packets: summary.records,
    warnings: summary.warnings,
    truncated: summary.truncated,
    firstPacket: first,
    lastPacket: last,
  });
  return analyzeFacts(facts, opts.thresholds);
}
