/** The export manifest: `manifest.json` (versioned) and the text table printed on stdout. */
import type { ExportedObject } from './dir-sink.js';

export const MANIFEST_VERSION = 1;

export interface ExportManifest {
  version: number;
  /** The capture the objects came from. */
  capture: string;
  objects: ExportedObject[];
}

export function buildManifest(capture: string, objects: readonly ExportedObject[]): ExportManifest {
  return { version: MANIFEST_VERSION, capture, objects: [...objects].sort((a, b) => a.id - b.id) };
}

/** One row per object; incomplete ones say why on the line below. */
export function renderManifestText(m: ExportManifest): string[] {
  if (m.objects.length === 0) return ['No TFTP or HTTP transfers in this capture.'];
  const rows = m.objects.map((o) => [
    String(o.id),
    o.protocol.toUpperCase() + (o.direction === 'upload' ? '↑' : ''),
    `${o.clientMac ?? '-'} ${o.clientAddr}`,
    o.serverAddr,
    String(o.size),
    o.complete ? 'complete' : 'INCOMPLETE',
    `${o.firstFrame}-${o.lastFrame} (${o.frames})`,
    o.sha256,
    o.file,
    printable(o.name),
  ]);
  const head = ['#', 'proto', 'client', 'server', 'size', 'state', 'frames', 'sha256', 'file', 'name/URL'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const out = [line(head)];
  m.objects.forEach((o, i) => {
    out.push(line(rows[i]!));
    if (!o.complete) out.push(`${' '.repeat(widths[0]! + 2)}↳ ${printable(o.problem ?? '')}`);
  });
  const bad = m.objects.filter((o) => !o.complete).length;
  out.push(`${m.objects.length} object(s), ${bad} incomplete.`);
  return out;
}

/** Names come from the network: control characters (terminal escapes) are shown as \xNN. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
