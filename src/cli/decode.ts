import { readCaptureFile } from '../capture/index.js';
import { DecodePipeline } from '../decode/pipeline.js';
import type { DecodedMessage, UndecodedFrame } from '../decode/messages.js';
import { decodedToJson, undecodedToJson } from '../report/decode-jsonl.js';
import { decodedToSummary, undecodedToSummary } from '../report/decode-summary.js';
import { decodedToText, undecodedToText } from '../report/decode-text.js';
import { TextOutput } from '../report/output.js';
import { hasFilter, messageFilter, type MessageFilter } from './decode-filter.js';
import type { DecodeArgs } from './options.js';
import { ExitCode } from './exit-codes.js';

export interface CliIo {
  stderr: (s: string) => void;
}

/** `pxecheck decode`: prints every decoded message. Exit 0, or 2 for unreadable input. */
export async function runDecode(args: DecodeArgs, io: CliIo): Promise<number> {
  const out = args.format === 'none' ? null : TextOutput.open(args.output);
  const summaryView = args.format === 'summary' || args.format === 'line';
  let count = 0;
  // Relative --from/--to and the summary's times count from the first packet of the capture.
  let t0: number | null = null;
  let filter: MessageFilter | null = null;
  const filtering = hasFilter(args);
  const sink = {
    message(m: DecodedMessage): void {
      if (filter && !filter.message(m)) return;
      count++;
      if (!out) return;
      if (args.format === 'jsonl') {
        const j = decodedToJson(m);
        if (j) out.line(JSON.stringify(j));
      } else if (summaryView) {
        const l = decodedToSummary(m, t0 ?? m.time);
        if (l !== null) out.line(l);
      } else {
        const lines = decodedToText(m);
        if (lines) for (const l of lines) out.line(l);
      }
    },
    undecoded(f: UndecodedFrame): void {
      if (!out || (filter && !filter.undecoded(f))) return;
      if (args.format === 'jsonl') out.line(JSON.stringify(undecodedToJson(f)));
      else if (summaryView) out.line(undecodedToSummary(f, t0 ?? f.time));
      else for (const l of undecodedToText(f)) out.line(l);
    },
  };
  const pipe = new DecodePipeline(sink, args.protos ? { protos: args.protos } : {});
  const summary = await readCaptureFile(args.file, (rec) => {
    if (t0 === null) {
      t0 = rec.time;
      if (filtering) filter = messageFilter(args, t0);
    }
    pipe.push(rec);
  });
  pipe.finish();
  out?.close();
  for (const w of summary.warnings) io.stderr(`pxecheck: warning: ${args.file}: ${w.message} (at byte ${w.offset})\n`);
  if (args.format === 'none') io.stderr(`${summary.records} frames, ${count} messages\n`);
  return ExitCode.OK;
}
