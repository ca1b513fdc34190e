#!/usr/bin/env node
// Writes a synthetic network-boot capture (see src/gen). Build first: npx tsc -p tsconfig.json
//   node scripts/gen-capture.mjs --clients N --seed S [--frames F] --out FILE
//        [--format pcap|pcapng] [--fault NAME[=share]]... [--file-size MIN-MAX] [--http SHARE] [--uefi SHARE]
// --frames F caps the capture at F frames; without --clients it also picks enough clients to reach F.
import { parseArgs } from 'node:util';
import { generateBootTraffic, writeCapture, FAULT_NAMES } from '../dist/gen/index.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string' },
    seed: { type: 'string', default: '1' },
    frames: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string' },
    fault: { type: 'string', multiple: true, default: [] },
    'file-size': { type: 'string' },
    http: { type: 'string' },
    uefi: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

function usage(msg) {
  if (msg) process.stderr.write(`gen-capture: ${msg}\n`);
  process.stderr.write('usage: gen-capture.mjs --clients N --seed S [--frames F] --out FILE [--format pcap|pcapng]\n' +
    `       [--fault NAME[=share]]... (${FAULT_NAMES.join(', ')}) [--file-size MIN-MAX] [--http SHARE] [--uefi SHARE]\n`);
  process.exit(msg ? 2 : 0);
}
if (values.help) usage();
if (!values.out) usage('--out is required');

const num = (name, v) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) usage(`--${name} must be a non-negative number, got ${v}`);
  return n;
};
const format = values.format ?? (values.out.endsWith('.pcapng') ? 'pcapng' : 'pcap');
if (format !== 'pcap' && format !== 'pcapng') usage(`--format must be pcap or pcapng, got ${format}`);

const mix = {};
if (values['file-size']) {
  const [lo, hi] = values['file-size'].split('-');
  mix.fileSize = [num('file-size', lo), num('file-size', hi ?? lo)];
}
if (values.http !== undefined) mix.http = num('http', values.http);
if (values.uefi !== undefined) mix.uefi = num('uefi', values.uefi);

const faults = {};
for (const f of values.fault) {
  const [name, share] = f.split('=');
  if (!FAULT_NAMES.includes(name)) usage(`unknown fault ${name}`);
  faults[name] = share === undefined ? true : num('fault', share);
}

const maxFrames = values.frames !== undefined ? num('frames', values.frames) : undefined;
let clients;
if (values.clients !== undefined) clients = num('clients', values.clients);
else if (maxFrames !== undefined) {
  // A client's frames are about 2 per TFTP block of its loader plus ~25 for DHCP and HTTP.
  const [lo, hi] = mix.fileSize ?? [100_000, 1_000_000];
  const perClient = (2 * (lo + hi)) / 2 / 1468 + 25;
  clients = Math.ceil((maxFrames / perClient) * 1.2) + 1;
} else usage('give --clients or --frames');

const opts = { clients, seed: num('seed', values.seed), mix, faults, maxFrames };
const t0 = process.hrtime.bigint();
const { frames, result } = writeCapture(values.out, { format }, (emit) => generateBootTraffic(opts, emit));
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
process.stderr.write(`gen-capture: ${values.out}: ${frames} frames, ${result.clients} clients, ` +
  `${(result.endTime - 1_700_000_000).toFixed(1)} s of traffic, written in ${secs.toFixed(1)} s\n`);
if (maxFrames !== undefined && frames < maxFrames) {
  process.stderr.write(`gen-capture: note: ${clients} clients produced fewer than the ${maxFrames} frames asked for\n`);
}
