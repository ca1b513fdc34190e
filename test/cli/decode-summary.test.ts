/** `decode --format summary|line` and the --client/--xid/--from/--to filters on a real lab capture. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDecode } from '../../src/cli/decode.js';
import { checkDecodeArgs } from '../../src/cli/options.js';

const CAPTURE = fileURLToPath(new URL('../../captures/lab/uefi-pxe-dnsmasq.pcapng', import.meta.url));
const MAC = '52:54:00:00:0e:f1';
const XID = 'df8841ff';

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pxecheck-decode-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function decode(argv: Record<string, unknown>): Promise<string[]> {
  const output = join(dir, `out${n++}.txt`);
  const err: string[] = [];
  const code = await runDecode(checkDecodeArgs({ file: CAPTURE, output, ...argv }), { stderr: (s) => err.push(s) });
  expect(code).toBe(0);
  return readFileSync(output, 'utf8').split('\n').filter((l) => l !== '');
}

interface Rec { frame: number; time: number; proto: string; src: string; dst: string; xid?: number; chaddr?: string }
const frameOf = (line: string): number => Number(/^\s*(\d+) /.exec(line)![1]);

describe('decode --format summary', () => {
  it('prints one line per message jsonl prints, in frame order, with the DHCP type and xid', async () => {
    const lines = await decode({ format: 'summary' });
    const records = (await decode({ format: 'jsonl' })).map((l) => JSON.parse(l) as Rec);
    expect(lines.map(frameOf)).toEqual(records.map((r) => r.frame));
    expect(await decode({ format: 'line' })).toEqual(lines);
    for (const l of lines) expect(l).toMatch(/^\s*\d+\s+\d+\.\d{6}\s+\S+ → \S+\s+(DHCPv4|DHCPv6|TFTP|HTTP|ICMP|ICMPv6|NDP)\s+\S/);
    const dhcp = lines.filter((l) => l.includes(' DHCPv4 '));
    expect(dhcp.length).toBeGreaterThanOrEqual(4);
    for (const t of ['DISCOVER', 'OFFER', 'REQUEST', 'ACK']) expect(dhcp.some((l) => l.includes(`${t} xid 0x${XID}`)), t).toBe(true);
    expect(lines.some((l) => / TFTP +RRQ snponly\.efi/.test(l))).toBe(true);
  });

  it('--xid keeps exactly that transaction', async () => {
    const lines = await decode({ format: 'line', xid: `0x${XID.toUpperCase()}` });
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const l of lines) expect(l).toContain(`xid 0x${XID}`);
    expect(await decode({ format: 'line', xid: '0x1' })).toEqual([]);
  });

  it('--client by MAC (any spelling) or IP keeps a subset that concerns it', async () => {
    const all = await decode({ format: 'line' });
    const byMac = await decode({ format: 'line', client: MAC });
    expect(await decode({ format: 'line', client: '5254.0000.0ef1' })).toEqual(byMac);
    expect(byMac.length).toBeGreaterThan(0);
    expect(byMac.length).toBeLessThan(all.length);
    const byIp = await decode({ format: 'line', client: '198.51.100.187' });
    expect(byIp.length).toBeGreaterThan(0);
    for (const l of byIp) expect(l).toContain('198.51.100.187');
    const either = await decode({ format: 'line', client: [MAC, '198.51.100.187'] });
    expect(either.length).toBeGreaterThanOrEqual(Math.max(byMac.length, byIp.length));
    expect(await decode({ format: 'line', client: '02:00:00:00:00:99' })).toEqual([]);
  });

  it('--from/--to keep the messages inside the window, relative or absolute', async () => {
    const records = (await decode({ format: 'jsonl' })).map((l) => JSON.parse(l) as Rec);
    const t0 = Math.min(...records.map((r) => r.time));
    const inWindow = records.filter((r) => r.time - t0 >= 5 && r.time - t0 <= 6).map((r) => r.frame);
    expect(inWindow.length).toBeGreaterThan(0);
    // The capture's first packet may precede the first message: relative bounds count from the packet.
    const rel = (await decode({ format: 'jsonl', from: '5', to: '6s' })).map((l) => (JSON.parse(l) as Rec).frame);
    expect(rel.every((f) => records.some((r) => r.frame === f))).toBe(true);
    const iso = (t: number): string => new Date(t * 1000).toISOString();
    const abs = (await decode({ format: 'jsonl', from: iso(t0 + 5), to: iso(t0 + 6) })).map((l) => JSON.parse(l) as Rec);
    for (const r of abs) expect(r.time - t0).toBeGreaterThanOrEqual(5 - 0.001);
    for (const r of abs) expect(r.time - t0).toBeLessThanOrEqual(6 + 0.001);
    expect(abs.length).toBeGreaterThan(0);
    expect(abs.length).toBeLessThan(records.length);
  });
});
