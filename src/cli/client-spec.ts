/**
 * `--client` values as engineers paste them: a MAC in any common spelling, an IP address, or the
 * `ip:ADDR` name the report gives a device known only by its address. Pure.
 */
import { isIP } from 'node:net';
import { UsageError } from './exit-codes.js';

export type ClientSpec = { kind: 'mac'; mac: string } | { kind: 'ip'; addr: string };

/**
 * `aa:bb:cc:dd:ee:ff`, `AA-BB-…`, `0:1b:…`, Cisco `aabb.ccdd.eeff` or `aabbccddeeff` → `aa:bb:cc:dd:ee:ff`;
 * null when it is none of these.
 */
export function macOrNull(raw: string): string | null {
  const s = raw.trim().toLowerCase();
  let groups: string[] | null = null;
  if (/^[0-9a-f]{12}$/.test(s)) groups = s.match(/../g);
  else if (/^[0-9a-f]{4}(\.[0-9a-f]{4}){2}$/.test(s)) groups = s.replace(/\./g, '').match(/../g);
  else if (/^[0-9a-f]{1,2}([:-][0-9a-f]{1,2}){5}$/.test(s)) groups = s.split(/[:-]/);
  return groups ? groups.map((g) => g.padStart(2, '0')).join(':') : null;
}

/** One spelling of an IP address per address (IPv6 compressed, lower case), so text compares. */
export function canonicalIp(addr: string): string {
  if (isIP(addr) !== 6) return addr;
  return new URL(`http://[${addr}]/`).hostname.slice(1, -1);
}

/** Parses one `--client` value; throws UsageError naming the accepted forms. */
export function parseClientSpec(raw: string): ClientSpec {
  const s = raw.trim();
  const mac = macOrNull(s);
  if (mac !== null) return { kind: 'mac', mac };
  const ip = s.toLowerCase().startsWith('ip:') ? s.slice(3) : s;
  if (isIP(ip) !== 0) return { kind: 'ip', addr: canonicalIp(ip) };
  throw new UsageError(
    `--client: "${raw}" is not a MAC or IP address (expected aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff, aabbccddeeff, an IP address or ip:ADDR)`,
  );
}

/** Every `--client` (repeatable; commas also separate), or null when none was given. */
export function parseClientSpecs(raw: unknown): ClientSpec[] | null {
  if (raw === undefined || raw === null) return null;
  const items = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(',')).map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === '')) throw new UsageError('--client needs a value: a MAC or IP address');
  return items.map(parseClientSpec);
}

/** `aa:bb:…` or `ip:ADDR`, as the report names devices. */
export function clientSpecText(c: ClientSpec): string {
  return c.kind === 'mac' ? c.mac : c.addr;
}
