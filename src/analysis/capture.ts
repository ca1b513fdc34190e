/** `pxecheck analyze` of a capture file: reader → decode pipeline → flow facts → analysis. */
import { inputName, readCaptures, type CaptureInput, type ReadCaptureOptions } from '../capture/index.js';
import { SteadyClock } from '../capture/clock.js';
import { DecodePipeline } from '../decode/pipeline.js';
import type { AnalysisThresholds } from '../findings/types.js';
import { BootChainBuilder } from '../flow/builder.js';
import { analyzeFacts } from './engine.js';
import type { Analysis } from './types.js';

export interface AnalyzeOptions {
  thresholds?: Partial<AnalysisThresholds>;
  signal?: ReadCaptureOptions['signal'];
  onProgress?: ReadCaptureOptions['onProgress'];
  onWarning?: ReadCaptureOptions['onWarning'];
  /** Name shown as `file` (default: the path). */
  name?: string;
}

/** Throws CaptureFormatError when the file is not a capture; never on bad packets. Several
 *  inputs are merged by time into one capture. */
export async function analyzeCapture(input: CaptureInput | readonly CaptureInput[], opts: AnalyzeOptions = {}): Promise<Analysis> {
  const builder = new BootChainBuilder();
  const pipeline = new DecodePipeline(builder);
  // Times on the steady parts of the capture clock: a jump of years is no 745841437 s duration.
  const clock = new SteadyClock();
  let first: number | null = null;
  let last: number | null = null;
  const summary = await readCaptures(input, (rec) => {
    rec.time = clock.steady(rec.time, rec.frame);
    if (first === null) first = rec.time;
    if (last === null || rec.time > last) last = rec.time;
    pipeline.push(rec);
  }, { signal: opts.signal, onProgress: opts.onProgress, onWarning: opts.onWarning });
  pipeline.finish();
  const facts = builder.facts({
    file: opts.name ?? (Array.isArray(input) ? input.map(inputName).join(' + ') : inputName(input as CaptureInput)),
    packets: summary.records,
    warnings: [...summary.warnings, ...clock.warnings(), ...pipeline.limitWarnings()],
    truncated: summary.truncated,
    firstPacket: first,
    lastPacket: last,
  });
  return analyzeFacts(facts, opts.thresholds);
}
