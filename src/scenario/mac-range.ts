/** MAC addresses as text and the arithmetic of a MAC range (`count` clients from `first`). */

const MAC_RE = /^[0-9a-fA-F]{2}([:-])(?:[0-9a-fA-F]{2}\1){4}[0-9a-fA-F]{2}$/;

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
