/**
 * IPv4/IPv6 addresses and subnets as a scenario writes them (text). Not wire's byte parsers:
 * these read what a person typed in a matcher such as `in-subnet: 198.51.100.0/24`.
 */

/** `198.51.100.7` → the address as a number, or null. */
export function parseIpv4Text(text: string): number | null {
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
  const ip = parseIpv4Text(addr);
  const prefix = Number(len);
  if (ip === null || prefix > 32) return null;
  return { network: ip, prefix };
}

/** `2001:db8:1::/64` → address text and prefix length, or null. */
export function parseCidr6(text: string): { network: string; prefix: number } | null {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(text.trim());
  if (m === null || !m[1]!.includes(':') || Number(m[2]) > 128) return null;
  const groups = m[1]!.split('::');
  if (groups.length > 2 || !groups.every((g) => g === '' || g.split(':').every((w) => /^[0-9a-fA-F]{1,4}$/.test(w)))) return null;
  return { network: m[1]!, prefix: Number(m[2]) };
}
