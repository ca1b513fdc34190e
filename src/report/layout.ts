/**
 * Fitting text reports to a terminal: the width to use, word-keeping wraps for table cells and
 * prose lines, column widths that add up to the width. Pure: the width comes in.
 */

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Colour escapes and surrogates: without them a string's width is its length. */
// eslint-disable-next-line no-control-regex
const NOT_PLAIN = /[\x1b\ud800-\udfff]/;

/** Columns a string takes on screen (colour escapes take none): code points, a surrogate pair
 *  counting once. Reports measure every cell: most are plain, and one regex test (no array of
 *  characters) answers for them. */
export function visibleWidth(s: string): number {
  return NOT_PLAIN.test(s) ? [...s.replace(ANSI, '')].length : s.length;
}

/**
 * The report width: the terminal's when stdout is one, else `COLUMNS`, else null (no limit: files
 * and pipes keep whole lines). Never below 40, so a tiny terminal still gets a table.
 */
export function reportWidth(io: { stdoutIsTTY: boolean | undefined; columns?: number | undefined; env: Readonly<Record<string, string | undefined>> }): number | null {
  const fromEnv = Number(io.env['COLUMNS']);
  const w = io.stdoutIsTTY && io.columns ? io.columns : Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : null;
  return w === null ? null : Math.max(40, w);
}

/** Where a cell may break: after a space, an arrow, a comma, a slash or a `?`/`&` of a URL. */
export function breaksAfter(c: number): boolean {
  return c === 0x20 || c === 0x2192 || c === 0x2c || c === 0x2f || c === 0x3f || c === 0x26;
}

/** `text` cut after each character where a cell may break (never at its start or end). */
function breakPieces(text: string): string[] {
  const pieces: string[] = [];
  let from = 0;
  for (let i = 1; i < text.length; i++) {
    if (!breaksAfter(text.charCodeAt(i - 1))) continue;
    pieces.push(text.slice(from, i));
    from = i;
  }
  pieces.push(text.slice(from));
  return pieces;
}

/**
 * Wraps `text` into lines of at most `width` columns, breaking only where breaksAfter allows; a
 * piece longer than a line (a 70-character file name) is cut with `…` rather than split silently.
 * Widths add up piece by piece: a piece never splits a colour escape or a surrogate pair.
 */
