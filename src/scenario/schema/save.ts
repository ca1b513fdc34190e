/** `save:` — variables a step adds (a reply field, an option, an HTTP header, a body match). */
import { BUILTIN_VARIABLES, VARIABLE_NAME_RE } from '../vars.js';
import { custom } from './fields.js';
import { describeValue } from './messages.js';
import { parseOptionKey } from './options.js';
import { didYouMean } from './suggest.js';

export type SaveSource =
  | { from: 'field'; field: (typeof SAVE_FIELDS)[number] }
  | { from: 'option'; code: number }
  | { from: 'header'; name: string }
  | { from: 'body'; pattern: string };

const SAVE_FIELDS = ['yiaddr', 'siaddr', 'next-server', 'bootfile', 'server-id', 'lease-time', 'status', 'size', 'sha256', 'address', 'bootfile-url'] as const;
const SAVE_HINT = 'yiaddr, siaddr, next-server, bootfile, server-id, lease-time, status, size, sha256, address, bootfile-url, option:<n>, header:<name> or body:<regex with a (group)>';

export function parseSaveSource(text: string): SaveSource | string {
  if ((SAVE_FIELDS as readonly string[]).includes(text)) return { from: 'field', field: text as (typeof SAVE_FIELDS)[number] };
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const arg = colon < 0 ? '' : text.slice(colon + 1);
  if (kind === 'option') {
    const code = parseOptionKey(arg);
    return typeof code === 'string' ? code : { from: 'option', code };
  }
  if (kind === 'header' && arg !== '') return { from: 'header', name: arg.toLowerCase() };
  if (kind === 'body' && arg !== '') {
    try {
      new RegExp(arg);
    } catch (e) {
      return `invalid regular expression ${JSON.stringify(arg)}: ${(e as Error).message}`;
    }
    return { from: 'body', pattern: arg };
  }
  return `expected a source (${SAVE_HINT}), found ${JSON.stringify(text)}${didYouMean(text, SAVE_FIELDS)}`;
}

export const saveField = custom((v, report): Record<string, SaveSource> => {
  const out: Record<string, SaveSource> = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    report(`expected a map of variable name to source, e.g. { tftp-ip: "option:150" }, found ${describeValue(v)}`);
    return out;
  }
  for (const [name, src] of Object.entries(v)) {
    if (!VARIABLE_NAME_RE.test(name)) report(`expected a variable name (letters, digits, - _ . /), found ${JSON.stringify(name)}`, [name], true);
    else if (BUILTIN_VARIABLES.has(name)) report(`"${name}" is a built-in variable; save under another name`, [name], true);
    else if (typeof src !== 'string') report(`expected a source (${SAVE_HINT}), found ${describeValue(src)}`, [name]);
    else {
      const parsed = parseSaveSource(src);
      if (typeof parsed === 'string') report(parsed, [name]);
      else out[name] = parsed;
    }
  }
  return out;
});
