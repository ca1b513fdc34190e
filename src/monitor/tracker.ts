/**
 * The pure side of live monitoring: analysis snapshots and decoded DHCP messages in, metric
 * increments (to an injected MetricSink) and events (to an injected callback) out. No I/O, no
 * clock: every call takes the time.
 *
 * The live path re-analyses a fresh snapshot every few seconds, so the same step, attempt and
 * finding shows up again and again, and may still change while it is open. Each is emitted and
 * counted ONCE, when it is finished, and its id is remembered; counters are only ever incremented
 * from those events (never recomputed from the devices in the snapshot, which a long capture
 * evicts). A device that leaves the snapshot takes its remembered ids with it (bounded memory).
 */
import type { Analysis, AttemptReport, ClientReport } from '../analysis/types.js';
import { tapMessages, type DecodedMessage, type DecodeSink } from '../decode/messages.js';
import type { Finding } from '../findings/types.js';
import type { BootStep } from '../flow/types.js';
import { stepDone } from '../report/live-printer.js';
import { BootOp, msgTypeName, serverId } from '../wire/dhcpv4/index.js';
import { innermostMessage } from '../wire/dhcpv6/message.js';
import { DhcpV6MsgType, msgTypeLabel } from '../wire/dhcpv6/names.js';
import type { Labels, MetricSink } from './catalogue.js';
import { EVENTS_SCHEMA, isoTime, type AttemptEvent, type FindingEvent, type MonitorEvent, type StepEvent } from './events.js';

export interface MonitorCoreOptions {
  /** `live:IFACE` or the capture file, copied into every event. */
  source: string;
  metrics: MetricSink;
  emit?: (e: MonitorEvent) => void;
  /** Seconds without a packet after which an open step is emitted as it stands (`unfinished`). */
  stepQuietSeconds?: number;
  /** Seconds a device's last attempt must stay quiet, once booted or failed, before it counts as finished. */
  settleSeconds?: number;
  /** Seconds of silence after which a last attempt still in progress is emitted as it stands. */
  stallSeconds?: number;
  /** Distinct server label values kept per metric; more are counted as `other` (a flood of forged
   *  sources must not blow up the scrape). */
  maxServers?: number;
}

export const MONITOR_DEFAULTS = { stepQuietSeconds: 10, settleSeconds: 5, stallSeconds: 30, maxServers: 64 };

/** Ids already emitted for one device. */
interface Emitted {
  steps: Set<string>;
  /** Attempts counted as started. */
  started: Set<string>;
  attempts: Set<string>;
  findings: Set<string>;
}

/** Verdicts and findings of some devices (an `Analysis`, or the part of one the live session
 *  finished and released). */
export interface FinishedPart {
  clients: readonly ClientReport[];
  findings: readonly Finding[];
}

export interface InterfaceStats {
  name: string;
  received: number;
  dropped: number | null;
  ifDropped: number | null;
}

const { ADVERTISE, REPLY, RECONFIGURE } = DhcpV6MsgType;
const CAPTURE_WIDE = '*';

export class MonitorCore {
  private readonly o: Required<Omit<MonitorCoreOptions, 'emit'>> & { emit: (e: MonitorEvent) => void };
  private readonly emitted = new Map<string, Emitted>();
  private readonly servers = new Set<string>();
  private readonly pcap = new Map<string, { received: number; dropped: number; ifDropped: number }>();
  /** Events emitted, by kind (for the capture summary and tests). */
  readonly counts = { step: 0, attempt: 0, finding: 0 };

  constructor(opts: MonitorCoreOptions) {
    this.o = { ...MONITOR_DEFAULTS, emit: () => {}, ...opts };
  }

