#!/usr/bin/env node
// TFTP and HTTP download MB/s of pxecheck's runner (raw transport) vs curl, from the same
// tftpd-hpa and nginx, same file, same run. Needs root, kea-dhcp4 (the client's address), in.tftpd,
// nginx and curl. Namespaces on 198.18.0.0/15, created and deleted here.
//   node bench/transfer-vs-curl.mjs [--mb 50] [--http-mb 200] [--reps 1] [--transport raw|relay|raw@base|relay@base] [--base DIST] [--only REGEX] [--prof DIR] [--floor] [--digest] [--frames] [--name gxfer]
// --frames: raw transports count the frames they receive and send (a frame handler: a little CPU
// per frame) and the HTTP rows show them: segments per ACK, the biggest (GRO) frame.
// --base DIR: a second build (e.g. /work/main/dist, with its build/ beside it) run as transports
// named T@base (--transport raw,raw@base), interleaved in the same turns: the same-run ratio.
// --transport: pxecheck's raw transport (libpcap on raw0) or relay transport (DHCP relayed from ip0's
// address, TFTP/HTTP over kernel sockets from it, as curl's); default both. --prof: a V8 CPU profile
// of each pxecheck run (node --cpu-prof) into DIR. --floor: also a bare Node dgram TFTP client
// (lock-step, no runner), the floor for any Node client (its windowsize rows are lock-step too);
// --floor native: a lock-step client on the blocking native UDP helper (native/udp_sync.c); --floor both.
// What is timed: curl's time_total (connect to the last byte; not its process start) and the
// pxecheck step's duration (connect to the last byte; not the process, the transport or the DORA
// before it); MB/s = file size ÷ that. HTTP adds a line with each tool's time to the first response
// byte and the body's MB/s after it (a 20 MB body takes ~15 ms, start-up weighs: --http-mb N adds
// the case 'http N MB' from a second file of N MB, where the body's rate dominates).
// TFTP at blksize 512, 1468 and 8192 (8192 arrives as IP fragments), and with windowsize 16
// (curl has no windowsize: it is compared with curl at the same blksize).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchNet, destroyBenchNet, PEER, SERVER, sleep, startIn, timedIn } from './lib/netns.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const MB = Number(arg('mb', 50));
// --http-mb: a second, bigger HTTP file (its own case), so both start-up and the body's rate show.
const HTTP_MB = Number(arg('http-mb', 0));
const HTTP_FILE = 'big-http.img';
const BASE_DIST = arg('base', '');
// --only: a regular expression on the case names, e.g. '^tftp blksize (512|1468|8192)( |$)'.
const ONLY = arg('only', '');
const onlyRe = ONLY ? new RegExp(ONLY) : null;
// --floor: the bare Node dgram client; --floor native: the blocking native UDP client; --floor both.
const FLOOR = process.argv.includes('--floor') ? (/^(native|both|dgram)$/.test(arg('floor', '')) ? arg('floor', '') : 'dgram') : '';
const FLOORS = { dgram: ['floor'], native: ['native'], both: ['floor', 'native'], '': [] }[FLOOR];
const TRANSPORTS = [...arg('transport', 'raw,relay').split(',').filter(Boolean), ...FLOORS];
const isFloor = (t) => t === 'floor' || t === 'native';
const PROF = arg('prof', '');
const FRAMES = process.argv.includes('--frames');
const REPS = Math.max(1, Math.min(20, Number(arg('reps', 1))));
// --name: the namespaces' and work directory's prefix (two benches at once need two names).
const NAME = arg('name', 'gxfer');
if (process.getuid?.() !== 0) { console.error('transfer-vs-curl: needs root (network namespaces, raw sockets)'); process.exit(2); }

