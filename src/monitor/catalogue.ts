/**
 * The metrics `capture --metrics` exports: the one place their names, help, labels and buckets are
 * defined (the Prometheus adapter builds them from this table; docs and the Grafana dashboard are
 * checked against it). Prefix `pxecheck_`, units in names, counters end in `_total`.
 */

/** Step latency buckets, seconds: a DORA on a LAN takes milliseconds, a PXE client waits seconds
 *  for offers, a kernel over TFTP takes tens of seconds. */
export const STEP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];
/** Time from the first packet of a boot attempt to its boot-program fetch, seconds. */
export const BOOT_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300];

interface Def {
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  labels: readonly string[];
  buckets?: readonly number[];
}

export const METRICS = {
  pxecheck_boot_attempts_started_total: { type: 'counter', help: 'Boot attempts seen starting, by boot entry (pxe4, pxe6, http4, http6, ipxe, phone, provision, transfer)', labels: ['entry'] },
  pxecheck_boot_attempts_finished_total: { type: 'counter', help: 'Boot attempts finished, by boot entry, outcome (booted, failed, incomplete, not-a-boot) and furthest stage reached', labels: ['entry', 'outcome', 'stage'] },
  pxecheck_boot_root_causes_total: { type: 'counter', help: 'Failed boot attempts by the finding code of their root cause', labels: ['code'] },
  pxecheck_findings_total: { type: 'counter', help: 'Findings by code and severity', labels: ['code', 'severity'] },
  pxecheck_steps_total: { type: 'counter', help: 'Boot-chain steps finished, by kind and result (ok, failed, unfinished)', labels: ['kind', 'result'] },
  pxecheck_step_duration_seconds: { type: 'histogram', help: 'Duration of the boot-chain steps that succeeded, by kind (dora, proxydhcp, dhcpv6, ra, tftp, http)', labels: ['kind'], buckets: STEP_BUCKETS },
  pxecheck_time_to_boot_program_seconds: { type: 'histogram', help: 'Seconds from the first packet of a finished boot attempt to its boot-program fetch', labels: [], buckets: BOOT_BUCKETS },
  pxecheck_dhcp_messages_total: { type: 'counter', help: 'DHCP messages seen, by protocol version (4, 6), message type and server (the sender of a server message, the server a client message names, else empty)', labels: ['version', 'type', 'server'] },
  pxecheck_dhcp_offers_total: { type: 'counter', help: 'Offers by server: DHCPv4 OFFERs with an address (kind dhcp4), proxyDHCP offers (proxydhcp), DHCPv6 ADVERTISEs (dhcpv6)', labels: ['kind', 'server'] },
  pxecheck_tftp_bytes_total: { type: 'counter', help: 'TFTP payload bytes of finished transfers, by direction (download, upload)', labels: ['direction'] },
  pxecheck_tftp_retransmissions_total: { type: 'counter', help: 'TFTP packets sent again in finished transfers', labels: [] },
  pxecheck_http_bytes_total: { type: 'counter', help: 'HTTP body bytes of finished boot fetches', labels: [] },
  pxecheck_capture_packets_received_total: { type: 'counter', help: 'Packets libpcap received, by interface (pcap_stats ps_recv)', labels: ['interface'] },
  pxecheck_capture_packets_dropped_total: { type: 'counter', help: 'Packets dropped, by interface and where (kernel: ring buffer full, ps_drop; interface: the driver, ps_ifdrop)', labels: ['interface', 'by'] },
  pxecheck_devices: { type: 'gauge', help: 'Devices in the current analysis window, by role (boot, other)', labels: ['role'] },
  pxecheck_build_info: { type: 'gauge', help: 'Always 1; the pxecheck version and the events schema as labels', labels: ['version', 'events_schema'] },
} as const satisfies Record<string, Def>;

export type MetricName = keyof typeof METRICS;
export type CounterName = { [K in MetricName]: (typeof METRICS)[K]['type'] extends 'counter' ? K : never }[MetricName];
export type GaugeName = { [K in MetricName]: (typeof METRICS)[K]['type'] extends 'gauge' ? K : never }[MetricName];
export type HistogramName = { [K in MetricName]: (typeof METRICS)[K]['type'] extends 'histogram' ? K : never }[MetricName];
export type Labels = Readonly<Record<string, string>>;

/** Where the pure monitor sends its increments (the Prometheus adapter, or a test's recorder). */
export interface MetricSink {
  inc(name: CounterName, labels: Labels, value?: number): void;
  set(name: GaugeName, labels: Labels, value: number): void;
  observe(name: HistogramName, labels: Labels, value: number): void;
}

/** Names a scrape shows for a metric (histograms as their `_bucket`, `_sum`, `_count` series). */
export function exportedSeriesNames(): string[] {
  const out: string[] = [];
  for (const [name, def] of Object.entries(METRICS) as [MetricName, Def][]) {
    if (def.type === 'histogram') out.push(`${name}_bucket`, `${name}_sum`, `${name}_count`);
    else out.push(name);
  }
  return out;
}
