/**
 * `analyze --format text`: a summary, one verdict line per device, then per device its timeline
 * (attempt by attempt) and its findings, consequences indented under their root cause, then the
 * capture-wide findings. Pure: returns lines; colour comes in as a Palette.
 */
import type { Analysis, ClientReport } from '../analysis/types.js';
import type { Finding } from '../findings/types.js';
import type { BootStep, Dhcp4Step, Dhcp6Status, RaSummary, RouterInfo } from '../flow/types.js';
import type { Severity } from '../findings/catalogue.js';
import { PLAIN, type Palette } from './color.js';
import { collapseSequence, humanDuration } from './humanize.js';
import { boxTable, breaksAfter, columnWidths, visibleWidth, wrapCell, wrapLine } from './layout.js';
import { attemptEntryLabel, blindSpotText, stageLabel, verdictLine } from './verdict.js';
import { findingIndex, type FindingIndex } from './finding-index.js';
import { UdpPort } from '../wire/ports.js';

/** Without a width (a file, a pipe), long URLs and file names wrap at this many columns. */
const MAX_CELL = 56;

export interface TextLayout {
  /** Columns of the terminal; null: no limit (lines as long as they are). */
  width?: number | null;
}

export function renderAnalysisText(a: Analysis, pal: Palette = PLAIN, layout: TextLayout = {}): string[] {
  const width = layout.width ?? null;
  const idx = findingIndex(a.findings);
  const out = summaryLines(a, pal);
  if (a.clients.length > 0) {
    out.push('', pal.bold('Verdicts'));
    // Boot clients first (failed ones at the top), then the other DHCP clients.
    for (const c of [...a.clients].sort(verdictOrder)) out.push(...wrapLine(`  ${verdictLine(c, idx, pal)}`, width, 4));
  }
  if (a.routers && a.routers.length > 0) out.push('', ...routerLines(a.routers, pal).flatMap((l) => wrapLine(l, width, 6)));
  for (const chain of a.clients) {
    out.push('');
    out.push(...clientLines(chain, idx.ofClient(chain.mac), pal, idx, width));
  }
  const wide = a.findings.filter((f) => f.client === null);
  if (wide.length > 0) {
    out.push('', pal.bold('Capture-wide findings'));
    out.push(...findingTree(wide, idx, pal, width));
  }
  return out;
}

/** Verdicts are listed by outcome in this order (then in report order). */
export const OUTCOME_ORDER: Record<ClientReport['outcome'], number> = { failed: 0, incomplete: 1, booted: 2, 'not-a-boot': 3 };

function verdictOrder(x: ClientReport, y: ClientReport): number {
  return OUTCOME_ORDER[x.outcome] - OUTCOME_ORDER[y.outcome];
}

/** Findings with their consequences indented under them (a consequence whose cause is listed
 *  elsewhere, e.g. under another device, stays at the top level). */
export function findingTree(list: readonly Finding[], all: readonly Finding[] | FindingIndex, pal: Palette, width: number | null = null): string[] {
  const shown = new Set(list.map((f) => f.id));
  const idx = findingIndex(all);
  const out: string[] = [];
  for (const f of list) {
    if (f.causedBy !== null && shown.has(f.causedBy)) continue;
    out.push(...findingLines(f, pal, width));
    const cons = idx.consequences(f.id);
    if (cons.length === 0) continue;
    out.push(`    ${pal.dim(`${cons.length} consequence${cons.length === 1 ? '' : 's'}:`)}`);
    for (const c of cons) out.push(...wrapLine(`      ${pal.severity(c.severity, c.code)}: ${printable(c.message)}${framesSuffix(c.frames)}`, width, 8));
  }
  return out;
}

