// The live monitor held to the analysis: replaying lab captures with a snapshot every second (as
// `capture` does live), every step, attempt and finding is emitted once, and the counters agree
// with the analysis of the whole file and with tshark (DHCP messages and offers per server).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Analysis } from '../analysis/types.js';
import { CAPTURES } from '../../test/helpers/paths.js';
import { hasTshark, tsharkFields } from '../../test/helpers/tshark.js';
import type { MonitorEvent } from './events.js';
import { monitorEventSchema } from './events-schema.js';
import { RecordingSink } from './recording-sink.test-kit.js';
import { replayCapture } from './replay.js';
import { MonitorCore } from './tracker.js';

const LAB = [
  'lab/uefi-pxe-dnsmasq.pcapng',
  'lab/broken-two-dhcp-servers.pcapng',
  'lab/lossy-tftp.pcapng',
  'lab/broken-missing-tftp-file.pcapng',
  'lab/broken-ipxe-loop.pcapng',
  'lab/proxydhcp-with-kea.pcapng',
  'lab/phone-cisco-udhcpc.pcap',
  'lab-v6/broken-ra-no-managed.pcapng',
  'lab-v6/uefi-pxe6-dnsmasq.pcapng',
  'lab-v6/uefi-http6-kea.pcapng',
  'lab-v6/uefi-pxe6-kea-no-bootfile.pcapng',
];

async function replay(file: string, snapshotEverySeconds?: number) {
  const sink = new RecordingSink();
  const events: MonitorEvent[] = [];
  const core = new MonitorCore({ source: file, metrics: sink, emit: (e) => events.push(e) });
  const analysis = await replayCapture(join(CAPTURES, file), core, { snapshotEverySeconds });
  return { sink, events, analysis, core };
}

