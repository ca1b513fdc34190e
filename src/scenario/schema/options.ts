/**
 * DHCP option keys in a scenario (`67` or `bootfile-name`; DHCPv6 `59` or `bootfile-url`): the
 * names are wire's one option name table (wire/dhcpv4/options.ts, wire/dhcpv6/names.ts), plus the
 * older spellings scenario files used before, still accepted so those files keep working.
 */
import { namedOptions, optionCode } from '../../wire/dhcpv4/index.js';
import { namedOptions as namedOptions6, optionCodeByKey } from '../../wire/dhcpv6/index.js';
import { custom } from './fields.js';
import { parseMatcher, type ValueMatcher } from './matchers.js';
import { describeValue } from './messages.js';
import { didYouMean } from './suggest.js';

/** Older DHCPv4 option spellings of the scenario language → the wire table's name. */
export const LEGACY_OPTION_NAMES: Readonly<Record<string, string>> = {
  'dns-server': 'domain-name-server', hostname: 'host-name', 'requested-address': 'requested-ip',
  'parameter-list': 'parameter-request-list', uuid: 'client-uuid', 'tftp-servers': 'tftp-server-address',
  'polycom-boot-server': 'provisioning-server',
};

/** Older DHCPv6 option spellings → the wire key (the registry's CLIENTID is `clientid`). */
export const LEGACY_OPTION6_NAMES: Readonly<Record<string, string>> = {
  'client-id': 'clientid', 'server-id': 'serverid', 'domain-search': 'domain-list',
};

/** Names a typo is compared with: the table's first (they win a tie), then the old spellings. */
const OPTION_KEYS = [...namedOptions().map((o) => o.name), ...Object.keys(LEGACY_OPTION_NAMES)];
const OPTION6_KEYS = [...namedOptions6().map((o) => o.key), ...Object.keys(LEGACY_OPTION6_NAMES)];

/** Parse `67` or `bootfile-name` to a code; a string message when neither. */
export function parseOptionKey(key: string): number | string {
  if (/^\d+$/.test(key)) {
    const n = Number(key);
    if (n >= 1 && n <= 254) return n;
    return `expected an option number from 1 to 254, found ${key}`;
  }
  const code = optionCode(LEGACY_OPTION_NAMES[key] ?? key);
  if (code !== undefined) return code;
  return `expected an option number (1-254) or name, found ${JSON.stringify(key)}${didYouMean(key, OPTION_KEYS)}`;
}

/** Parse `59` or `bootfile-url` to a DHCPv6 code; a string message when neither. */
export function parseOption6Key(key: string): number | string {
  if (/^\d+$/.test(key) && Number(key) >= 1 && Number(key) <= 65535) return Number(key);
  const code = optionCodeByKey(LEGACY_OPTION6_NAMES[key] ?? key);
  if (code !== undefined) return code;
  return `expected a DHCPv6 option number (1-65535) or name, found ${JSON.stringify(key)}${didYouMean(key, OPTION6_KEYS)}`;
}

/** A value a client sends in an option it overrides; null removes the option. */
export type OptionOverride = string | number | Array<string | number> | { hex: string } | null;

export const optionOverrides = custom((v, report): Record<number, OptionOverride> => {
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

/** `{ <option key>: matcher }`, the keys read by `parseKey` (DHCPv4 or DHCPv6). */
function optionMatcherMap(parseKey: (key: string) => number | string, what: string) {
  return custom((v, report): Record<number, ValueMatcher> => {
    const out: Record<number, ValueMatcher> = {};
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      report(`expected a map of ${what}, found ${describeValue(v)}`);
      return out;
    }
    for (const [key, value] of Object.entries(v)) {
      const code = parseKey(key);
      if (typeof code === 'string') report(code, [key], true);
      else out[code] = parseMatcher(value, (msg, path = [], atKey) => report(msg, [key, ...path], atKey), false);
    }
    return out;
  });
}

export const optionMatchers = optionMatcherMap(parseOptionKey, 'option number to matcher, e.g. { 67: ipxe.efi, 150: present }');
export const option6Matchers = optionMatcherMap(parseOption6Key, 'DHCPv6 option number to matcher, e.g. { 59: present, 16: absent }');
