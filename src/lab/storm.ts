// The storm lab: a lab (`labUp`) whose client namespace also holds the relay address 198.18.0.1,
// with the server's route back to 198.18.0.0/15 (the RFC 2544 benchmarking range, inside the lab
// only), so clients relayed from there are leased from a range big enough for a boot storm. Kea and
// dnsmasq configs that hand out that range. The load-mode lab tests (test/load/storm-lab.ts) and
// bench/load-storm.mjs build their labs with it.
import { SERVER_ADDR, SERVER_IFACE } from './lab.js';
import { labDown, labUp, type LabInfo, type LabServerKind } from './labctl.js';
import { runOk } from './run.js';

/** The relay (giaddr) the storm's clients come from; the routers option of the storm subnet. */
export const STORM_RELAY = '198.18.0.1';
export const STORM_SUBNET = '198.18.0.0/15';
/** Kea subnet4 entries: the lab's own subnet and the storm range behind the relay. */
export const KEA_STORM_SUBNETS = [
  { id: 1, subnet: '198.51.100.0/24', pools: [{ pool: '198.51.100.100 - 198.51.100.200' }] },
  { id: 2, subnet: STORM_SUBNET, pools: [{ pool: '198.18.1.0 - 198.19.255.250' }], 'option-data': [{ name: 'routers', data: STORM_RELAY }] },
];
/** dnsmasq dhcp-range lines for the same two ranges. */
export const DNSMASQ_STORM_RANGES = ['dhcp-range=198.51.100.100,198.51.100.200,10m', 'dhcp-range=198.18.1.0,198.19.255.250,255.254.0.0,10m'];

/** Kea for a storm: memfile leases (in memory, or appended to `leaseFile` as granted and read back at start). */
export function keaStormConfig(leaseFile?: string): string {
  const leases = leaseFile === undefined ? { type: 'memfile', persist: false, 'lfc-interval': 0 } : { type: 'memfile', persist: true, name: leaseFile, 'lfc-interval': 0 };
  return JSON.stringify({
    Dhcp4: {
      'interfaces-config': { interfaces: [SERVER_IFACE], 'dhcp-socket-type': 'raw' },
      'lease-database': leases,
      'valid-lifetime': 600,
      'client-classes': [{ name: 'efi64', test: 'option[93].hex == 0x0007', 'boot-file-name': 'snponly.efi', 'next-server': SERVER_ADDR }],
      subnet4: KEA_STORM_SUBNETS,
      loggers: [{ name: 'kea-dhcp4', output_options: [{ output: 'stdout' }], severity: 'WARN', debuglevel: 0 }],
    },
  }, null, 2);
}

export interface DnsmasqStormOptions {
  /** The lease file; undefined: `leasefile-ro` (leases in memory only, forgotten at a restart). */
  readonly leaseFile: string | undefined;
  /** Authoritative dnsmasq ACKs a RENEW it has no lease for (re-creating it); otherwise it NAKs it. */
  readonly authoritative: boolean;
  readonly leaseMax: number;
}

/** dnsmasq for a storm: DHCP only (port=0), both ranges, snponly.efi from the lab's server. */
export function dnsmasqStormConfig(o: DnsmasqStormOptions): string {
  return [
    'port=0', `interface=${SERVER_IFACE}`, 'bind-interfaces', 'no-resolv', 'no-hosts', 'user=root', 'quiet-dhcp', 'no-ping',
    ...(o.authoritative ? ['dhcp-authoritative'] : []),
    o.leaseFile === undefined ? 'leasefile-ro' : `dhcp-leasefile=${o.leaseFile}`, `dhcp-lease-max=${o.leaseMax}`,
    ...DNSMASQ_STORM_RANGES,
    `dhcp-boot=snponly.efi,,${SERVER_ADDR}`, '',
  ].join('\n');
}

/** A fresh lab `name` running `server` with the config file `config`, plus the relay address and the route back. */
export async function stormLabUp(name: string, server: LabServerKind, config: string): Promise<LabInfo> {
  await labDown(name);
  const lab = await labUp({ name, server, config });
  runOk('ip', ['-n', lab.clientNs, 'addr', 'add', `${STORM_RELAY}/15`, 'dev', lab.relayIface]);
  runOk('ip', ['-n', lab.serverNs, 'route', 'add', STORM_SUBNET, 'dev', SERVER_IFACE]);
  return lab;
}
