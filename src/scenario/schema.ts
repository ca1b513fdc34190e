/**
 * The scenario language of `pxecheck run`: zod schemas over the YAML shape, producing a normalized
 * `Scenario`. Messages are written for people (expected X, found Y, the fix); the loader adds the
 * `file:line:column` and maps issue paths back to YAML nodes.
 */
import { z } from 'zod';
import { DURATION_HINT, tryParseDuration } from './duration.js';
import { PERSONAS as CLIENT_PERSONAS } from './personas.js';
import { PERSONAS_V6 } from './personas-v6.js';
import { BUILTIN_VARIABLES, VARIABLE_NAME_RE } from './vars.js';
import { loadField, type LoadSettings } from './load-schema.js';

/** True when `path` ends at a key its parent map lacks (a required field left out). */
export function isMissingKey(root: unknown, path: readonly PropertyKey[]): boolean {
  let v = root;
  for (const k of path.slice(0, -1)) {
    if (v === null || typeof v !== 'object') return false;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(String(path[path.length - 1]) in v);
}

// ---------------------------------------------------------------------------------------------
// Suggestions

/** Levenshtein distance, small inputs only. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest candidate within a distance that still reads as a typo, or undefined. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  if (w.length >= 3) {
    const prefixed = candidates.find((c) => c.toLowerCase().startsWith(w));
    if (prefixed !== undefined && editDistance(w, prefixed.toLowerCase()) > 2) return prefixed;
  }
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
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

function didYouMean(found: string, allowed: readonly string[]): string {
  const s = suggest(found, allowed);
  if (s !== undefined) return `; did you mean "${s}"?`;
  return allowed.length <= 12 ? ` (allowed: ${allowed.join(', ')})` : ' (see docs/scenarios.md for the list)';
}

function unknownKeyMessage(keys: readonly string[], allowed: readonly string[]): string {
  return keys.map((k) => `unknown key "${k}"${didYouMean(k, allowed)}`).join('; ');
}

/** A strict object whose unknown-key message suggests the nearest allowed key. */
function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? unknownKeyMessage(iss.keys, allowed) : undefined),
  });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (iss) => {
      const found = iss.input;
      if (typeof found !== 'string') return `expected ${what}, found ${describeValue(found)}`;
      return `expected ${what}, found ${JSON.stringify(found)}${didYouMean(found, values)}`;
    },
  });
}

/** `atKey`: the problem is the key itself (unknown key), so point at the key, not its value. */
type Report = (message: string, path?: PropertyKey[], atKey?: boolean) => void;

/** A field parsed by hand so that its message can say exactly what was expected. */
function custom<T>(parse: (value: unknown, report: Report) => T) {
  return z.unknown().transform((value, ctx): T => {
    const report: Report = (message, path = [], atKey = false) =>
      ctx.issues.push({ code: 'custom', message, input: value, path, params: { atKey } });
    return parse(value, report);
  });
}

const hasVariable = (s: string): boolean => s.includes('${');

// ---------------------------------------------------------------------------------------------
// Durations, MACs, addresses

export const durationField = custom((v, report): number => {
  if (typeof v === 'string') {
    const ms = tryParseDuration(v);
    if (ms !== null) return ms;
    report(`expected ${DURATION_HINT}, found ${JSON.stringify(v)}`);
  } else if (typeof v === 'number') {
    report(`expected ${DURATION_HINT}, found the bare number ${v}; add a unit: "${v}ms" or "${v}s"`);
  } else {
    report(`expected ${DURATION_HINT}, found ${describeValue(v)}`);
  }
  return 0;
});

const MAC_RE = /^[0-9a-fA-F]{2}([:-])(?:[0-9a-fA-F]{2}\1){4}[0-9a-fA-F]{2}$/;
const MAC_HINT = 'a MAC like "52:54:00:00:00:10", a range "52:54:00:00:00:10-52:54:00:00:00:1f" or { mac: …, count: 16 }';

/** Canonical lower-case colon form, or null. */
export function parseMac(text: string): string | null {
  const t = text.trim();
  if (!MAC_RE.test(t)) return null;
  return t.toLowerCase().replace(/-/g, ':');
}

export function macToNumber(mac: string): number {
  return parseInt(mac.replace(/:/g, ''), 16);
}

export function numberToMac(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return hex.match(/../g)!.join(':');
}