  /** A decoded message (the decode pipeline's sink, before the builder): DHCP messages and offers
   *  are counted as they arrive, so a rogue server shows at once. */
  message(m: DecodedMessage): void {
    if (m.proto === 'dhcp4') {
      const type = msgTypeName(m.msg) ?? 'BOOTP';
      const fromServer = m.msg.op === BootOp.REPLY;
      const named = serverId(m.msg);
      const server = this.server(fromServer ? named ?? m.srcAddr : named ?? '');
      this.o.metrics.inc('pxecheck_dhcp_messages_total', { version: '4', type, server });
      if (type === 'OFFER') {
        const y = m.msg.yiaddr;
        const proxy = y.length < 4 || (y[0]! | y[1]! | y[2]! | y[3]!) === 0;
        this.o.metrics.inc('pxecheck_dhcp_offers_total', { kind: proxy ? 'proxydhcp' : 'dhcp4', server });
      }
    } else if (m.proto === 'dhcp6') {
      const t = innermostMessage(m.msg).msgType;
      const fromServer = t === ADVERTISE || t === REPLY || t === RECONFIGURE;
      const server = this.server(fromServer ? m.srcAddr : '');
      this.o.metrics.inc('pxecheck_dhcp_messages_total', { version: '6', type: msgTypeLabel(t), server });
      if (t === ADVERTISE) this.o.metrics.inc('pxecheck_dhcp_offers_total', { kind: 'dhcpv6', server });
    }
  }

  /** A decode sink that counts DHCP messages on their way to `next` (the builder). */
  tap(next: DecodeSink): DecodeSink {
    return tapMessages(next, (m) => {
      if (m.proto === 'dhcp4' || m.proto === 'dhcp6') this.message(m);
    });
  }

  /** libpcap's counters (cumulative) → increments since the last call. */
  captureStats(stats: readonly InterfaceStats[]): void {
    for (const s of stats) {
      const prev = this.pcap.get(s.name) ?? { received: 0, dropped: 0, ifDropped: 0 };
      const next = { received: s.received, dropped: s.dropped ?? prev.dropped, ifDropped: s.ifDropped ?? prev.ifDropped };
      const m = this.o.metrics;
      const labels = { interface: s.name };
      const d = (a: number, b: number): number => (a >= b ? a - b : a); // libpcap's u_int wrapped
      // Known counters show from the first update, at 0 (a drop panel then reads 0, not "no data").
      m.inc('pxecheck_capture_packets_received_total', labels, d(next.received, prev.received));
      if (s.dropped !== null) m.inc('pxecheck_capture_packets_dropped_total', { ...labels, by: 'kernel' }, d(next.dropped, prev.dropped));
      if (s.ifDropped !== null) m.inc('pxecheck_capture_packets_dropped_total', { ...labels, by: 'interface' }, d(next.ifDropped, prev.ifDropped));
      this.pcap.set(s.name, next);
    }
  }

  /**
   * A snapshot of the analysis at `now` (epoch seconds). With `final` (the capture ended, or a
   * file was read to its end) everything not emitted yet is emitted as it stands.
   */
  update(a: Analysis, now: number, final = false): void {
    this.process(a, now, final);
    const roles = { boot: 0, other: 0 };
    for (const c of a.clients) roles[c.role]++;
    this.o.metrics.set('pxecheck_devices', { role: 'boot' }, roles.boot);
    this.o.metrics.set('pxecheck_devices', { role: 'other' }, roles.other);
    const present = new Set<string>([CAPTURE_WIDE, ...a.clients.map((c) => c.mac)]);
    for (const key of this.emitted.keys()) if (!present.has(key)) this.emitted.delete(key);
  }

  /**
   * Devices the live analysis finished and released from memory (their verdicts final): whatever
   * of them was not emitted yet is emitted now, then their ids are forgotten (the same MAC coming
   * back later is a new device, with new frames).
   */
  finished(part: FinishedPart, now: number): void {
    this.process(part, now, true);
    for (const c of part.clients) this.emitted.delete(c.mac);
  }

