/** Findings of a device (or capture-wide) with consequences indented under their root cause. Pure. */
import type { Finding } from '../../findings/types.js';
import { printable } from '../analyze-text.js';
import { esc } from './escape.js';

/** ` frames 1, 2, 3` (at most 12 numbers, then a count). */
function frames(list: readonly number[]): string {
  if (list.length === 0) return '';
  const shown = list.slice(0, 12).join(', ');
  return `<span class="frames">frame${list.length === 1 ? '' : 's'} ${shown}${list.length > 12 ? ` … +${list.length - 12}` : ''}</span>`;
}

function item(f: Finding, inner: string): string {
  const pxe = f.pxeError ? ` <span class="pxe">${esc(f.pxeError)}</span>` : '';
  return `<li class="finding sev-${f.severity}" data-id="${esc(f.id)}"><span class="sev">${f.severity}</span> <code>${esc(f.code)}</code>${pxe}: `
    + `${esc(printable(f.message))} ${frames(f.frames)}<div class="hint">${esc(printable(f.hint))}</div>${inner}</li>`;
}

export function renderFindings(list: readonly Finding[], all: readonly Finding[]): string {
  if (list.length === 0) return '';
  const shown = new Set(list.map((f) => f.id));
  const items: string[] = [];
  for (const f of list) {
    if (f.causedBy !== null && shown.has(f.causedBy)) continue;
    const cons = all.filter((c) => c.causedBy === f.id);
    const inner = cons.length === 0 ? ''
      : `<div class="cons-head">${cons.length} consequence${cons.length === 1 ? '' : 's'}:</div><ul class="cons">${cons.map((c) => item(c, '')).join('')}</ul>`;
    items.push(item(f, inner));
  }
  return `<ul class="findings">${items.join('')}</ul>`;
}
