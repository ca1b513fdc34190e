/**
 * `analyze --format rows`: the analysis as flat JSON Lines for engines that already hold fleet
 * data (DuckDB, ClickHouse, BigQuery…). One record per device, attempt, step and finding, every
 * record with every column (null where it does not apply) so that one table holds them all.
 * The contract is docs/fleet.md; its zod schema is analyze-rows-schema.ts (kept apart so writing
 * rows does not load zod). Written one line at a time: nothing but the current row is built.
 */
import type { AttemptReport, ClientReport, Analysis } from '../analysis/types.js';
import type { Finding } from '../findings/types.js';
import type { BootStep } from '../flow/types.js';
import { serversOf, siteOf, vendorOf } from '../analysis/device-keys.js';

/** The version tag every row carries; bump it on any change of meaning or a removed column. */
export const ROWS_SCHEMA = 'pxecheck.rows/1';

export type RowKind = 'device' | 'attempt' | 'step' | 'finding';

/** One row. Columns are public (docs/fleet.md); a new one is added at the end, nullable. */
export interface AnalysisRow {
  schema: typeof ROWS_SCHEMA;
  kind: RowKind;
  /** The capture, as the report names it, and the folder it sits in (null: none given). */
  file: string;
  site: string | null;
  // The device (null on a capture-wide finding).
  mac: string | null;
  ip: string | null;
  role: string | null;
  vendorClass: string | null;
  /** The vendor class up to its first `:` (PXEClient, HTTPClient, `Cisco Systems, Inc. IP Phone CP-8841`). */
  vendor: string | null;
  arch: number | null;
  archName: string | null;
  // The attempt (device rows: the one that decided the verdict).
  attempt: number | null;
  entry: string | null;
  stage: string | null;
  outcome: string | null;
  rootCause: string | null;
  pxeError: string | null;
  // Times: epoch seconds and ISO 8601 (UTC); duration in seconds.
  start: number | null;
  startIso: string | null;
  end: number | null;
  endIso: string | null;
  duration: number | null;
  timeToBootProgram: number | null;
  bootProgram: string | null;
  /** Servers the device/attempt talked to (DHCP, proxyDHCP, DHCPv6, TFTP, HTTP), first seen first. */
  servers: string[];
  // The step.
  step: number | null;
  proto: string | null;
  ok: boolean | null;
  server: string | null;
  /** TFTP file, HTTP URL, or the boot file a DHCP answer named. */
  target: string | null;
  messages: string | null;
  /** TFTP error, HTTP status, DHCPv6 status names. */
  status: string | null;
  bytes: number | null;
  throughput: number | null;
  // Findings: the codes of a device/attempt, or the one finding.
  codes: string[];
  severity: string | null;
  code: string | null;
  findingId: string | null;
  /** The code of the root cause a finding is a consequence of. */
  causedBy: string | null;
  isRootCause: boolean | null;
  message: string | null;
  frames: number[];
  /** Why an incomplete attempt (device rows: the device) cannot be judged from the capture: the
   *  capture finding's code (capture.one-sided, capture.snaplen). Added within rows/1. */
  blindSpot: string | null;
  /** Attempt, step and finding rows: the attempt's outcome as its own packets showed it (the
   *  JSON report's). It differs from `outcome` where the device's blind spot leaves a failed or
   *  not-a-boot attempt open. Added within rows/1. */
  seenOutcome: string | null;
}

export interface RowsOptions {
  /** The site column (default: the name of the folder holding the capture, null when none). */
  site?: string | null;
}

/** Writes the rows of one analysis, one JSON line per `line` call: device, then per attempt the
 *  attempt, its steps and its findings; capture-wide findings last. */
