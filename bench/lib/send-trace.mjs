// Send/receive trace of a DORA load run (bench only): every DHCP message pxecheck's clients hand
// to the transport and every reply the transport hands back, with its time, type and xid, and
// what the trace says about pacing: sends per 1 ms, back-to-back runs, the rate just before each
// loss (a DISCOVER without OFFER or a REQUEST without ACK: Kea's socket dropped it).
const CAP = 1 << 20;

function msgType(p) {
  for (let i = 240; i + 2 < p.length;) {
    const c = p[i];
    if (c === 0) { i++; continue; }
    if (c === 255) break;
    if (c === 53) return p[i + 2];
    i += 2 + p[i + 1];
  }
  return 0;
}
const xidOf = (p) => ((p[4] << 24) | (p[5] << 16) | (p[6] << 8) | p[7]) >>> 0;

export function traceTransport(transport) {
  const t = new Float64Array(CAP); const type = new Uint8Array(CAP); const xid = new Uint32Array(CAP); const dir = new Uint8Array(CAP);
  let n = 0;
  const log = (d, p) => { if (n < CAP) { t[n] = performance.now(); type[n] = msgType(p); xid[n] = xidOf(p); dir[n++] = d; } };
  const send = transport.sendUdp.bind(transport);
  transport.sendUdp = (mac, d) => { log(0, d.payload); send(mac, d); };
  transport.onUdp((_mac, d) => log(1, d.payload));
  return {
    summary: () => summarize(t.subarray(0, n), type, xid, dir),
    /** The raw trace as lines "ms dir type xid" (dir 0 sent, 1 received). */
    lines: () => Array.from({ length: n }, (_, i) => `${t[i].toFixed(3)} ${dir[i]} ${type[i]} ${xid[i]}`).join('\n'),
  };
}

const pct = (sorted, q) => sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

function summarize(t, type, xid, dir) {
  const n = t.length;
  const sends = []; const disc = []; const req = [];
  const answered = new Map(); // `${type}:${xid}` of replies: OFFER 2 answers DISCOVER 1, ACK 5 answers REQUEST 3
  for (let i = 0; i < n; i++) {
    if (dir[i] === 0) { sends.push(t[i]); if (type[i] === 1) disc.push(i); else if (type[i] === 3) req.push(i); }
    else answered.set(`${type[i] === 2 ? 1 : type[i] === 5 ? 3 : 0}:${xid[i]}`, t[i]);
  }
  if (sends.length === 0) return null;
  const t0 = sends[0];
  const bins = new Map();
  for (const s of sends) { const b = Math.floor(s - t0); bins.set(b, (bins.get(b) ?? 0) + 1); }
  const span = Math.ceil(sends[sends.length - 1] - t0) + 1;
  const perMs = new Uint32Array(span); for (const [b, c] of bins) perMs[b] = c;
  const sortedMs = Array.from(perMs).sort((a, b) => a - b);
  // Runs of sends less than 20 µs apart: what leaves in one synchronous burst.
  let run = 1; let maxRun = 1; const runs = [];
  for (let i = 1; i < sends.length; i++) { if (sends[i] - sends[i - 1] < 0.02) run++; else { runs.push(run); run = 1; } if (run > maxRun) maxRun = run; }
  runs.push(run);
  runs.sort((a, b) => a - b);
  // Sends in the 10 ms before each loss.
  const lost = [];
  for (const i of [...disc, ...req]) if (!answered.has(`${type[i]}:${xid[i]}`) && t[i] < t[n - 1] - 1000) lost.push(i);
  const before = (at, ms) => { let lo = 0, hi = sends.length; while (lo < hi) { const m = (lo + hi) >> 1; if (sends[m] < at - ms) lo = m + 1; else hi = m; } let c = 0; for (let j = lo; j < sends.length && sends[j] <= at; j++) c++; return c; };
  const lossCtx = lost.map((i) => before(t[i], 10)).sort((a, b) => a - b);
  const all10 = []; for (let s = 0; s < sends.length; s += 97) all10.push(before(sends[s], 10)); all10.sort((a, b) => a - b);
  // Loss times clustered: how many distinct 50 ms windows hold a loss.
  const lossWin = new Set(lost.map((i) => Math.floor((t[i] - t0) / 50))).size;
  return {
    sends: sends.length, discovers: disc.length, requests: req.length, lostDiscovers: lost.filter((i) => type[i] === 1).length, lostRequests: lost.filter((i) => type[i] === 3).length,
    perMs: { p50: pct(sortedMs, 0.5), p99: pct(sortedMs, 0.99), p999: pct(sortedMs, 0.999), max: sortedMs[sortedMs.length - 1], emptyMs: sortedMs.filter((c) => c === 0).length, ms: span },
    burst: { p50: pct(runs, 0.5), p99: pct(runs, 0.99), max: maxRun },
    sendsIn10msBefore: { loss: { p50: pct(lossCtx, 0.5), max: lossCtx[lossCtx.length - 1] ?? null }, any: { p50: pct(all10, 0.5), p99: pct(all10, 0.99), max: all10[all10.length - 1] } },
    lossWindows50ms: lossWin,
  };
}
