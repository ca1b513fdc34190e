/**
 * `analyze --annotate OUT`: pxecheck's verdict inside a copy of the capture, for Wireshark users.
 * Each finding becomes a packet comment on its evidence frames (`frame.comment` in Wireshark),
 * the summary a section comment; frames, bytes and timestamps are copied unchanged. Reads only
 * the finding fields every engine version has (code, severity, message, frames, client).
 */
import { renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { copyWithComments, type CaptureComments } from '../capture/comment-copy.js';
import type { CaptureSummary } from '../capture/types.js';
import { UsageError } from '../cli/exit-codes.js';

export interface AnnotatedFinding {
  code: string;
  severity: string;
  message: string;
  frames: readonly number[];
  client: string | null;
  /** Root-cause links and the PXE error on screen, when the engine gives them. */
  id?: string;
  causedBy?: string | null;
  pxeError?: string | null;
}

export interface AnnotatableAnalysis {
  findings: readonly AnnotatedFinding[];
  summary: {
    clients: number; booted: number; failed: number; errors: number; warnings: number; infos: number;
    incomplete?: number; otherClients?: number;
  };
}

/** More findings than this on one frame are summed up in one last comment. */
const MAX_COMMENTS_PER_FRAME = 16;
/** Codes listed in the section comment. */
const MAX_CODES_LISTED = 20;

/** The comment text of a finding on one of its frames; `causeCode` names its root cause. */
export function findingComment(f: AnnotatedFinding, causeCode: string | null = null): string {
  const pxe = f.pxeError ? ` [${f.pxeError}]` : '';
  const cause = causeCode ? ` (consequence of ${causeCode})` : '';
  return `pxecheck ${f.severity} ${f.code}${pxe}: ${f.message}${f.client ? ` (client ${f.client})` : ''}${cause}`;
}

/** The comment of each finding, with its root cause's code where it has one. */
export function findingComments(findings: readonly AnnotatedFinding[]): string[] {
  const codeById = new Map<string, string>();
  for (const f of findings) if (f.id) codeById.set(f.id, f.code);
  return findings.map((f) => findingComment(f, f.causedBy ? codeById.get(f.causedBy) ?? f.causedBy : null));
}

/** The section comment: the verdict and which findings were raised how often. */
export function summaryComment(a: AnnotatableAnalysis): string {
  const s = a.summary;
  const boots = [`${s.booted} booted`, `${s.failed} failed`, ...(s.incomplete ? [`${s.incomplete} incomplete`] : [])].join(', ');
  const others = s.otherClients ? ` (and ${s.otherClients} other DHCP client(s))` : '';
  const lines = [
    `pxecheck analyze: ${s.clients} boot client(s)${others}: ${boots}; ${s.errors} error(s), ${s.warnings} warning(s), ${s.infos} info(s)`,
  ];
  const counts = new Map<string, { severity: string; n: number }>();
  for (const f of a.findings) {
    const c = counts.get(f.code);
    if (c) c.n++;
    else counts.set(f.code, { severity: f.severity, n: 1 });
  }
  const codes = [...counts];
  for (const [code, c] of codes.slice(0, MAX_CODES_LISTED)) lines.push(`${c.severity} ${code} ×${c.n}`);
  if (codes.length > MAX_CODES_LISTED) lines.push(`… ${codes.length - MAX_CODES_LISTED} more finding codes`);
  lines.push('Packet comments mark the evidence frames of each finding (Wireshark: frame.comment).');
  return lines.join('\n');
}

/** Frame → comments, bounded per frame. */
export function frameComments(findings: readonly AnnotatedFinding[]): Map<number, string[]> {
  const byFrame = new Map<number, string[]>();
  const extra = new Map<number, number>();
  const texts = findingComments(findings);
  findings.forEach((f, i) => {
    const text = texts[i]!;
    for (const frame of new Set(f.frames)) {
      let list = byFrame.get(frame);
      if (!list) byFrame.set(frame, (list = []));
      if (list.length < MAX_COMMENTS_PER_FRAME) list.push(text);
      else extra.set(frame, (extra.get(frame) ?? 0) + 1);
    }
  });
  for (const [frame, n] of extra) byFrame.get(frame)!.push(`pxecheck: … and ${n} more finding(s) on this frame`);
  return byFrame;
}

/** Refuses an output that is the input (by path or by inode): the copy would destroy it. */
export function checkAnnotateTarget(input: string, out: string): void {
  if (resolve(out) === resolve(input)) throw new UsageError(`--annotate ${out}: that is the input capture; give another file`);
  try {
    const a = statSync(input);
    const b = statSync(out);
    if (a.dev === b.dev && a.ino === b.ino) throw new UsageError(`--annotate ${out}: that is the input capture; give another file`);
    if (b.isDirectory()) throw new UsageError(`--annotate ${out}: is a directory`);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    // out does not exist yet (or input vanished: reported by the reader)
  }
  let dirOk = false;
  try {
    dirOk = statSync(dirname(resolve(out))).isDirectory();
  } catch {
    // missing
  }
  if (!dirOk) throw new UsageError(`--annotate ${out}: directory ${dirname(out)} does not exist`);
}

/** Writes the annotated copy of `input` to `out` (via a temporary file, renamed at the end). */
export async function writeAnnotated(analysis: AnnotatableAnalysis, input: string, out: string): Promise<CaptureSummary> {
  checkAnnotateTarget(input, out);
  const byFrame = frameComments(analysis.findings);
  const comments: CaptureComments = { frame: (n) => byFrame.get(n), section: summaryComment(analysis) };
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  try {
    const summary = await copyWithComments(input, tmp, comments);
    renameSync(tmp, out);
    return summary;
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
