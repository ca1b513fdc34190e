/**
 * Matchers of `expect:` values: present / absent / equals / not-equals / matches / in-subnet, number
 * ranges, HTTP statuses, sha256 and regular expressions.
 */
import { parseCidr, parseCidr6 } from '../address-text.js';
import { custom, hasVariable, type Report } from './fields.js';
import { describeValue, unknownKeyMessage } from './messages.js';


export type Scalar = string | number;

/** Every given test must hold. Strings may hold `${var}` (interpolated before evaluation). */
export interface ValueMatcher {
  present?: boolean;
  absent?: boolean;
  equals?: Scalar | Scalar[];
  notEquals?: Scalar | Scalar[];
  matches?: string;
  inSubnet?: string;
}

const MATCHER_KEYS = ['present', 'absent', 'equals', 'not-equals', 'matches', 'in-subnet'] as const;

export function checkRegex(pattern: string, report: Report, path: PropertyKey[]): void {
  if (hasVariable(pattern)) return;
  try {
    new RegExp(pattern);
  } catch (e) {
    report(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`, path);
  }
}

function checkCidr(text: string, report: Report, path: PropertyKey[]): void {
  if (!hasVariable(text) && parseCidr(text) === null && parseCidr6(text) === null) {
    report(`expected a subnet like "198.51.100.0/24" or "2001:db8:1::/64", found ${JSON.stringify(text)}`, path);
  }
}

export function parseMatcher(v: unknown, report: Report, addressShorthand: boolean): ValueMatcher {
  if (v === 'present') return { present: true };
  if (v === 'absent') return { absent: true };
  if (typeof v === 'string' && addressShorthand && v.includes('/')) {
    checkCidr(v, report, []);
    return { inSubnet: v };
  }
  if (typeof v === 'string' || typeof v === 'number') return { equals: v };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string' || typeof x === 'number')) return { equals: v as Scalar[] };
    report(`expected a list of strings or numbers, found a list holding ${describeValue(v.find((x) => typeof x !== 'string' && typeof x !== 'number'))}`);
    return {};
  }
  if (v === null || typeof v !== 'object') {
    report(`expected present, absent, a value, or { equals | matches | in-subnet: … }, found ${describeValue(v)}`);
    return {};
  }
  const o = v as Record<string, unknown>;
  const m: ValueMatcher = {};
  for (const [k, x] of Object.entries(o)) {
    switch (k) {
      case 'present':
      case 'absent':
        if (typeof x !== 'boolean') report(`expected true or false, found ${describeValue(x)}`, [k]);
        else m[k] = x;
        break;
      case 'equals':
      case 'not-equals': {
        const field = k === 'equals' ? 'equals' : 'notEquals';
        if (typeof x === 'string' || typeof x === 'number') m[field] = x;
        else if (Array.isArray(x) && x.every((e) => typeof e === 'string' || typeof e === 'number')) m[field] = x as Scalar[];
        else report(`expected a string, number or list to compare with, found ${describeValue(x)}`, [k]);
        break;
      }
      case 'matches':
        if (typeof x !== 'string') report(`expected a regular expression as a string, found ${describeValue(x)}`, [k]);
        else {
          checkRegex(x, report, [k]);
          m.matches = x;
        }
        break;
      case 'in-subnet':
        if (typeof x !== 'string') report(`expected a subnet like "198.51.100.0/24", found ${describeValue(x)}`, [k]);
        else {
          checkCidr(x, report, [k]);
          m.inSubnet = x;
        }
        break;
      default:
        report(unknownKeyMessage([k], MATCHER_KEYS), [k], true);
    }
  }
  return m;
}

export const valueMatcher = custom((v, report) => parseMatcher(v, report, false));
/** Address fields also take `198.51.100.0/24` as shorthand for in-subnet. */
export const addressMatcher = custom((v, report) => parseMatcher(v, report, true));

/** A whole number, or a range. */
export interface NumberMatcher {
  equals?: number;
  min?: number;
  max?: number;
}

export const numberMatcher = custom((v, report): NumberMatcher => {
  if (typeof v === 'number') return { equals: v };
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const m: NumberMatcher = {};
    for (const [k, x] of Object.entries(v)) {
      if (k !== 'min' && k !== 'max' && k !== 'equals') report(unknownKeyMessage([k], ['min', 'max', 'equals']), [k], true);
      else if (typeof x !== 'number') report(`expected a number, found ${describeValue(x)}`, [k]);
      else m[k] = x;
    }
    return m;
  }
  report(`expected a number or { min: …, max: … }, found ${describeValue(v)}`);
  return {};
});

/** HTTP statuses: 200, [200, 304] or "2xx". */
export const statusMatcher = custom((v, report): Array<number | string> => {
  const one = (x: unknown): number | string | null =>
    typeof x === 'number' && Number.isInteger(x) && x >= 100 && x <= 599 ? x
      : typeof x === 'string' && /^[1-5]xx$/.test(x) ? x
        : typeof x === 'string' && /^[1-5]\d\d$/.test(x) ? Number(x) : null;
  const list = Array.isArray(v) ? v : [v];
  const out: Array<number | string> = [];
  for (const x of list) {
    const s = one(x);
    if (s === null) report(`expected an HTTP status like 200, [200, 304] or "2xx", found ${describeValue(x)}`);
    else out.push(s);
  }
  return out;
});

export const sha256Field = custom((v, report): string => {
  if (typeof v === 'string' && (/^[0-9a-fA-F]{64}$/.test(v) || hasVariable(v))) return v.toLowerCase();
  report(`expected a sha256 as 64 hex digits, found ${describeValue(v)}`);
  return '';
});

export const regexField = custom((v, report): string => {
  if (typeof v !== 'string') {
    report(`expected a regular expression as a string, found ${describeValue(v)}`);
    return '';
  }
  checkRegex(v, report, []);
  return v;
});
