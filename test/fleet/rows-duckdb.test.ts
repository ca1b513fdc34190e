/**
 * The rows in a real engine (issue 12 "Rows"): the SQL that docs/fleet.md shows — table, load,
 * the three fleet queries, the Parquet export — runs in DuckDB over the rows of every lab and
 * field capture, and each answer is checked against the JSON reports of the same captures. The
 * ClickHouse table and the docs' column list are held to the zod schema.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { analyzeCapture } from '../../src/analysis/capture.js';
import type { Analysis } from '../../src/analysis/types.js';
import { serversOf, siteOf, vendorOf } from '../../src/analysis/device-keys.js';
import { writeAnalysisRows } from '../../src/report/analyze-rows.js';
import { analysisRowSchema } from '../../src/report/analyze-rows-schema.js';
import { captureFiles, ROOT } from '../helpers/paths.js';
import { hasTshark } from '../helpers/tshark.js';

const DOC = readFileSync(join(ROOT, 'docs/fleet.md'), 'utf8');
const COLUMNS = Object.keys(analysisRowSchema.shape);

/** The SQL block of docs/fleet.md after `<!-- NAME -->`. */
function docSql(name: string): string {
  const m = new RegExp(`<!-- ${name} -->\\n\`\`\`sql\\n([\\s\\S]*?)\`\`\``).exec(DOC);
  if (!m) throw new Error(`docs/fleet.md has no sql block ${name}`);
  return m[1]!;
}

/** Column names of a CREATE TABLE, in order. */
function createColumns(sql: string): string[] {
  // The column list: from the first parenthesis to its match; split at commas outside
  // parentheses (Nullable(DateTime64(3, 'UTC'))).
  const cols: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of sql.slice(sql.indexOf('(') + 1)) {
    if (ch === '(') depth++;
    if (ch === ')' && depth-- === 0) break;
    if (ch === ',' && depth === 0) { cols.push(cur); cur = ''; } else cur += ch;
  }
  cols.push(cur);
  return cols.map((c) => c.trim().split(/\s+/)[0]!.replace(/"/g, '')).filter((c) => c !== '');
}

let dir = '';
let analyses: Analysis[] = [];
let con: DuckDBConnection;
let instance: DuckDBInstance;

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const r = await con.runAndReadAll(sql);
  return r.getRowObjectsJson() as Record<string, unknown>[];
}

/** Several statements: the result of the last. */
async function queryAll(sql: string): Promise<Record<string, unknown>[]> {
  const stmts = sql.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean);
  let last: Record<string, unknown>[] = [];
  for (const s of stmts) last = await query(s);
  return last;
}

const inDir = (sql: string): string => sql.replaceAll("'rows.jsonl'", `'${join(dir, 'rows.jsonl')}'`).replaceAll("'rows.parquet'", `'${join(dir, 'rows.parquet')}'`);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pxecheck-rows-'));
  const files = [...captureFiles('lab'), ...captureFiles('lab-v6'), ...captureFiles('field')];
  const lines: string[] = [];
  for (const f of files) {
    const a = await analyzeCapture(join(ROOT, f), { name: f });
    analyses.push(a);
    writeAnalysisRows(a, (l) => lines.push(l));
  }
  // Field captures cut to a 96-byte snap length (editcap, wireshark-common): devices the capture
  // cannot judge, each with its blind spot.
  if (hasTshark()) {
    // boot-among-other-clients: OS clients whose role the cut hides (their attempts look not-a-boot).
    // broken-two-dhcp-servers at 300: a failed attempt (port unreachable, its DHCP identity cut)
    // and an incomplete one (the DHCPv6 entry after it) of one device left unjudged.
    const cuts: [string, number][] = [['captures/field/os-then-two-boots.pcapng', 96], ['captures/field/phone-cisco-tftp.pcap', 96],
      ['captures/field/boot-among-other-clients.pcapng', 96], ['captures/lab/broken-two-dhcp-servers.pcapng', 300]];
    for (const [f, snap] of cuts) {
      const cut = join(dir, f.replace(/\W/g, '_') + `.s${snap}.pcapng`);
      expect(spawnSync('editcap', ['-s', String(snap), join(ROOT, f), cut]).status).toBe(0);
      const a = await analyzeCapture(cut, { name: f.replace(/\.pcap(ng)?$/, `.s${snap}.pcapng`) });
      analyses.push(a);
      writeAnalysisRows(a, (l) => lines.push(l));
    }
  }
  writeFileSync(join(dir, 'rows.jsonl'), lines.join('\n') + '\n');
  instance = await DuckDBInstance.create(':memory:');
  con = await instance.connect();
  await query(docSql('duckdb:create'));
  await query(inDir(docSql('duckdb:load')));
}, 120_000);

