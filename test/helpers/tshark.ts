/** tshark (the independent oracle) for tests: whether it is installed, and `-T fields` output. */
import { spawnSync } from 'node:child_process';

let installed: boolean | undefined;

/** True when `tshark -v` runs. Tests that need it use `it.skipIf(!hasTshark())`, so a run
 *  without tshark reports them as skipped instead of passing silently. */
export function hasTshark(): boolean {
  installed ??= spawnSync('tshark', ['-v'], { stdio: 'ignore' }).status === 0;
  return installed;
}

export interface TsharkFieldsOptions {
  /** Display filter (`-Y`). */
  filter?: string;
  /** Preferences (`-o name:value`), e.g. `['udp.check_checksum:TRUE']`. */
  prefs?: string[];
  /** Field separator (`-E separator=`); default tab. */
  separator?: string;
  /** Which occurrences of a repeated field (`-E occurrence=`): f, l or a. */
  occurrence?: 'f' | 'l' | 'a';
  /** Joins repeated occurrences (`-E aggregator=`); tshark's default is a comma. */
  aggregator?: string;
  /** No name resolution (`-n`). */
  numeric?: boolean;
  /** Accept a non-zero exit (tshark complains about cut-short fuzz captures) and keep its output. */
  allowFailure?: boolean;
}

/** `tshark -r file -T fields -e …`: one row per output line, cells split on the separator.
 *  Blank lines are dropped, nothing else is trimmed (an empty first cell stays ''). */
export function tsharkFields(file: string, fields: readonly string[], opts: TsharkFieldsOptions = {}): string[][] {
  const separator = opts.separator ?? '\t';
  const args = ['-r', file];
  if (opts.numeric) args.push('-n');
  if (opts.filter) args.push('-Y', opts.filter);
  args.push('-T', 'fields', '-E', `separator=${separator === '\t' ? '/t' : separator}`);
  if (opts.occurrence) args.push('-E', `occurrence=${opts.occurrence}`);
  if (opts.aggregator) args.push('-E', `aggregator=${opts.aggregator}`);
  for (const p of opts.prefs ?? []) args.push('-o', p);
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0 && !opts.allowFailure) throw new Error(`tshark ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split(separator));
}