/** One MAC or a consecutive block: the runner makes `count` clients starting at `first`. */
export interface MacRange {
  first: string;
  count: number;
}

/** The i-th MAC of a range. */
export function macAt(range: MacRange, i: number): string {
  return numberToMac(macToNumber(range.first) + i);
}

/** Clients one MAC range may make: load mode creates each client's state only when it arrives. */
export const MAX_CLIENTS_PER_RANGE = 1_000_000;

const macField = custom((v, report): MacRange => {
  const bad: MacRange = { first: '00:00:00:00:00:00', count: 0 };
  if (typeof v === 'string') {
    // A MAC is 17 characters, so a range's "-" comes right after the first one.
    const range = /^\s*(\S{17})\s*-\s*(\S+)\s*$/.exec(v);
    const [a, b] = range === null ? [v, undefined] : [range[1]!, range[2]!];
    const first = parseMac(a);
    if (first === null) {
      report(`expected ${MAC_HINT}, found ${JSON.stringify(v)}`);
      return bad;
    }
    if (b === undefined) return { first, count: 1 };
    const last = parseMac(b);
    if (last === null) {
      report(`expected the end of the MAC range to be a MAC like "52:54:00:00:00:1f", found ${JSON.stringify(b)}`);
      return bad;
    }
    const count = macToNumber(last) - macToNumber(first) + 1;
    if (count < 1) {
      report(`MAC range ${JSON.stringify(v)} ends before it starts; write the lower MAC first`);
      return bad;
    }
    if (count > MAX_CLIENTS_PER_RANGE) {
      report(`MAC range ${JSON.stringify(v)} holds ${count} clients; at most ${MAX_CLIENTS_PER_RANGE.toLocaleString('en-US')} are allowed`);
      return bad;
    }
    return { first, count };
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => k !== 'mac' && k !== 'count');
    if (extra.length > 0) {
      report(unknownKeyMessage(extra, ['mac', 'count']), [extra[0]!], true);
      return bad;
    }
    const first = typeof o['mac'] === 'string' ? parseMac(o['mac']) : null;
    if (first === null) {
      report(`expected a MAC like "52:54:00:00:00:10", found ${describeValue(o['mac'])}`, ['mac']);
      return bad;
    }
    const count = o['count'] ?? 1;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_CLIENTS_PER_RANGE) {
      report(`expected a whole number of clients from 1 to ${MAX_CLIENTS_PER_RANGE.toLocaleString('en-US')}, found ${describeValue(count)}`, ['count']);
      return bad;
    }
    return { first, count };
  }
  report(`expected ${MAC_HINT}, found ${describeValue(v)}`);
  return bad;
});

export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

/** `198.51.100.0/24` → network and prefix length, or null. */
export function parseCidr(text: string): { network: number; prefix: number } | null {
  const [addr, len, ...rest] = text.split('/');
  if (addr === undefined || len === undefined || rest.length > 0 || !/^\d{1,2}$/.test(len)) return null;
  const ip = parseIpv4(addr);
  const prefix = Number(len);
  if (ip === null || prefix > 32) return null;
  return { network: ip, prefix };
}

// ---------------------------------------------------------------------------------------------
// Personas and DHCP options

/** DHCPv6 personas (what each sends: personas-v6.ts). */
export const V6_PERSONAS = PERSONAS_V6;

/** Whether a persona speaks DHCPv6 (its steps are `dhcp6`/`ra`, not the DHCPv4 ones). */
export function isIpv6Persona(persona: string): boolean {
  return (V6_PERSONAS as readonly string[]).includes(persona);
}
/** Every persona a scenario may name; what each sends is in personas.ts. */
export const SCENARIO_PERSONAS = [...CLIENT_PERSONAS, ...V6_PERSONAS] as const;
export type ScenarioPersona = (typeof SCENARIO_PERSONAS)[number];

/** Option names accepted wherever an option number is. */
export const OPTION_ALIASES: Record<string, number> = {
  'subnet-mask': 1, router: 3, 'dns-server': 6, hostname: 12, 'domain-name': 15,
  'requested-address': 50, 'lease-time': 51, overload: 52, 'message-type': 53, 'server-id': 54,
  'parameter-list': 55, 'renewal-time': 58, 'rebinding-time': 59, 'vendor-class': 60, 'client-id': 61,
  'tftp-server-name': 66, 'bootfile-name': 67, 'user-class': 77, 'client-arch': 93, 'client-ndi': 94,
  uuid: 97, 'domain-search': 119, 'tftp-servers': 150, 'polycom-boot-server': 160, 'ipxe-encap': 175,
  'vendor-specific': 43,
};