afterAll(() => {
  con?.closeSync();
  instance?.closeSync();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const bootDevices = () => analyses.flatMap((a) => a.clients.filter((c) => c.role === 'boot').map((c) => ({ a, c })));

describe('rows in DuckDB, as docs/fleet.md shows', () => {
  it('loads every row', async () => {
    expect(analyses.length).toBeGreaterThan(10);
    const [{ n }] = (await query('SELECT count(*) AS n FROM pxe_rows')) as [{ n: string }];
    const lines = readFileSync(join(dir, 'rows.jsonl'), 'utf8').trim().split('\n').length;
    expect(Number(n)).toBe(lines);
    const [{ devices, findings }] = (await query("SELECT count(*) FILTER (WHERE kind = 'device') AS devices, count(*) FILTER (WHERE kind = 'finding') AS findings FROM pxe_rows")) as [{ devices: string; findings: string }];
    expect(Number(devices)).toBe(analyses.reduce((n, a) => n + a.clients.length, 0));
    expect(Number(findings)).toBe(analyses.reduce((n, a) => n + a.findings.length, 0));
  });

  it('boot success by platform = the reports\' boot clients and verdicts, grouped', async () => {
    const got = await query(docSql('duckdb:success-by-platform'));
    const want = new Map<string, { devices: number; booted: number }>();
    for (const { c } of bootDevices()) {
      const k = `${c.archName}|${vendorOf(c.vendorClass)}`;
      const g = want.get(k) ?? { devices: 0, booted: 0 };
      g.devices++;
      if (c.outcome === 'booted') g.booted++;
      want.set(k, g);
    }
    expect(got.length).toBe(want.size);
    expect(want.size).toBeGreaterThan(2);
    for (const r of got) {
      const g = want.get(`${r['archName']}|${r['vendor']}`)!;
      expect(g, JSON.stringify(r)).toBeDefined();
      expect([Number(r['devices']), Number(r['booted'])]).toEqual([g.devices, g.booted]);
      expect(Number(r['success_pct'])).toBeCloseTo((100 * g.booted) / g.devices, 1);
    }
    expect(got.map((r) => Number(r['devices']))).toEqual([...got.map((r) => Number(r['devices']))].sort((x, y) => y - x));
  });

  it('root causes by site and capture = the failed devices of each report', async () => {
    const got = await query(docSql('duckdb:root-causes-by-site'));
    const want = new Map<string, number>();
    for (const { a, c } of bootDevices()) {
      if (c.outcome !== 'failed') continue;
      const k = `${siteOf(a.file)}|${a.file}|${c.rootCause}`;
      want.set(k, (want.get(k) ?? 0) + 1);
    }
    expect(new Map(got.map((r) => [`${r['site']}|${r['file']}|${r['rootCause']}`, Number(r['devices'])]))).toEqual(want);
    expect(new Set(got.map((r) => r['site']))).toEqual(new Set(['lab', 'lab-v6', 'field']));
  });

  it('slowest TFTP servers = the TFTP transfers of the reports, by server', async () => {
    const got = await query(docSql('duckdb:slowest-tftp-servers'));
    const want = new Map<string, { transfers: number; bytes: number; slowest: number }>();
    for (const a of analyses) {
      for (const c of a.clients) {
        for (const t of c.attempts) {
          for (const s of t.steps) {
            if (s.kind !== 'tftp' || s.bytes <= 0) continue;
            const g = want.get(s.server) ?? { transfers: 0, bytes: 0, slowest: 0 };
            g.transfers++;
            g.bytes += s.bytes;
            g.slowest = Math.max(g.slowest, s.duration);
            want.set(s.server, g);
          }
        }
      }
    }
    expect(want.size).toBeGreaterThan(0);
    expect(got.map((r) => r['server']).sort()).toEqual([...want.keys()].sort());
    for (const r of got) {
      const g = want.get(r['server'] as string)!;
      expect([Number(r['transfers']), Number(r['bytes'])]).toEqual([g.transfers, g.bytes]);
      expect(Number(r['slowest_s'])).toBeCloseTo(g.slowest, 6);
    }
    const medians = got.map((r) => Number(r['median_bytes_per_s']));
    expect(medians).toEqual([...medians].sort((x, y) => x - y));
  });

  it('servers of a device row are the servers of its steps', async () => {
    const got = await query("SELECT file, mac, servers FROM pxe_rows WHERE kind = 'device' ORDER BY file, mac");
    const want = analyses.flatMap((a) => a.clients.map((c) => ({ file: a.file, mac: c.mac, servers: serversOf(c.steps) })))
      .sort((x, y) => (x.file + x.mac < y.file + y.mac ? -1 : 1));
    expect(got).toEqual(want);
  });

  it.skipIf(!hasTshark())('blind spots: the devices and attempts a cut capture cannot judge, and why', async () => {
    const devices = await query("SELECT file, mac, blindSpot FROM pxe_rows WHERE kind = 'device' AND blindSpot IS NOT NULL ORDER BY file, mac");
    const want = analyses.flatMap((a) => a.clients.flatMap((c) => (c.blindSpot ? [{ file: a.file, mac: c.mac, blindSpot: c.blindSpot }] : [])))
      .sort((x, y) => (x.file + x.mac < y.file + y.mac ? -1 : 1));
    expect(want.length).toBeGreaterThan(0);
    expect(devices).toEqual(want);
    // Only an incomplete attempt or device has one; each attempt's steps and findings repeat it.
    const [{ wrong }] = (await query("SELECT count(*) AS wrong FROM pxe_rows WHERE blindSpot IS NOT NULL AND kind IN ('device', 'attempt') AND outcome <> 'incomplete'")) as [{ wrong: string }];
    expect(Number(wrong)).toBe(0);
    // A device left unjudged by its blind spot has no attempt row judged failed or not-a-boot, even
    // beside an attempt that is itself incomplete: each says incomplete with the device's blind
    // spot, and seenOutcome keeps the report's outcome.
    const [{ judged }] = (await query(`SELECT count(*) AS judged FROM pxe_rows t JOIN pxe_rows d ON d.kind = 'device' AND d.file = t.file AND d.mac = t.mac
      WHERE t.kind = 'attempt' AND d.outcome = 'incomplete' AND d.blindSpot IS NOT NULL
        AND (t.outcome <> 'incomplete' OR t.blindSpot IS DISTINCT FROM d.blindSpot) AND t.seenOutcome <> 'booted'`)) as [{ judged: string }];
    expect(Number(judged)).toBe(0);
    const mixed = analyses.flatMap((a) => a.clients.filter((c) => c.outcome === 'incomplete' && c.blindSpot !== undefined
      && c.attempts.some((t) => t.outcome === 'incomplete') && c.attempts.some((t) => t.outcome === 'failed')).map((c) => [a.file, c.mac] as const));
    expect(mixed.length).toBeGreaterThan(0);
    for (const [file, mac] of mixed) {
      const rows = await query(`SELECT outcome, seenOutcome FROM pxe_rows WHERE kind = 'attempt' AND file = '${file}' AND mac = '${mac}' AND seenOutcome = 'failed'`);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r['outcome'] === 'incomplete')).toBe(true);
    }
    const attempts = await query("SELECT file, mac, attempt, blindSpot, seenOutcome FROM pxe_rows WHERE kind = 'attempt' AND blindSpot IS NOT NULL ORDER BY file, mac, attempt");
    // Every device left unjudged with attempts has an attempt row that says why.
    const [{ silent }] = (await query(`SELECT count(*) AS silent FROM pxe_rows d WHERE kind = 'device' AND outcome = 'incomplete' AND blindSpot IS NOT NULL AND attempt IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM pxe_rows t WHERE t.kind = 'attempt' AND t.file = d.file AND t.mac = d.mac AND t.outcome = 'incomplete' AND t.blindSpot = d.blindSpot)`)) as [{ silent: string }];
    expect(Number(silent)).toBe(0);
    expect(attempts.some((r) => r['seenOutcome'] !== 'incomplete')).toBe(true);
    const [{ steps }] = (await query("SELECT count(*) AS steps FROM pxe_rows s WHERE kind = 'step' AND blindSpot = 'capture.snaplen'")) as [{ steps: string }];
    expect(Number(steps)).toBeGreaterThan(0);
  });

  it('exports Parquet that reads back as the table', async () => {
    const got = await queryAll(inDir(docSql('duckdb:parquet')));
    const table = await query('SELECT kind, count(*) AS n FROM pxe_rows GROUP BY kind ORDER BY kind');
    expect(got).toEqual(table);
    expect(got.map((r) => r['kind'])).toEqual(['attempt', 'device', 'finding', 'step']);
    const same = await query(`SELECT count(*) AS n FROM (SELECT * FROM pxe_rows EXCEPT SELECT * FROM read_parquet('${join(dir, 'rows.parquet')}'))`);
    expect(same).toEqual([{ n: '0' }]);
  });
});

describe('the documented tables have the schema\'s columns, in order', () => {
  it('DuckDB and ClickHouse CREATE TABLE', () => {
    expect(createColumns(docSql('duckdb:create'))).toEqual(COLUMNS);
    expect(createColumns(docSql('clickhouse:create'))).toEqual(COLUMNS);
  });

  it('the column table of docs/fleet.md', () => {
    const table = DOC.slice(DOC.indexOf('<!-- rows:columns:start -->'), DOC.indexOf('<!-- rows:columns:end -->'));
    expect([...table.matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1])).toEqual(COLUMNS);
  });
});
