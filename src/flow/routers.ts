/**
 * Routers seen advertising on each link: one entry per (link, router address), with each distinct
 * advertisement (flags, lifetimes, prefixes, DNS options) counted rather than listed per packet.
 */
import type { RouterAdvert } from '../wire/ndp.js';
import type { RaSummary, RouterInfo } from './types.js';

/** Bounds: a capture full of rogue RAs still costs little. */
const MAX_ROUTERS = 64;
const MAX_ADVERTS = 16;
const MAX_FRAMES = 4;
const MAX_LIST = 8;

export function raSummary(ra: RouterAdvert): RaSummary {
  const o = ra.options;
  return {
    managed: ra.managed,
    other: ra.other,
    routerLifetime: ra.routerLifetime,
    preference: ra.preference,
    mtu: o.mtu,
    prefixes: o.prefixes.slice(0, MAX_LIST).map((p) => ({
      prefix: p.prefix, length: p.length, onLink: p.onLink, autonomous: p.autonomous, valid: p.valid, preferred: p.preferred,
    })),
    rdnss: o.rdnss.slice(0, MAX_LIST),
    dnssl: o.dnssl.slice(0, MAX_LIST),
  };
}

/** Identity of an advertisement's content (two RAs with the same key are "the same advert"). */
export function advertKey(s: RaSummary): string {
  let k = `${s.managed ? 1 : 0}${s.other ? 1 : 0}|${s.routerLifetime}|${s.preference}|${s.mtu ?? ''}|`;
  for (const p of s.prefixes) k += `${p.prefix}/${p.length}:${p.onLink ? 'L' : ''}${p.autonomous ? 'A' : ''}:${p.valid}:${p.preferred},`;
  return `${k}|${s.rdnss.join(',')}|${s.dnssl.join(',')}`;
}

/** `2001:db8:1::/64` entries, sorted: the prefix set compared between routers. */
export function prefixSet(s: RaSummary): string[] {
  return s.prefixes.map((p) => `${p.prefix}/${p.length}`).sort();
}

interface RouterEntry {
  info: RouterInfo;
  keys: string[];
}

export class RouterTable {
  private readonly routers = new Map<string, RouterEntry>();

  /** Records one RA; returns the router's entry (null once the table is full). */
  note(vlans: number[], address: string, mac: string | null, time: number, frame: number, sum: RaSummary): RouterInfo | null {
    const id = `${vlans.join('.')}|${address}`;
    let r = this.routers.get(id);
    if (!r) {
      if (this.routers.size >= MAX_ROUTERS) return null;
      r = { info: { address, mac, vlans: vlans.slice(), adverts: [] }, keys: [] };
      this.routers.set(id, r);
    }
    r.info.mac ??= mac;
    const key = advertKey(sum);
    const i = r.keys.indexOf(key);
    if (i >= 0) {
      const a = r.info.adverts[i]!;
      a.count++;
      if (time > a.last) a.last = time;
      if (a.frames.length < MAX_FRAMES) a.frames.push(frame);
    } else if (r.keys.length < MAX_ADVERTS) {
      r.keys.push(key);
      r.info.adverts.push({ ...sum, first: time, last: time, count: 1, frames: [frame] });
    } else {
      // Full: the last entry stands for "and more".
      r.info.adverts[r.info.adverts.length - 1]!.count++;
    }
    return r.info;
  }

  list(): RouterInfo[] {
    return [...this.routers.values()].map((r) => r.info);
  }
}

/** `M=1 O=1` */
export function flagsText(a: { managed: boolean; other: boolean }): string {
  return `M=${a.managed ? 1 : 0} O=${a.other ? 1 : 0}`;
}

export function linkOf(vlans: readonly number[]): string {
  return vlans.join('.');
}
