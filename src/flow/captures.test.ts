import { describe, it, expect } from 'vitest';
import { readdirSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCapture } from './analyze.js';
import type { Analysis } from './types.js';

const ROOT = new URL('../../captures/', import.meta.url).pathname;

function captureFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...captureFiles(p));
    else if (/\.(pcap|pcapng)(\.gz)?$/.test(name)) out.push(p);
  }
  return out.sort();
}

function show(a: Analysis): string {
  const lines = [`${a.file}: ${a.packets} packets, ${a.clients.length} clients ${JSON.stringify(a.summary)}`];
  for (const c of a.clients.slice(0, 6)) {
    lines.push(`  ${c.mac} arch=${c.arch} vc=${c.vendorClass} booted=${c.booted} t=${c.timeToBootProgram} ` + c.steps.map((s) =>
      s.kind === 'tftp' ? `tftp(${s.file},${s.bytes},complete=${s.complete},probe=${s.probe},err=${s.error?.code})`
        : s.kind === 'dhcp4' ? `dhcp4(${s.stage},${s.messages.join('/')},bf=${s.bootfile})`
        : s.kind === 'http' ? `http(${s.url},${s.status},${s.bytes})` : s.kind).join(' → '));
  }
  for (const f of a.findings.slice(0, 15)) lines.push(`  F ${f.severity} ${f.code} ${f.client} [${f.frames.slice(0, 5)}] ${f.message}`);
  return lines.join('\n');
}

describe('analyzeCapture on public captures', () => {
  for (const f of captureFiles(join(ROOT, 'public'))) {
    it(`analyzes ${f.slice(ROOT.length)}`, async () => {
      const a = await analyzeCapture(f);
      if (process.env.SHOW) console.log(show(a));
      expect(a.packets).toBeGreaterThan(0);
    });
  }
});

describe('analyzeCapture on lab captures', () => {
  for (const f of captureFiles(join(ROOT, 'lab'))) {
    it(`analyzes ${f.slice(ROOT.length)}`, async () => {
      const a = await analyzeCapture(f);
      if (process.env.SHOW) console.log(show(a));
      expect(a.packets).toBeGreaterThan(0);
    });
  }
});
