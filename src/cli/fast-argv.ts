/**
 * Start-up fast path: `decode` and `analyze` command lines parsed without loading yargs (its
 * terminal layer — string-width, cliui, help rendered and cached on every command — cost more
 * than a small analysis; README "Start-up"). yargs-parser is the parser yargs itself runs, fed the
 * same options yargs would derive from the same table (command-flags.ts), so a line this accepts
 * gives the handler the very arguments yargs would. Anything else — help, version, completion,
 * an unknown flag, a missing value, `--`, dotted keys, a flag before the command — returns null
 * and main.ts lets yargs parse it, with its messages. test/cli/fast-argv.test.ts holds the two
 * parsers equal on every documented and many generated command lines.
 */
import parse from 'yargs-parser';
import { FAST_COMMANDS, GLOBAL_BOOLEANS, type FastCommand, type FlagSpec } from './command-flags.js';

export interface FastParse {
  command: FastCommand;
  /** What yargs hands the command's handler: `_`, `$0`, the positional `file`, flags and aliases. */
  args: Record<string, unknown>;
}

interface ParserOptions {
  options: parse.Options & { key: Record<string, boolean> };
  known: Set<string>;
}

const built = new Map<FastCommand, ParserOptions>();

const camel = (s: string): string => s.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/** yargs' own option bookkeeping for `COMMAND [file..]` with these flags (as yargs 18 builds it). */
function parserOptions(command: FastCommand): ParserOptions {
  const cached = built.get(command);
  if (cached) return cached;
  const flags: Record<string, FlagSpec> = FAST_COMMANDS[command];
  const array: string[] = ['file'];
  const boolean: string[] = [...GLOBAL_BOOLEANS];
  const string: string[] = ['file'];
  const narg: Record<string, number> = {};
  const key: Record<string, boolean> = {};
  const alias: Record<string, string[]> = { help: ['h'], version: ['V'], file: [] };
  const defaults: Record<string, unknown> = { file: [] };
  for (const k of [...GLOBAL_BOOLEANS, 'file']) key[k] = true;
  for (const [name, f] of Object.entries(flags)) {
    const names = f.alias === undefined ? [name] : [name, f.alias];
    key[name] = true;
    if (f.alias !== undefined) { alias[name] = [f.alias]; key[f.alias] = true; }
    if (f.array) array.push(...names);
    (f.type === 'boolean' ? boolean : string).push(...names);
    // yargs' requiresArg is nargs NaN: "Not enough arguments following" when the value is missing.
    if (f.requiresArg) narg[name] = Number.NaN;
    if (f.default !== undefined) defaults[name] = f.default;
  }
  const known = new Set<string>(['_', ...Object.keys(key), 'h', 'V']);
  for (const k of [...known]) known.add(camel(k));
  const options = {
    array, boolean, string, narg, key, alias, default: defaults,
    configuration: { 'boolean-negation': false, 'parse-positional-numbers': false, 'populate--': true },
  } as ParserOptions['options'];
  const result = { options, known };
  built.set(command, result);
  return result;
}

/** The handler arguments for a plain `decode`/`analyze` line, or null: let yargs parse it. */
export function fastParse(argv: readonly string[]): FastParse | null {
  const command = argv[0];
  if (command !== 'decode' && command !== 'analyze') return null;
  // `--` and `--file` as a flag take paths through yargs' positional merging: leave them to it.
  if (argv.some((a) => a === '--' || /^--file(=|$)/.test(a) || a.startsWith('--get-yargs-completions'))) return null;
  const { options, known } = parserOptions(command);
  const parsed = parse.detailed(argv.slice(1) as string[], options);
  if (parsed.error) return null;
  const out = parsed.argv as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) {
    if (!known.has(k)) return null;
    // A dotted flag (`--client.x`) becomes an object: not a form anyone documents.
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return null;
  }
  if (out['help'] === true || out['version'] === true) return null;
  const rest = (out['_'] as unknown[]).map(String);
  delete out['--'];
  out['_'] = [command];
  out['file'] = rest;
  out['$0'] = 'pxecheck';
  return { command, args: out };
}