export function summaryLines(a: Analysis, pal: Palette): string[] {
  const s = a.summary;
  const counts = `${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}, ${s.infos} info`;
  return [
    `${pal.bold('File:')}     ${printable(a.file)}`,
    `${pal.bold('Packets:')}  ${a.packets}`,
    `${pal.bold('Clients:')}  ${s.clients} boot client${s.clients === 1 ? '' : 's'}${s.otherClients > 0 ? `, ${s.otherClients} other DHCP client${s.otherClients === 1 ? '' : 's'}` : ''}`,
    `${pal.bold('Boots:')}    ${s.booted} booted, ${s.failed > 0 ? pal.fail(`${s.failed} failed`) : '0 failed'}${s.incomplete > 0 ? `, ${s.incomplete} incomplete` : ''}`,
    `${pal.bold('Time to boot program:')} median ${seconds(s.medianTimeToBootProgram)}, p95 ${seconds(s.p95TimeToBootProgram)}`,
    `${pal.bold('Findings:')} ${counts}`,
    ...(a.ndp && ndpTotal(a) > 0 ? [`${pal.bold('Neighbour discovery:')} ${a.ndp.rs} RS, ${a.ndp.ra} RA, ${a.ndp.ns} NS, ${a.ndp.na} NA, ${a.ndp.redirect} redirect`] : []),
  ];
}

function ndpTotal(a: Analysis): number {
  const n = a.ndp;
  return n ? n.rs + n.ra + n.ns + n.na + n.redirect : 0;
}

/** One line per distinct advertisement of each router. */
export function routerLines(routers: readonly RouterInfo[], pal: Palette): string[] {
  const out = [pal.bold('Routers')];
  for (const r of routers) {
    const vlan = r.vlans.length > 0 ? ` VLAN ${r.vlans.join('.')}` : '';
    out.push(`  ${r.address}${r.mac ? ` (${r.mac})` : ''}${vlan}`);
    for (const a of r.adverts) {
      const span = a.count > 1 ? ` ×${a.count} over ${humanDuration(a.last - a.first)}` : '';
      out.push(`    ${printable(raText(a))}${span}`);
    }
  }
  return out;
}

/** `M=1 O=1 lifetime 1800s prefix 2001:db8:1::/64 (L, valid 86400s, preferred 14400s)`. */
export function raText(a: RaSummary): string {
  const parts = [`M=${a.managed ? 1 : 0} O=${a.other ? 1 : 0}`, `lifetime ${a.routerLifetime}s`];
  if (a.preference !== 'medium') parts.push(`preference ${a.preference}`);
  for (const p of a.prefixes) {
    const flags = `${p.onLink ? 'L' : ''}${p.autonomous ? 'A' : ''}` || '-';
    parts.push(`prefix ${p.prefix}/${p.length} (${flags}, valid ${p.valid}s, preferred ${p.preferred}s)`);
  }
  if (a.mtu !== null) parts.push(`mtu ${a.mtu}`);
  if (a.rdnss.length > 0) parts.push(`rdnss ${a.rdnss.join(' ')}`);
  if (a.dnssl.length > 0) parts.push(`dnssl ${a.dnssl.join(' ')}`);
  return parts.join(' ');
}

/** Header, timeline table and findings of one client. */
export function clientLines(chain: ClientReport, findings: readonly Finding[], pal: Palette, all: readonly Finding[] | FindingIndex = findings, width: number | null = null): string[] {
  const arch = chain.arch === null ? 'arch ?' : `arch ${chain.arch}${chain.archName ? ` (${chain.archName})` : ''}`;
  const vc = chain.vendorClass ? `, ${printable(chain.vendorClass)}` : '';
  const state = chain.outcome === 'booted' ? 'booted'
    : chain.outcome === 'failed' ? pal.fail('FAILED')
    : chain.outcome === 'incomplete' ? 'incomplete' : `not a boot client (${chain.roleReason})`;
  const out = wrapLine(pal.bold(`Client ${chain.mac}`) + ` — ${arch}${vc} — ${state}`, width, 2);
  const boots = chain.attempts.filter((a) => a.outcome !== 'not-a-boot');
  if (chain.attempts.length > 1 || boots.length > 0) {
    const lastBoot = chain.attempts.findLast((a) => a.entry !== 'os');
    for (const a of chain.attempts) out.push(...wrapLine(`  ${attemptLine(a, a.index >= (lastBoot?.index ?? 0))}`, width, 4));
  }
  out.push(...timelineLines(chain, pal, width));
  if (findings.length > 0) {
    out.push('Findings:');
    out.push(...findingTree(findings, all, pal, width));
  }
  return out;
}

