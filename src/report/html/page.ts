/**
 * `analyze --format html`: one self-contained file (inline CSS and script, no network) built from
 * the Analysis. The summary is static HTML; the devices travel as embedded JSON and the script
 * turns only the visible page (PAGE_SIZE devices) into DOM, so 10,000 devices stay usable. Pure.
 */
import type { Analysis, ClientReport } from '../../analysis/types.js';
import { printable } from '../analyze-text.js';
import { deviceEntry } from './device.js';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { esc, jsonForScript } from './escape.js';
import { renderFindings } from './findings.js';
import { ladderDefs } from './ladder.js';
import { renderSummary } from './summary.js';
import { PAGE_SCRIPT } from './script.js';
import { PAGE_STYLE } from './style.js';

export const PAGE_SIZE = 50;

const SCRIPT_HASH = `sha256-${createHash('sha256').update(PAGE_SCRIPT, 'utf8').digest('base64')}`;

/** Device data larger than this is embedded gzip-compressed (base64): ladder SVG repeats itself,
 *  so 10,000 devices shrink about tenfold; the browser inflates it with DecompressionStream. */
export const COMPRESS_ABOVE = 2_000_000;

export interface HtmlOptions {
  /** Bytes of device JSON above which it is compressed (tests lower it). */
  compressAbove?: number;
}

const OUTCOME_ORDER: Record<ClientReport['outcome'], number> = { failed: 0, incomplete: 1, booted: 2, 'not-a-boot': 3 };

export function renderAnalysisHtml(a: Analysis, opts: HtmlOptions = {}): string {
  const clients = [...a.clients].sort((x, y) => OUTCOME_ORDER[x.outcome] - OUTCOME_ORDER[y.outcome]);
  const devices = clients.map((c) => deviceEntry(c, a.findings));
  const vendors = [...new Set(devices.map((d) => d.v).filter((v) => v !== ''))].sort();
  const wide = a.findings.filter((f) => f.client === null);
  const title = `pxecheck — ${printable(a.file)}`;
  return '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
    // Defence in depth under the escaping: only the page's own script (by its hash) may run.
    + `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '${SCRIPT_HASH}'; img-src data:">`
    + `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${PAGE_STYLE}</style></head><body>`
    + `${ladderDefs()}<header><h1>pxecheck analyze</h1><div class="file">${esc(printable(a.file))} · ${a.packets} packets · ${a.summary.clients} boot client${a.summary.clients === 1 ? '' : 's'}</div></header><main>`
    + renderSummary(a)
    + (wide.length > 0 ? `<section><h2>Capture-wide findings</h2>${renderFindings(wide, a.findings)}</section>` : '')
    + '<section><h2>Devices</h2><form class="filters" onsubmit="return false">'
    + '<select id="f-outcome" aria-label="outcome"><option value="">all outcomes</option><option value="failed">failed</option><option value="incomplete">incomplete</option><option value="booted">booted</option><option value="not-a-boot">not a boot</option></select>'
    + `<select id="f-vendor" aria-label="vendor"><option value="">all vendors</option>${vendors.map((v) => `<option value="${esc(v)}">${esc(v)}</option>`).join('')}</select>`
    + '<input id="f-mac" placeholder="MAC" aria-label="MAC" size="18"><input id="f-q" type="search" placeholder="search verdicts and findings" aria-label="search" size="32">'
    + '<button type="button" data-open="1">expand all</button><button type="button" data-open="0">collapse all</button><span id="count" class="muted"></span></form><nav class="pager"></nav><div id="devices"></div><nav class="pager"></nav></section>'
    + `</main>${dataBlock({ pageSize: PAGE_SIZE, devices }, opts.compressAbove ?? COMPRESS_ABOVE)}`
    + `<script>${PAGE_SCRIPT}</script></body></html>`;
}

/** The device data for the page script: plain JSON, or gzip + base64 when it is large. */
function dataBlock(data: unknown, compressAbove: number): string {
  const json = jsonForScript(data);
  if (json.length <= compressAbove) return `<script type="application/json" id="data">${json}</script>`;
  const packed = gzipSync(Buffer.from(json, 'utf8'), { level: 9 }).toString('base64');
  return `<script type="application/gzip+base64" id="data">${packed}</script>`;
}
