/**
 * `analyze FILE --metrics-out FILE.prom`: the metrics `capture --metrics` would have served for
 * the same frames, written in the Prometheus text format for node_exporter's textfile collector
 * (written to a temporary name, then renamed: the collector never reads half a file).
 */
import { renameSync, writeFileSync } from 'node:fs';
import type { Analysis } from '../analysis/types.js';
import type { CaptureInput } from '../capture/index.js';
import { PromMetrics } from './prom.js';
import { replayCapture, type ReplayOptions } from './replay.js';
import { MonitorCore } from './tracker.js';

export interface MetricsTextfile {
  /** An analyze function (as `runAnalyze` takes) that also feeds the metrics. */
  analyze: (input: CaptureInput | readonly CaptureInput[], opts: Omit<ReplayOptions, 'snapshotEverySeconds'>) => Promise<Analysis>;
  /** Writes what the analyses so far counted. */
  write(): Promise<void>;
}

export function metricsTextfile(path: string): MetricsTextfile {
  const prom = new PromMetrics();
  return {
    analyze: (input, opts) => {
      const source = Array.isArray(input) ? input.map(String).join(' + ') : String(input);
      return replayCapture(input, new MonitorCore({ source, metrics: prom }), opts);
    },
    async write() {
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, (await prom.render(undefined)).body);
      renameSync(tmp, path);
    },
  };
}
