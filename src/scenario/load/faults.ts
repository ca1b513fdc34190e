/**
 * Faults during a load run: starts each fault when its trigger comes (a time after the start, or a
 * point of the arrivals), undoes it after its `for:` (a restart is done once the server is back),
 * and undoes whatever is still active when the run ends, however it ends. What each fault did is
 * measured per window: exchanges that ended before it started, overlapped it, or started after it
 * ended, each with counts and percentiles; and the clients in flight during it, failed or recovered.
 * The I/O (restarting servers, nftables, tc) is the injector's (src/lab/faults.ts).
 */
import type { StatKind } from '../load-schema.js';
import type { StepResult } from '../run/result.js';
import { macToNumber, type MacRange } from '../mac-range.js';
import type { Timer, Timers } from '../run/timers.js';
import type { FaultAction, FaultSpec } from './fault-schema.js';
import { KindStats, type LatencyMs } from './stats.js';

export interface AppliedFault {
  /** What was done: `kea-dhcp4 pid 101 stopped (SIGTERM), started again as pid 202`. */
  readonly effect: string;
  /** Undoes a drop or rate limit (a restart has nothing to undo); never throws; says what it saw. */
  undo(): Promise<string | undefined>;
}

/** Executes faults on a lab (src/lab/faults.ts); `apply` resolves once the fault is in effect. */
export interface FaultInjector {
  apply(action: FaultAction): Promise<AppliedFault>;
}

export const FAULT_WINDOWS = ['before', 'during', 'after'] as const;
export type FaultWindow = (typeof FAULT_WINDOWS)[number];

export interface WindowKindReport {
  ok: number;
  failed: number;
  timedOut: number;
  latencyMs: LatencyMs | null;
  /** HDR histogram (µs, compressed base64) and exact largest latency, so `merge` adds windows exactly (absent in older reports). */
  histogram?: string;
  maxUs?: number;
}

export interface WindowReport {
  /** Retransmissions (DHCP messages sent again, TFTP packets resent) of the exchanges in the window. */
  retransmits: number;
  kinds: Partial<Record<StatKind, WindowKindReport>>;
}

/** What a fault did to one client group's clients in flight (a mix: PCs and phones). */
export interface GroupClients {
  affected: number;
  ok: number;
  failed: number;
  timedOut: number;
  recovered: number;
}

/** Which client group a MAC belongs to (the scenario's `clients:` names); null when none. */
export type GroupOf = (mac: string) => string | null;

/** Clients kept by name per fault (the counts cover them all). */
export const KEPT_FAULT_CLIENTS = 10;

export interface FaultReport {
  /** As written: `restart dhcp (stopped, down 1 s) at 2 s`. */
  fault: string;
  action: FaultAction;
  /** Seconds after the run's start it began and ended (null: never began / never ended). */
  startedS: number | null;
  endedS: number | null;
  effect?: string;
  /** What undoing it saw (`dropped 52 of 510 frames`). */
  undone?: string;
  /** Applying or undoing failed, or the fault never began: the run fails. */
  error?: string;
  /** Set by `merge`: the runs that applied it (`shard 1/4`, or the file of a run without --shard). */
  appliedBy?: string[];
  windows: Record<FaultWindow, WindowReport>;
  /** Clients in flight at some point while it was active. */
  clients: {
    affected: number;
    ok: number;
    failed: number;
    timedOut: number;
    /** Affected clients that passed after retransmitting: they recovered. */
    recovered: number;
    failedClients: Array<{ mac: string; kind: string; message: string }>;
    recoveredClients: string[];
    /** The same counts per client group, when the load is a mix of several groups. */
    groups?: Record<string, GroupClients>;
  };
}

/** Retransmissions of one step (DHCP messages sent again, TFTP resends): the count kept on the
 *  result as it ran, not its details (reading them would render every step of a storm). */
export function retransmitsOf(r: StepResult): number {
  return r.retransmits ?? 0;
}