/** Parse `67` or `bootfile-name` to a code; a string message when neither. */
export function parseOptionKey(key: string): number | string {
  if (/^\d+$/.test(key)) {
    const n = Number(key);
    if (n >= 1 && n <= 254) return n;
    return `expected an option number from 1 to 254, found ${key}`;
  }
  const code = OPTION_ALIASES[key];
  if (code !== undefined) return code;
  return `expected an option number (1-254) or name, found ${JSON.stringify(key)}${didYouMean(key, Object.keys(OPTION_ALIASES))}`;
}

/** A value a client sends in an option it overrides; null removes the option. */
export type OptionOverride = string | number | Array<string | number> | { hex: string } | null;

const optionOverrides = custom((v, report): Record<number, OptionOverride> => {
  const out: Record<number, OptionOverride> = {};
  if (v === undefined) return out;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    report(`expected a map of option number to value, e.g. { 60: "PXEClient", 93: 7 }, found ${describeValue(v)}`);
    return out;
  }
  for (const [key, value] of Object.entries(v)) {
    const code = parseOptionKey(key);
    if (typeof code === 'string') {
      report(code, [key], true);
      continue;
    }
    const scalar = (x: unknown): x is string | number => typeof x === 'string' || typeof x === 'number';
    if (value === null || scalar(value)) out[code] = value;
    else if (Array.isArray(value) && value.every(scalar)) out[code] = value;
    else if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).join() === 'hex' &&
      typeof (value as { hex: unknown }).hex === 'string' &&
      /^(?:[0-9a-fA-F]{2}[: ]?)*$/.test((value as { hex: string }).hex)) out[code] = value as { hex: string };
    else report(`expected a string, number, list, { hex: "0a0b" } or null (remove), found ${describeValue(value)}`, [key]);
  }
  return out;
});

// ---------------------------------------------------------------------------------------------
// Matchers

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

