import { describe, expect, it } from 'vitest';
import type { BootStep } from '../flow/types.js';
import { FleetSummary } from './fleet.js';
import type { Analysis, ClientReport, Outcome } from './types.js';

/** A device with just what the fleet reads. */
function device(mac: string, outcome: Outcome, o: { ttbp?: number; cause?: string; servers?: string[]; arch?: string; vc?: string; role?: 'boot' | 'other' } = {}): ClientReport {
  const steps = (o.servers ?? []).map((server) => ({ kind: 'tftp', server }) as unknown as BootStep);
  return {
    mac, role: o.role ?? 'boot', roleReason: '', outcome, rootCause: (o.cause ?? null) as ClientReport['rootCause'],
    arch: null, archName: o.arch ?? null, vendorClass: o.vc ?? null, steps, attempts: [],
    timeToBootProgram: o.ttbp ?? null, booted: outcome === 'booted',
  };
}

function capture(file: string, clients: ClientReport[]): Analysis {
  return { file, packets: 10, clients, findings: [], summary: {} as Analysis['summary'] };
}

describe('FleetSummary', () => {
  it('sums boot devices per capture, site, server and platform; other clients apart', () => {
    const f = new FleetSummary();
    f.add(capture('sites/lyon/a.pcap', [
      device('m1', 'booted', { ttbp: 2, servers: ['s1'], arch: 'x64 UEFI', vc: 'PXEClient:Arch:00007' }),
      device('m2', 'failed', { ttbp: 4, cause: 'tftp.error', servers: ['s1', 's2'], arch: 'x64 UEFI', vc: 'PXEClient:Arch:00007' }),
      device('m3', 'not-a-boot', { role: 'other', servers: ['s1'] }),
    ]));
    f.addUnreadable();
    f.add(capture('sites/oslo/b.pcap', [
      device('m4', 'failed', { cause: 'dhcp.no-offer' }),
      device('m5', 'failed', { cause: 'tftp.error', servers: ['s2'], arch: 'x86 BIOS', vc: 'PXEClient:Arch:00000' }),
      device('m6', 'incomplete', { servers: ['s2'], arch: 'x86 BIOS', vc: 'PXEClient:Arch:00000' }),
    ]));
    const r = f.result();
    expect(r).toMatchObject({ captures: 2, unreadable: 1, packets: 20, otherClients: 1 });
    expect(r.total).toMatchObject({ clients: 5, booted: 1, failed: 3, incomplete: 1, bootSuccessRate: 0.2, medianTimeToBootProgram: 3, p95TimeToBootProgram: 4 });
    expect(r.total.topRootCauses).toEqual([{ code: 'tftp.error', devices: 2 }, { code: 'dhcp.no-offer', devices: 1 }]);
    expect(r.files.map((x) => [x.file, x.site, x.clients, x.otherClients, x.booted])).toEqual([['sites/lyon/a.pcap', 'lyon', 2, 1, 1], ['sites/oslo/b.pcap', 'oslo', 3, 0, 0]]);
    expect(r.sites.map((x) => [x.site, x.captures, x.clients])).toEqual([['lyon', 1, 2], ['oslo', 1, 3]]);
    // A device counts once under each server it used; the other client under none.
    expect(r.servers.map((x) => [x.server, x.clients, x.booted, x.failed])).toEqual([['s2', 3, 0, 2], ['s1', 2, 1, 1]]);
    expect(r.platforms.map((x) => [x.archName, x.vendor, x.clients])).toEqual([['x64 UEFI', 'PXEClient', 2], ['x86 BIOS', 'PXEClient', 2], [null, null, 1]]);
  });

  it('has no rate and no times without boot devices', () => {
    const f = new FleetSummary();
    f.add(capture('x.pcap', [device('m1', 'not-a-boot', { role: 'other' })]));
    const r = f.result();
    expect(r.total).toMatchObject({ clients: 0, bootSuccessRate: null, medianTimeToBootProgram: null, p95TimeToBootProgram: null, topRootCauses: [] });
    expect(r.sites).toEqual([expect.objectContaining({ site: null, captures: 1 })]);
  });
});
