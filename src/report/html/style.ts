/** The page's inline stylesheet (system fonts only: the file must open offline). */
export const PAGE_STYLE = `
:root{--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--muted:#6e7781;--line:#d0d7de;--bg:#f6f8fa}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff}
header{background:#24292f;color:#fff;padding:12px 24px}header h1{margin:0;font-size:18px}header .file{color:#c9d1d9;font-size:13px;word-break:break-all}
main{padding:8px 24px 40px;max-width:1400px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:14px;margin:16px 0 6px}h4{font-size:13px;margin:14px 0 4px;color:#444}
.muted{color:var(--muted)}code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--bg);padding:1px 4px;border-radius:4px}
.tiles{display:flex;gap:12px;flex-wrap:wrap;margin-top:16px}.tile{border:1px solid var(--line);border-radius:8px;padding:8px 16px;min-width:120px;background:var(--bg)}
.tile .n{font-size:26px;font-weight:600}.tile.o-booted .n{color:var(--ok)}.tile.o-failed .n{color:var(--bad)}.tile.o-incomplete .n{color:var(--warn)}
.tile.sev-error .n{color:var(--bad)}.tile.sev-warning .n{color:var(--warn)}
.cols{display:flex;gap:48px;flex-wrap:wrap}
table.grid{border-collapse:collapse}table.grid td,table.grid th{border:1px solid var(--line);padding:3px 10px;text-align:left}table.grid th{background:var(--bg)}
svg.chart rect{fill:#54aeff}svg.chart line{stroke:#8c959f}svg.chart text{font-size:11px;fill:#57606a}
.filters{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:8px 0}.filters input,.filters select,.filters button{font:inherit;padding:4px 6px;border:1px solid var(--line);border-radius:6px}
.pager{margin:8px 0}.pager button{font:inherit;padding:2px 10px}
details.device{border:1px solid var(--line);border-left:5px solid var(--muted);border-radius:6px;margin:6px 0;background:#fff}
details.device.o-booted{border-left-color:var(--ok)}details.device.o-failed{border-left-color:var(--bad)}details.device.o-incomplete{border-left-color:var(--warn)}
details.device>summary{cursor:pointer;padding:6px 10px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;word-break:break-word}
.badge{display:inline-block;min-width:78px;text-align:center;border-radius:10px;padding:0 8px;font:600 11px system-ui,sans-serif;color:#fff;background:var(--muted)}
.o-booted .badge{background:var(--ok)}.o-failed .badge{background:var(--bad)}.o-incomplete .badge{background:var(--warn)}
.detail{padding:0 14px 12px}.facts{color:#444;margin:4px 0}ol.attempts{margin:4px 0;padding-left:22px}ol.attempts li.o-failed{color:var(--bad)}
.scroll{overflow-x:auto}
svg.ladder{font:12px system-ui,sans-serif}svg.ladder .lane{stroke:#8c959f;stroke-dasharray:4 3}svg.ladder .lane-head{font-weight:600}svg.ladder .lane-sub{fill:#57606a;font-size:11px}
svg.ladder .lane-head,svg.ladder .lane-sub,svg.ladder .l{text-anchor:middle}
svg.ladder .msg line{stroke:#0969da;stroke-width:1.5;marker-end:url(#ah)}#ah path{fill:#0969da}#ah-bad path{fill:#cf222e}svg.ladder .msg.bad line{marker-end:url(#ah-bad)}svg.ladder .msg .t{fill:#57606a;font:11px ui-monospace,monospace}
svg.ladder .msg.bad line{stroke:var(--bad)}svg.ladder .msg.bad .l{fill:var(--bad)}
.waterfall{border:1px solid var(--line);border-radius:6px;padding:4px 0}
.wf-row{display:grid;grid-template-columns:minmax(220px,34%) 1fr 150px;gap:8px;align-items:center;padding:2px 8px;font-size:12px}
.wf-label{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}.wf-track{position:relative;height:12px;background:var(--bg);border-radius:3px}
.wf-bar{position:absolute;top:0;bottom:0;background:#54aeff;border-radius:3px;min-width:3px}.wf-row.bad .wf-bar{background:var(--bad)}.wf-row.bad .wf-label b{color:var(--bad)}
.wf-dur{color:#57606a;font-family:ui-monospace,monospace;font-size:11px;text-align:right}
ul.findings{list-style:none;padding-left:0;margin:4px 0}ul.cons{list-style:none;padding-left:26px;border-left:2px solid var(--line);margin:4px 0 4px 6px}
li.finding{margin:6px 0}.sev{display:inline-block;min-width:58px;font:600 11px system-ui,sans-serif;text-transform:uppercase}
.sev-error>.sev{color:var(--bad)}.sev-warning>.sev{color:var(--warn)}.sev-info>.sev{color:var(--muted)}
.pxe{font-weight:600;color:var(--bad)}.frames{color:var(--muted);font-size:12px}.hint{color:#57606a;font-size:12px;margin-left:62px}.cons-head{color:var(--muted);font-size:12px;margin:4px 0 0 62px}
`;