  private process(a: FinishedPart, now: number, final: boolean): void {
    const finishing: { c: ClientReport; at: AttemptReport; id: string }[] = [];
    for (const c of a.clients) {
      const seen = this.seen(c.mac);
      for (const s of c.steps) this.step(c, s, seen, now, final);
      c.attempts.forEach((at, i) => {
        const id = attemptId(c.mac, at);
        if (at.outcome !== 'not-a-boot' && !seen.started.has(id)) this.started(seen, id, at);
        if (seen.attempts.has(id) || !this.attemptFinished(at, i === c.attempts.length - 1, now, final)) return;
        seen.attempts.add(id);
        finishing.push({ c, at, id });
      });
    }
    // Findings of the attempts that finish now come before those attempts' own events.
    const byId = new Map(a.findings.map((f) => [f.id, f]));
    const clients = new Map(a.clients.map((c) => [c.mac, c]));
    for (const f of a.findings) this.finding(clients, f, byId, now, final);
    for (const { c, at, id } of finishing) this.attempt(c, at, id);
  }

  private seen(key: string): Emitted {
    let e = this.emitted.get(key);
    if (!e) {
      e = { steps: new Set(), started: new Set(), attempts: new Set(), findings: new Set() };
      this.emitted.set(key, e);
    }
    return e;
  }

  private server(s: string): string {
    if (s === '' || this.servers.has(s)) return s;
    if (this.servers.size >= this.o.maxServers) return 'other';
    this.servers.add(s);
    return s;
  }

  private step(c: ClientReport, s: BootStep, seen: Emitted, now: number, final: boolean): void {
    const id = `${c.mac}/${s.kind}/${s.frames[0] ?? s.start}`;
    if (seen.steps.has(id)) return;
    // A TFTP request refused by ICMP is over too (the printer waits on, in case it completes).
    const done = stepDone(s) || (s.kind === 'tftp' && s.unreachable !== null);
    const quiet = now - (s.start + s.duration) >= this.o.stepQuietSeconds;
    if (!done && !quiet && !final) return;
    seen.steps.add(id);
    // A step silent for the quiet time is over; only one the capture's end cut short is unfinished.
    const result = s.ok ? 'ok' : done || quiet ? 'failed' : 'unfinished';
    const kind = STEP_KIND[s.kind];
    const m = this.o.metrics;
    m.inc('pxecheck_steps_total', { kind, result });
    if (s.ok) m.observe('pxecheck_step_duration_seconds', { kind }, s.duration);
    if (s.kind === 'tftp') {
      if (s.bytes > 0) m.inc('pxecheck_tftp_bytes_total', { direction: s.direction }, s.bytes);
      if (s.retransmits > 0) m.inc('pxecheck_tftp_retransmissions_total', {}, s.retransmits);
    } else if (s.kind === 'http' && s.bytes > 0) {
      m.inc('pxecheck_http_bytes_total', {}, s.bytes);
    }
    const attempt = c.attempts.find((at) => at.steps.includes(s))?.index ?? null;
    const e: StepEvent = {
      schema: EVENTS_SCHEMA, id, time: isoTime(s.start + s.duration), source: this.o.source, device: c.mac, attempt,
      kind: 'step', role: c.role, step: s.kind, result, durationSeconds: s.duration, server: stepServer(s), detail: s,
    };
    this.send(e);
  }

  private started(seen: Emitted, id: string, at: AttemptReport): void {
    seen.started.add(id);
    this.o.metrics.inc('pxecheck_boot_attempts_started_total', { entry: at.entry });
  }

  /** The last attempt of a device may still go on; an earlier one is over. */
  private attemptFinished(at: AttemptReport, last: boolean, now: number, final: boolean): boolean {
    if (final || !last) return true;
    const quiet = now - at.end;
    if (at.outcome === 'incomplete') return quiet >= this.o.stallSeconds + this.o.settleSeconds;
    return quiet >= this.o.settleSeconds;
  }

