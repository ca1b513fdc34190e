/**
 * `analyze` reports written as devices finish: the text, JSON and JUnit reports of a capture
 * of any size with memory that does not grow with it. Each part (devices and their findings) is
 * rendered at once and put aside (`Spool`); `end` writes the head, which needs the totals, then the
 * parts in order. For one part the output is byte for byte what the whole-analysis renderers
 * (`renderAnalysisText`, `renderAnalysisJson`, `renderJunit`) give.
 */
import type { Analysis, ClientReport, Outcome } from '../analysis/types.js';
import type { Finding } from '../findings/types.js';
import { analysisToJson } from './analyze-json.js';
import { clientLines, findingTree, OUTCOME_ORDER, routerLines, summaryLines } from './analyze-text.js';
import { PLAIN, type Palette } from './color.js';
import { FindingIndex } from './finding-index.js';
import { caseLines, clientCase, suiteOpen, wideCase, type Case } from './junit.js';
import { wrapLine } from './layout.js';
import { Spool, type SpoolSink } from './spool.js';
import { verdictLine } from './verdict.js';

/** Where a finished report goes: raw text, in order. */
export type TextSink = (chunk: string) => void;
/** Optional: where UTF-8 bytes of the report may go as they are (a spool drained from its file). */
export type ByteSink = (chunk: Uint8Array) => void;

/** Devices finished together, with their findings (and capture-wide ones raised with them). */
export interface ReportPart {
  file: string;
  clients: readonly ClientReport[];
  findings: readonly Finding[];
}

export interface AnalysisWriter {
  part(p: ReportPart): void;
  /** The report: the head from `a` (its clients and findings are ignored: they came in parts).
   *  With `bytes`, spooled parts go there as UTF-8, in order with the text given to `sink`. */
  end(a: Analysis, sink: TextSink, bytes?: ByteSink): void;
  /** Drops what was put aside (a report not written after all). */
  discard(): void;
}

const NESTED_OPEN = '[\n  [\n';
const NESTED_CLOSE = '\n  ]\n]';

/** `--format json`: pretty (one capture) or one compact line (JSON Lines, several captures). */
export class JsonWriter implements AnalysisWriter {
  private readonly clients = new Spool();
  private readonly findings = new Spool();
  private nClients = 0;
  private nFindings = 0;

  constructor(private readonly compact: boolean) {}

  part({ clients, findings }: ReportPart): void {
    for (const c of clients) this.item(this.clients, c, this.nClients++);
    for (const f of findings) this.item(this.findings, f, this.nFindings++);
  }

  end(a: Analysis, text: TextSink, bytes?: ByteSink): void {
    const sink = both(text, bytes);
    const head = analysisToJson({ ...a, clients: [], findings: [] });
    const skeleton = this.compact ? JSON.stringify(head) : JSON.stringify(head, null, 2);
    const sep = this.compact ? ':' : ': ';
    const c = skeleton.indexOf(`"clients"${sep}[]`);
    const f = skeleton.indexOf(`"findings"${sep}[]`, c);
    // Where each `[]` stands: the key, its quotes and the separator before it.
    const open = (key: string, at: number): number => at + key.length + 2 + sep.length;
    text(skeleton.slice(0, open('clients', c)));
    this.list(this.clients, this.nClients, sink);
    text(skeleton.slice(open('clients', c) + 2, open('findings', f)));
    this.list(this.findings, this.nFindings, sink);
    text(skeleton.slice(open('findings', f) + 2));
    text('\n');
  }

  discard(): void {
    this.clients.dispose();
    this.findings.dispose();
  }

  /** The separator and the item go to the spool apart: joined, they would be one more copy of
   *  the item's text (a concatenation is flattened when encoded; a slice is not). */
  private item(to: Spool, x: unknown, n: number): void {
    if (n > 0) to.write(this.compact ? ',' : ',\n');
    if (this.compact) return to.write(JSON.stringify(x));
    // An item of a list under a key of the document: `[[x]]` indents x as that deep (4 spaces and
    // on) in one native pass, with no replace over the text afterwards.
    const nested = JSON.stringify([[x]], null, 2);
    to.write(nested.slice(NESTED_OPEN.length, nested.length - NESTED_CLOSE.length));
  }

  private list(s: Spool, n: number, sink: SpoolSink): void {
    if (n === 0) return sink.text('[]');
    sink.text(this.compact ? '[' : '[\n');
    s.drain(sink);
    sink.text(this.compact ? ']' : '\n  ]');
  }
}

