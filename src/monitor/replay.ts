/**
 * The monitor over a capture file, the way `capture` runs it live: records through the decode
 * pipeline (DHCP messages counted on the way), an analysis snapshot every `snapshotEverySeconds` of
 * capture time (as the live path takes one every few seconds), and a final update at the end.
 * Used by `analyze --metrics-out` and by the tests that hold the live logic to the analysis.
 */
import { captureWarnings } from '../analysis/capture.js';
import { analyzeFacts } from '../analysis/engine.js';
import type { Analysis } from '../analysis/types.js';
import { inputName, readCaptures, type CaptureInput, type ReadCaptureOptions } from '../capture/index.js';
import { SteadyClock } from '../capture/clock.js';
import type { AnalysisThresholds } from '../findings/types.js';
import { DecodePipeline } from '../decode/pipeline.js';
import { BootChainBuilder } from '../flow/builder.js';
import type { MonitorCore } from './tracker.js';

export interface ReplayOptions {
  /** Capture seconds between snapshots; undefined: only the final one. */
  snapshotEverySeconds?: number;
  thresholds?: Partial<AnalysisThresholds>;
  onProgress?: ReadCaptureOptions['onProgress'];
  onWarning?: ReadCaptureOptions['onWarning'];
}

/** The same analysis as `analyzeCapture` (src/analysis/capture.ts) of the same input, with the
 *  monitor fed on the way. Several inputs are merged by time into one capture. */
export async function replayCapture(input: CaptureInput | readonly CaptureInput[], core: MonitorCore, opts: ReplayOptions = {}): Promise<Analysis> {
  const builder = new BootChainBuilder();
  const pipeline = new DecodePipeline(core.tap(builder));
  // The same steady timeline as analyzeCapture: a clock jump is flagged, not a huge duration.
  const clock = new SteadyClock();
  const file = Array.isArray(input) ? input.map(inputName).join(' + ') : inputName(input as CaptureInput);
  let first: number | null = null;
  let last: number | null = null;
  let packets = 0;
  let lastSnapshot: number | null = null;
  const snapshot = (): Analysis =>
    analyzeFacts(builder.facts({ file, packets, warnings: [], truncated: false, firstPacket: first, lastPacket: last }), opts.thresholds);
  const every = opts.snapshotEverySeconds;
  const summary = await readCaptures(input, (rec) => {
    rec.time = clock.steady(rec.time, rec.frame);
    packets++;
    if (first === null) first = rec.time;
    if (last === null || rec.time > last) last = rec.time;
    pipeline.push(rec);
    if (every === undefined) return;
    lastSnapshot ??= rec.time;
    if (rec.time - lastSnapshot >= every) {
      lastSnapshot = rec.time;
      core.update(snapshot(), rec.time);
    }
  }, { onProgress: opts.onProgress, onWarning: opts.onWarning });
  pipeline.finish();
  const analysis = analyzeFacts(builder.facts({
    file, packets: summary.records, warnings: captureWarnings(summary.warnings, clock, pipeline), truncated: summary.truncated, firstPacket: first, lastPacket: last,
  }), opts.thresholds);
  core.update(analysis, last ?? 0, true);
  return analysis;
}
