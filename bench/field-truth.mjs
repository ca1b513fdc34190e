#!/usr/bin/env node
// Field truth: every capture under captures/ bent the ways real captures from other networks are
// bent, analysed by a checkout, compared between two checkouts and checked for properties that need
// no baseline. Not a test (test/cli/field-truth.test.ts runs a small slice of it). No dependency
// beyond Node and wireshark-common (editcap, mergecap, capinfos; said so when missing).
//
//   node bench/field-truth.mjs build OUTDIR [--only REGEX] [--variants a,b,…]
//   node bench/field-truth.mjs run CHECKOUT OUTDIR [--label L] [--formats json,text,junit] [--jobs 2] [--timeout 60]
//   node bench/field-truth.mjs compare RUN_A RUN_B
//   node bench/field-truth.mjs check RUN [--strict]
//
// build: OUTDIR/<capture>/<variant>.<pcap|pcapng> (same file format as the original) and
// OUTDIR/manifest.json. Captures: every .pcap/.pcapng under captures/ except the fuzz cases of
// captures/public (MANIFEST.md says "MALFORMED fuzz"): they are the hostile corpus's business
// (bench/hostile.mjs, fuzz/). Variants:
//   orig     the capture as it is
//   late     the first third of the frames dropped (capture started late)
//   short    the last third dropped (capture stopped early)
//   twice    the capture, then itself again starting 120 s after its last frame (the same machines
//            rebooting; same xids, ports and ISNs, as a reset machine often re-seeds identically);
//            frames renumbered (mergecap -a)
//   mirror   every frame twice, the copy 30–80 µs later (a SPAN port mirroring both directions of
//            two ports: each frame seen on ingress and on egress)
//   snap96, snap200   editcap -s (tcpdump -s 96 / 200)
//   oneway   what an ingress-only mirror of the clients' access ports records: only frames whose
//            source MAC belongs to a client — a MAC that sent a DHCPv4 client message (UDP 68→67),
//            a DHCPv6 client message (UDP 546→547) or a TFTP request (UDP to 69). Every server,
//            relay and router frame is gone. Skipped when the capture has no such client (relayed
//            or server-side captures) or no Ethernet header
//   vlan     every Ethernet frame carried in an 802.1Q tag with VID 42 (an already tagged frame has
//            its outer VID set to 42): a trunk port's capture
//   sll      Linux cooked (SLL, DLT 113) instead of Ethernet, as `tcpdump -i any`: no destination
//            MAC, the source MAC in the SLL address, packet type from the destination (broadcast /
//            multicast / host), a VLAN tag kept after protocol 0x8100
// The record-level variants (mirror, oneway, vlan, sll) read and write classic pcap here (the
// original normalised with `editcap -F pcap`, converted back to pcapng with editcap when the
// original was pcapng); the others are editcap/mergecap alone.
//
// run: `node CHECKOUT/bin/pxecheck.js analyze FILE --format F` per variant and format, 2 at a time,
// each bounded by --timeout seconds (SIGKILL after), cwd OUTDIR so reports name OUTDIR-relative files,
// TZ=UTC, NO_COLOR=1, COLUMNS=120. Stores OUTDIR/runs/<label>/<capture>/<variant>.<format>.{out,err}
// and results.json (exit code, signal, timed out, wall ms per file); label = <checkout dir>-<commit>.
//
// compare: outputs that differ between two runs (volatile parts normalised: the checkout's path, wall
// times), grouped by capture and variant; JSON differences summarised (outcomes, finding codes); exit
// codes tallied per run with the transitions; every stack trace, exit 2 on a readable file, signal,
// timeout or odd exit code flagged. Exits 1 when anything is flagged.
//
// check: properties of one run against its own `orig`, per capture (JSON reports):
//   every file    exit 0/1 only (2 = a readable file refused), no signal/timeout/stack trace, the same
//                 exit code in all formats, and exit 1 exactly when the JSON counts an error finding
//   mirror, vlan, sll   the same devices, roles, outcomes, boot-attempt counts and finding codes as
//                 orig (mirror: apart from capture.duplicate-frames)
//   twice         each device's boot attempts doubled (entries `os` and `transfer` not counted:
//                 nothing in an OS's DHCP or an address-only transfer marks a reboot), the same role
//                 and outcome, no ERROR code orig did not have on that device; where orig's last
//                 attempt was cut by the end of the capture, 120 s of silence now follow it and it
//                 may count as stopped: "to look at"
//   late, short, snap96, snap200, oneway   no ERROR code that orig did not have on that device:
//                 listed "to look at" (the variant may have removed what made it no error) and judged
//                 by hand; "explained" when the error only moved to an ip: twin (the variant dropped
//                 the DHCP that joined the address to its MAC) and orig has it; exit 1 only where
//                 orig had exit 1 or the variant adds an error
// KNOWN lists variant artefacts of single captures, with why (printed as "explained").
// Violations exit 1; "to look at" lines alone exit 0 (--strict: 1).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const VARIANTS = ['orig', 'late', 'short', 'twice', 'mirror', 'snap96', 'snap200', 'oneway', 'vlan', 'sll'];
const FORMATS = ['json', 'text', 'junit'];
/** Seconds between the end of the capture and its copy in `twice`. */
const REBOOT_GAP_S = 120;
const VLAN_ID = 42;