class Window {
  retransmits = 0;
  readonly kinds = new Map<StatKind, KindStats>();
  record(kind: StatKind, outcome: 'ok' | 'failed' | 'timed-out', us: number | null, retransmits: number): void {
    this.retransmits += retransmits;
    let s = this.kinds.get(kind);
    if (s === undefined) this.kinds.set(kind, (s = new KindStats()));
    s.record(outcome, us);
  }
  report(): WindowReport {
    const kinds: WindowReport['kinds'] = {};
    for (const [k, s] of this.kinds) {
      const r = s.report(0);
      kinds[k] = { ok: r.ok, failed: r.failed, timedOut: r.timedOut, latencyMs: r.latencyMs, histogram: r.histogram, maxUs: r.maxUs };
    }
    return { retransmits: this.retransmits, kinds };
  }
}

interface Active {
  readonly spec: FaultSpec;
  /** Clock times (s); null until it begins / ends. */
  began: number | null;
  ended: number | null;
  timer: Timer | null;
  cancelled: boolean;
  applied: AppliedFault | null;
  /** The apply/undo in progress (awaited at the end). */
  work: Promise<void> | null;
  effect?: string;
  undone?: string;
  error?: string;
  readonly windows: Record<FaultWindow, Window>;
  readonly clients: FaultReport['clients'];
}

/**
 * One load run's faults. The runner calls `arrived` at each arrival, `exchange` for each measured
 * step, `clientEnded` for each client, and `finish` once every client is done.
 */
export class FaultRun {
  private readonly faults: Active[];

  constructor(specs: readonly FaultSpec[], private readonly injector: FaultInjector, private readonly timers: Timers,
    private readonly start: number, private readonly planned: number, private readonly groupOf: GroupOf | null = null) {
    this.faults = specs.map((spec) => ({
      spec, began: null, ended: null, timer: null, cancelled: false, applied: null, work: null,
      windows: { before: new Window(), during: new Window(), after: new Window() },
      clients: { affected: 0, ok: 0, failed: 0, timedOut: 0, recovered: 0, failedClients: [], recoveredClients: [] },
    }));
    for (const f of this.faults) {
      const t = f.spec.trigger;
      if ('at' in t) {
        const timer = timers.at(start + t.at / 1000);
        f.timer = timer;
        void timer.fired.then(() => {
          f.timer = null;
          if (!f.cancelled) this.begin(f);
        });
      }
    }
  }

  /** `started` clients have arrived so far. */
  arrived(started: number): void {
    for (const f of this.faults) {
      if (f.began !== null || f.cancelled) continue;
      const t = f.spec.trigger;
      const due = 'afterClients' in t ? started >= t.afterClients : 'afterPercent' in t ? started >= Math.ceil((t.afterPercent / 100) * this.planned) : false;
      if (due) this.begin(f);
    }
  }

  /** One measured exchange that ended at `t1` (clock seconds) after `ms` milliseconds. */
  exchange(kind: StatKind, outcome: 'ok' | 'failed' | 'timed-out', us: number | null, r: StepResult, t1: number): void {
    const t0 = t1 - r.duration / 1000;
    const re = retransmitsOf(r);
    for (const f of this.faults) f.windows[windowOf(f, t0, t1)].record(kind, outcome, us, re);
  }

  clientEnded(mac: string, outcome: 'ok' | 'failed' | 'timed-out', t0: number, t1: number, retransmitted: boolean, failure: { kind: string; message: string } | null): void {
    for (const f of this.faults) {
      if (f.began === null || t1 < f.began || (f.ended !== null && t0 > f.ended)) continue;
      const c = f.clients;
      c.affected++;
      const g = this.groupCounts(c, mac);
      if (g !== null) {
        g.affected++;
        if (outcome === 'ok') g.ok++;
        else if (outcome === 'failed') g.failed++;
        else g.timedOut++;
        if (outcome === 'ok' && retransmitted) g.recovered++;
      }
      if (outcome === 'ok') {
        c.ok++;
        if (retransmitted) {
          c.recovered++;
          if (c.recoveredClients.length < KEPT_FAULT_CLIENTS) c.recoveredClients.push(mac);
        }
      } else {
        if (outcome === 'failed') c.failed++;
        else c.timedOut++;
        if (c.failedClients.length < KEPT_FAULT_CLIENTS) c.failedClients.push({ mac, kind: failure?.kind ?? '?', message: failure?.message ?? outcome });
      }
    }
  }