/** `attempt 1 (PXE over IPv4) +0.000–+12.100: failed at TFTP, tftp.error (PXE-E23)`. */
function attemptLine(a: ClientReport['attempts'][number], last: boolean): string {
  // Not the last and not judged: it started again after minutes, in a capture without transfers.
  const unseen = a.blindSpot ? `not judged: ${blindSpotText(a.blindSpot)}` : last ? 'the capture ends' : 'not judged: the capture holds no traffic of its server';
  const what = a.outcome === 'failed' ? `failed in ${stageLabel(a.stage)}: ${a.rootCause ?? '?'}${a.pxeError ? ` (${a.pxeError})` : ''}`
    : a.outcome === 'booted' ? `booted${a.bootProgram ? ` ${printable(a.bootProgram)}` : ''}${a.timeToBootProgram !== null ? `, boot program after ${humanDuration(a.timeToBootProgram)}` : ''}`
    : a.outcome === 'incomplete' ? `incomplete after ${stageLabel(a.stage)} (${unseen})` : 'not a boot';
  return `attempt ${a.index + 1} (${attemptEntryLabel(a)}, ${a.steps.length} step${a.steps.length === 1 ? '' : 's'}): ${what}`;
}

/** The timeline table (no trailing newline), one row per step. */
export function timelineLines(chain: ClientReport, pal: Palette, width: number | null = null): string[] {
  if (chain.steps.length === 0) return ['  (no steps)'];
  let t0 = Infinity;
  for (const s of chain.steps) if (s.start < t0) t0 = s.start;
  const rows: string[][] = [['time', 'step', 'what', 'result', 'duration']];
  // With several attempts, each step says which one it belongs to.
  const attemptOf = new Map<BootStep, number>();
  if (chain.attempts.length > 1) for (const a of chain.attempts) for (const st of a.steps) attemptOf.set(st, a.index + 1);
  for (const step of chain.steps) {
    const n = attemptOf.get(step);
    rows.push([
      formatOffset(step.start - t0),
      (n === undefined ? '' : `#${n} `) + stepKind(step),
      printable(stepWhat(step)),
      joinNonEmpty(stepResult(step, pal), printable(stepDetail(step))),
      humanDuration(step.duration, ''),
    ]);
  }
  return fittedTable(rows, new Set([2, 3]), width);
}

/** `a b`, or the one of them that is not empty. */
function joinNonEmpty(a: string, b: string): string {
  return a === '' ? b : b === '' ? a : `${a} ${b}`;
}

/** ok, FAIL, or neither where the snap length cut what would tell (the detail says what is known). */
function stepResult(step: BootStep, pal: Palette): string {
  if (step.ok) return 'ok';
  if (answeredUntyped(step)) return 'answered (type cut)';
  if (step.kind === 'http' && step.cut) return '';
  return pal.fail('FAIL');
}

/** A DHCPv4 step whose server answered with a reply of unknown type (the snap length cut it):
 *  neither ok nor failed. */
function answeredUntyped(step: BootStep): boolean {
  return step.kind === 'dhcp4' && step.cut !== undefined && step.messages.some((m) => m.startsWith('reply (type cut'));
}

/**
 * A bordered table whose flexible columns wrap (never inside a word) so the table fits `width`;
 * shared with the run report. The wrapped cells replace those of `rows` (the caller's own).
 */
export function fittedTable(rows: string[][], flexible: ReadonlySet<number>, width: number | null, cap = MAX_CELL): string[] {
  // Every cell measured once: for the natural widths, the fit and the padding.
  // Loops, not map/spread: every client's timeline is one of these tables.
  const columns = rows[0]!.length;
  const measured: number[][] = [];
  const natural: number[] = new Array<number>(columns).fill(1);
  for (const r of rows) {
    const m = new Array<number>(r.length);
    for (let col = 0; col < r.length; col++) {
      const w = visibleWidth(r[col]!);
      m[col] = w;
      if (col < columns && w > natural[col]!) natural[col] = w;
    }
    measured.push(m);
  }
  const widths = columnWidths(natural, flexible, width, cap);
  // Flexible cells fitted in place (rows are the caller's own, built for this table).
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    for (const col of flexible) {
      if (col >= r.length) continue;
      const cell = r[col]!;
      const fitted = fitCell(cell, measured[i]![col]!, widths[col]!);
      if (fitted !== cell) {
        measured[i]![col] = -1;
        r[col] = fitted;
      }
    }
  }
  return boxTable(rows, widths, measured);
}