export function writeAnalysisRows(a: Analysis, line: (s: string) => void, opts: RowsOptions = {}): void {
  const site = opts.site !== undefined ? opts.site : siteOf(a.file);
  const byClient = new Map<string | null, Finding[]>();
  const byId = new Map<string, Finding>();
  for (const f of a.findings) {
    byId.set(f.id, f);
    let list = byClient.get(f.client);
    if (list === undefined) byClient.set(f.client, (list = []));
    list.push(f);
  }
  // A root cause may be capture-wide (a router's advertisement) and explain several devices.
  const roots = new Set<string>();
  for (const c of a.clients) for (const t of c.attempts) if (t.rootCauseId !== null) roots.add(t.rootCauseId);
  const ctx: FindingContext = { byId, roots };
  const base = { schema: ROWS_SCHEMA, file: a.file, site } as const;
  for (const c of a.clients) {
    const findings = byClient.get(c.mac) ?? [];
    const dev = deviceColumns(c);
    const decisive = decisiveAttempt(c);
    line(JSON.stringify(row({
      ...base, kind: 'device', ...dev, ...attemptColumns(decisive, null), outcome: c.outcome, rootCause: c.rootCause, blindSpot: c.blindSpot ?? null, seenOutcome: null,
      ...span(c.attempts[0]?.start ?? null, c.attempts[c.attempts.length - 1]?.end ?? null),
      timeToBootProgram: c.timeToBootProgram, bootProgram: decisive?.bootProgram ?? null,
      servers: serversOf(c.steps), codes: codesOf(findings), severity: worstSeverity(findings),
    })));
    const listed = new Set<Finding>();
    const open = unjudgedBy(c);
    for (const t of c.attempts) {
      const own = findings.filter((f) => f.attempt === t.index);
      line(JSON.stringify(row({
        ...base, kind: 'attempt', ...dev, ...attemptColumns(t, open), ...span(t.start, t.end),
        timeToBootProgram: t.timeToBootProgram, bootProgram: t.bootProgram,
        servers: serversOf(t.steps), codes: codesOf(own), severity: worstSeverity(own),
      })));
      for (let i = 0; i < t.steps.length; i++) line(JSON.stringify(row({ ...base, kind: 'step', ...dev, ...attemptColumns(t, open), ...stepColumns(t.steps[i]!, i) })));
      for (const f of own) {
        listed.add(f);
        line(JSON.stringify(findingRow(base, dev, t, open, f, ctx)));
      }
    }
    for (const f of findings) if (!listed.has(f)) line(JSON.stringify(findingRow(base, dev, null, null, f, ctx)));
  }
  for (const f of byClient.get(null) ?? []) line(JSON.stringify(findingRow(base, {}, null, null, f, ctx)));
}

const EMPTY: Omit<AnalysisRow, 'schema' | 'kind' | 'file' | 'site'> = {
  mac: null, ip: null, role: null, vendorClass: null, vendor: null, arch: null, archName: null,
  attempt: null, entry: null, stage: null, outcome: null, rootCause: null, pxeError: null,
  start: null, startIso: null, end: null, endIso: null, duration: null, timeToBootProgram: null, bootProgram: null, servers: [],
  step: null, proto: null, ok: null, server: null, target: null, messages: null, status: null, bytes: null, throughput: null,
  codes: [], severity: null, code: null, findingId: null, causedBy: null, isRootCause: null, message: null, frames: [],
  blindSpot: null, seenOutcome: null,
};

/** Every column, in the documented order. */
function row(r: Partial<AnalysisRow> & Pick<AnalysisRow, 'schema' | 'kind' | 'file' | 'site'>): AnalysisRow {
  const { schema, kind, file, site, ...rest } = r;
  return { schema, kind, file, site, ...EMPTY, ...rest };
}

function deviceColumns(c: ClientReport): Partial<AnalysisRow> {
  return { mac: c.mac, ip: addressOf(c), role: c.role, vendorClass: c.vendorClass, vendor: vendorOf(c.vendorClass), arch: c.arch, archName: c.archName };
}

/** The attempt's columns; `open`: the blind spot that leaves the device unjudged — its failed and
 *  not-a-boot attempts rest on what the capture does not show (`seenOutcome` keeps what was seen). */
function attemptColumns(t: AttemptReport | null, open: BlindSpotCode | null): Partial<AnalysisRow> {
  if (t === null) return {};
  const left = open !== null && (t.outcome === 'failed' || t.outcome === 'not-a-boot');
  return {
    attempt: t.index, entry: t.entry, stage: t.stage, outcome: left ? 'incomplete' : t.outcome, rootCause: t.rootCause, pxeError: t.pxeError,
    blindSpot: left ? open : t.blindSpot ?? null, seenOutcome: t.outcome,
  };
}

type BlindSpotCode = NonNullable<ClientReport['blindSpot']>;

