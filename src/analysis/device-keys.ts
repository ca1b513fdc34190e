/**
 * How devices are grouped across captures (the fleet summary and the rows): the site a capture
 * belongs to, the vendor a vendor class names, the servers a device talked to.
 */
import { basename, dirname } from 'node:path';
import type { BootStep } from '../flow/types.js';

/** The folder a capture sits in (`sites/lyon/x.pcap` → `lyon`), null for a bare name or a merge. */
export function siteOf(file: string): string | null {
  const dir = dirname(file);
  if (dir === '.' || dir === '/' || file.includes(' + ')) return null;
  return basename(dir);
}

/** The vendor class up to its first colon (PXEClient, HTTPClient, `Cisco Systems, Inc. IP Phone CP-8841`). */
export function vendorOf(vendorClass: string | null): string | null {
  if (vendorClass === null) return null;
  const i = vendorClass.indexOf(':');
  const v = (i < 0 ? vendorClass : vendorClass.slice(0, i)).trim();
  return v === '' ? null : v;
}

/** Servers of the steps (DHCP, proxyDHCP, DHCPv6, TFTP, HTTP; not routers), first seen first. */
export function serversOf(steps: readonly BootStep[]): string[] {
  const out: string[] = [];
  for (const s of steps) {
    const v = s.kind === 'ra' ? null : s.server;
    if (v !== null && !out.includes(v)) out.push(v);
  }
  return out;
}
