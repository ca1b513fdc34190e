#!/usr/bin/env node
// CPU of the raw transport's TCP receive path alone, in memory (no namespaces, no kernel): a fake
// link hands the transport N GRO-sized data frames in wake-ups of K frames (as the binding does),
// the transport answers with its ACKs (sendBatch, counted, not sent). What it measures: the JS per
// received frame and per ACK (dissect, connection lookup, TCP, ACK frames, send queue), the part of
// a raw HTTP download that is ours beside the kernel's. Same-run ratio against another build.
// Each turn is a fresh process (a download's code runs cold: interpreted, then compiled while it
// runs: what one `pxecheck run` pays); --warm N: N more turns in that process after it, the steady state.
//   node bench/raw-tcp-cpu.mjs [--frames 3300] [--per-wake 4] [--payload 64240] [--turns 5] [--warm 0] [--base /work/main/dist]
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import { execFileSync } from 'node:child_process';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const FRAMES = Number(arg('frames', 3300));
const PER_WAKE = Number(arg('per-wake', 4));
const PAYLOAD = Number(arg('payload', 64240));
const TURNS = Math.max(1, Math.min(20, Number(arg('turns', 5))));
const BASE = arg('base', '');
const WARM = Math.max(0, Math.min(20, Number(arg('warm', 0))));
const CHILD = arg('child', '');
const builds = [['this', join(ROOT, 'dist')], ...(BASE ? [['base', resolve(BASE)]] : [])];

const CMAC = '02:00:00:00:00:01';
const SMAC = '02:00:00:00:00:02';
const CLI = '198.51.100.2';
const SRV = '198.51.100.1';
const turn = () => new Promise((r) => setImmediate(r));

async function once(dist) {
  const imp = (p) => import(pathToFileURL(join(dist, p)).href);
  const { createRawTransport } = await imp('scenario/transport/raw/transport.js');
  const { tcpFrame } = await imp('scenario/transport/raw/frames.js');
  const { emitTcpOptions, TcpFlag } = await imp('wire/tcp.js');
  let handler = null;
  let acks = 0;
  let synSeq = -1;
  const sent = (f) => {
    // The SYN's sequence number (TCP at 14 + 20; flags at +13).
    if (f.length > 47 && f[12] === 0x08 && f[23] === 6 && (f[47] & 0x02)) synSeq = new DataView(f.buffer, f.byteOffset).getUint32(38);
    else acks++;
  };
  const link = {
    name: 'fake0', linkType: 1,
    send: sent, sendBatch: (fs) => { for (const f of fs) sent(f); return fs.length; },
    onPacket: (h) => { handler = h; }, onPacketView: (h) => { handler = h; },
    onError: () => {}, stats: () => ({ received: 0, truncated: 0, dropped: null, ifDropped: null, sent: 0 }), close: () => {},
  };
  const t = await createRawTransport({ interface: 'fake0', open: () => link, macs: [CMAC] });
  t.setClientAddress(CMAC, { addr: CLI, prefix: 24 });
  const S = { srcMac: SMAC, dstMac: CMAC, srcIp: SRV, dstIp: CLI };
  const seg = (seq, ack, flags, payload, options) => tcpFrame(S, { srcPort: 80, dstPort: 0, seq, ack, flags, window: 0xffff, urgent: 0, ...(options ? { options } : {}) }, payload);
  const inject = (f) => handler(f, Date.now() / 1000, f.length);
  inject(seg(1, 0, TcpFlag.RST, new Uint8Array(0))); // the server's MAC learnt: no ARP
  let port = 0;
  const origConnect = t.connectTcp.bind(t);
  const p = origConnect(CMAC, { addr: SRV, port: 80 }, 5000);
  await turn();
  // The port: the transport's first ephemeral one, read from its SYN frame.
  const synAck = (dstPort) => { const f = seg(5000, (synSeq + 1) >>> 0, TcpFlag.SYN | TcpFlag.ACK, new Uint8Array(0), emitTcpOptions([{ kind: 2, mss: 1460 }, { kind: 3, shift: 7 }, { kind: 4 }])); f[36] = dstPort >> 8; f[37] = dstPort & 0xff; return f; };
  for (port = 49152; port < 65536; port++) { inject(synAck(port)); await turn(); if (await Promise.race([p.then(() => true), turn().then(() => false)])) break; }
  const stream = await p;
  let got = 0;
  stream.onData((d) => { got += d.length; });
  // Data frames: one template, its sequence number patched per frame (the receive path does not verify checksums).
  const tpl = seg(5001, (synSeq + 1) >>> 0, TcpFlag.ACK, new Uint8Array(PAYLOAD));
  tpl[36] = port >> 8; tpl[37] = port & 0xff;
  const dv = new DataView(tpl.buffer, tpl.byteOffset);
  const acks0 = acks;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let seq = 5001;
  for (let i = 0; i < FRAMES;) {
    for (let k = 0; k < PER_WAKE && i < FRAMES; k++, i++) { dv.setUint32(38, seq >>> 0); seq += PAYLOAD; inject(tpl); }
    await turn(); // microtasks (the batch's ACK) and the send queue's nextTick
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const ok = got === FRAMES * PAYLOAD;
  stream.abort?.('done', false);
  await t.close();
  return { ok, cpuUs: (cpu.user + cpu.system) / FRAMES, wallUs: wall / FRAMES, acks: acks - acks0 };
}

const med = (xs) => { const a = [...xs].sort((x, y) => x - y); return a[a.length >> 1]; };
if (CHILD) {
  const cold = await once(CHILD);
  const warm = [];
  for (let i = 0; i < WARM; i++) warm.push(await once(CHILD));
  console.log(JSON.stringify({ cold, warm: WARM ? { ...warm.at(-1), cpuUs: med(warm.map((r) => r.cpuUs)) } : null }));
  process.exit(0);
}
console.log(`${FRAMES} frames of ${PAYLOAD} B, ${PER_WAKE} per wake-up; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const res = Object.fromEntries(builds.map(([n]) => [n, []]));
const self = fileURLToPath(import.meta.url);
for (let i = 0; i < TURNS; i++) {
  for (const [n, d] of builds) {
    const out = execFileSync(process.execPath, [self, '--child', d, '--frames', String(FRAMES), '--per-wake', String(PER_WAKE), '--payload', String(PAYLOAD), '--warm', String(WARM)], { encoding: 'utf8', timeout: 120_000 });
    res[n].push(JSON.parse(out.trim().split('\n').pop()));
  }
}
const line = (rs) => `CPU per frame ${med(rs.map((r) => r.cpuUs)).toFixed(2)} µs (turns ${rs.map((r) => r.cpuUs.toFixed(1)).join(' ')}), ACKs ${med(rs.map((r) => r.acks))}, ${rs.every((r) => r.ok) ? 'all bytes delivered' : 'BYTES MISSING'}`;
for (const [n] of builds) {
  console.log(`${n.padEnd(5)} cold: ${line(res[n].map((r) => r.cold))}`);
  if (WARM) console.log(`${n.padEnd(5)} warm: ${line(res[n].map((r) => r.warm))}`);
}
if (BASE) {
  const ratio = (k) => (med(res.this.map((r) => r[k].cpuUs)) / med(res.base.map((r) => r[k].cpuUs))).toFixed(2);
  console.log(`this / base CPU per frame: cold ${ratio('cold')}${WARM ? `, warm ${ratio('warm')}` : ''}`);
}
process.exit(0);
