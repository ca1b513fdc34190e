/**
 * zod issues as sentences for people: expected what, found what. The loader adds `file:line:col`.
 */
import type { z } from 'zod';
import { didYouMean } from './suggest.js';

/** True when `path` ends at a key its parent map lacks (a required field left out). */
export function isMissingKey(root: unknown, path: readonly PropertyKey[]): boolean {
  let v = root;
  for (const k of path.slice(0, -1)) {
    if (v === null || typeof v !== 'object') return false;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(String(path[path.length - 1]) in v);
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  return 'a map';
}

const ARTICLE: Record<string, string> = {
  string: 'a string', number: 'a number', int: 'a whole number', boolean: 'true or false', object: 'a map',
  array: 'a list', record: 'a map',
};

/** A zod issue as a sentence that says expected what, found what. */
export function humanIssueMessage(iss: z.core.$ZodIssue, value: unknown): string {
  switch (iss.code) {
    case 'invalid_type':
      return `expected ${ARTICLE[iss.expected] ?? iss.expected}, found ${describeValue(value)}`;
    case 'too_small':
      if (iss.origin === 'number') return `expected at least ${String(iss.minimum)}, found ${describeValue(value)}`;
      break;
    case 'too_big':
      if (iss.origin === 'number') return `expected at most ${String(iss.maximum)}, found ${describeValue(value)}`;
      break;
    case 'invalid_format':
      return iss.message.startsWith('expected') ? `${iss.message}, found ${describeValue(value)}` : iss.message;
    default:
      break;
  }
  return iss.message;
}

export function unknownKeyMessage(keys: readonly string[], allowed: readonly string[]): string {
  return keys.map((k) => `unknown key "${k}"${didYouMean(k, allowed)}`).join('; ');
}