function checkRegex(pattern: string, report: Report, path: PropertyKey[]): void {
  if (hasVariable(pattern)) return;
  try {
    new RegExp(pattern);
  } catch (e) {
    report(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`, path);
  }
}

/** `2001:db8:1::/64` → address text and prefix length, or null. */
export function parseCidr6(text: string): { network: string; prefix: number } | null {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(text.trim());
  if (m === null || !m[1]!.includes(':') || Number(m[2]) > 128) return null;
  const groups = m[1]!.split('::');
  if (groups.length > 2 || !groups.every((g) => g === '' || g.split(':').every((w) => /^[0-9a-fA-F]{1,4}$/.test(w)))) return null;
  return { network: m[1]!, prefix: Number(m[2]) };
}

function checkCidr(text: string, report: Report, path: PropertyKey[]): void {
  if (!hasVariable(text) && parseCidr(text) === null && parseCidr6(text) === null) {
    report(`expected a subnet like "198.51.100.0/24" or "2001:db8:1::/64", found ${JSON.stringify(text)}`, path);
  }
}

function parseMatcher(v: unknown, report: Report, addressShorthand: boolean): ValueMatcher {
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

const valueMatcher = custom((v, report) => parseMatcher(v, report, false));
/** Address fields also take `198.51.100.0/24` as shorthand for in-subnet. */
const addressMatcher = custom((v, report) => parseMatcher(v, report, true));

const optionMatchers = custom((v, report): Record<number, ValueMatcher> => {
  const out: Record<number, ValueMatcher> = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    report(`expected a map of option number to matcher, e.g. { 67: ipxe.efi, 150: present }, found ${describeValue(v)}`);
    return out;
  }
  for (const [key, value] of Object.entries(v)) {
    const code = parseOptionKey(key);
    if (typeof code === 'string') report(code, [key], true);
    else out[code] = parseMatcher(value, (msg, path = [], atKey) => report(msg, [key, ...path], atKey), false);
  }
  return out;
});

/** A whole number, or a range. */
export interface NumberMatcher {
  equals?: number;
  min?: number;
  max?: number;
}

const numberMatcher = custom((v, report): NumberMatcher => {
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
const statusMatcher = custom((v, report): Array<number | string> => {
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

const sha256Field = custom((v, report): string => {
  if (typeof v === 'string' && (/^[0-9a-fA-F]{64}$/.test(v) || hasVariable(v))) return v.toLowerCase();
  report(`expected a sha256 as 64 hex digits, found ${describeValue(v)}`);
  return '';
});

const regexField = custom((v, report): string => {
  if (typeof v !== 'string') {
    report(`expected a regular expression as a string, found ${describeValue(v)}`);
    return '';
  }
  checkRegex(v, report, []);
  return v;
});

// ---------------------------------------------------------------------------------------------
// Expectations

export const MESSAGE_TYPES = ['offer', 'ack', 'nak', 'none'] as const;

export const dhcpExpectSchema = strict({
  type: oneOf(MESSAGE_TYPES, 'a DHCP reply type (offer, ack, nak, or none for no reply)').optional(),
  options: optionMatchers.optional(),
  siaddr: addressMatcher.optional(),
  yiaddr: addressMatcher.optional(),
  'next-server': addressMatcher.optional(),
  'server-id': addressMatcher.optional(),
  bootfile: valueMatcher.optional(),
  'lease-time': numberMatcher.optional(),
  offers: numberMatcher.optional(),
});

export const tftpExpectSchema = strict({
  /** false: the transfer must not finish (it stalls: a blksize above the path MTU); the timeout
   *  is then the expected outcome, not a failure. Default: it must finish. */
  complete: z.boolean().optional(),
  size: numberMatcher.optional(),
  sha256: sha256Field.optional(),
  tsize: numberMatcher.optional(),
  blksize: numberMatcher.optional(),
  error: z.union([z.boolean(), z.number().int()]).optional(),
});

export const httpExpectSchema = strict({
  status: statusMatcher.optional(),
  body: regexField.optional(),
  size: numberMatcher.optional(),
  sha256: sha256Field.optional(),
  headers: z.record(z.string(), valueMatcher).optional(),
});

export const ipxeScriptExpectSchema = strict({
  status: statusMatcher.optional(),
  fetches: numberMatcher.optional(),
  fetched: z.array(regexField).optional(),
  boots: z.boolean().optional(),
  errors: numberMatcher.optional(),
});

/** DHCPv6 status names (RFC 8415 §21.13) accepted in `status:`; numbers work too. */
export const DHCP6_STATUS_NAMES = ['Success', 'UnspecFail', 'NoAddrsAvail', 'NoBinding', 'NotOnLink', 'UseMulticast', 'NoPrefixAvail'] as const;

/** DHCPv6 option names accepted wherever an option number is (RFC 8415, RFC 5970). */
export const OPTION6_ALIASES: Record<string, number> = {
  'client-id': 1, 'server-id': 2, 'ia-na': 3, 'oro': 6, preference: 7, 'elapsed-time': 8, 'status-code': 13,
  'rapid-commit': 14, 'user-class': 15, 'vendor-class': 16, 'vendor-opts': 17, 'interface-id': 18, 'dns-servers': 23,
  'domain-search': 24, 'remote-id': 37, 'bootfile-url': 59, 'bootfile-param': 60, 'client-arch-type': 61, nii: 62,
};

const option6Matchers = custom((v, report): Record<number, ValueMatcher> => {
  const out: Record<number, ValueMatcher> = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    report(`expected a map of DHCPv6 option number to matcher, e.g. { 59: present, 16: absent }, found ${describeValue(v)}`);
    return out;
  }
  for (const [key, value] of Object.entries(v)) {
    let code: number | undefined;
    if (/^\d+$/.test(key) && Number(key) >= 1 && Number(key) <= 65535) code = Number(key);
    else code = OPTION6_ALIASES[key];
    if (code === undefined) report(`expected a DHCPv6 option number (1-65535) or name, found ${JSON.stringify(key)}${didYouMean(key, Object.keys(OPTION6_ALIASES))}`, [key], true);
    else out[code] = parseMatcher(value, (msg, path = [], atKey) => report(msg, [key, ...path], atKey), false);
  }
  return out;
});

export const DHCP6_REPLY_TYPES = ['advertise', 'reply', 'none'] as const;

export const dhcp6ExpectSchema = strict({
  type: oneOf(DHCP6_REPLY_TYPES, 'a DHCPv6 reply type (reply, advertise, or none for no reply)').optional(),
  status: valueMatcher.optional(),
  address: addressMatcher.optional(),
  'bootfile-url': valueMatcher.optional(),
  'bootfile-param': valueMatcher.optional(),
  'vendor-class': valueMatcher.optional(),
  options: option6Matchers.optional(),
  advertises: numberMatcher.optional(),
  'rapid-commit': z.boolean().optional(),
  'valid-lifetime': numberMatcher.optional(),
});

export const raExpectSchema = strict({
  managed: z.boolean().optional(),
  other: z.boolean().optional(),
  lifetime: numberMatcher.optional(),
  preference: oneOf(['high', 'medium', 'low'], 'high, medium or low').optional(),
  /** Prefixes as "2001:db8:1::/64": equals = the whole set, matches/present per text. */
  prefix: valueMatcher.optional(),
  routers: numberMatcher.optional(),
});

export type Dhcp6Expect = z.output<typeof dhcp6ExpectSchema>;
export type RaExpect = z.output<typeof raExpectSchema>;
export type DhcpExpect = z.output<typeof dhcpExpectSchema>;
export type TftpExpect = z.output<typeof tftpExpectSchema>;
export type HttpExpect = z.output<typeof httpExpectSchema>;
export type IpxeScriptExpect = z.output<typeof ipxeScriptExpectSchema>;
export type StepExpect = DhcpExpect | TftpExpect | HttpExpect | IpxeScriptExpect | Dhcp6Expect | RaExpect;

// ---------------------------------------------------------------------------------------------
// save: variables a step adds

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

const saveField = custom((v, report): Record<string, SaveSource> => {
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

// ---------------------------------------------------------------------------------------------
// Steps

const common = {
  name: z.string().optional(),
  within: durationField.optional(),
  save: saveField.optional(),
};

const nonEmpty = z.string().min(1, { error: 'expected a non-empty string' });
const port = z.number().int().min(1).max(65535);

export const STEP_BODIES = {
  dhcp: strict({
    ...common,
    'offer-window': durationField.optional(),
    /** A remembered address asked for first (INIT-REBOOT, RFC 2131 §3.2); a NAK restarts DORA. */
    'init-reboot': nonEmpty.optional(),
    prefer: oneOf(['proxy', 'address'], 'proxy or address').optional(),
    options: optionOverrides.optional(),
    expect: dhcpExpectSchema.optional(),
  }),
  proxydhcp: strict({ ...common, server: nonEmpty.optional(), port: port.optional(), expect: dhcpExpectSchema.optional() }),
  request: strict({ ...common, address: nonEmpty, 'server-id': nonEmpty.optional(), expect: dhcpExpectSchema.optional() }),
  renew: strict({ ...common, expect: dhcpExpectSchema.optional() }),
  rebind: strict({ ...common, expect: dhcpExpectSchema.optional() }),
  release: strict({ ...common, expect: dhcpExpectSchema.optional() }),
  decline: strict({ ...common, address: nonEmpty.optional(), expect: dhcpExpectSchema.optional() }),
  inform: strict({ ...common, address: nonEmpty.optional(), expect: dhcpExpectSchema.optional() }),
  tftp: strict({
    ...common,
    file: nonEmpty,
    server: nonEmpty.optional(),
    blksize: z.number().int().min(8).max(65464).optional(),
    tsize: z.boolean().optional(),
    windowsize: z.number().int().min(1).max(65535).optional(),
    timeout: durationField.optional(),
    probe: z.boolean().optional(),
    expect: tftpExpectSchema.optional(),
  }),
  http: strict({
    ...common,
    url: nonEmpty,
    method: oneOf(['GET', 'HEAD'], 'GET or HEAD').optional(),
    headers: z.record(z.string(), z.string()).optional(),
    expect: httpExpectSchema.optional(),
  }),
  'ipxe-script': strict({
    ...common,
    url: nonEmpty,
    'max-depth': z.number().int().min(1).max(16).optional(),
    fetch: z.boolean().optional(),
    expect: ipxeScriptExpectSchema.optional(),
  }),
  dhcp6: strict({
    ...common,
    operation: oneOf(['sarr', 'confirm', 'renew', 'rebind', 'release', 'information-request'], 'a DHCPv6 operation (sarr, confirm, renew, rebind, release, information-request)').optional(),
    'rapid-commit': z.boolean().optional(),
    /** Random wait before the first Solicit, at most this (RFC 8415 SOL_MAX_DELAY is 1s; default 0). */
    'solicit-delay': durationField.optional(),
    expect: dhcp6ExpectSchema.optional(),
  }),
  ra: strict({
    ...common,
    /** Send a router solicitation first (default true), else wait for an unsolicited RA. */
    solicit: z.boolean().optional(),
    /** Keep listening this long after the first RA (to count routers and see conflicts). */
    collect: durationField.optional(),
    expect: raExpectSchema.optional(),
  }),
  become: strict({ ...common, persona: oneOf(SCENARIO_PERSONAS, `a persona (${SCENARIO_PERSONAS.join(', ')})`), options: optionOverrides.optional() }),
  sleep: strict({ name: z.string().optional(), for: durationField }),
} as const;

export type StepKind = keyof typeof STEP_BODIES;
export const STEP_KINDS = Object.keys(STEP_BODIES) as StepKind[];

/** Step kinds whose single-key form also takes a scalar: `- become: ipxe`, `- sleep: 2s`. */
const SCALAR_FIELD: Partial<Record<StepKind, string>> = { become: 'persona', sleep: 'for' };
/** Step kinds with no required field, so a bare `- renew` works. */
const BARE_OK = new Set<StepKind>(['dhcp', 'proxydhcp', 'renew', 'rebind', 'release', 'decline', 'inform', 'dhcp6', 'ra']);

/** Where a step sits in the file; set by the loader. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

type StepOf<K extends StepKind> = { kind: K; at?: SourcePos } & z.output<(typeof STEP_BODIES)[K]>;
export type Step = { [K in StepKind]: StepOf<K> }[StepKind];

const stepField = custom((v, report): Step => {
  let kind: string;
  let body: unknown;
  if (typeof v === 'string') {
    kind = v;
    body = {};
  } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v);
    if (keys.length !== 1) {
      report(keys.length === 0
        ? `expected a step like "- dhcp: { within: 5s }", found an empty map`
        : `expected one step kind per list item, found ${keys.length} keys (${keys.join(', ')}); indent the step's fields under its kind, or start a new "- " item`);
      return { kind: 'sleep', for: 0 };
    }
    kind = keys[0]!;
    body = (v as Record<string, unknown>)[kind];
  } else {
    report(`expected a step (${STEP_KINDS.join(', ')}), found ${describeValue(v)}`);
    return { kind: 'sleep', for: 0 };
  }
  if (!(STEP_KINDS as string[]).includes(kind)) {
    report(`unknown step "${kind}"${didYouMean(kind, STEP_KINDS)}`, typeof v === 'string' ? [] : [kind], true);
    return { kind: 'sleep', for: 0 };
  }
  const k = kind as StepKind;
  const scalarField = SCALAR_FIELD[k];
  let scalarForm = false;
  if (body === null || body === undefined) {
    if (!BARE_OK.has(k)) {
      report(`step "${k}" needs its fields, e.g. ${k === 'tftp' ? '"- tftp: { file: ipxe.efi }"' : k === 'sleep' ? '"- sleep: 2s"' : k === 'become' ? '"- become: ipxe"' : `"- ${k}: { url: … }"`}`, typeof v === 'string' ? [] : [k]);
      return { kind: 'sleep', for: 0 };
    }
    body = {};
  } else if (scalarField !== undefined && typeof body !== 'object') {
    body = { [scalarField]: body };
    scalarForm = true;
  }
  const r = STEP_BODIES[k].safeParse(body, { reportInput: true });
  if (!r.success) {
    for (const iss of r.error.issues) {
      // A scalar shorthand has no nested node: point at the scalar itself.
      if (scalarForm) report(iss.message, [k]);
      else if (iss.code === 'unrecognized_keys') report(iss.message, [k, ...iss.path, iss.keys[0]!], true);
      else if (iss.input === undefined && iss.path.length > 0 && isMissingKey(body, iss.path)) {
        report(`missing required key "${String(iss.path[iss.path.length - 1])}"`, [k, ...iss.path.slice(0, -1)]);
      } else report(humanIssueMessage(iss, iss.input), [k, ...iss.path], iss.code === 'custom' && iss.params?.['atKey'] === true);
    }
    return { kind: 'sleep', for: 0 };
  }
  return { kind: k, ...r.data } as Step;
});

