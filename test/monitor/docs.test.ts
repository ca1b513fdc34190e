// The monitoring docs are usable as they are: the alert rules pass `promtool check rules` and their
// unit tests (`promtool test rules`), and the Grafana dashboard parses, every panel's query is valid
// PromQL (checked by promtool as recording rules) over metrics and labels the endpoint exports.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportedSeriesNames, METRICS, type MetricName } from '../../src/monitor/catalogue.js';
import { ROOT } from '../helpers/paths.js';

const PROMTOOL = '/usr/bin/promtool';
const noPromtool = !existsSync(PROMTOOL);
const ALERTS = join(ROOT, 'docs/prometheus/alerts.yml');
const DASHBOARD = join(ROOT, 'docs/grafana/pxecheck.json');

interface Panel { title: string; type: string; targets: { expr: string }[] }

function promtool(...args: string[]): { code: number | null; out: string } {
  const r = spawnSync(PROMTOOL, args, { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

function dashboard(): { panels: Panel[] } {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
}

function alertExprs(): string[] {
  const doc = parse(readFileSync(ALERTS, 'utf8')) as { groups: { rules: { expr: string }[] }[] };
  return doc.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** Grafana's variables as Prometheus would see them after substitution. */
function concrete(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replaceAll('$__range', '6h').replaceAll('$instance', '.*');
}

/** Metric names a query uses, and the labels it groups or filters by. */
function uses(expr: string): { metrics: string[]; labels: string[] } {
  const metrics = [...expr.matchAll(/\bpxecheck_[a-z0-9_]+/g)].map((m) => m[0]);
  const labels = [
    ...[...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim())),
    ...[...expr.matchAll(/[{,]\s*([a-z_]+)\s*(=~|!=|!~|=)/g)].map((m) => m[1]!),
  ];
  return { metrics, labels };
}

/** The catalogue metric behind a series name (`…_bucket` of a histogram). */
function base(series: string): MetricName | undefined {
  return (Object.keys(METRICS) as MetricName[]).find((n) => series === n || series === `${n}_bucket` || series === `${n}_sum` || series === `${n}_count`);
}

describe('docs/prometheus/alerts.yml', () => {
  it.skipIf(noPromtool)('passes promtool check rules and its unit tests (fires on a broken segment, quiet on a healthy one)', () => {
    const check = promtool('check', 'rules', ALERTS);
    expect(check.out).toMatch(/SUCCESS: 4 rules found/);
    expect(check.code).toBe(0);
    const test = promtool('test', 'rules', join(ROOT, 'docs/prometheus/alerts.test.yml'));
    expect(test.out).toMatch(/SUCCESS/);
    expect(test.code).toBe(0);
  });
});

describe('docs/grafana/pxecheck.json', () => {
  it('has the panels the monitoring doc promises', () => {
    const titles = dashboard().panels.map((p) => p.title.toLowerCase());
    for (const want of ['boot outcomes', 'boot failure ratio', 'root causes', 'dora latency', 'tftp transfer time', 'offers per dhcp server']) {
      expect(titles.some((t) => t.includes(want)), want).toBe(true);
    }
  });

  it('queries only metrics and labels the endpoint exports (alert rules too)', () => {
    const exported = new Set(exportedSeriesNames());
    const exprs = [...dashboard().panels.flatMap((p) => p.targets.map((t) => t.expr)), ...alertExprs()];
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) {
      const { metrics, labels } = uses(expr);
      expect(metrics.length, expr).toBeGreaterThan(0);
      for (const m of metrics) expect(exported.has(m), `${m} in ${expr}`).toBe(true);
      const known = new Set(['le', 'instance', 'job', ...metrics.flatMap((m) => [...METRICS[base(m)!].labels])]);
      for (const l of labels) expect(known.has(l), `label ${l} in ${expr}`).toBe(true);
    }
  });

  it.skipIf(noPromtool)('every panel query is valid PromQL (promtool checks them as recording rules)', () => {
    const exprs = dashboard().panels.flatMap((p) => p.targets.map((t) => concrete(t.expr)));
    const dir = mkdtempSync(join(tmpdir(), 'pxecheck-dash-'));
    try {
      const rules = { groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `pxecheck:panel_${i}`, expr })) }] };
      writeFileSync(join(dir, 'rules.json'), JSON.stringify(rules));
      // promtool reads YAML, and JSON is YAML.
      const r = promtool('check', 'rules', join(dir, 'rules.json'));
      expect(r.out).toMatch(new RegExp(`SUCCESS: ${exprs.length} rules found`));
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docs/monitoring.md', () => {
  it('documents every exported metric and the events schema', () => {
    const doc = readFileSync(join(ROOT, 'docs/monitoring.md'), 'utf8');
    for (const name of Object.keys(METRICS)) expect(doc, name).toContain(name);
    expect(doc).toContain('pxecheck.events/1');
  });
});
