/** `pxecheck analyze` of a capture file: reader → decode pipeline → flow facts → analysis. */
import { inputName, readCaptures, type CaptureInput, type ReadCaptureOptions } from '../capture/index.js';
import { SteadyClock } from '../capture/clock.js';
import { DecodePipeline } from '../decode/pipeline.js';
import type { DecodeSink } from '../decode/messages.js';
import type { AnalysisThresholds } from '../findings/types.js';
import { BootChainBuilder, type CaptureInfo } from '../flow/builder.js';
import type { AnalysisPart } from './engine.js';
import { RecordStep } from './record-step.js';
import { AnalysisSession, ANALYZE_RELEASE, type ReleasePolicy } from './session.js';
import type { Analysis } from './types.js';

export interface AnalyzeOptions {
  thresholds?: Partial<AnalysisThresholds>;
  signal?: ReadCaptureOptions['signal'];
  onProgress?: ReadCaptureOptions['onProgress'];
  onWarning?: ReadCaptureOptions['onWarning'];
  /** Name shown as `file` (default: the path). */
  name?: string;
  /** Devices as they finish (a streaming report): the returned Analysis then holds no clients
   *  or findings, only the summary and the capture-wide facts. Without it, all are returned. */
  onPart?: (part: AnalysisPart) => void;
  /** When finished devices are released (tests use a small one). */
  release?: ReleasePolicy;
  /** The capture is read, the devices still in memory are about to be analyzed together (the
   *  CLI collects the heap's garbage here, so that last part reuses it instead of growing the heap). */
  onReadEnd?: () => void;
  /** Analyze mirror-port copies too (`--keep-duplicates`): every frame as the file holds it. */
  keepDuplicates?: boolean;
  /** Rides along the read (the monitor's replay, `analyze --scenario`): one read serves both. */
  tap?: AnalysisTap;
}

/** What sees an analysis read on the way. */
export interface AnalysisTap {
  /** The sink the decoder feeds instead of the boot-chain builder (wrapping it, to see each message). */
  sink?: (builder: DecodeSink) => DecodeSink;
  /** After each record went through the decoder: its steady time, the builder so far and the
   *  decoder (what they hold: memory tests). */
  record?: (time: number, builder: BootChainBuilder, pipeline: DecodePipeline) => void;
}

/** Throws CaptureFormatError when the file is not a capture; never on bad packets. Several
 *  inputs are merged by time into one capture. */
export async function analyzeCapture(input: CaptureInput | readonly CaptureInput[], opts: AnalyzeOptions = {}): Promise<Analysis> {
  const builder = new BootChainBuilder();
  const pipeline = new DecodePipeline(opts.tap?.sink?.(builder) ?? builder, { dropDuplicates: opts.keepDuplicates !== true });
  const tapRecord = opts.tap?.record;
  // Times on the steady parts of the capture clock: a jump of years is no 745841437 s duration.
  const step = new RecordStep(new SteadyClock(), pipeline);
  const clients: Analysis['clients'] = [];
  const findings: Analysis['findings'] = [];
  const onPart = opts.onPart ?? ((p: AnalysisPart): void => {
    for (const c of p.clients) clients.push(c);
    for (const f of p.findings) findings.push(f);
  });
  const session = new AnalysisSession(builder, opts.thresholds, opts.release ?? ANALYZE_RELEASE, onPart);
  const info: CaptureInfo = {
    file: opts.name ?? (Array.isArray(input) ? input.map(inputName).join(' + ') : inputName(input as CaptureInput)),
    packets: 0, warnings: [], truncated: false, firstPacket: null, lastPacket: null,
  };
  const summary = await readCaptures(input, (rec) => {
    step.push(rec);
    session.tick(step.last, info);
    if (tapRecord !== undefined) tapRecord(rec.time, builder, pipeline);
    // The record object itself is kept by nobody: one for the whole read, no object per packet.
  }, { signal: opts.signal, onProgress: opts.onProgress, onWarning: opts.onWarning, reuseRecord: true });
  pipeline.finish();
  opts.onReadEnd?.();
  const head = session.finish({
    ...info, packets: summary.records, warnings: step.warnings(summary.warnings), truncated: summary.truncated, firstPacket: step.firstPacket, lastPacket: step.lastPacket,
  });
  return { ...head, clients, findings };
}