// ---------------------------------------------------------------------------------------------
// Clients and the scenario

export const clientSchema = strict({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'expected a name of letters, digits, "-", "_" or "."' }).optional(),
  persona: oneOf(SCENARIO_PERSONAS, `a persona (${SCENARIO_PERSONAS.join(', ')})`),
  mac: macField,
  hostname: z.string().optional(),
  options: optionOverrides.optional(),
  /** Load mode: this group's share of the arrivals (default: its number of MACs). */
  weight: z.number().positive({ error: 'expected a weight above 0' }).optional(),
  steps: z.array(stepField).min(1, { error: 'expected at least one step' }),
});

/** Servers the built-in lab can run (src/lab/labctl.ts LAB_SERVERS; run-lab.ts checks they agree). */
export const SCENARIO_LAB_SERVERS = ['dnsmasq', 'kea', 'isc-dhcpd'] as const;

/**
 * `lab:` — what the built-in lab needs to play this scenario (`run --lab`, or `run` with no transport):
 * `server` is the DHCP server picked when the user names none (`reason`: why, shown when they name
 * another); `proxy` runs dnsmasq as proxyDHCP on ${server} beside Kea handing out addresses. Ignored when the run aims at a real server.
 */
export const scenarioLabSchema = strict({
  server: oneOf(SCENARIO_LAB_SERVERS, `a lab server (${SCENARIO_LAB_SERVERS.join(', ')})`).optional(),
  proxy: z.boolean().optional(),
  /** Why this server: printed when the user runs the scenario against another one. */
  reason: z.string().optional(),
  /** The MTU of the client's switch port in the lab (server and client stay at 1500): a real MTU
   *  mismatch, for "big files hang" scenarios (a blksize above it must stall). */
  mtu: z.number().int().min(576, { error: 'expected an MTU of at least 576 (the IPv4 minimum)' }).max(9000, { error: 'expected an MTU of at most 9000 (jumbo frames)' }).optional(),
});
export type ScenarioLab = z.output<typeof scenarioLabSchema>;

