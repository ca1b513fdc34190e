/**
 * ANSI colour for terminal reports. Colour is decided once, at the edge (the CLI), from the output
 * stream and the environment; renderers only receive a Palette.
 */
import type { Severity } from '../findings/catalogue.js';

export interface Palette {
  readonly enabled: boolean;
  severity(sev: Severity, s: string): string;
  fail(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

export interface ColorContext {
  /** Is the output a terminal (`stream.isTTY`)? */
  isTTY: boolean | undefined;
  /** Writing to `--output FILE`: never coloured. */
  toFile: boolean;
  env: Readonly<Record<string, string | undefined>>;
}

/** https://no-color.org: any non-empty NO_COLOR disables colour; files and pipes never get it. */
export function colorEnabled(ctx: ColorContext): boolean {
  if (ctx.toFile || ctx.isTTY !== true) return false;
  const noColor = ctx.env['NO_COLOR'];
  return noColor === undefined || noColor === '';
}

const wrap = (open: number, close: number) => (s: string): string => `\x1b[${open}m${s}\x1b[${close}m`;
const red = wrap(31, 39);
const yellow = wrap(33, 39);
const bold = wrap(1, 22);
const dim = wrap(2, 22);
const same = (s: string): string => s;

export const PLAIN: Palette = {
  enabled: false,
  severity: (_sev, s) => s,
  fail: same,
  bold: same,
  dim: same,
};

export const ANSI: Palette = {
  enabled: true,
  severity: (sev, s) => (sev === 'error' ? red(s) : sev === 'warning' ? yellow(s) : dim(s)),
  fail: red,
  bold,
  dim,
};

export function palette(enabled: boolean): Palette {
  return enabled ? ANSI : PLAIN;
}
