import { join } from 'node:path';
import { readCaptureFile } from '../../src/capture/index.js';
import { DecodePipeline } from '../../src/decode/pipeline.js';
import type { DecodedMessage, UndecodedFrame } from '../../src/decode/messages.js';
import { decodedToJson } from '../../src/report/decode-jsonl.js';
import type { CaptureSummary } from '../../src/capture/types.js';
import { ROOT } from './paths.js';

export { ROOT, CAPTURES, PUBLIC, captureFiles } from './paths.js';

export interface DecodedCapture {
  summary: CaptureSummary;
  messages: DecodedMessage[];
  undecoded: UndecodedFrame[];
  json: Record<string, unknown>[];
}

/** Runs the real reader and pipeline over a capture, keeping every message. */
export async function decodeCapture(path: string): Promise<DecodedCapture> {
  const messages: DecodedMessage[] = [];
  const undecoded: UndecodedFrame[] = [];
  const json: Record<string, unknown>[] = [];
  const pipe = new DecodePipeline({
    message: (m) => {
      messages.push(m);
      const j = decodedToJson(m);
      if (j) json.push(j as Record<string, unknown>);
    },
    undecoded: (f) => undecoded.push(f),
  });
  const summary = await readCaptureFile(join(ROOT, path), (rec) => pipe.push(rec));
  pipe.finish();
  return { summary, messages, undecoded, json };
}