/** The blind spot of a device left unjudged (incomplete): where its attempts begin (a cut took
 *  its requests' identity) or what kind of device it is (only answers seen) is not in the
 *  capture, so no failure or OS attempt seen is the device's verdict — whether or not another of
 *  its attempts is incomplete. Null where the device was judged. */
function unjudgedBy(c: ClientReport): BlindSpotCode | null {
  return c.outcome === 'incomplete' && c.blindSpot !== undefined ? c.blindSpot : null;
}

/** The attempt behind the device's verdict: the one that booted, else the one its root cause
 *  came from, else the last one. */
function decisiveAttempt(c: ClientReport): AttemptReport | null {
  return c.attempts.find((t) => t.outcome === 'booted')
    ?? (c.rootCause === null ? undefined : c.attempts.find((t) => t.rootCause === c.rootCause))
    ?? c.attempts[c.attempts.length - 1] ?? null;
}

function span(start: number | null, end: number | null): Partial<AnalysisRow> {
  return { start, startIso: iso(start), end, endIso: iso(end), duration: start !== null && end !== null ? end - start : null };
}

function iso(t: number | null): string | null {
  return t === null || !Number.isFinite(t) ? null : new Date(t * 1000).toISOString();
}

function stepColumns(s: BootStep, index: number): Partial<AnalysisRow> {
  const common = { step: index, proto: s.kind, ok: s.ok, ...span(s.start, s.start + s.duration), duration: s.duration, frames: s.frames };
  switch (s.kind) {
    case 'dhcp4':
    case 'proxydhcp':
      return { ...common, server: s.server, target: s.bootfile, messages: s.messages.join('→') };
    case 'dhcp6':
      return { ...common, server: s.server, target: s.bootfileUrl, messages: s.messages.join('→'), status: s.statuses.length === 0 ? null : s.statuses.map((x) => x.name ?? String(x.code)).join(',') };
    case 'ra':
      return { ...common, server: s.router, messages: s.messages.join('→') };
    case 'tftp':
      return { ...common, server: s.server, target: s.file, messages: s.opcode, status: s.error ? `${s.error.code} ${s.error.message}` : s.unreachable, bytes: s.bytes, throughput: s.throughput };
    case 'http':
      return { ...common, server: s.server, target: s.url, messages: s.method, status: s.status === null ? null : String(s.status), bytes: s.bytes, throughput: s.throughput };
  }
}

interface FindingContext {
  byId: ReadonlyMap<string, Finding>;
  /** Ids of the findings that are some attempt's root cause. */
  roots: ReadonlySet<string>;
}

function findingRow(base: Pick<AnalysisRow, 'schema' | 'file' | 'site'>, dev: Partial<AnalysisRow>, t: AttemptReport | null, open: BlindSpotCode | null, f: Finding, ctx: FindingContext): AnalysisRow {
  const time = f.time ?? null;
  return row({
    ...base, kind: 'finding', ...dev, ...attemptColumns(t, open), ...span(time, time), duration: null,
    codes: [f.code], severity: f.severity, code: f.code, findingId: f.id,
    causedBy: f.causedBy === null ? null : ctx.byId.get(f.causedBy)?.code ?? null,
    isRootCause: ctx.roots.has(f.id),
    pxeError: f.pxeError, message: f.message, frames: f.frames,
  });
}

function codesOf(findings: readonly Finding[]): string[] {
  const out: string[] = [];
  for (const f of findings) if (!out.includes(f.code)) out.push(f.code);
  return out;
}

const SEVERITY_RANK: Record<string, number> = { info: 1, warning: 2, error: 3 };

function worstSeverity(findings: readonly Finding[]): string | null {
  let worst: string | null = null;
  for (const f of findings) if (worst === null || SEVERITY_RANK[f.severity]! > SEVERITY_RANK[worst]!) worst = f.severity;
  return worst;
}

/** The device's address: the last one a DHCP server gave it, or the one it is named by. */
function addressOf(c: ClientReport): string | null {
  if (c.mac.startsWith('ip:')) return c.mac.slice(3);
  for (let i = c.steps.length - 1; i >= 0; i--) {
    const s = c.steps[i]!;
    if (s.kind === 'dhcp4' && s.yiaddr !== null && s.yiaddr !== '0.0.0.0') return s.yiaddr;
    if (s.kind === 'dhcp6' && s.addresses.length > 0) return s.addresses[0]!;
  }
  return null;
}