const work = `/tmp/pxecheck-${NAME}`;
rmSync(work, { recursive: true, force: true });
const root = join(work, 'root');
mkdirSync(join(work, 'nginx/tmp'), { recursive: true });
mkdirSync(root, { recursive: true });
const FILE = 'big.img';
const body = randomBytes(MB * 1_000_000);
writeFileSync(join(root, FILE), body);
if (HTTP_MB > 0) writeFileSync(join(root, HTTP_FILE), randomBytes(HTTP_MB * 1_000_000));
// --digest: the TFTP steps check the file's SHA-256 (pxecheck hashes only when a step checks or saves it; curl never does).
const SHA256 = process.argv.includes('--digest') ? createHash('sha256').update(body).digest('hex') : undefined;
const net = createBenchNet(NAME);
const keaConf = join(work, 'kea.conf');
writeFileSync(keaConf, JSON.stringify({ Dhcp4: {
  'interfaces-config': { interfaces: ['br0'] }, 'lease-database': { type: 'memfile', persist: false }, 'valid-lifetime': 3600,
  subnet4: [{ id: 1, subnet: '198.18.0.0/15', pools: [{ pool: '198.18.1.0 - 198.18.1.200' }] }],
} }));
const nginxConf = join(work, 'nginx/nginx.conf');
writeFileSync(nginxConf, `daemon off; master_process off; worker_processes 1; user root; pid ${work}/nginx/nginx.pid; error_log ${work}/nginx/error.log;
events { worker_connections 64; }
http { access_log off; sendfile on; client_body_temp_path ${work}/nginx/tmp; proxy_temp_path ${work}/nginx/tmp; fastcgi_temp_path ${work}/nginx/tmp; uwsgi_temp_path ${work}/nginx/tmp; scgi_temp_path ${work}/nginx/tmp;
  default_type application/octet-stream; server { listen ${SERVER}:80; root ${root}; } }
`);
const env = { ...process.env, KEA_PIDFILE_DIR: work, KEA_LOCKFILE_DIR: work };
const servers = [
  startIn(net.srv, 'kea-dhcp4', ['-c', keaConf], env),
  startIn(net.srv, 'in.tftpd', ['-L', '-u', 'root', '-a', `${SERVER}:69`, '-s', root]),
  startIn(net.srv, 'nginx', ['-c', nginxConf, '-p', join(work, 'nginx')]),
];
// tftpd-hpa ignores windowsize; atftpd (Debian's atftpd 0.8) implements RFC 7440. Its package
// cannot be installed beside tftpd-hpa (both ship /usr/sbin/in.tftpd), so it is taken from ATFTPD,
// e.g. `apt-get download atftpd && dpkg-deb -x atftpd_*.deb /opt/atftpd` → ATFTPD=/opt/atftpd/usr/sbin/atftpd.
const ATFTPD = process.env.ATFTPD ?? '/usr/sbin/atftpd';
const WSERVER = '198.18.0.3';
if (existsSync(ATFTPD)) {
  net.inSrv('ip', 'addr', 'add', `${WSERVER}/15`, 'dev', 'br0');
  servers.push(startIn(net.srv, ATFTPD, ['--daemon', '--no-fork', '--user', 'root.root', '--bind-address', WSERVER, '--port', '69', '--logfile', '/dev/null', root]));
} else console.log(`no atftpd at ${ATFTPD} (set ATFTPD): the windowsize cases against a server that honours it are skipped`);

async function pxecheck(name, step, o = {}, mb = MB) {
  const [transport, base] = name.split('@');
  if (base !== undefined && BASE_DIST === '') return { ok: false, error: `${name}: no --base DIST`, mbps: 0 };
  // The early TFTP worker only where that build's raw transport adopts it (a stray one warming on the other core would slow the base).
  const cfg = { dist: base === undefined ? DIST : BASE_DIST, ...(base !== undefined && transport === 'raw' ? { earlyWorker: false } : {}), iface: 'raw0', server: SERVER, step, file: FILE, transport, relayFrom: PEER, ...(step === 'tftp' && SHA256 ? { sha256: SHA256 } : {}), ...(FRAMES ? { countFrames: true } : {}), ...o };
  const prof = PROF ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', PROF] : [];
  const r = await timedIn(net.cli, process.execPath, [...prof, join(ROOT, 'bench/lib/transfer-run.mjs'), JSON.stringify(cfg)], { timeoutMs: 300_000 });
  const line = r.out.trim().split('\n').pop();
  let j;
  try { j = JSON.parse(line); } catch { return { ok: false, error: `transfer-run exited ${r.code}: ${(r.err || r.out).trim().slice(-300)}`, mbps: 0, cpu: r.cpu }; }
  // HTTP: the step's time to the first response byte (connect + request + server) and the body's MB/s after it.
  const setup = j.ok && step === 'http' ? j.connectSeconds + j.details.ttfb : NaN;
  return { ...j, mbps: j.ok ? mb / j.seconds : 0, setup, bodyMbps: j.ok && step === 'http' ? mb / (j.seconds - setup) : NaN, user: r.user, sys: r.sys };
}

