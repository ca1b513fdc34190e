/** The export manifest: `manifest.json` (versioned) and the text table printed on stdout. */
import { boxTable, wrapCell } from '../report/layout.js';
import { printable } from '../report/analyze-text.js';
import type { ExportedObject } from './dir-sink.js';

export const MANIFEST_VERSION = 1;
/** Long names and URLs wrap inside their cell. */
const MAX_NAME_CELL = 48;

export interface ExportManifest {
  version: number;
  /** The capture the objects came from. */
  capture: string;
  objects: ExportedObject[];
}

export function buildManifest(capture: string, objects: readonly ExportedObject[]): ExportManifest {
  return { version: MANIFEST_VERSION, capture, objects: [...objects].sort((a, b) => a.id - b.id) };
}

/** One row per object (names from the network shown with control characters escaped); the
 *  state of an incomplete one says why. */
export function renderManifestText(m: ExportManifest): string[] {
  if (m.objects.length === 0) return ['No TFTP or HTTP transfers in this capture.'];
  const rows = [['#', 'proto', 'client', 'server', 'name / URL', 'file', 'size', 'state', 'frames', 'sha256']];
  for (const o of m.objects) {
    rows.push([
      String(o.id),
      o.protocol.toUpperCase() + (o.direction === 'upload' ? ' (upload)' : ''),
      `${o.clientMac ?? '-'}\n${o.clientAddr}`,
      o.serverAddr,
      printable(o.name),
      o.file,
      String(o.size),
      o.complete ? 'complete' : `INCOMPLETE:\n${printable(o.problem ?? '')}`,
      `${o.firstFrame}-${o.lastFrame}\n(${o.frames})`,
      o.sha256,
    ]);
  }
  // Names, files and problems wrap inside their cells (the shared layout of the text reports).
  const natural = rows[0]!.map((_, c) => Math.max(...rows.map((r) => Math.max(...r[c]!.split('\n').map((l) => l.length)))));
  const caps: Record<number, number> = { 4: MAX_NAME_CELL, 5: MAX_NAME_CELL, 7: 32 };
  const widths = natural.map((w, c) => Math.min(w, caps[c] ?? w));
  const wrapped = rows.map((r) => r.map((cell, c) => cell.split('\n').flatMap((l) => wrapCell(l, widths[c]!)).join('\n')));
  const bad = m.objects.filter((o) => !o.complete).length;
  return [...boxTable(wrapped, widths), `${m.objects.length} object(s), ${bad} incomplete.`];
}