const OUTCOMES = (Object.keys(OUTCOME_ORDER) as Outcome[]).sort((x, y) => OUTCOME_ORDER[x] - OUTCOME_ORDER[y]);

/** `--format text` (see renderAnalysisText for the layout). */
export class TextWriter implements AnalysisWriter {
  private readonly verdicts = new Map<Outcome, Spool>(OUTCOMES.map((o) => [o, new Spool()]));
  private readonly blocks = new Spool();
  private readonly wide = new Spool();
  private clients = 0;

  constructor(private readonly pal: Palette = PLAIN, private readonly width: number | null = null) {}

  part({ clients, findings }: ReportPart): void {
    const idx = new FindingIndex(findings);
    for (const c of clients) {
      this.clients++;
      this.verdicts.get(c.outcome)!.writeLines(wrapLine(`  ${verdictLine(c, idx, this.pal)}`, this.width, 4));
      this.blocks.write('\n');
      this.blocks.writeLines(clientLines(c, idx.ofClient(c.mac), this.pal, idx, this.width));
    }
    const wide = findings.filter((f) => f.client === null);
    if (wide.length > 0) this.wide.writeLines(findingTree(wide, idx, this.pal, this.width));
  }

  end(a: Analysis, text: TextSink, bytes?: ByteSink): void {
    const sink = text;
    const raw = both(text, bytes);
    sink(lines(summaryLines(a, this.pal)));
    if (this.clients > 0) {
      sink(lines(['', this.pal.bold('Verdicts')]));
      for (const o of OUTCOMES) this.verdicts.get(o)!.drain(raw);
    }
    if (a.routers && a.routers.length > 0) sink(lines(['', ...routerLines(a.routers, this.pal).flatMap((l) => wrapLine(l, this.width, 6))]));
    this.blocks.drain(raw);
    if (this.wide.length > 0) {
      sink(lines(['', this.pal.bold('Capture-wide findings')]));
      this.wide.drain(raw);
    }
  }

  discard(): void {
    for (const s of this.verdicts.values()) s.dispose();
    this.blocks.dispose();
    this.wide.dispose();
  }
}

/** `--format junit`: one testsuite; `inner` leaves out the XML declaration and indents every
 *  line by two spaces (a suite inside <testsuites>, several captures). */
export class JunitWriter implements AnalysisWriter {
  private readonly cases = new Spool();
  private readonly wide: Finding[] = [];
  private tests = 0;
  private failures = 0;
  private total = 0;

  constructor(private readonly inner = false) {}

  part({ file, clients, findings }: ReportPart): void {
    const idx = new FindingIndex(findings);
    for (const c of clients) this.add(file, clientCase(c, idx));
    for (const f of findings) if (f.client === null) this.wide.push(f);
  }

  end(a: Analysis, sink: TextSink, bytes?: ByteSink): void {
    const wide = wideCase(this.wide);
    if (wide) this.add(a.file, wide, false);
    const indent = this.inner ? '  ' : '';
    const head = [...(this.inner ? [] : ['<?xml version="1.0" encoding="UTF-8"?>']), suiteOpen(a.file, this.tests, this.failures, this.total)];
    sink(lines(head.map((l) => indent + l)));
    this.cases.drain(this.inner ? indented(sink, indent) : both(sink, bytes));
    if (wide) sink(lines(caseLines(a.file, wide).map((l) => indent + l)));
    sink(`${indent}</testsuite>\n`);
  }

  discard(): void {
    this.cases.dispose();
  }

  private add(file: string, c: Case, spool = true): void {
    this.tests++;
    if (c.errors.length > 0) this.failures++;
    this.total += c.time;
    if (spool) this.cases.writeLines(caseLines(file, c));
  }
}

function both(text: TextSink, bytes: ByteSink | undefined): SpoolSink {
  return bytes ? { text, bytes } : { text };
}

function lines(ls: readonly string[]): string {
  return ls.length === 0 ? '' : ls.join('\n') + '\n';
}

/** A sink that prefixes every line (chunks may split lines anywhere). */
function indented(sink: TextSink, indent: string): TextSink {
  let atStart = true;
  return (chunk) => {
    if (chunk.length === 0) return;
    const s = (atStart ? indent : '') + chunk.replace(/\n(?!$)/g, `\n${indent}`);
    atStart = s.endsWith('\n');
    sink(s);
  };
}