/** --floor: a bare Node dgram client (bench/lib/tftp-floor.mjs), what any Node client starts from. */
async function floor(kind, step, o = {}) {
  const cfg = { server: o.tftpServer ?? SERVER, file: FILE, blksize: o.blksize ?? 512, from: PEER };
  const script = kind === 'native' ? 'bench/lib/tftp-floor-native.mjs' : 'bench/lib/tftp-floor.mjs';
  const r = await timedIn(net.cli, process.execPath, [join(ROOT, script), JSON.stringify(cfg)], { timeoutMs: 300_000 });
  let j;
  try { j = JSON.parse(r.out.trim().split('\n').pop()); } catch { return { ok: false, error: `tftp-floor exited ${r.code}`, mbps: 0, cpu: r.cpu }; }
  return { ...j, mbps: j.ok ? MB / j.seconds : 0 };
}

async function curl(url, extra = [], mb = MB) {
  const r = await timedIn(net.cli, 'curl', ['-s', '-o', '/dev/null', '-w', '%{size_download} %{time_total} %{time_starttransfer}', ...extra, url], { timeoutMs: 300_000 });
  const [bytes, secs, firstByte] = r.out.trim().split(' ').map(Number);
  // HTTP: MB/s of the body alone (first response byte to the end), beside the whole transfer's.
  return { ok: r.code === 0 && bytes === mb * 1_000_000, seconds: secs, cpu: r.cpu, mbps: bytes / 1e6 / secs, setup: firstByte, bodyMbps: bytes / 1e6 / (secs - firstByte) };
}

