#!/usr/bin/env node
// Benchmark (not a test): the libpcap binding (native/pcap_live.c via dist/capture/live.js) on a
// veth pair inside a network namespace this script creates and removes. Measures
//   - inject + receive: frames/s sent on one end with pcap_inject and delivered to JS on the other
//     (windowed: at most WINDOW frames in flight, so the figure is sustained, not ring-buffered),
//   - kernel drops (pcap_stats) over the run,
//   - idle CPU: % of one core used by an open capture with no traffic for IDLE_S seconds,
//   - tcpdump on the same receiving end as the reference peer (its own kernel-drop count).
// As root, after `npm ci && npm run build`: node bench/live-binding.mjs [frames=200000]
// Bounded: at most 60 s of sending; always exits 0 and removes its namespace.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const NS = `pxlbench${process.pid % 10000}`;
const FRAMES = Number(process.argv[2] ?? '') || 200_000;
const WINDOW = 256;
const IDLE_S = 3;
const MAX_S = 60;

if (process.argv[2] === '--child') await child();
else await parent();

async function parent() {
  if (process.getuid?.() !== 0) {
    console.log('live-binding bench: needs root (network namespace, raw capture); skipped');
    return;
  }
  const ip = (...a) => spawnSync('ip', a, { encoding: 'utf8' });
  ip('netns', 'del', NS);
  try {
    for (const a of [['netns', 'add', NS], ['-n', NS, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb'],
      ['-n', NS, 'link', 'set', 'va', 'up'], ['-n', NS, 'link', 'set', 'vb', 'up'], ['-n', NS, 'link', 'set', 'lo', 'up']]) {
      const r = ip(...a);
      if (r.status !== 0) throw new Error(`ip ${a.join(' ')}: ${r.stderr}`);
    }
    spawnSync('ip', ['netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    // tcpdump as the reference receiver on vb, for the whole run (drops from its summary line).
    const tcpdump = spawn('ip', ['netns', 'exec', NS, 'tcpdump', '-i', 'vb', '-n', '-w', '/dev/null', '--immediate-mode', 'ether proto 0x88b5'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let tdErr = '';
    tcpdump.stderr.on('data', (b) => (tdErr += b));
    await new Promise((r) => setTimeout(r, 1000));
    const r = spawnSync('ip', ['netns', 'exec', NS, process.execPath, fileURLToPath(import.meta.url), '--child', String(FRAMES)], { encoding: 'utf8', timeout: (MAX_S + 30) * 1000 });
    tcpdump.kill('SIGINT');
    await new Promise((res) => tcpdump.on('close', res));
    process.stdout.write(r.stdout);
    if (r.status !== 0) process.stdout.write(`child failed: ${r.stderr}\n`);
    const got = /(\d+) packets? received by filter/.exec(tdErr)?.[1];
    const dropped = /(\d+) packets? dropped by kernel/.exec(tdErr)?.[1];
    console.log(`tcpdump (reference) on the same end: ${got ?? '?'} received by filter, ${dropped ?? '?'} dropped by kernel`);
  } finally {
    ip('netns', 'del', NS);
  }
}

async function child() {
  const frames = Number(process.argv[3]);
  const { openLiveInterface } = await import(join(here, '../dist/capture/live.js'));
  const rx = openLiveInterface('vb', { filter: 'ether proto 0x88b5' });
  const tx = openLiveInterface('va', { filter: 'ether proto 0x88b5' });
  let received = 0;
  // Views where the binding has them (the raw transport's path; onPacket copies each frame).
  if (rx.onPacketView) rx.onPacketView(() => received++);
  else rx.onPacket(() => received++);
  const f = new Uint8Array(64);
  f.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x88, 0xb5]);

  const t0 = process.hrtime.bigint();
  const deadline = Date.now() + MAX_S * 1000;
  let sent = 0;
  while (sent < frames && Date.now() < deadline) {
    while (sent < frames && sent - received < WINDOW) {
      tx.send(f);
      sent++;
    }
    await new Promise((r) => setImmediate(r)); // let the poll callback deliver
  }
  const settle = Date.now() + 2000;
  while (received < sent && Date.now() < settle) await new Promise((r) => setTimeout(r, 5));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const st = rx.stats();
  console.log(`inject + receive: ${sent} frames sent, ${received} received in ${secs.toFixed(2)} s = ${Math.round(received / secs)} frames/s; kernel drops ${st.dropped}, interface drops ${st.ifDropped}`);

  // Idle: both handles open, nothing sent.
  const c0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const c1 = process.cpuUsage(c0);
  const wall = Number(process.hrtime.bigint() - w0) / 1e3;
  console.log(`idle: ${(((c1.user + c1.system) / wall) * 100).toFixed(2)} % of one core over ${IDLE_S} s with two open captures`);
  rx.close();
  tx.close();
}