  private attempt(c: ClientReport, at: AttemptReport, id: string): void {
    const seen = this.seen(c.mac);
    const m = this.o.metrics;
    // A boot attempt is counted as started before it is counted as finished (never finished only);
    // one that started as a boot and ended as OS traffic is finished as not-a-boot.
    if (at.outcome !== 'not-a-boot' && !seen.started.has(id)) this.started(seen, id, at);
    if (seen.started.has(id)) {
      m.inc('pxecheck_boot_attempts_finished_total', { entry: at.entry, outcome: at.outcome, stage: at.stage ?? 'none' });
      if (at.outcome === 'failed' && at.rootCause !== null) m.inc('pxecheck_boot_root_causes_total', { code: at.rootCause });
      if (at.outcome === 'booted' && at.timeToBootProgram !== null) m.observe('pxecheck_time_to_boot_program_seconds', {}, at.timeToBootProgram);
    }
    const e: AttemptEvent = {
      schema: EVENTS_SCHEMA, id, time: isoTime(at.end), source: this.o.source, device: c.mac, attempt: at.index,
      kind: 'attempt', role: c.role, entry: at.entry, outcome: at.outcome, stage: at.stage, rootCause: at.rootCause,
      pxeError: at.pxeError, start: isoTime(at.start), durationSeconds: Math.max(0, at.end - at.start),
      timeToBootProgramSeconds: at.timeToBootProgram, bootProgram: at.bootProgram, steps: at.steps.length,
      archName: c.archName, vendorClass: c.vendorClass,
    };
    this.send(e);
  }

  /** A finding of an attempt goes out with (or after) its attempt; one of a device or of the whole
   *  capture once it has stood for the settle time. */
  private finding(clients: ReadonlyMap<string, ClientReport>, f: Finding, byId: ReadonlyMap<string, Finding>, now: number, final: boolean): void {
    const seen = this.seen(f.client ?? CAPTURE_WIDE);
    let attemptKey: string | null = null;
    if (f.client !== null && f.attempt !== null) {
      const at = clients.get(f.client)?.attempts[f.attempt];
      if (at) attemptKey = attemptId(f.client, at);
    }
    const id = `${f.client ?? CAPTURE_WIDE}/${f.code}/${f.frames[0] ?? f.time ?? ''}`;
    if (seen.findings.has(id)) return;
    if (attemptKey !== null) {
      if (!seen.attempts.has(attemptKey)) return;
    } else if (!final && f.time !== undefined && now - f.time < this.o.settleSeconds) {
      return;
    }
    seen.findings.add(id);
    this.o.metrics.inc('pxecheck_findings_total', { code: f.code, severity: f.severity });
    const e: FindingEvent = {
      schema: EVENTS_SCHEMA, id, time: isoTime(f.time ?? now), source: this.o.source, device: f.client, attempt: f.attempt,
      kind: 'finding', code: f.code, severity: f.severity,
      causedBy: f.causedBy === null ? null : byId.get(f.causedBy)?.code ?? null,
      pxeError: f.pxeError, message: f.message, hint: f.hint, frames: f.frames,
    };
    this.send(e);
  }

  private send(e: MonitorEvent): void {
    this.counts[e.kind]++;
    this.o.emit(e);
  }
}

/** Histogram and counter label of a step kind. */
const STEP_KIND: Record<BootStep['kind'], string> = {
  dhcp4: 'dora', proxydhcp: 'proxydhcp', dhcp6: 'dhcpv6', ra: 'ra', tftp: 'tftp', http: 'http',
};

/** An attempt is named by its first step's first frame: stable while later packets arrive. */
function attemptId(mac: string, at: AttemptReport): string {
  const s = at.steps[0];
  return `${mac}/attempt/${s?.frames[0] ?? at.start}`;
}

function stepServer(s: BootStep): string | null {
  return s.kind === 'ra' ? s.router : s.server;
}

export type { Labels };
