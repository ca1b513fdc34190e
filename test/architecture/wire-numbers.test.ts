/**
 * Issue 16: `src/wire` is the only owner of protocol numbers. Outside it, no source file may name a
 * well-known port, EtherType, IP protocol number, DHCP option code or message type as a bare number:
 * it uses the wire names (UdpPort, EtherType, IpProtocol, DhcpV4Code, Icmpv6Type, …) instead.
 * The patterns are the shapes such numbers take in this code base (comparisons, port fields,
 * option look-ups); comments are ignored.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

/** Files that may still hold bare numbers, each with why. Keep this list tiny. */
const ALLOWED: Readonly<Record<string, string>> = {
  // `r.code` there is a process exit status, not a protocol number.
  'src/lab/run.ts': 'exit codes',
  'src/lab/impair.ts': 'exit codes',
  'src/lab/faults.ts': 'exit codes',
};

const N = String.raw`(?:0x[0-9a-fA-F]+|\d+)`;
/** The well-known ports of the protocols pxecheck speaks (other numbers near a port are ephemeral
 *  ports, sequence numbers or 0 for "any"). */
const P = String.raw`(?:53|67|68|69|80|443|546|547|4011|8080)`;
/** Each pattern names one shape of a protocol number written as a literal. */
const PATTERNS: readonly { what: string; re: RegExp }[] = [
  { what: 'port compared with a literal', re: new RegExp(String.raw`[pP]ort\s*[!=]==?\s*${P}\b|\b${P}\s*[!=]==?\s*[\w.]*[pP]ort\b`) },
  { what: 'port field or default as a literal', re: new RegExp(String.raw`\b\w*[pP]ort\s*(?::|\?\?|=)\s*(?:[^;,]*\?\s*)?${P}\b(?!\s*[*/+-])`) },
  { what: 'port constant as a literal', re: new RegExp(String.raw`\b[A-Z0-9_]*PORTS?\s*=\s*(?:new Set\(\[\s*)?${P}\b`) },
  { what: 'port after a transport name', re: new RegExp(String.raw`'(?:udp|tcp)',\s*${P}\b`) },
  { what: 'well-known port passed to a frame builder', re: new RegExp(String.raw`\b(?:udp|tcp|seg)\([^;]*?[(,]\s*${P}\s*,`) },
  { what: 'a choice between two well-known ports', re: new RegExp(String.raw`\?\s*${P}\s*:\s*${P}\b`) },
  { what: 'a switch over numbered cases', re: new RegExp(String.raw`\bcase\s+${N}\s*:`) },
  { what: 'port literal in a set or list', re: /\b(?:PORTS?|[pP]orts)\b[^\n]*\[\s*\d+\s*,/ },
  { what: 'option looked up by a literal code', re: new RegExp(String.raw`\b(?:getOption|optionValue|findOption|option|hasOption|optionBytes|options\.(?:get|has|set))\(\s*(?:[\w.]+\s*,\s*)?${N}\s*[,)]`) },
  { what: 'EtherType as a literal', re: /\b0x(?:0800|0806|86dd|8100|88a8|9100)\b/i },
  { what: 'IP protocol compared with a literal', re: new RegExp(String.raw`\b(?:protocol|nextHeader|proto|ipProto)\s*[!=]==?\s*${N}\b`) },
  { what: 'message type compared with a literal', re: new RegExp(String.raw`\b(?:msgType\([^)]*\)|messageType|msgType|opcode|\.op|\.type|icmpType)\s*[!=]==?\s*${N}\b`) },
  { what: 'option or opcode written as a literal code', re: new RegExp(String.raw`\.code\s*[!=]==?\s*${N}\b|\{\s*code:\s*${N}\b`) },
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.ts$/.test(e.name) && !/\.test(-kit)?\.ts$/.test(e.name)) out.push(p);
  }
  return out;
}

/** The code of a line with comments and string contents blanked (a rough, line-local cut). */
function codeOf(line: string, inBlock: { on: boolean }): string {
  let s = line;
  if (inBlock.on) {
    const end = s.indexOf('*/');
    if (end < 0) return '';
    s = s.slice(end + 2);
    inBlock.on = false;
  }
  s = s.replace(/\/\*.*?\*\//g, ' ');
  const open = s.indexOf('/*');
  if (open >= 0) { inBlock.on = true; s = s.slice(0, open); }
  s = s.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, (q) => (q === "'udp'" || q === "'tcp'" ? q : "''"));
  const slash = s.indexOf('//');
  return slash >= 0 ? s.slice(0, slash) : s;
}

export function offences(text: string): { line: number; what: string; code: string }[] {
  const hits: { line: number; what: string; code: string }[] = [];
  const inBlock = { on: false };
  text.split('\n').forEach((raw, i) => {
    const code = codeOf(raw, inBlock);
    for (const p of PATTERNS) if (p.re.test(code)) hits.push({ line: i + 1, what: p.what, code: raw.trim() });
  });
  return hits;
}

function allowed(rel: string): boolean {
  return Object.keys(ALLOWED).some((k) => (k.endsWith('/') ? rel.startsWith(k) : rel === k));
}

describe('protocol numbers live in src/wire', () => {
  it('no source file outside src/wire names a port, EtherType, protocol, option code or message type as a bare number', () => {
    const found: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const rel = relative(ROOT, file);
      if (rel.startsWith('src/wire/') || allowed(rel)) continue;
      for (const h of offences(readFileSync(file, 'utf8'))) found.push(`${rel}:${h.line}: ${h.what}: ${h.code}`);
    }
    expect(found).toEqual([]);
  });

  it('the scan catches each shape it is meant to catch', () => {
    const bad = [
      'if (q.dstPort === 69) x();',
      'const d = { src: { addr, port: 68 } };',
      'const port = o.port ?? 80;',
      'const port = v6 ? 547 : 67;',
      'start(lab, v4 ? 67 : 547);',
      'const v = optionValue(msg, 53);',
      'if (eth.etherType === 0x86dd) y();',
      'if (ip.protocol === 17) z();',
      'if (icmp.type === 135) w();',
      'const PORTS = new Set([67, 68]);',
      'const SERVER_PORT = 67;',
      "ready: () => portBound(ns, 'udp', 67),",
      'case 6: this.onOack(pkt); break;',
      'if (msg.options.some((x) => x.code === 82)) return;',
      'const o = { code: 53, data };',
      'emit(t, f.udp(s, 67, 68, payload));',
    ];
    for (const b of bad) expect(offences(b), b).not.toEqual([]);
    const good = [
      'if (q.dstPort === UdpPort.TFTP) x();',
      '// port 69 answers from a fresh TID',
      "const s = 'port 67 needs root';",
      'const end = offset + 4;',
    ];
    for (const g of good) expect(offences(g), g).toEqual([]);
  });

  it('every allowlisted path still exists (remove an entry once its file is clean)', () => {
    const files = sourceFiles(SRC).map((f) => relative(ROOT, f));
    for (const k of Object.keys(ALLOWED)) expect(files.some((f) => (k.endsWith('/') ? f.startsWith(k) : f === k)), k).toBe(true);
  });
});
