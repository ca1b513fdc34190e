import { readCaptureFile } from '../capture/index.js';
import { DecodePipeline } from '../decode/pipeline.js';
import type { DecodedMessage, UndecodedFrame } from '../decode/messages.js';
import { decodedToJson, undecodedToJson } from '../report/decode-jsonl.js';
import { decodedToText, undecodedToText } from '../report/decode-text.js';
import { TextOutput } from '../report/output.js';
import type { DecodeArgs } from './options.js';
import { ExitCode } from './exit-codes.js';

export interface CliIo {
  stderr: (s: string) => void;
}

/** `pxecheck decode`: prints every decoded message. Exit 0, or 2 for unreadable input. */
export async function runDecode(args: DecodeArgs, io: CliIo): Promise<number> {
  const out = args.format === 'none' ? null : TextOutput.open(args.output);
  let count = 0;
  const sink = {
    message(m: DecodedMessage): void {
      count++;
      if (!out) return;
      if (args.format === 'jsonl') {
        const j = decodedToJson(m);
        if (j) out.line(JSON.stringify(j));
      } else {
        const lines = decodedToText(m);
        if (lines) for (const l of lines) out.line(l);
      }
    },
    undecoded(f: UndecodedFrame): void {
      if (!out) return;
      if (args.format === 'jsonl') out.line(JSON.stringify(undecodedToJson(f)));
      else for (const l of undecodedToText(f)) out.line(l);
    },
  };
  const pipe = new DecodePipeline(sink, args.protos ? { protos: args.protos } : {});
  const summary = await readCaptureFile(args.file, (rec) => pipe.push(rec));
  pipe.finish();
  out?.close();
  for (const w of summary.warnings) io.stderr(`pxecheck: warning: ${args.file}: ${w.message} (at byte ${w.offset})\n`);
  if (args.format === 'none') io.stderr(`${summary.records} frames, ${count} messages\n`);
  return ExitCode.OK;
}