  private groupCounts(c: FaultReport['clients'], mac: string): GroupClients | null {
    const name = this.groupOf?.(mac) ?? null;
    if (name === null) return null;
    const groups = (c.groups ??= {});
    return (groups[name] ??= { affected: 0, ok: 0, failed: 0, timedOut: 0, recovered: 0 });
  }

  private begin(f: Active): void {
    f.began = this.timers.now();
    f.work = this.injector.apply(f.spec.action).then((applied) => {
      f.applied = applied;
      f.effect = applied.effect;
      if (f.spec.action.kind === 'restart' || f.cancelled) return this.end(f);
      // Bounded: undone after `for`, or at the end of the run, whichever comes first.
      const timer = this.timers.at(this.timers.now() + f.spec.action.forMs / 1000);
      f.timer = timer;
      f.work = timer.fired.then(() => {
        f.timer = null;
        return this.end(f);
      });
      return undefined;
    }, (e: unknown) => {
      f.error = `${f.spec.text}: ${(e as Error).message}`;
      f.ended = this.timers.now();
    });
  }

  private async end(f: Active): Promise<void> {
    if (f.ended !== null) return;
    const applied = f.applied;
    f.applied = null;
    if (applied !== null) {
      try {
        const note = await applied.undo();
        if (note !== undefined) f.undone = note;
      } catch (e) {
        f.error = `${f.spec.text}: undoing it failed: ${(e as Error).message}`;
      }
    }
    f.ended = this.timers.now();
  }

  /** Cancels what has not begun, undoes what is active, waits for both; the report. */
  async finish(): Promise<FaultReport[]> {
    for (const f of this.faults) {
      f.cancelled = true;
      const timer = f.timer;
      f.timer = null;
      timer?.cancel();
    }
    // A cancelled `for` timer resolves at once and undoes; a restart in progress finishes first.
    for (let i = 0; i < 3; i++) await Promise.all(this.faults.map((f) => f.work));
    for (const f of this.faults) if (f.began !== null && f.ended === null) await this.end(f);
    return this.faults.map((f) => this.report(f));
  }

  private report(f: Active): FaultReport {
    const r: FaultReport = {
      fault: f.spec.text, action: f.spec.action,
      startedS: f.began === null ? null : round(f.began - this.start), endedS: f.ended === null ? null : round(f.ended - this.start),
      windows: { before: f.windows.before.report(), during: f.windows.during.report(), after: f.windows.after.report() },
      clients: f.clients,
    };
    if (f.effect !== undefined) r.effect = f.effect;
    if (f.undone !== undefined) r.undone = f.undone;
    if (f.error !== undefined) r.error = f.error;
    else if (f.began === null) r.error = `${f.spec.text}: never began (the run ended first)`;
    return r;
  }
}

/** An exchange from t0 to t1 against fault f: before it began, overlapping it, or after it ended. */
function windowOf(f: Active, t0: number, t1: number): FaultWindow {
  if (f.began === null || t1 < f.began) return 'before';
  if (f.ended !== null && t0 > f.ended) return 'after';
  return 'during';
}

/**
 * The client group of a MAC from the scenario's MAC ranges; null (no per-group counts) when the
 * scenario has one group. Called once per client that overlapped a fault, not per exchange.
 */
export function groupsByMac(groups: ReadonlyArray<{ name: string; mac: MacRange }>): GroupOf | null {
  if (groups.length < 2) return null;
  const ranges = groups.map((g) => ({ name: g.name, first: macToNumber(g.mac.first), count: g.mac.count }));
  return (mac) => {
    const n = macToNumber(mac);
    return ranges.find((r) => n >= r.first && n < r.first + r.count)?.name ?? null;
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
