/**
 * `pxecheck export FILE --dir D`: every file transferred over TFTP and HTTP in a capture, written
 * to D with a manifest. Exit 0 when every transfer is complete, 1 when one is not, 2 for usage,
 * unreadable input or an unusable directory.
 */
import { mkdirSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCaptureFile } from '../capture/index.js';
import { DecodePipeline } from '../decode/pipeline.js';
import { ObjectAssembler } from '../export/assembler.js';
import { DirectorySink, MANIFEST_NAME } from '../export/dir-sink.js';
import { buildManifest, renderManifestText } from '../export/manifest.js';
import { ExitCode, UsageError } from './exit-codes.js';

export interface ExportArgs {
  file: string;
  dir: string;
  format: 'text' | 'json';
  /** `--keep-duplicates`: mirror-port copies go through the assembler too (their blocks are
   *  repeats, so only the frame counts change). */
  keepDuplicates?: boolean;
}

export interface ExportIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

/** Pure check of the parsed flags. */
export function checkExportArgs(raw: Record<string, unknown>): ExportArgs {
  const file = raw['file'];
  if (typeof file !== 'string' || file === '') throw new UsageError('export: missing FILE (a .pcap, .pcapng or .gz capture)');
  const dir = raw['dir'];
  if (typeof dir !== 'string' || dir === '') throw new UsageError('export: --dir DIR is required (where the files and manifest.json go)');
  const format = String(raw['format'] ?? 'text');
  if (format !== 'text' && format !== 'json') throw new UsageError(`export: --format must be text or json (got "${format}")`);
  return { file, dir, format, keepDuplicates: raw['keep-duplicates'] === true };
}

/** The directory must be new or empty: names in it are chosen for this capture alone. Returns
 *  whether it was created. */
function prepareDir(dir: string): boolean {
  let st;
  try {
    st = statSync(dir);
  } catch {
    mkdirSync(dir, { recursive: true });
    return true;
  }
  if (!st.isDirectory()) throw new UsageError(`export: --dir ${dir} exists and is not a directory`);
  if (readdirSync(dir).length > 0) throw new UsageError(`export: --dir ${dir} is not empty (give a new or empty directory)`);
  return false;
}

export async function runExport(args: ExportArgs, io: ExportIo): Promise<number> {
  statSync(args.file); // a missing input is reported before the directory is made
  const created = prepareDir(args.dir);
  const sink = new DirectorySink(args.dir);
  const assembler = new ObjectAssembler(sink);
  // Mirror copies dropped as analyze drops them: a copied DATA block is no second frame of the transfer.
  const pipe = new DecodePipeline(assembler, { protos: new Set(['tftp', 'http']), dropDuplicates: args.keepDuplicates !== true });
  let summary;
  try {
    summary = await readCaptureFile(args.file, (rec) => pipe.push(rec));
    pipe.finish();
    assembler.finish();
  } catch (e) {
    sink.abort();
    // Not a capture at all: leave no empty directory behind.
    if (created && readdirSync(args.dir).length === 0) rmdirSync(args.dir);
    throw e;
  }
  for (const w of summary.warnings) io.stderr(`pxecheck: warning: ${args.file}: ${w.message} (at byte ${w.offset})\n`);
  for (const w of pipe.duplicateWarnings()) io.stderr(`pxecheck: note: ${args.file}: ${w.message}; only the first copies were exported (--keep-duplicates for every frame)\n`);
  const manifest = buildManifest(args.file, sink.objects);
  writeFileSync(join(args.dir, MANIFEST_NAME), JSON.stringify(manifest, null, 2) + '\n');
  if (args.format === 'json') io.stdout(JSON.stringify(manifest, null, 2) + '\n');
  else for (const l of renderManifestText(manifest)) io.stdout(l + '\n');
  return manifest.objects.every((o) => o.complete) ? ExitCode.OK : ExitCode.FINDINGS;
}
