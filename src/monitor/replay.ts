/**
 * The monitor over a capture file, the way `capture` runs it live: the DHCP messages counted on the
 * way through the decoder, an analysis snapshot every `snapshotEverySeconds` of capture time (as
 * the live path takes one every few seconds), and a final update at the end. It rides along
 * `analyzeCapture`'s own read (its tap), so the final analysis is that of `analyze`.
 * Used by `analyze --metrics-out` and by the tests that hold the live logic to the analysis.
 */
import { analyzeCapture } from '../analysis/capture.js';
import { analyzeFacts } from '../analysis/engine.js';
import type { ReleasePolicy } from '../analysis/session.js';
import type { Analysis } from '../analysis/types.js';
import { inputName, type CaptureInput, type ReadCaptureOptions } from '../capture/index.js';
import type { AnalysisThresholds } from '../findings/types.js';
import type { BootChainBuilder } from '../flow/builder.js';
import type { MonitorCore } from './tracker.js';

export interface ReplayOptions {
  /** Capture seconds between snapshots; undefined: only the final one. */
  snapshotEverySeconds?: number;
  thresholds?: Partial<AnalysisThresholds>;
  /** Mirror-port copies analyzed too (`--keep-duplicates`). */
  keepDuplicates?: boolean;
  onProgress?: ReadCaptureOptions['onProgress'];
  onWarning?: ReadCaptureOptions['onWarning'];
}

/** Snapshots look at every device the builder holds: none is released before the end. */
const KEEP_ALL: ReleasePolicy = { idle: Infinity, keepBelow: Infinity, pressureIdle: 0, every: 5 };

/** The analysis `analyzeCapture` gives of the same input, with the monitor fed on the way. Several
 *  inputs are merged by time into one capture. */
export async function replayCapture(input: CaptureInput | readonly CaptureInput[], core: MonitorCore, opts: ReplayOptions = {}): Promise<Analysis> {
  const file = Array.isArray(input) ? input.map(inputName).join(' + ') : inputName(input as CaptureInput);
  let first: number | null = null;
  let last: number | null = null;
  let packets = 0;
  let lastSnapshot: number | null = null;
  const every = opts.snapshotEverySeconds;
  const record = (time: number, builder: BootChainBuilder): void => {
    packets++;
    if (first === null) first = time;
    if (last === null || time > last) last = time;
    if (every === undefined) return;
    lastSnapshot ??= time;
    if (time - lastSnapshot >= every) {
      lastSnapshot = time;
      const facts = builder.facts({ file, packets, warnings: [], truncated: false, firstPacket: first, lastPacket: last });
      core.update(analyzeFacts(facts, opts.thresholds), time);
    }
  };
  const analysis = await analyzeCapture(input, {
    thresholds: opts.thresholds, keepDuplicates: opts.keepDuplicates, onProgress: opts.onProgress, onWarning: opts.onWarning, release: KEEP_ALL,
    tap: { sink: (builder) => core.tap(builder), record },
  });
  core.update(analysis, last ?? 0, true);
  return analysis;
}
