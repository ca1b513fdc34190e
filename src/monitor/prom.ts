/**
 * The Prometheus side of the monitor: prom-client metrics built from the catalogue, in two
 * registries, the Prometheus text format (0.0.4) and OpenMetrics 1.0, each with its own metric
 * objects — prom-client renames a counter in place when it renders OpenMetrics, so one set of
 * objects cannot serve both formats. Every increment goes to both.
 */
import { createRequire } from 'node:module';
import { Counter, Gauge, Histogram, Registry, type OpenMetricsContentType } from 'prom-client';
import { METRICS, type CounterName, type GaugeName, type HistogramName, type Labels, type MetricName, type MetricSink } from './catalogue.js';
import { EVENTS_SCHEMA } from './events.js';

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

function build(registry: Registry | Registry<OpenMetricsContentType>): Map<MetricName, AnyMetric> {
  const out = new Map<MetricName, AnyMetric>();
  for (const [name, def] of Object.entries(METRICS) as [MetricName, (typeof METRICS)[MetricName]][]) {
    const base = { name, help: def.help, labelNames: [...def.labels], registers: [registry] };
    if (def.type === 'counter') out.set(name, new Counter(base));
    else if (def.type === 'gauge') out.set(name, new Gauge(base));
    else out.set(name, new Histogram({ ...base, buckets: [...('buckets' in def ? def.buckets : [])] }));
  }
  return out;
}

export interface Rendered {
  contentType: string;
  body: string;
}

export class PromMetrics implements MetricSink {
  private readonly text = new Registry();
  private readonly open = new Registry<OpenMetricsContentType>();
  private readonly sets: Map<MetricName, AnyMetric>[];

  constructor() {
    this.open.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    this.sets = [build(this.text), build(this.open)];
    this.set('pxecheck_build_info', { version: pxecheckVersion(), events_schema: EVENTS_SCHEMA }, 1);
  }

  inc(name: CounterName, labels: Labels, value = 1): void {
    for (const s of this.sets) (s.get(name) as Counter<string>).inc(labels, value);
  }

  set(name: GaugeName, labels: Labels, value: number): void {
    for (const s of this.sets) (s.get(name) as Gauge<string>).set(labels, value);
  }

  observe(name: HistogramName, labels: Labels, value: number): void {
    for (const s of this.sets) (s.get(name) as Histogram<string>).observe(labels, value);
  }

  /** The exposition for an HTTP Accept header: OpenMetrics when the scraper asks for it. */
  async render(accept: string | undefined): Promise<Rendered> {
    const reg = wantsOpenMetrics(accept) ? this.open : this.text;
    return { contentType: reg.contentType, body: await reg.metrics() };
  }
}

/** Prometheus asks `application/openmetrics-text;version=1.0.0,...;q=0.5,text/plain;version=0.0.4;q=0.3`. */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (!accept) return false;
  let om = -1;
  let text = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';').map((p) => p.trim());
    const q = Number(params.find((p) => p.startsWith('q='))?.slice(2) ?? '1');
    const weight = Number.isFinite(q) ? q : 0;
    if (type === 'application/openmetrics-text') om = Math.max(om, weight);
    else if (type === 'text/plain' || type === 'text/*' || type === '*/*') text = Math.max(text, weight);
  }
  return om > 0 && om >= text;
}

function pxecheckVersion(): string {
  try {
    const pkg = createRequire(import.meta.url)('../../package.json') as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
