#!/usr/bin/env node
// Classic pcap reading speed and memory: our streaming reader vs the `pcap-parser` package.
// Usage: npx tsc -p tsconfig.json && node bench/pcap-reader.mjs [packets=1000000]
// Each reader runs in its own process so peak RSS is its own. Prints records/s and peak RSS.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = process.env.PXECHECK_DIST ?? join(here, '../dist/capture/index.js');

async function child(reader, file) {
  const t0 = process.hrtime.bigint();
  let records = 0;
  let bytes = 0;
  if (reader === 'pxecheck') {
    const { readCaptureFile } = await import(dist);
    await readCaptureFile(file, (rec) => {
      records++;
      bytes += rec.data.length;
    });
  } else {
    const pcapp = createRequire(import.meta.url)('pcap-parser');
    await new Promise((resolve, reject) => {
      const parser = pcapp.parse(file);
      parser.on('packet', (p) => {
        records++;
        bytes += p.data.length;
      });
      parser.on('end', resolve);
      parser.on('error', reject);
    });
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ reader, records, bytes, ms, maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
}

async function generate(file, count) {
  const { PcapWriter, CaptureFileWriter } = await import(dist);
  // Ethernet + IPv4 + UDP 68 -> 67 + 18 payload bytes: a small DHCP-sized frame (60 bytes).
  const frame = Uint8Array.from(Buffer.from(
    'ffffffffffff020000000001080045000030000100004011000000000000ffffffff0044004300180000' +
      '000102030405060708090a0b0c0d0e0f1011', 'hex'));
  const out = new CaptureFileWriter(file);
  const w = new PcapWriter(out.write, 1);
  for (let i = 0; i < count; i++) {
    frame[frame.length - 1] = i & 0xff;
    w.writePacket(1700000000 + i * 1e-4, frame);
  }
  out.close();
}

async function main() {
  if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4]);
  if (!existsSync(dist)) throw new Error('build first: npx tsc -p tsconfig.json');
  const count = Number(process.argv[2] ?? 1_000_000);
  const outDir = join(here, 'out');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `udp-${count}.pcap`);
  if (!existsSync(file)) await generate(file, count);
  console.log(`file: ${file} (${count} packets, ${(statSync(file).size / 1048576).toFixed(1)} MiB)`);
  const runs = 3;
  for (const reader of ['pxecheck', 'pcap-parser']) {
    const results = [];
    for (let i = 0; i < runs; i++) {
      results.push(JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', reader, file], { encoding: 'utf8' })));
    }
    const best = results.reduce((a, b) => (b.ms < a.ms ? b : a));
    const rss = Math.max(...results.map((r) => r.maxRssKiB));
    console.log(
      `${reader.padEnd(12)} records=${best.records} best of ${runs}: ${(best.ms / 1000).toFixed(2)} s, ` +
        `${Math.round(best.records / (best.ms / 1000)).toLocaleString('en-US')} records/s, peak RSS ${(rss / 1024).toFixed(0)} MiB`,
    );
  }
}

await main();
