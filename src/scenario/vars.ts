/**
 * `${name}` interpolation for scenario strings. Pure: the runner owns the variable map.
 * `$${` writes a literal `${`. Names are letters, digits, `-`, `_`, `.` and `/`.
 */
import { UnknownVariableError } from '../errors.js';
export { UnknownVariableError } from '../errors.js';

/** Always available: filled by the runner from the command line and the client's identity. */
export const CLIENT_VARIABLES = [
  'server', // the target given on the command line
  'client', // the client's name in the scenario
  'persona',
  'mac', // 52:54:00:00:0e:f1
  'mac-hyphen', // 52-54-00-00-0e-f1
  'mac-plain', // 525400000ef1
  'mac-upper-plain', // 525400000EF1 (Cisco SEP<MAC>.cnf.xml)
  'hostname',
] as const;

/** Learned from the last DHCP reply (dhcp, proxydhcp, request, renew, rebind, inform). */
export const DHCP_VARIABLES = [
  'yiaddr',
  'siaddr',
  'next-server', // siaddr, or option 66 when siaddr is 0.0.0.0
  'bootfile', // option 67, else the file field
  'server-id', // option 54
  'subnet-mask',
  'router',
  'lease-time',
  'tftp-server', // option 150 (first address) or 66
  'address', // DHCPv6: the IA_NA address
  'bootfile-url', // DHCPv6: option 59
] as const;

export const BUILTIN_VARIABLES: ReadonlySet<string> = new Set<string>([...CLIENT_VARIABLES, ...DHCP_VARIABLES]);

/** Step kinds after which the DHCP variables are defined. */
export const DHCP_LEARNING_STEPS: ReadonlySet<string> = new Set([
  'dhcp', 'proxydhcp', 'request', 'renew', 'rebind', 'inform', 'dhcp6',
]);

export const VARIABLE_NAME_RE = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
const REFERENCE_RE = /\$(\$?)\{([^}]*)\}/g;

export type VariableLookup = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

function lookup(vars: VariableLookup, name: string): string | undefined {
  return vars instanceof Map ? vars.get(name) : (vars as Readonly<Record<string, string>>)[name];
}

function names(vars: VariableLookup): Iterable<string> {
  return vars instanceof Map ? vars.keys() : Object.keys(vars);
}

/**
 * Replace every `${name}`. An unset name throws UnknownVariableError naming it and `where`
 * (e.g. `client pc1, step 3 "tftp ipxe.efi"`). `escape` post-processes each value (regex quoting).
 */
export function interpolate(
  template: string,
  vars: VariableLookup,
  where?: string,
  escape?: (value: string) => string,
): string {
  return template.replace(REFERENCE_RE, (whole, dollar: string, name: string) => {
    if (dollar === '$') return whole.slice(1);
    const value = lookup(vars, name);
    if (value === undefined) throw new UnknownVariableError(name, where, names(vars));
    return escape === undefined ? value : escape(value);
  });
}

/**
 * Interpolate every string inside a plain value (a step's fields), leaving the keys in `skip`
 * alone: `expect` is interpolated by `evaluate` (regexes need escaping) and `save` holds sources.
 */
export function interpolateDeep<T>(value: T, vars: VariableLookup, where?: string, skip: ReadonlySet<string> = DEEP_SKIP): T {
  if (typeof value === 'string') return interpolate(value, vars, where) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => interpolateDeep(v, vars, where, skip)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = skip.has(k) ? v : interpolateDeep(v, vars, where, skip);
    return out as T;
  }
  return value;
}

const DEEP_SKIP: ReadonlySet<string> = new Set(['expect', 'save', 'at']);

/** A reference found in a template: its name and character offset of the `$`. */
export interface VariableReference {
  name: string;
  offset: number;
}

/** Every `${name}` referenced by `template`, in order (escaped `$${` excluded). */
export function referencedVariables(template: string): string[] {
  return variableReferences(template).map((r) => r.name);
}

export function variableReferences(template: string): VariableReference[] {
  const out: VariableReference[] = [];
  for (const m of template.matchAll(REFERENCE_RE)) {
    if (m[1] === '$') continue;
    out.push({ name: m[2]!, offset: m.index });
  }
  return out;
}

/** Quote a value for use inside a RegExp source. */
export function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The MAC-derived client variables for a canonical `aa:bb:cc:dd:ee:ff` MAC. */
export function macVariables(mac: string): Record<'mac' | 'mac-hyphen' | 'mac-plain' | 'mac-upper-plain', string> {
  const lower = mac.toLowerCase();
  const plain = lower.replace(/:/g, '');
  return {
    mac: lower,
    'mac-hyphen': lower.replace(/:/g, '-'),
    'mac-plain': plain,
    'mac-upper-plain': plain.toUpperCase(),
  };
}
