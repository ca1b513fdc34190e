/**
 * The live monitor `capture` hooks in: the pure MonitorCore plus its edges — the metrics endpoint
 * (prom-client, loaded only with --metrics) and the --events writer. `capture` calls `tap` once,
 * `update` on its ticks and `finish` at the end; nothing else.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Analysis } from '../analysis/types.js';
import type { DecodeSink } from '../decode/messages.js';
import type { MetricSink } from './catalogue.js';
import type { MonitorEvent } from './events.js';
import type { ListenAddress } from './listen.js';
import { MonitorCore, type FinishedPart, type InterfaceStats, type MonitorCoreOptions } from './tracker.js';
import type { MetricsServer } from './server.js';

export interface MonitorOptions {
  /** Where to serve /metrics, or undefined for no endpoint. */
  metrics?: ListenAddress;
  /** Events file, `-` for standard output, or undefined for none. */
  events?: string;
  source: string;
  /** Standard output (for `--events -`). */
  stdout: (s: string) => void;
  /** Seconds between updates (each takes an analysis snapshot). */
  everySeconds?: number;
  core?: Partial<Omit<MonitorCoreOptions, 'source' | 'metrics' | 'emit'>>;
}

const NO_METRICS: MetricSink = { inc() {}, set() {}, observe() {} };

export class Monitor {
  private lastUpdate = -Infinity;
  private pending: string[] = [];

  private constructor(
    readonly core: MonitorCore,
    private readonly server: MetricsServer | null,
    private readonly write: ((s: string) => void) | null,
    private readonly closeEvents: () => void,
    private readonly every: number,
  ) {}

  /** Starts the endpoint and opens the events file. Throws MetricsServerError (port in use…) or a
   *  file error; nothing is left open when it throws. */
  static async open(o: MonitorOptions): Promise<Monitor> {
    let sink = NO_METRICS;
    let server: MetricsServer | null = null;
    if (o.metrics) {
      const [{ PromMetrics }, { startMetricsServer }] = await Promise.all([import('./prom.js'), import('./server.js')]);
      const prom = new PromMetrics();
      sink = prom;
      server = await startMetricsServer(o.metrics, (accept) => prom.render(accept));
    }
    let write: ((s: string) => void) | null = null;
    let closeEvents = (): void => {};
    if (o.events === '-') write = o.stdout;
    else if (o.events !== undefined) {
      let fd: number;
      try {
        fd = openSync(o.events, 'w');
      } catch (e) {
        await server?.close();
        throw new Error(`cannot write ${o.events}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      write = (s) => writeSync(fd, s);
      closeEvents = () => closeSync(fd);
    }
    let self: Monitor | null = null;
    const emit = write === null ? undefined : (e: MonitorEvent): void => void self!.pending.push(JSON.stringify(e));
    const core = new MonitorCore({ ...o.core, source: o.source, metrics: sink, ...(emit ? { emit } : {}) });
    self = new Monitor(core, server, write, closeEvents, o.everySeconds ?? 2);
    return self;
  }

  /** The endpoint's URL (with the port bound), or null. */
  get url(): string | null {
    return this.server?.url ?? null;
  }

  /** A decode sink that counts DHCP messages on their way to `next`. */
  tap(next: DecodeSink): DecodeSink {
    return this.core.tap(next);
  }

  /** An update is due (throttled to one every few seconds). */
  due(now: number): boolean {
    return now - this.lastUpdate >= this.every;
  }

  update(analysis: Analysis, now: number, stats: readonly InterfaceStats[]): void {
    this.lastUpdate = now;
    this.core.captureStats(stats);
    this.core.update(analysis, now);
    this.flushEvents();
  }

  /** Devices the live session finished and released (their counts stay; see MonitorCore.finished). */
  finished(part: FinishedPart, now: number): void {
    this.core.finished(part, now);
    this.flushEvents();
  }

  /** The capture ended: everything left is emitted; the endpoint still answers until `close`. */
  finish(analysis: Analysis, now: number, stats: readonly InterfaceStats[]): void {
    this.core.captureStats(stats);
    this.core.update(analysis, now, true);
    this.flushEvents();
  }

  async close(): Promise<void> {
    this.flushEvents();
    this.closeEvents();
    await this.server?.close();
  }

  private flushEvents(): void {
    if (this.pending.length === 0 || this.write === null) return;
    this.write(this.pending.join('\n') + '\n');
    this.pending = [];
  }
}
