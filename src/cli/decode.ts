import { readCaptures } from '../capture/index.js';
import { DecodePipeline } from '../decode/pipeline.js';
import type { DecodedMessage, UndecodedFrame } from '../decode/messages.js';
import { writeDecodedLine, writeTftpBlock, writeUndecodedLine } from '../report/decode-jsonl.js';
import type { TftpSession } from '../decode/tftp-tracker.js';
import { decodedToSummary, undecodedToSummary } from '../report/decode-summary.js';
import { decodedToText, undecodedToText } from '../report/decode-text.js';
import { TextOutput } from '../report/output.js';
import { JsonlWriter } from '../report/jsonl-writer.js';
import { hasFilter, messageFilter, type MessageFilter } from './decode-filter.js';
import type { DecodeArgs } from './options.js';
import { ExitCode } from './exit-codes.js';
import { expandInputs, inputErrorMessage, refuseOverwrite, WarningPrinter } from './inputs.js';

export interface CliIo {
  stderr: (s: string) => void;
}

/**
 * `pxecheck decode`: prints every decoded message of each input in turn (folders expand to their
 * captures; --merge reads them as one capture ordered by time). Several inputs: text gets a
 * `==> FILE <==` header per input, JSON Lines a `capture` member on every line. Exit 0, or 2 when an
 * input could not be read (the others are still decoded). When the reader of stdout goes away
 * (`pxecheck decode x | head`), reading stops there, quietly, as tshark and tcpdump do.
 */
export async function runDecode(args: DecodeArgs, io: CliIo): Promise<number> {
  const inputs = expandInputs(args.files);
  refuseOverwrite(args.output, inputs);
  const jobs: (string | string[])[] = inputs.length === 1 ? [inputs[0]!] : args.merge ? [inputs] : inputs;
  const many = jobs.length > 1;
  const out = args.format === 'none' ? null : TextOutput.open(args.output);
  const warnings = new WarningPrinter(io.stderr);
  let worst: number = ExitCode.OK;
  try {
    for (const job of jobs) {
      const name = typeof job === 'string' ? job : job.join(' + ');
      try {
        await decodeOne(job, many ? name : null, args, out, io, warnings);
        if (out?.broken) break;
      } catch (err) {
        const msg = many ? inputErrorMessage(err) : null;
        if (msg === null) throw err;
        io.stderr(`pxecheck: ${msg}\n`);
        worst = ExitCode.USAGE;
      }
    }
  } finally {
    out?.close();
  }
  return worst;
}

async function decodeOne(job: string | string[], header: string | null, args: DecodeArgs, out: TextOutput | null, io: CliIo, warnings: WarningPrinter): Promise<void> {
  let count = 0;
  let headed = false;
  const head = (): void => {
    if (header === null || headed || !out || args.format !== 'text') return;
    headed = true;
    out.line(`==> ${header} <==`);
  };
  const summaryView = args.format === 'summary' || args.format === 'line';
  // JSON Lines are written straight into a byte slab (flushed before this input ends), each line
  // with a `capture` member first when there are several inputs.
  const jsonl = out && args.format === 'jsonl' ? new JsonlWriter(out) : null;
  jsonl?.setCapture(header);
  // Relative --from/--to and the summary's times count from the first packet of the capture.
  let t0: number | null = null;
  let filter: MessageFilter | null = null;
  const filtering = hasFilter(args);
  const sink = {
    // Every message is filtered and written before the next is decoded: DHCPv4 may reuse one.
    transientDhcp4: true,
    message(m: DecodedMessage): void {
      if (filter && !filter.message(m)) return;
      count++;
      if (!out) return;
      if (jsonl) writeDecodedLine(jsonl, m);
      else if (summaryView) {
        const l = decodedToSummary(m, t0 ?? m.time);
        if (l !== null) out.line(l);
      } else {
        const lines = decodedToText(m);
        if (lines) {
          head();
          for (const l of lines) out.line(l);
        }
      }
    },
    // The decoder's fast path for the bulk of a transfer (no message object): taken for JSON Lines
    // and counting; text views and filters get messages.
    tftpBlock(session: TftpSession, fromClient: boolean, srcPort: number, opcode: 3 | 4, block: number, dataLength: number,
      frame: number, time: number): boolean {
      if (filtering || (out && !jsonl)) return false;
      count++;
      if (jsonl) writeTftpBlock(jsonl, session, fromClient, srcPort, opcode, block, dataLength, frame, time);
      return true;
    },
    undecoded(f: UndecodedFrame): void {
      if (!out || (filter && !filter.undecoded(f))) return;
      if (jsonl) writeUndecodedLine(jsonl, f);
      else if (summaryView) out.line(undecodedToSummary(f, t0 ?? f.time));
      else {
        head();
        for (const l of undecodedToText(f)) out.line(l);
      }
    },
  };
  const pipe = new DecodePipeline(sink, args.protos ? { protos: args.protos } : {});
  // Output gone (EPIPE): the reader stops at its next refill; nothing more to decode for.
  const stop = new AbortController();
  try {
    const summary = await readCaptures(job, (rec) => {
      if (out?.broken) return stop.abort();
      if (t0 === null) {
        t0 = rec.time;
        if (filtering) filter = messageFilter(args, t0);
      }
      pipe.push(rec);
    }, { onWarning: warnings.onWarning, signal: stop.signal });
    if (out?.broken) return;
    pipe.finish();
    jsonl?.flush();
    if (args.format === 'none') io.stderr(`${header === null ? '' : `${header}: `}${summary.records} frames, ${count} messages\n`);
  } catch (err) {
    if (!stop.signal.aborted) throw err;
  } finally {
    jsonl?.flush();
    warnings.finish();
  }
}
