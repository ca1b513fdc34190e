/** A MetricSink that records, for tests: counter and gauge values by `name{labels}`, observations by name. */
import type { CounterName, GaugeName, HistogramName, Labels, MetricSink } from './catalogue.js';

export class RecordingSink implements MetricSink {
  readonly values = new Map<string, number>();
  readonly observations = new Map<string, number[]>();

  inc(name: CounterName, labels: Labels, value = 1): void {
    const k = key(name, labels);
    this.values.set(k, (this.values.get(k) ?? 0) + value);
  }

  set(name: GaugeName, labels: Labels, value: number): void {
    this.values.set(key(name, labels), value);
  }

  observe(name: HistogramName, labels: Labels, value: number): void {
    const k = key(name, labels);
    this.observations.set(k, [...(this.observations.get(k) ?? []), value]);
  }

  /** Sum over the series of `name` whose labels include `where`. */
  sum(name: string, where: Labels = {}): number {
    let n = 0;
    for (const [k, v] of this.values) if (matches(k, name, where)) n += v;
    return n;
  }

  /** Values of one label of `name`, summed per value. */
  by(name: string, label: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.values) {
      if (!k.startsWith(`${name}{`)) continue;
      const m = new RegExp(`[{,]${label}="([^"]*)"`).exec(k);
      if (m) out[m[1]!] = (out[m[1]!] ?? 0) + v;
    }
    return out;
  }
}

export function key(name: string, labels: Labels): string {
  return `${name}{${Object.keys(labels).sort().map((l) => `${l}="${labels[l]}"`).join(',')}}`;
}

function matches(k: string, name: string, where: Labels): boolean {
  if (!k.startsWith(`${name}{`)) return false;
  return Object.entries(where).every(([l, v]) => k.includes(`${l}="${v}"`));
}