/** A flexible cell (`cellWidth` columns) wrapped to `width` (lines joined by `\n`); one that fits
 *  on one line — nearly all of them — is the line wrapCell gives, without its split and join. */
function fitCell(cell: string, cellWidth: number, width: number): string {
  if (!cell.includes('\n') && cellWidth <= width) return cell.trim();
  return wrapCell(middleCut(cell, width), width).join('\n');
}

/**
 * Each run between break points (see breaksAfter) longer than a line keeps its start and its end
 * with `…` between: wrapCell would cut it from the end, and a URL's or path's end is the file
 * name (`snponly-x86_64-…-name.efi`, not `snponly-x86_64-with-a-very-…`).
 */
export function middleCut(text: string, width: number): string {
  // A piece is its run and the break character after it: runs of up to width - 1 fit a line.
  const max = Math.max(3, width - 1);
  let out = '';
  let from = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && !breaksAfter(text.charCodeAt(i)) && text.charCodeAt(i) !== 0x0a) continue;
    const run = text.slice(from, i);
    // Colour escapes are left whole (wrapCell's own cut handles such a run).
    const chars = run.length > max && !run.includes('\u001b') ? [...run] : null;
    if (chars !== null && chars.length > max) {
      const tail = Math.ceil((max - 1) / 2);
      out += `${chars.slice(0, max - 1 - tail).join('')}…${chars.slice(chars.length - tail).join('')}`;
    } else out += run;
    if (i < text.length) out += text[i];
    from = i + 1;
  }
  return out;
}

export function findingLines(f: Finding, pal: Palette, width: number | null = null): string[] {
  return [
    ...wrapLine(`  ${pal.severity(f.severity, severityLabel(f.severity))} ${f.code}: ${printable(f.message)}${framesSuffix(f.frames)}`, width, 4),
    ...wrapLine(`    ${pal.dim('hint:')} ${printable(f.hint)}`, width, 10),
  ];
}

