/**
 * Severity by role: a device that is not booting (an OS, a printer on the boot VLAN) gets its
 * protocol problems reported as what they are for it, never as failed boots; the same holds for
 * the OS traffic of a boot client between its boots.
 */
import type { DeviceFacts } from '../flow/facts.js';
import type { FindingCode, Severity } from './catalogue.js';
import type { Finding } from './types.js';

/** What each boot-chain problem is worth for a client that is not booting. */
const FOR_OTHER: Partial<Record<FindingCode, Severity>> = {
  // No DHCPv6 server on an IPv4 network is normal for a printer or laptop.
  'dhcp6.no-advertise': 'info',
  'dhcp6.slow-advertise': 'info',
  // Web traffic of a laptop is none of a boot analyzer's business beyond a note.
  'http.error': 'info',
  'ipv6.boot-stall': 'info',
};

export function adjustForRole(d: DeviceFacts, out: Finding[], start: number): void {
  const osAttempts = new Set(d.attempts.filter((a) => a.entry === 'os').map((a) => a.index));
  for (let i = start; i < out.length; i++) {
    const f = out[i]!;
    const other = d.role === 'other' || (f.attempt !== null && osAttempts.has(f.attempt));
    if (!other) continue;
    f.pxeError = null;
    const s = FOR_OTHER[f.code];
    if (s !== undefined) f.severity = s;
    // A DHCP problem of an OS client is real, but it is no failed boot.
    else if (f.severity === 'error') f.severity = 'warning';
  }
}