export function wrapCell(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    // A paragraph that fits is the one line the loop below would build (leading and trailing
    // white space dropped), without splitting it into pieces.
    if (visibleWidth(para) <= width) {
      lines.push(para.trim());
      continue;
    }
    let line = '';
    let lineWidth = 0;
    for (const raw of breakPieces(para)) {
      const piece = raw.length > width && visibleWidth(raw) > width ? truncate(raw, width) : raw;
      if (line !== '' && lineWidth + visibleWidth(piece.trimEnd()) > width) {
        lines.push(line.trimEnd());
        line = '';
        lineWidth = 0;
      }
      const added = line === '' ? piece.trimStart() : piece;
      line += added;
      lineWidth += visibleWidth(added);
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

/** `abcdefgh` at width 5 → `abcd…` (colour escapes would be cut too: cells are truncated before colouring). */
export function truncate(s: string, width: number): string {
  const chars = [...s];
  return chars.length <= width ? s : `${chars.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/**
 * A prose line (a finding, a hint, a header) wrapped at spaces to `width`, continuation lines
 * indented by `indent` spaces. Null width: the line as is.
 */
export function wrapLine(line: string, width: number | null, indent: number): string[] {
  if (width === null || visibleWidth(line) <= width) return [line];
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  let cur = '';
  for (const word of line.split(/(?<= )/)) {
    if (cur.trim() !== '' && visibleWidth(cur + word.trimEnd()) > width) {
      out.push(cur.trimEnd());
      cur = pad;
    }
    cur += word;
  }
  out.push(cur.trimEnd());
  return out;
}

/**
 * Widths of the columns of a bordered table (`│ a │ b │`: 3 columns of chrome per column plus 1)
 * within `total`: fixed columns keep their natural width, the flexible ones share what is left,
 * none narrower than `min` (then the table is wider than `total`, it cannot be helped). Without a
 * total, flexible columns stop at `cap`.
 */
export function columnWidths(natural: readonly number[], flexible: ReadonlySet<number>, total: number | null, cap: number, min = 10): number[] {
  if (total === null) return natural.map((w, i) => (flexible.has(i) ? Math.min(w, cap) : w));
  const widths = [...natural];
  const chrome = 3 * natural.length + 1;
  let room = total - chrome - widths.reduce((s, w, i) => s + (flexible.has(i) ? 0 : w), 0);
  // Narrowest first: a short column keeps its width, the long ones share the rest evenly.
  const flex = [...flexible].sort((a, b) => natural[a]! - natural[b]!);
  flex.forEach((col, k) => {
    const share = Math.floor(room / (flex.length - k));
    widths[col] = Math.max(min, Math.min(natural[col]!, share));
    room -= widths[col]!;
  });
  return widths;
}

/**
 * A bordered table (`┌─┬─┐`, a rule under the header row, `└─┴─┘`) of pre-wrapped cells: a cell
 * may hold several lines (`\n`); each column is `widths[i]` wide, padded by visible width so
 * colour escapes do not shift the borders. Drawn here rather than with a table library: the
 * wrapping is ours already, and the library's config validation (ajv) tripled start-up time.
 * `cellWidths`: the visible widths of one-line cells where the caller measured them already.
 */
export function boxTable(rows: readonly (readonly string[])[], widths: readonly number[], cellWidths?: readonly (readonly number[])[]): string[] {
  // Loops rather than map/join per row: every client's timeline is one of these tables.
  const rules = tableRules(widths);
  const n = widths.length;
  const out = [rules.top];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    const known = cellWidths?.[i];
    // Nearly every row is one line per cell: only a row with a break gets its cells' line lists.
    const cells = oneLine(row, n) ? null : cellLines(row, n);
    let height = 1;
    if (cells !== null) for (const lines of cells) if (lines.length > height) height = lines.length;
    for (let k = 0; k < height; k++) {
      let line = n === 0 ? '││' : '│';
      for (let c = 0; c < n; c++) {
        const lines = cells === null ? null : cells[c]!;
        const text = lines === null ? row[c] ?? '' : lines[k] ?? '';
        // A one-line cell's width may be known (-1: not known, measure it).
        const w = known !== undefined && k === 0 && (lines === null || lines.length === 1) ? known[c] ?? -1 : -1;
        line += ` ${text}${spaces(widths[c]! - (w < 0 ? visibleWidth(text) : w))} │`;
      }
      out.push(line);
    }
    if (i === 0) out.push(rules.middle);
  }
  out.push(rules.bottom);
  return out;
}

/** The lines of each of the row's first `n` cells. */
function cellLines(row: readonly string[], n: number): string[][] {
  const cells: string[][] = [];
  for (let c = 0; c < n; c++) cells.push((row[c] ?? '').split('\n'));
  return cells;
}

/** No cell of the row (its first `n`) holds a line break. */
function oneLine(row: readonly string[], n: number): boolean {
  for (let c = 0; c < n; c++) if (row[c]?.includes('\n')) return false;
  return true;
}

interface TableRules {
  top: string;
  middle: string;
  bottom: string;
}

/** The rules of the tables drawn lately, by their column widths: a report draws thousands of
 *  tables of a few shapes (bounded: forgotten all at once when full). */
const rulesByWidths = new Map<string, TableRules>();
const RULES_KEPT = 256;

function tableRules(widths: readonly number[]): TableRules {
  const key = widths.join(',');
  let r = rulesByWidths.get(key);
  if (r !== undefined) return r;
  const bars = widths.map((w) => '─'.repeat(w + 2));
  r = { top: `┌${bars.join('┬')}┐`, middle: `├${bars.join('┼')}┤`, bottom: `└${bars.join('┴')}┘` };
  if (rulesByWidths.size >= RULES_KEPT) rulesByWidths.clear();
  rulesByWidths.set(key, r);
  return r;
}

/** Padding runs, made once (a negative count pads nothing, as `repeat(max(0, n))`). */
const SPACES = Array.from({ length: 129 }, (_, n) => ' '.repeat(n));

function spaces(n: number): string {
  return n <= 0 ? '' : n < SPACES.length ? SPACES[n]! : ' '.repeat(n);
}