export function severityLabel(sev: Severity): string {
  return sev === 'error' ? 'ERROR  ' : sev === 'warning' ? 'WARNING' : 'INFO   ';
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Control characters from the capture (a file name, a server's error text) are shown as `\xNN`:
 * they must not move the cursor or recolour the user's terminal.
 */
export function printable(s: string): string {
  // One scan answers for nearly every string (a functional replace is a slow path even with no match).
  if (!CONTROL.test(s)) return s;
  return s.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}


/** `+s.mmm` from the client's first packet. */
export function formatOffset(sec: number): string {
  return `+${Math.max(0, sec).toFixed(3)}`;
}

function seconds(v: number | null): string {
  return v === null ? 'n/a' : humanDuration(v);
}

/** ` (frames 1, 2, 3)`: at most 8 numbers, then a count of the rest; empty without frames. */
export function framesSuffix(frames: readonly number[]): string {
  if (frames.length === 0) return '';
  const shown = frames.slice(0, 8).join(', ');
  return ` (frame${frames.length === 1 ? '' : 's'} ${frames.length > 8 ? `${shown} … +${frames.length - 8}` : shown})`;
}

function statusText(x: Dhcp6Status): string {
  const where = x.scope === 'ia' ? 'IA ' : x.scope === 'address' ? `${x.address ?? ''} ` : '';
  return `${where}${x.name ?? x.code}${x.message ? ` "${x.message}"` : ''}`;
}

/** Runs and repeated exchanges collapse: DISCOVER→OFFER×2→REQUEST, INFORM→ACK ×250. */
export function messageSequence(messages: readonly string[]): string {
  return collapseSequence(messages);
}

/** The boot stage of a DHCPv4 step, and what the snap length cut of it. */
export function dhcp4StageLabel(step: Dhcp4Step): string {
  if (step.cut === 'identity') return 'DHCP, options cut by the snap length';
  return step.cut === 'options' ? `${step.stage}, options cut by the snap length` : step.stage;
}

function stepKind(step: BootStep): string {
  switch (step.kind) {
    case 'dhcp4': return `dhcp4 (${dhcp4StageLabel(step)})`;
    case 'proxydhcp': return 'proxydhcp';
    case 'dhcp6': return step.relay ? 'dhcp6 (relayed)' : 'dhcp6';
    case 'ra': return 'ra';
    case 'tftp': return step.probe ? 'tftp (probe)' : 'tftp';
    case 'http': return 'http';
  }
}

export function stepWhat(step: BootStep): string {
  switch (step.kind) {
    case 'dhcp4':
    case 'proxydhcp':
      return messageSequence(step.messages) || '(none)';
    case 'dhcp6': {
      const retries = step.retransmissions > 0 ? `, ${step.retransmissions} retransmission${step.retransmissions === 1 ? '' : 's'}` : '';
      return `${messageSequence(step.messages) || '(none)'} (xid 0x${step.xid.toString(16)}${retries})`;
    }
    case 'ra':
      return `${messageSequence(step.messages) || '(none)'}${step.router ? ` from ${step.router}` : ''}`;
    case 'tftp': return `${step.opcode} ${step.file}`;
    case 'http': return `${step.method} ${step.url}`;
  }
}

/** What came out of a step: address, boot file, bytes, status, error. */
export function stepDetail(step: BootStep): string {
  const parts: string[] = [];
  switch (step.kind) {
    case 'dhcp4':
      if (step.yiaddr) parts.push(step.yiaddr);
      if (step.bootfile) parts.push(`boot ${step.bootfile}`);
      if (step.nextServer) parts.push(`next-server ${step.nextServer}`);
      if (step.offers.length > 1) parts.push(`${step.offers.length} offers`);
      break;
    case 'proxydhcp':
      if (step.bootfile) parts.push(`boot ${step.bootfile}`);
      if (step.nextServer) parts.push(`next-server ${step.nextServer}`);
      break;
    case 'dhcp6':
      for (const l of step.leases) parts.push(`${l.address} (valid ${l.valid}s)`);
      for (const a of step.addresses) if (!step.leases.some((l) => l.address === a)) parts.push(a);
      if (step.bootfileUrl) parts.push(`boot ${step.bootfileUrl}`);
      if (step.bootfileParams.length > 0) parts.push(`params ${step.bootfileParams.join(' ')}`);
      if (step.rapidCommit) parts.push('rapid commit');
      if (step.statuses.length > 0) parts.push(`status ${step.statuses.map(statusText).join(', ')}`);
      if (step.relay) parts.push(`relay link ${step.relay.linkAddress}${step.relay.interfaceId ? ` interface-id ${step.relay.interfaceId}` : ''}${step.relay.remoteId ? ` remote-id ${step.relay.remoteId}` : ''}`);
      break;
    case 'ra':
      if (step.advert) parts.push(raText(step.advert));
      else parts.push('no router advertisement');
      break;
    case 'tftp':
      if (step.probe) {
        parts.push(`tsize ${step.tsize ?? '?'}, ended by the client`);
        break;
      }
      parts.push(`${step.bytes} bytes`);
      if (step.blksize !== 512) parts.push(`blksize ${step.blksize}`);
      if (step.retransmits > 0) parts.push(`${step.retransmits} retransmits`);
      if (step.error) parts.push(`ERROR ${step.error.code} ${step.error.message}`);
      if (step.unreachable) parts.push(step.unreachable);
      if (!step.error && !step.complete) parts.push('incomplete');
      if (step.serverPort === UdpPort.TFTP) parts.push(`answered from port ${UdpPort.TFTP}`);
      break;
    case 'http':
      if (step.cut) {
        // The snap length cut the response head: a response, its body not in the capture.
        parts.push(step.status === null ? 'response (cut)' : `${step.status} (cut)`);
        // Its body shown delivered by the TCP sequence space and the client's ACKs.
        if (step.complete) parts.push(step.bytes > 0 ? `${step.bytes} bytes delivered` : 'delivered');
        break;
      }
      parts.push(step.status === null ? 'no response' : `${step.status}`);
      parts.push(`${step.bytes} bytes`);
      if (!step.complete && step.status !== null) parts.push('incomplete');
      break;
  }
  return parts.join(', ');
}