// ---------- tools ----------
function tool(name, args, opts = {}) {
  const r = spawnSync(name, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error?.code === 'ENOENT') throw new Error(`${name} not found: install wireshark-common (editcap, mergecap, capinfos)`);
  if (r.status !== 0) throw new Error(`${name} ${args.join(' ')}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
  return r.stdout;
}

/** 'pcapng' | 'pcap' | 'nsecpcap' from the magic number. */
function fileFormat(path) {
  const b = readFileSync(path).subarray(0, 4);
  const le = b.readUInt32LE(0);
  const be = b.readUInt32BE(0);
  if (le === 0x0a0d0d0a) return 'pcapng';
  if (le === 0xa1b2c3d4 || be === 0xa1b2c3d4) return 'pcap';
  if (le === 0xa1b23c4d || be === 0xa1b23c4d) return 'nsecpcap';
  throw new Error(`${path}: not a pcap or pcapng file`);
}
const extOf = (fmt) => (fmt === 'pcapng' ? 'pcapng' : 'pcap');

/** Frame count and first/last timestamps (capinfos: earliest and latest, whatever the order). */
function capinfo(path) {
  const [, n, first, last] = tool('capinfos', ['-T', '-r', '-M', '-c', '-a', '-e', '-S', path]).trim().split('\t');
  return { frames: Number(n), first: Number(first), last: Number(last) };
}

// ---------- classic pcap records ----------
function readPcap(path) {
  const buf = readFileSync(path);
  const magicLe = buf.readUInt32LE(0);
  const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
  const nano = (le ? magicLe : buf.readUInt32BE(0)) === 0xa1b23c4d;
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linkType = u32(20) & 0x0fffffff;
  const snaplen = u32(16);
  const records = [];
  for (let o = 24; o + 16 <= buf.length; ) {
    const sec = u32(o);
    const frac = u32(o + 4);
    const caplen = u32(o + 8);
    const origlen = u32(o + 12);
    if (o + 16 + caplen > buf.length) break; // a cut last record: dropped, as editcap does
    records.push({ ts: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nano ? 1n : 1000n), origlen, data: buf.subarray(o + 16, o + 16 + caplen) });
    o += 16 + caplen;
  }
  return { linkType, snaplen, nano, records };
}

function writePcap(path, { linkType, snaplen, nano }, records) {
  const parts = [];
  const head = Buffer.alloc(24);
  head.writeUInt32LE(nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(Math.max(snaplen, 262144), 16);
  head.writeUInt32LE(linkType, 20);
  parts.push(head);
  for (const r of records) {
    const h = Buffer.alloc(16);
    const unit = nano ? 1n : 1000n;
    h.writeUInt32LE(Number(r.ts / 1_000_000_000n), 0);
    h.writeUInt32LE(Number((r.ts % 1_000_000_000n) / unit), 4);
    h.writeUInt32LE(r.data.length, 8);
    h.writeUInt32LE(r.origlen, 12);
    parts.push(h, r.data);
  }
  writeFileSync(path, Buffer.concat(parts));
}

const LINK_ETHERNET = 1;
const LINK_SLL = 113;
const ETH_VLAN = [0x8100, 0x88a8, 0x9100];

/** Source MAC and, for UDP in IPv4/IPv6 (no extension headers), the ports. */
function ethUdp(d) {
  if (d.length < 14) return null;
  const src = d.subarray(6, 12).toString('hex');
  let off = 12;
  let type = d.readUInt16BE(off);
  while (ETH_VLAN.includes(type) && d.length >= off + 6) { off += 4; type = d.readUInt16BE(off); }
  const ip = off + 2;
  let udp = -1;
  if (type === 0x0800 && d.length >= ip + 20) {
    const fragOffset = d.readUInt16BE(ip + 6) & 0x1fff;
    if (d[ip + 9] === 17 && fragOffset === 0) udp = ip + (d[ip] & 0x0f) * 4;
  } else if (type === 0x86dd && d.length >= ip + 40 && d[ip + 6] === 17) udp = ip + 40;
  if (udp < 0 || d.length < udp + 4) return { src, sport: -1, dport: -1 };
  return { src, sport: d.readUInt16BE(udp), dport: d.readUInt16BE(udp + 2) };
}

/** Jitter of the mirror copy, 30–80 µs, deterministic per frame. */
const mirrorDelayNs = (i) => BigInt(30_000 + ((i * 7919) % 51) * 1000);

function mirrorRecords(records) {
  const out = [];
  records.forEach((r, i) => { out.push({ ...r, key: 2 * i }); out.push({ ...r, ts: r.ts + mirrorDelayNs(i), key: 2 * i + 1 }); });
  return out.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.key - b.key));
}

function clientMacs(records) {
  const macs = new Set();
  for (const r of records) {
    const u = ethUdp(r.data);
    if (!u) continue;
    if ((u.sport === 68 && u.dport === 67) || (u.sport === 546 && u.dport === 547) || u.dport === 69) macs.add(u.src);
  }
  return macs;
}

function vlanTag(d) {
  if (d.length < 14) return d;
  if (ETH_VLAN.includes(d.readUInt16BE(12)) && d.length >= 16) {
    const out = Buffer.from(d);
    out.writeUInt16BE((out.readUInt16BE(14) & 0xf000) | VLAN_ID, 14);
    return out;
  }
  const out = Buffer.alloc(d.length + 4);
  d.copy(out, 0, 0, 12);
  out.writeUInt16BE(0x8100, 12);
  out.writeUInt16BE(VLAN_ID, 14);
  d.copy(out, 16, 12);
  return out;
}

function toSll(d) {
  const out = Buffer.alloc(16 + d.length - 14);
  const dst = d.subarray(0, 6);
  const broadcast = dst.every((b) => b === 0xff);
  out.writeUInt16BE(broadcast ? 1 : dst[0] & 1 ? 2 : 0, 0); // PACKET_BROADCAST / MULTICAST / HOST
  out.writeUInt16BE(1, 2); // ARPHRD_ETHER
  out.writeUInt16BE(6, 4);
  d.copy(out, 6, 6, 12);
  const type = d.readUInt16BE(12);
  out.writeUInt16BE(type < 0x600 ? 0x0004 : type, 14); // 802.3 length field: ETH_P_802_2
  d.copy(out, 16, 14);
  return out;
}

// ---------- build ----------
function captureList(only) {
  const skip = new Set();
  const manifest = join(REPO, 'captures/public/MANIFEST.md');
  if (existsSync(manifest)) {
    for (const line of readFileSync(manifest, 'utf8').split('\n')) {
      const m = /^\| ([^|]+?) \|.*MALFORMED fuzz/.exec(line);
      if (m) skip.add(`captures/public/${m[1]}`);
    }
  }
  const out = [];
  const walk = (dir) => {
    for (const e of readdirSync(join(REPO, dir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) { if (!/fuzz|hostile/.test(e.name)) walk(p); continue; }
      if (!/\.(pcap|pcapng)$/.test(e.name) || skip.has(p)) continue;
      if (only && !new RegExp(only).test(p)) continue;
      out.push(p);
    }
  };
  walk('captures');
  return out;
}

const captureId = (p) => p.replace(/^captures\//, '').replace(/\.(pcap|pcapng)$/, '').replaceAll('/', '__');

function buildOne(src, dir, wanted) {
  const abs = join(REPO, src);
  const fmt = fileFormat(abs);
  const ext = extOf(fmt);
  const info = capinfo(abs);
  const made = {};
  const notes = [];
  const path = (v) => join(dir, `${v}.${ext}`);
  const want = (v) => wanted.includes(v);
  const third = Math.floor(info.frames / 3);
  if (want('orig')) { writeFileSync(path('orig'), readFileSync(abs)); made.orig = info.frames; }
  if (want('late')) {
    if (third > 0) { tool('editcap', ['-F', fmt, abs, path('late'), `1-${third}`]); made.late = info.frames - third; } else notes.push('late: under 3 frames');
  }
  if (want('short')) {
    if (third > 0) { tool('editcap', ['-F', fmt, '-r', abs, path('short'), `1-${info.frames - third}`]); made.short = info.frames - third; } else notes.push('short: under 3 frames');
  }
  if (want('twice')) {
    const shift = Math.ceil(info.last - info.first) + REBOOT_GAP_S;
    const copy = join(dir, `.copy.${ext}`);
    tool('editcap', ['-F', fmt, '-t', String(shift), abs, copy]);
    tool('mergecap', ['-F', fmt, '-a', '-w', path('twice'), abs, copy]);
    rmSync(copy);
    made.twice = 2 * info.frames;
  }
  for (const n of [96, 200]) {
    if (want(`snap${n}`)) { tool('editcap', ['-F', fmt, '-s', String(n), abs, path(`snap${n}`)]); made[`snap${n}`] = info.frames; }
  }
  const recordLevel = ['mirror', 'oneway', 'vlan', 'sll'].filter(want);
  if (recordLevel.length === 0) return { made, notes, ext };
  const norm = join(dir, '.norm.pcap');
  try {
    if (fmt === 'pcapng') tool('editcap', ['-F', 'pcap', abs, norm]);
    else writeFileSync(norm, readFileSync(abs));
  } catch (e) {
    notes.push(`mirror/oneway/vlan/sll: ${e.message}`);
    return { made, notes, ext };
  }
  const pcap = readPcap(norm);
  const emit = (v, hdr, records) => {
    if (fmt === 'pcapng') {
      const tmp = join(dir, `.${v}.pcap`);
      writePcap(tmp, hdr, records);
      tool('editcap', ['-F', 'pcapng', tmp, path(v)]);
      rmSync(tmp);
    } else writePcap(path(v), hdr, records);
    made[v] = records.length;
  };
  if (want('mirror')) emit('mirror', pcap, mirrorRecords(pcap.records));
  const ether = pcap.linkType === LINK_ETHERNET;
  for (const v of ['oneway', 'vlan', 'sll']) if (want(v) && !ether) notes.push(`${v}: link type ${pcap.linkType} is not Ethernet`);
  if (ether && want('oneway')) {
    const macs = clientMacs(pcap.records);
    const kept = pcap.records.filter((r) => r.data.length >= 14 && macs.has(r.data.subarray(6, 12).toString('hex')));
    if (macs.size === 0) notes.push('oneway: no client MAC (no UDP 68→67, 546→547 or →69 from a MAC)');
    else if (kept.length === pcap.records.length) notes.push('oneway: every frame comes from a client already');
    else emit('oneway', pcap, kept);
  }
  if (ether && want('vlan')) emit('vlan', pcap, pcap.records.map((r) => ({ ...r, origlen: r.origlen + 4, data: vlanTag(r.data) })));
  if (ether && want('sll')) {
    const recs = pcap.records.filter((r) => r.data.length >= 14).map((r) => ({ ...r, origlen: r.origlen + 2, data: toSll(r.data) }));
    emit('sll', { ...pcap, linkType: LINK_SLL }, recs);
  }
  rmSync(norm);
  return { made, notes, ext };
}

function build(outdir, opts) {
  const wanted = opts.variants ? opts.variants.split(',') : VARIANTS;
  for (const v of wanted) if (!VARIANTS.includes(v)) throw new Error(`unknown variant ${v} (${VARIANTS.join(', ')})`);
  mkdirSync(outdir, { recursive: true });
  const captures = [];
  for (const src of captureList(opts.only)) {
    const id = captureId(src);
    const dir = join(outdir, id);
    mkdirSync(dir, { recursive: true });
    const { made, notes, ext } = buildOne(src, dir, wanted);
    captures.push({ id, source: src, ext, variants: made, notes });
    process.stdout.write(`${id}: ${Object.keys(made).join(' ')}${notes.length ? `  (${notes.join('; ')})` : ''}\n`);
  }
  writeFileSync(join(outdir, 'manifest.json'), JSON.stringify({ made: new Date().toISOString(), captures }, null, 1));
  process.stdout.write(`${captures.length} captures, ${captures.reduce((n, c) => n + Object.keys(c.variants).length, 0)} files in ${outdir}\n`);
}

// ---------- run ----------
function runOne(bin, cwd, file, format, timeoutS) {
  return new Promise((done) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [bin, 'analyze', file, '--format', format], {
      cwd, env: { ...process.env, TZ: 'UTC', NO_COLOR: '1', COLUMNS: '120', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal: timedOut ? null : signal, timedOut, ms: Date.now() - t0, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
  });
}

async function run(checkout, outdir, opts) {
  const bin = resolve(checkout, 'bin/pxecheck.js');
  if (!existsSync(bin)) throw new Error(`${bin} missing: give a checkout with bin/ and a built dist/`);
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
  const commit = spawnSync('git', ['-C', checkout, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim() || 'unknown';
  const label = opts.label ?? `${basename(resolve(checkout))}-${commit}`;
  const runDir = join(outdir, 'runs', label);
  const formats = (opts.formats ?? FORMATS.join(',')).split(',');
  const jobs = [];
  for (const c of manifest.captures) for (const v of Object.keys(c.variants)) for (const f of formats) jobs.push({ id: c.id, variant: v, format: f });
  const exts = new Map(manifest.captures.map((c) => [c.id, c.ext]));
  const results = [];
  const load0 = loadavg()[0];
  const t0 = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const j = jobs[next++];
      const file = `${j.id}/${j.variant}.${exts.get(j.id)}`;
      const r = await runOne(bin, outdir, file, j.format, Number(opts.timeout ?? 60));
      const base = join(runDir, j.id, `${j.variant}.${j.format}`);
      mkdirSync(dirname(base), { recursive: true });
      writeFileSync(`${base}.out`, r.stdout);
      writeFileSync(`${base}.err`, r.stderr);
      results.push({ ...j, file, code: r.code, signal: r.signal, timedOut: r.timedOut, ms: r.ms });
      if (results.length % 100 === 0) process.stderr.write(`${results.length}/${jobs.length}\n`);
    }
  };
  const n = Math.max(1, Math.min(Number(opts.jobs ?? 2), cpus().length));
  await Promise.all(Array.from({ length: n }, worker));
  results.sort((a, b) => (a.id + a.variant + a.format < b.id + b.variant + b.format ? -1 : 1));
  const meta = { checkout: resolve(checkout), commit, label, started: new Date(t0).toISOString(), seconds: (Date.now() - t0) / 1000, load: [load0, loadavg()[0]] };
  writeFileSync(join(runDir, 'results.json'), JSON.stringify({ meta, results }, null, 1));
  const codes = tally(results);
  process.stdout.write(`${runDir}: ${results.length} runs in ${meta.seconds.toFixed(0)} s (load ${load0.toFixed(1)}→${loadavg()[0].toFixed(1)}); exit codes ${fmtTally(codes)}\n`);
}

// ---------- shared by compare and check ----------
const STACK = /^\s+at .+[(\s]\S+:\d+:\d+\)?$/m;
const outcomeOf = (r) => (r.timedOut ? 'timeout' : r.signal ? r.signal : String(r.code));
function tally(results) {
  const t = {};
  for (const r of results) t[outcomeOf(r)] = (t[outcomeOf(r)] ?? 0) + 1;
  return t;
}
const fmtTally = (t) => Object.entries(t).map(([k, n]) => `${k}: ${n}`).join(', ');

function loadRun(runDir) {
  const p = join(runDir, 'results.json');
  if (!existsSync(p)) throw new Error(`${p} missing: not a run directory (bench/field-truth.mjs run …)`);
  const { meta, results } = JSON.parse(readFileSync(p, 'utf8'));
  const read = (r, kind) => readFileSync(join(runDir, r.id, `${r.variant}.${r.format}.${kind}`), 'utf8');
  const norm = (s) => s.replaceAll(meta.checkout, '<CHECKOUT>');
  return { meta, results, out: (r) => norm(read(r, 'out')), err: (r) => norm(read(r, 'err')) };
}

/** What makes a run of one file suspect on its own. */
function flags(run, r) {
  const f = [];
  if (r.timedOut) f.push('timeout');
  else if (r.signal) f.push(`signal ${r.signal}`);
  else if (r.code === 2) f.push(`exit 2 on a readable file: ${run.err(r).trim().split('\n')[0]}`);
  else if (r.code !== 0 && r.code !== 1) f.push(`exit ${r.code}`);
  if (STACK.test(run.err(r)) || STACK.test(run.out(r))) f.push('stack trace');
  return f;
}

/** Per device: role, outcome, attempts, finding codes, error codes; '' = capture-wide. */
function facts(json) {
  const dev = new Map();
  const get = (mac) => {
    if (!dev.has(mac)) dev.set(mac, { role: null, outcome: null, attempts: 0, lastCut: false, codes: new Set(), errors: new Set() });
    return dev.get(mac);
  };
  // Boots only: an OS's DHCP and an address-only device's transfers carry nothing that marks a
  // reboot (no boot identity), so they are not split into attempts by one.
  for (const c of json.clients ?? []) {
    const boots = (c.attempts ?? []).filter((a) => a.entry !== 'os' && a.entry !== 'transfer');
    Object.assign(get(c.mac), { role: c.role, outcome: c.outcome, attempts: boots.length, lastCut: boots.at(-1)?.outcome === 'incomplete' });
  }
  get('');
  for (const f of json.findings ?? []) {
    const d = get(f.client ?? '');
    d.codes.add(f.code);
    if (f.severity === 'error') d.errors.add(f.code);
  }
  return dev;
}

function parseJson(run, r) {
  try { return JSON.parse(run.out(r)); } catch { return null; }
}

// ---------- compare ----------
function compare(dirA, dirB) {
  const A = loadRun(dirA);
  const B = loadRun(dirB);
  const key = (r) => `${r.id}\t${r.variant}\t${r.format}`;
  const bMap = new Map(B.results.map((r) => [key(r), r]));
  const diffs = new Map();
  let flagged = 0;
  const add = (id, line) => { if (!diffs.has(id)) diffs.set(id, []); diffs.get(id).push(line); };
  const transitions = {};
  for (const a of A.results) {
    const b = bMap.get(key(a));
    bMap.delete(key(a));
    if (!b) { add(a.id, `${a.variant} ${a.format}: only in A`); continue; }
    const t = `${outcomeOf(a)}→${outcomeOf(b)}`;
    transitions[t] = (transitions[t] ?? 0) + 1;
    for (const [side, run, r] of [['A', A, a], ['B', B, b]]) for (const f of flags(run, r)) { add(a.id, `${a.variant} ${a.format}: FLAG ${side} ${f}`); flagged++; }
    const outA = A.out(a);
    const outB = B.out(b);
    const same = outA === outB && A.err(a) === B.err(b) && outcomeOf(a) === outcomeOf(b);
    if (same) continue;
    let what = outcomeOf(a) === outcomeOf(b) ? '' : ` exit ${outcomeOf(a)}→${outcomeOf(b)};`;
    if (a.format === 'json') {
      const ja = parseJson(A, a);
      const jb = parseJson(B, b);
      if (ja && jb) what += ` ${jsonDelta(facts(ja), facts(jb)) || 'details only'}`;
    } else if (outA !== outB) {
      const la = outA.split('\n');
      const lb = outB.split('\n');
      const first = la.findIndex((l, i) => l !== lb[i]);
      what += ` line ${first + 1}: ${JSON.stringify(la[first]?.slice(0, 80))} → ${JSON.stringify(lb[first]?.slice(0, 80))}`;
    } else what += ' stderr differs';
    add(a.id, `${a.variant} ${a.format}:${what}`);
  }
  for (const b of bMap.values()) add(b.id, `${b.variant} ${b.format}: only in B`);
  process.stdout.write(`A ${A.meta.label} (${A.meta.checkout})\nB ${B.meta.label} (${B.meta.checkout})\n\n`);
  for (const [id, lines] of [...diffs].sort()) process.stdout.write(`${id}\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
  process.stdout.write(`\n${diffs.size} captures differ; exit codes A ${fmtTally(tally(A.results))}; B ${fmtTally(tally(B.results))}\n`);
  process.stdout.write(`transitions ${fmtTally(transitions)}; flagged ${flagged}\n`);
  return flagged > 0 ? 1 : 0;
}

function jsonDelta(fa, fb) {
  const parts = [];
  for (const mac of new Set([...fa.keys(), ...fb.keys()])) {
    const a = fa.get(mac);
    const b = fb.get(mac);
    const name = mac || 'capture';
    if (!a) { parts.push(`${name} new`); continue; }
    if (!b) { parts.push(`${name} gone`); continue; }
    if (a.outcome !== b.outcome) parts.push(`${name} ${a.outcome}→${b.outcome}`);
    if (a.attempts !== b.attempts) parts.push(`${name} attempts ${a.attempts}→${b.attempts}`);
    const plus = [...b.codes].filter((c) => !a.codes.has(c));
    const minus = [...a.codes].filter((c) => !b.codes.has(c));
    if (plus.length || minus.length) parts.push(`${name} ${plus.map((c) => `+${c}`).concat(minus.map((c) => `-${c}`)).join(' ')}`);
  }
  return parts.join('; ');
}

// ---------- check ----------
/** Property violations that are artefacts of a variant on one capture, with why (listed as
 *  "explained", never silently dropped). Key: `<capture> <variant>`. */
const KNOWN = {
  'public__tcpdump__dhcpv4v6-rfc5970-rfc8572 twice': 'the capture starts mid-transaction (its first Solicit has Elapsed Time 70.3 s), so the copy\'s Solicit continues it: a real reboot starts at 0',
};

/** Finding codes a variant may add or drop for a reason of its own (the capture says so). */
const VARIANT_NOTES = {
  mirror: ['capture.duplicate-frames'],
  vlan: [],
  sll: [],
  twice: [],
};

export function checkRun(runDir) {
  const R = loadRun(runDir);
  const violations = [];
  const look = [];
  const explained = [];
  const byId = new Map();
  for (const r of R.results) {
    if (!byId.has(r.id)) byId.set(r.id, new Map());
    byId.get(r.id).set(`${r.variant}.${r.format}`, r);
  }
  for (const [id, runs] of byId) {
    const bad = (v, msg) => {
      const why = KNOWN[`${id} ${v}`];
      if (why) explained.push(`${id} ${v}: ${msg} — ${why}`);
      else violations.push(`${id} ${v}: ${msg}`);
    };
    const variants = [...new Set([...runs.values()].map((r) => r.variant))];
    for (const r of runs.values()) for (const f of flags(R, r)) bad(`${r.variant} ${r.format}`, f);
    for (const v of variants) {
      const codes = new Set(FORMATS.map((f) => runs.get(`${v}.${f}`)).filter(Boolean).map(outcomeOf));
      if (codes.size > 1) bad(v, `exit codes differ between formats (${[...codes].join(', ')})`);
      const jr = runs.get(`${v}.json`);
      const j = jr && parseJson(R, jr);
      if (jr && (jr.code === 0 || jr.code === 1) && j && (j.summary?.errors > 0 ? 1 : 0) !== jr.code) bad(v, `exit ${jr.code} with ${j.summary?.errors} error findings`);
    }
    const origRun = runs.get('orig.json');
    const orig = origRun && parseJson(R, origRun);
    if (!orig) continue;
    const fo = facts(orig);
    for (const v of variants) {
      if (v === 'orig') continue;
      const vr = runs.get(`${v}.json`);
      const j = vr && parseJson(R, vr);
      if (!j) continue;
      const fv = facts(j);
      if (v === 'mirror' || v === 'vlan' || v === 'sll') {
        const allowed = new Set(VARIANT_NOTES[v]);
        for (const mac of new Set([...fo.keys(), ...fv.keys()])) {
          const a = fo.get(mac);
          const b = fv.get(mac);
          const name = mac || 'capture';
          if (!a || !b) { bad(v, `device ${name} ${a ? 'gone' : 'new'}`); continue; }
          if (a.role !== b.role || a.outcome !== b.outcome) bad(v, `${name} ${a.role}/${a.outcome} → ${b.role}/${b.outcome}`);
          if (a.attempts !== b.attempts) bad(v, `${name} attempts ${a.attempts} → ${b.attempts}`);
          const plus = [...b.codes].filter((c) => !a.codes.has(c) && !allowed.has(c));
          const minus = [...a.codes].filter((c) => !b.codes.has(c) && !allowed.has(c));
          if (plus.length || minus.length) bad(v, `${name} codes ${plus.map((c) => `+${c}`).concat(minus.map((c) => `-${c}`)).join(' ')}`);
        }
        if (vr.code !== origRun.code) bad(v, `exit ${origRun.code} → ${vr.code}`);
        continue;
      }
      if (v === 'twice') {
        for (const [mac, a] of fo) {
          const b = fv.get(mac);
          const name = mac || 'capture';
          if (!b) { bad(v, `device ${name} gone`); continue; }
          // Its last attempt was cut by the end of the capture: in `twice` 120 s of silence follow
          // it, so it may now count as stopped (boot.stopped, failed) — judged by hand.
          const cutAtEnd = a.outcome === 'incomplete' || a.lastCut;
          if (mac && a.attempts * 2 !== b.attempts) bad(v, `${name} boot attempts ${a.attempts} → ${b.attempts} (want ${a.attempts * 2})`);
          if (a.role !== b.role) bad(v, `${name} role ${a.role} → ${b.role}`);
          if (a.outcome !== b.outcome) (cutAtEnd ? look : violations).push(`${id} ${v}: ${name} outcome ${a.outcome} → ${b.outcome}`);
          const plus = [...b.errors].filter((c) => !a.errors.has(c));
          if (plus.length) (cutAtEnd ? look : violations).push(`${id} ${v}: ${name} new ERROR ${plus.join(' ')}`);
        }
        for (const mac of fv.keys()) if (!fo.has(mac)) bad(v, `device ${mac} new`);
        const cut = [...fo.values()].some((a) => a.outcome === 'incomplete' || a.lastCut);
        if (vr.code !== origRun.code) (cut ? look : violations).push(`${id} ${v}: exit ${origRun.code} → ${vr.code}`);
        continue;
      }
      // late, short, snap96, snap200, oneway: frames or bytes removed
      let added = false;
      const origErrors = new Set([...fo.values()].flatMap((d) => [...d.errors]));
      for (const [mac, b] of fv) {
        const a = fo.get(mac);
        const plus = [...b.errors].filter((c) => !a?.errors.has(c));
        if (plus.length === 0) continue;
        added = true;
        // A device orig does not have (an ip: twin: the variant dropped the DHCP that joined it
        // to its MAC) with an error orig raised on some device: the same failure, named by address.
        if (!a && plus.every((c) => origErrors.has(c))) { explained.push(`${id} ${v}: ${mac} ${plus.join(' ')} — orig has it on the device this address belongs to`); continue; }
        look.push(`${id} ${v}: ${mac || 'capture'} new ERROR ${plus.join(' ')} (orig ${a ? `${a.outcome ?? '-'}: ${[...a.errors].join(' ') || 'no error'}` : 'has no such device'})`);
      }
      if (vr.code === 1 && origRun.code !== 1 && !added) bad(v, `exit 1 where orig exits ${origRun.code} and no error was added`);
    }
  }
  process.stdout.write(`${R.meta.label}: ${byId.size} captures, ${R.results.length} runs; exit codes ${fmtTally(tally(R.results))}\n`);
  process.stdout.write(`\nviolations (${violations.length})\n${violations.map((l) => `  ${l}`).join('\n')}\n`);
  process.stdout.write(`\nto look at (${look.length})\n${look.map((l) => `  ${l}`).join('\n')}\n`);
  process.stdout.write(`\nexplained (${explained.length})\n${explained.map((l) => `  ${l}`).join('\n')}\n`);
  return { violations, look, explained };
}

// ---------- main ----------
async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      only: { type: 'string' }, variants: { type: 'string' }, label: { type: 'string' }, formats: { type: 'string' },
      jobs: { type: 'string' }, timeout: { type: 'string' }, strict: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  const [cmd, ...args] = positionals;
  const usage = () => {
    process.stderr.write('usage: field-truth.mjs build OUTDIR | run CHECKOUT OUTDIR | compare RUN_A RUN_B | check RUN  (header of bench/field-truth.mjs)\n');
    return 2;
  };
  if (values.help) { process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0] + '\n'); return 0; }
  if (cmd === 'build' && args.length === 1) { build(resolve(args[0]), values); return 0; }
  if (cmd === 'run' && args.length === 2) { await run(args[0], resolve(args[1]), values); return 0; }
  if (cmd === 'compare' && args.length === 2) return compare(resolve(args[0]), resolve(args[1]));
  if (cmd === 'check' && args.length === 1) {
    const { violations, look } = checkRun(resolve(args[0]));
    return violations.length > 0 || (values.strict && look.length > 0) ? 1 : 0;
  }
  return usage();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((code) => { process.exitCode = code; }, (e) => { process.stderr.write(`field-truth: ${e.message}\n`); process.exitCode = 2; });
}
