/**
 * `--merge`: several captures read as one, frames ordered by time. A k-way merge over streaming
 * readers (each holds one buffer of records), so memory follows the number of inputs, not their
 * size. Frames are renumbered 1..N in merged order; ties keep the order of the inputs.
 */
import { CaptureStream, assertUsable, readCapture, type ReadCaptureOptions } from './reader.js';
import type { CaptureInput } from './source.js';
import type { CaptureRecord, CaptureSummary, RecordSink } from './types.js';

interface Lane {
  stream: CaptureStream;
  /** Records parsed but not yet delivered (copies: the reader's views die with its next read). */
  queue: CaptureRecord[];
  next: number;
  done: boolean;
}

/** Reads `inputs` as one capture into `sink`. Throws CaptureFormatError naming the bad input. */
export async function readMerged(inputs: readonly CaptureInput[], sink: RecordSink, opts: ReadCaptureOptions = {}): Promise<CaptureSummary> {
  const lanes: Lane[] = [];
  try {
    for (const input of inputs) {
      const queue: CaptureRecord[] = [];
      // Per-input progress would mislead; the caller shows none for a merge.
      const stream = await CaptureStream.open(input, (r) => queue.push({ ...r, data: r.data.slice() }), { ...opts, onProgress: undefined });
      lanes.push({ stream, queue, next: 0, done: false });
    }
    let frame = 0;
    for (;;) {
      let best: Lane | null = null;
      for (const lane of lanes) {
        if (!(await refill(lane))) continue;
        if (!best || lane.queue[lane.next]!.time < best.queue[best.next]!.time) best = lane;
      }
      if (!best) break;
      const rec = best.queue[best.next++]!;
      rec.frame = ++frame;
      sink(rec);
    }
    for (const lane of lanes) assertUsable(lane.stream.summary, lane.stream.name);
    for (const lane of lanes) lane.stream.flushWarnings();
    return mergedSummary(lanes.map((l) => ({ name: l.stream.name, summary: l.stream.summary })));
  } finally {
    for (const lane of lanes) await lane.stream.close();
  }
}

/** Has the lane a record at its head? Pumps its reader until it has one or ends. */
async function refill(lane: Lane): Promise<boolean> {
  while (lane.next >= lane.queue.length) {
    if (lane.done) return false;
    lane.queue.length = 0;
    lane.next = 0;
    if (!(await lane.stream.pump())) lane.done = true;
  }
  return true;
}

/** One summary for the merged capture: counts add up, warnings carry their input's name. */
export function mergedSummary(parts: readonly { name: string; summary: CaptureSummary }[]): CaptureSummary {
  const out: CaptureSummary = { format: parts[0]?.summary.format ?? 'pcapng', gzip: false, records: 0, warnings: [], truncated: false, unsupported: 0 };
  for (const { name, summary } of parts) {
    out.gzip ||= summary.gzip;
    out.truncated ||= summary.truncated;
    out.records += summary.records;
    out.unsupported += summary.unsupported;
    for (const w of summary.warnings) out.warnings.push({ ...w, message: `${name}: ${w.message}` });
  }
  return out;
}

/** One input read as is, several merged by time. */
export function readCaptures(input: CaptureInput | readonly CaptureInput[], sink: RecordSink, opts: ReadCaptureOptions = {}): Promise<CaptureSummary> {
  if (!Array.isArray(input)) return readCapture(input as CaptureInput, sink, opts);
  return input.length === 1 ? readCapture(input[0]!, sink, opts) : readMerged(input, sink, opts);
}