export const scenarioSchema = strict({
  name: z.string().optional(),
  description: z.string().optional(),
  lab: scenarioLabSchema.optional(),
  budget: durationField,
  /** Largest IP packet the runner sends (raw mode): bigger UDP datagrams go out fragmented. */
  mtu: z.number().int().min(576, { error: 'expected an MTU of at least 576 (the IPv4 minimum)' }).max(65535).optional(),
  vars: z.record(z.string().regex(VARIABLE_NAME_RE), z.union([z.string(), z.number()]).transform(String)).optional(),
  clients: z.array(clientSchema).min(1, { error: 'expected at least one client' }),
  /** Boot storm settings (docs/load.md). */
  load: loadField.optional(),
});

export interface Client {
  name: string;
  persona: ScenarioPersona;
  mac: MacRange;
  hostname?: string;
  options: Record<number, OptionOverride>;
  steps: Step[];
  at?: SourcePos;
  /** Load mode: share of the arrivals (default: the MAC count). */
  weight?: number;
}

export interface Scenario {
  /** The file it came from (as given). */
  file: string;
  name: string;
  description?: string;
  /** Overall budget for the whole run, milliseconds. */
  budgetMs: number;
  /** `mtu:` — largest IP packet sent in raw mode (default 1500). */
  mtu?: number;
  /** Scenario-wide variables (the `vars:` map). */
  vars: Record<string, string>;
  clients: Client[];
  /** What the built-in lab needs for it (the `lab:` map). */
  lab?: ScenarioLab;
  /** Boot storm settings (the `load:` map): run in load mode. */
  load?: LoadSettings;
}

/** How a step is named in run-time messages: `client pc1, step 2 "fetch" (x.yaml:22:9)`. */
export function stepLabel(client: Pick<Client, 'name'>, step: Step, index: number): string {
  const at = step.at === undefined ? '' : ` (${step.at.file}:${step.at.line}:${step.at.col})`;
  return `client ${client.name}, step ${index + 1} "${step.name ?? step.kind}"${at}`;
}

export type ScenarioInput = z.output<typeof scenarioSchema>;