function tally<T extends string>(xs: readonly T[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

function boots(a: Analysis) {
  return a.clients.flatMap((c) => c.attempts).filter((at) => at.outcome !== 'not-a-boot');
}

describe.each(LAB)('monitor replay of %s', (file) => {
  it('emits every step, attempt and finding of the analysis once, each a valid pxecheck.events/1 line', async () => {
    const { events, analysis } = await replay(file, 1);
    for (const e of events) expect(monitorEventSchema.safeParse(JSON.parse(JSON.stringify(e))).error).toBeUndefined();
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const kinds = tally(events.map((e) => e.kind));
    expect(kinds['step'] ?? 0).toBe(analysis.clients.reduce((n, c) => n + c.steps.length, 0));
    expect(kinds['attempt'] ?? 0).toBe(analysis.clients.reduce((n, c) => n + c.attempts.length, 0));
    expect(kinds['finding'] ?? 0).toBe(analysis.findings.length);
  });

  it('puts the findings of an attempt before the attempt when both finish in one update', async () => {
    const { events } = await replay(file);
    for (const [i, e] of events.entries()) {
      if (e.kind !== 'finding' || e.attempt === null) continue;
      const at = events.findIndex((x) => x.kind === 'attempt' && x.device === e.device && x.attempt === e.attempt);
      expect(at).toBeGreaterThan(i);
    }
  });

  it('counts what the analysis of the whole file says, snapshot by snapshot as at the end', async () => {
    const live = await replay(file, 1);
    const once = await replay(file);
    const a = once.analysis;
    const outcomes = tally(boots(a).map((at) => at.outcome));
    const causes = tally(boots(a).filter((at) => at.outcome === 'failed' && at.rootCause).map((at) => at.rootCause!));
    for (const { sink } of [live, once]) {
      expect(sink.sum('pxecheck_boot_attempts_started_total')).toBe(boots(a).length);
      expect(sink.by('pxecheck_boot_attempts_finished_total', 'outcome')).toEqual(outcomes);
      expect(sink.by('pxecheck_boot_root_causes_total', 'code')).toEqual(causes);
      expect(sink.by('pxecheck_findings_total', 'code')).toEqual(tally(a.findings.map((f) => f.code)));
      const steps = a.clients.flatMap((c) => c.steps);
      const tftp = steps.filter((s) => s.kind === 'tftp');
      expect(sink.sum('pxecheck_tftp_bytes_total')).toBe(tftp.reduce((n, s) => n + s.bytes, 0));
      expect(sink.sum('pxecheck_tftp_retransmissions_total')).toBe(tftp.reduce((n, s) => n + s.retransmits, 0));
      expect(sink.sum('pxecheck_steps_total', { result: 'ok' })).toBe(steps.filter((s) => s.ok).length);
      const observed = [...sink.observations].filter(([k]) => k.startsWith('pxecheck_step_duration_seconds')).reduce((n, [, v]) => n + v.length, 0);
      expect(observed).toBe(steps.filter((s) => s.ok).length);
      expect(sink.sum('pxecheck_devices')).toBe(a.clients.length);
    }
  });

  it.skipIf(!hasTshark())('counts DHCP messages by type and offers by server as tshark sees them', async () => {
    const { sink } = await replay(file, 1);
    const full = join(CAPTURES, file);
    // DHCPv4: message type and server identifier (option 54) of every message.
    const v4 = tsharkFields(full, ['dhcp.option.dhcp', 'dhcp.option.dhcp_server_id', 'dhcp.ip.your', 'ip.src'], { filter: 'dhcp', occurrence: 'f' });
    const names = ['', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'];
    const byType = tally(v4.map(([t]) => (t ? names[Number(t)] ?? t : 'BOOTP')));
    // DHCPv6 type names are upper case too (SOLICIT…): keep the v4 series only.
    const v4Only: Record<string, number> = {};
    for (const [k, v] of sink.values) {
      const m = /^pxecheck_dhcp_messages_total\{server="[^"]*",type="([^"]*)",version="4"\}$/.exec(k);
      if (m) v4Only[m[1]!] = (v4Only[m[1]!] ?? 0) + v;
    }
    expect(v4Only).toEqual(byType);
    const offers = v4.filter(([t]) => t === '2');
    const addressOffers = tally(offers.filter(([, , y]) => y !== '0.0.0.0').map(([, sid, , src]) => sid || src!));
    const ourAddressOffers: Record<string, number> = {};
    for (const [k, v] of sink.values) {
      const m = /^pxecheck_dhcp_offers_total\{kind="dhcp4",server="([^"]*)"\}$/.exec(k);
      if (m) ourAddressOffers[m[1]!] = v;
    }
    expect(ourAddressOffers).toEqual(addressOffers);
  });
});

describe('monitor core', () => {
  it('emits nothing twice however often the same snapshot comes back', async () => {
    const { core, events, sink, analysis } = await replay('lab/broken-two-dhcp-servers.pcapng');
    const before = new Map(sink.values);
    const n = events.length;
    const end = analysis.summary.lastPacket!;
    core.update(analysis, end + 100);
    core.update(analysis, end + 1000, true);
    expect(events.length).toBe(n);
    expect(new Map(sink.values)).toEqual(before);
  });

  it('a second DHCP server shows in offers per server', async () => {
    const { sink } = await replay('lab/broken-two-dhcp-servers.pcapng', 1);
    const servers = Object.keys(sink.by('pxecheck_dhcp_offers_total', 'server'));
    expect(servers.length).toBeGreaterThanOrEqual(2);
  });

  it('keeps an open attempt back until it is over, then counts it once', async () => {
    const { analysis } = await replay('lab/uefi-pxe-dnsmasq.pcapng');
    const sink = new RecordingSink();
    const events: MonitorEvent[] = [];
    const core = new MonitorCore({ source: 't', metrics: sink, emit: (e) => events.push(e), settleSeconds: 5 });
    const lastAttempt = analysis.clients[0]!.attempts.at(-1)!;
    core.update(analysis, lastAttempt.end + 1);
    const early = events.filter((e) => e.kind === 'attempt' && e.attempt === lastAttempt.index).length;
    core.update(analysis, lastAttempt.end + 6);
    const later = events.filter((e) => e.kind === 'attempt' && e.attempt === lastAttempt.index).length;
    expect(early).toBe(0);
    expect(later).toBe(1);
    // Started at the first sight, finished only once it settled: started ≥ finished all along.
    expect(sink.sum('pxecheck_boot_attempts_started_total')).toBe(sink.sum('pxecheck_boot_attempts_finished_total'));
  });

  it('devices released by the live session are emitted in full once, and their counts stay', async () => {
    for (const file of ['lab/broken-two-dhcp-servers.pcapng', 'lab/broken-ipxe-loop.pcapng', 'lab/lossy-tftp.pcapng']) {
      const { analysis: a } = await replay(file);
      const sink = new RecordingSink();
      const events: MonitorEvent[] = [];
      const core = new MonitorCore({ source: file, metrics: sink, emit: (e) => events.push(e) });
      // A snapshot early on, then every device finished and released, then the end with none left.
      core.update(a, a.summary.firstPacket! + 0.5);
      for (const c of a.clients) core.finished({ clients: [c], findings: a.findings.filter((f) => f.client === c.mac) }, a.summary.lastPacket!);
      core.update({ ...a, clients: [], findings: a.findings.filter((f) => f.client === null) }, a.summary.lastPacket!, true);
      const kinds = tally(events.map((e) => e.kind));
      expect(kinds['step'] ?? 0, file).toBe(a.clients.reduce((n, c) => n + c.steps.length, 0));
      expect(kinds['attempt'] ?? 0, file).toBe(a.clients.reduce((n, c) => n + c.attempts.length, 0));
      expect(kinds['finding'] ?? 0, file).toBe(a.findings.length);
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      expect(sink.by('pxecheck_boot_attempts_finished_total', 'outcome'), file).toEqual(tally(boots(a).map((at) => at.outcome)));
      expect(sink.sum('pxecheck_boot_attempts_started_total'), file).toBe(boots(a).length);
    }
  });

  it('turns libpcap counters into increments, across a wrap of its 32-bit counter', () => {
    const sink = new RecordingSink();
    const core = new MonitorCore({ source: 't', metrics: sink });
    core.captureStats([{ name: 'eth0', received: 10, dropped: 1, ifDropped: null }]);
    core.captureStats([{ name: 'eth0', received: 25, dropped: 1, ifDropped: null }]);
    core.captureStats([{ name: 'eth0', received: 5, dropped: 3, ifDropped: 2 }]);
    expect(sink.sum('pxecheck_capture_packets_received_total', { interface: 'eth0' })).toBe(30);
    expect(sink.sum('pxecheck_capture_packets_dropped_total', { by: 'kernel' })).toBe(3);
    expect(sink.sum('pxecheck_capture_packets_dropped_total', { by: 'interface' })).toBe(2);
  });
});
