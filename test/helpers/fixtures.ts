import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../../src/capture/index.js';
import { DecodePipeline } from '../../src/decode/pipeline.js';
import type { DecodedMessage, UndecodedFrame } from '../../src/decode/messages.js';
import { decodedToJson } from '../../src/report/decode-jsonl.js';
import type { CaptureSummary } from '../../src/capture/types.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CAPTURES = join(ROOT, 'captures');

/** Every capture file under captures/ (public and lab), as paths relative to the repo root. */
export function captureFiles(sub = ''): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(name)) out.push(relative(ROOT, p));
    }
  };
  walk(join(CAPTURES, sub));
  return out;
}

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