const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : String(n));
const f2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : String(n));
const median = (xs) => { const a = [...xs].sort((x, y) => x - y); return a.length === 0 ? NaN : a.length % 2 ? a[a.length >> 1] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2; };
// TFTP: the client process's sleeps per block (voluntary context switches, all threads), and the raw
// worker's own count of sleeps in poll and of frames caught while spinning, where the build has them.
const sleepsPerBlock = (ok, blksize) => {
  const blocks = MB * 1_000_000 / blksize;
  const per = (f) => (ok.every((r) => Number.isFinite(f(r))) ? f2(median(ok.map((r) => f(r) / blocks))) : '-');
  return `  sleeps/block ${per((r) => r.p.csw?.voluntary)} (worker poll ${per((r) => r.p.counters?.workerSlept)}, spin hits ${per((r) => r.p.counters?.workerSpun)})`;
};
const cases = [
  { name: 'tftp blksize 512', p: ['tftp', { blksize: 512 }], c: [`tftp://${SERVER}/${FILE}`, ['--tftp-blksize', '512']] },
  { name: 'tftp blksize 1468', p: ['tftp', { blksize: 1468 }], c: [`tftp://${SERVER}/${FILE}`, ['--tftp-blksize', '1468']] },
  { name: 'tftp blksize 8192 (IP fragments)', p: ['tftp', { blksize: 8192 }], c: [`tftp://${SERVER}/${FILE}`, ['--tftp-blksize', '8192']] },
  { name: 'tftp blksize 1468 windowsize 16', p: ['tftp', { blksize: 1468, windowsize: 16 }], c: [`tftp://${SERVER}/${FILE}`, ['--tftp-blksize', '1468']] },
  { name: 'tftp blksize 8192 windowsize 16', p: ['tftp', { blksize: 8192, windowsize: 16 }], c: [`tftp://${SERVER}/${FILE}`, ['--tftp-blksize', '8192']] },
  { name: 'http', p: ['http', {}], c: [`http://${SERVER}/${FILE}`, []] },
  ...(HTTP_MB > 0 ? [{ name: `http ${HTTP_MB} MB`, p: ['http', { file: HTTP_FILE }, HTTP_MB], c: [`http://${SERVER}/${HTTP_FILE}`, [], HTTP_MB] }] : []),
  // RFC 7440 honoured (curl has no windowsize: lock-step from the same atftpd).
  ...(existsSync(ATFTPD) ? [
    { name: 'atftpd blksize 1468 windowsize 16', p: ['tftp', { blksize: 1468, windowsize: 16, tftpServer: WSERVER }], c: [`tftp://${WSERVER}/${FILE}`, ['--tftp-blksize', '1468']] },
    { name: 'atftpd blksize 8192 windowsize 16', p: ['tftp', { blksize: 8192, windowsize: 16, tftpServer: WSERVER }], c: [`tftp://${WSERVER}/${FILE}`, ['--tftp-blksize', '8192']] },
  ] : []),
];
const results = [];
try {
  await sleep(1500);
  for (const s of servers) if (s.child.exitCode !== null) throw new Error(`a server exited: ${s.log().slice(-800)}`);
  console.log(`${MB} MB file${HTTP_MB > 0 ? ` (HTTP also ${HTTP_MB} MB)` : ''}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; MB/s (wall of the transfer), CPU seconds of the client process`);
  for (const k of cases) {
    if (onlyRe !== null && !onlyRe.test(k.name)) continue;
    // --reps N: curl and each transport take turns N times; medians of MB/s, CPU and of each turn's ratio.
    const runs = Object.fromEntries(TRANSPORTS.map((t) => [t, []]));
    for (let rep = 0; rep < REPS; rep++) {
      const c = await curl(...k.c);
      for (const t of TRANSPORTS) {
        if (isFloor(t) && k.p[0] !== 'tftp') continue;
        runs[t].push({ p: isFloor(t) ? await floor(t, ...k.p) : await pxecheck(t, ...k.p), c });
      }
    }
    for (const t of TRANSPORTS) {
      if (isFloor(t) && k.p[0] !== 'tftp') continue;
      const rs = runs[t];
      const ok = rs.filter((r) => r.p.ok && r.c.ok);
      const med = (f) => median(ok.map(f));
      results.push({ case: k.name, transport: t, runs: rs.map((r) => ({ pxecheck: r.p, curl: r.c })) });
      const failed = rs.find((r) => !r.p.ok);
      const range = (f) => `${f2(Math.min(...ok.map(f)))}–${f2(Math.max(...ok.map(f)))}`; // of per-turn ratios
      console.log(`${`${k.name} [${t}]`.padEnd(42)} ${ok.length === 0 ? `FAILED: ${failed?.p.error ?? 'curl failed'}`
        : `pxecheck ${f1(med((r) => r.p.mbps))} MB/s cpu ${f2(med((r) => r.p.cpu))} s   curl ${f1(med((r) => r.c.mbps))} MB/s cpu ${f2(med((r) => r.c.cpu))} s   ratio ${med((r) => r.p.mbps / r.c.mbps).toFixed(2)} (turns ${range((r) => r.p.mbps / r.c.mbps)}; cpu ${med((r) => r.p.cpu / r.c.cpu).toFixed(1)}× curl's)${k.p[0] === 'tftp' ? sleepsPerBlock(ok, k.p[1].blksize) : ''}${ok.length < rs.length ? `  ${rs.length - ok.length} of ${rs.length} failed: ${failed?.p.error}` : ''}`}`);
      // HTTP: a 20 MB body takes ~15 ms here, so the fixed part (connect, request, first byte: a cold
      // Node process's first TCP connection costs milliseconds) weighs; shown apart, with the body's rate.
      if (ok.length > 0 && k.p[0] === 'http') {
        if (FRAMES && ok[0].p.frames?.received > 0) console.log(`${''.padEnd(42)}   frames: received ${f1(med((r) => r.p.frames.received))}, sent ${f1(med((r) => r.p.frames.sent))} (${f1(med((r) => r.p.frames.received / r.p.frames.sent))} received per sent), biggest ${f1(med((r) => r.p.frames.maxReceived))} B`);
        console.log(`${''.padEnd(42)}   to the first byte: pxecheck ${f1(med((r) => r.p.setup * 1000))} ms, curl ${f1(med((r) => r.c.setup * 1000))} ms; body alone: pxecheck ${f1(med((r) => r.p.bodyMbps))} MB/s, curl ${f1(med((r) => r.c.bodyMbps))} MB/s, ratio ${med((r) => r.p.bodyMbps / r.c.bodyMbps).toFixed(2)} (turns ${range((r) => r.p.bodyMbps / r.c.bodyMbps)})`);
      }
    }
  }
  writeFileSync(join(work, 'result.json'), JSON.stringify(results, null, 2));
} finally {
  for (const s of servers) s.stop();
  await sleep(300);
  destroyBenchNet(NAME);
  rmSync(root, { recursive: true, force: true });
}
