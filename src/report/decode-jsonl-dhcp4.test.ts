/**
 * dhcpV4ToJson and the jsonl byte writer walk one member table (DHCPV4_JSON_FIELDS): a member
 * added to it must come out of both the same. Checked with tables that add members of every
 * JSON kind (at the start, before `options`, at the end), leave some out, and reorder them.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readCaptureFile } from '../capture/index.js';
import { DecodePipeline } from '../decode/pipeline.js';
import {
  DHCPV4_JSON_FIELDS, DHCPV4_OPTIONS_FIELD, dhcpV4ToJson, emitDhcpV4, parseDhcpV4, type DhcpV4JsonField, type DhcpV4Message,
} from '../wire/dhcpv4/index.js';
import { dhcpV4MembersWriter } from './decode-jsonl-dhcp4.js';
import { JsonlWriter } from './jsonl-writer.js';
import { captureFiles, ROOT } from '../../test/helpers/paths.js';

/** Members of every JSON kind, some only on some messages, keys and strings that need escaping. */
const ADDED: DhcpV4JsonField[] = [
  { key: 'addedNumber', value: (msg) => msg.xid / 8 - 1 },
  { key: 'added "key" é', value: (msg) => `a"b\\c\u0001\u00e9\u2028${msg.op}` },
  { key: 'addedNull', value: () => null },
  { key: 'addedBoolean', value: (msg, ov) => ov === 0 && msg.op === 2 },
  { key: 'addedNested', value: (msg) => ({ list: [msg.hops, 'x', null, [msg.secs]], empty: {} }) },
  { key: 'addedSometimes', value: (msg) => (msg.xid & 1 ? msg.flags : undefined) },
];
const ALWAYS_ADDED = ADDED.filter((f) => f.key !== 'addedSometimes').map((f) => f.key);

const optionsAt = DHCPV4_JSON_FIELDS.indexOf(DHCPV4_OPTIONS_FIELD);
const TABLES: Array<[string, readonly DhcpV4JsonField[]]> = [
  ['the table', DHCPV4_JSON_FIELDS],
  ['members added first', [...ADDED, ...DHCPV4_JSON_FIELDS]],
  ['members added before options', [...DHCPV4_JSON_FIELDS.slice(0, optionsAt), ...ADDED, ...DHCPV4_JSON_FIELDS.slice(optionsAt)]],
  ['members added last', [...DHCPV4_JSON_FIELDS, ...ADDED]],
  ['reversed, no options', [...DHCPV4_JSON_FIELDS].reverse().filter((f) => f !== DHCPV4_OPTIONS_FIELD)],
];

/** The DHCPv4 messages of every capture, each copied out of the decoder's reused message. */
async function capturedMessages(): Promise<DhcpV4Message[]> {
  const out: DhcpV4Message[] = [];
  const pipe = new DecodePipeline({ message: (m) => void (m.proto === 'dhcp4' && out.push(parseDhcpV4(emitDhcpV4(m.msg), []))) },
    { protos: new Set(['dhcp4']) });
  for (const path of captureFiles()) await readCaptureFile(join(ROOT, path), (rec) => pipe.push(rec));
  pipe.finish();
  return out;
}

describe('the DHCPv4 JSON member table', () => {
  it('has each key once (an object keeps one member per key; the byte writer would write both)', () => {
    const keys = DHCPV4_JSON_FIELDS.map((f) => f.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('options');
  });

  it('gives the same members from dhcpV4ToJson and the byte writer, for the table and tables with members added', async () => {
    const msgs = await capturedMessages();
    expect(msgs.length).toBeGreaterThan(100);
    const chunks: Buffer[] = [];
    const out = { broken: false, bytes: (b: Uint8Array) => void chunks.push(Buffer.from(b)) };
    const writers = [new JsonlWriter(out), new JsonlWriter(out, 0)]; // a whole slab; the smallest (flushed mid-line)
    for (const [what, table] of TABLES) {
      const write = dhcpV4MembersWriter(table);
      const mismatches: string[] = [];
      const keysSeen = new Set<string>();
      for (const msg of msgs) {
        const want = JSON.stringify(dhcpV4ToJson(msg, table));
        for (const w of writers) {
          write(w, msg);
          w.flush();
          const got = `{${Buffer.concat(chunks).toString('utf8').slice(1)}}`;
          chunks.length = 0;
          if (got !== want && mismatches.length < 3) mismatches.push(`${got} != ${want}`);
        }
        for (const k of Object.keys(JSON.parse(want) as object)) keysSeen.add(k);
      }
      expect(mismatches, what).toEqual([]);
      // The added members are really there (both walkers leaving them out would also agree).
      if (table.length > DHCPV4_JSON_FIELDS.length) expect([...keysSeen], what).toEqual(expect.arrayContaining([...ALWAYS_ADDED, 'addedSometimes']));
    }
  });

  it('writes members in table order, leaving out the ones a message does not have', () => {
    const msg = parseDhcpV4(emitDhcpV4(parseDhcpV4(new Uint8Array(300), [])), []);
    const table: DhcpV4JsonField[] = [ADDED[0]!, { key: 'absent', value: () => undefined }, DHCPV4_JSON_FIELDS[0]!, ADDED[2]!];
    expect(Object.keys(dhcpV4ToJson(msg, table))).toEqual(['addedNumber', 'op', 'addedNull']);
    const chunks: Buffer[] = [];
    const w = new JsonlWriter({ broken: false, bytes: (b) => void chunks.push(Buffer.from(b)) });
    dhcpV4MembersWriter(table)(w, msg);
    w.flush();
    expect(Buffer.concat(chunks).toString('utf8')).toBe(',"addedNumber":-1,"op":0,"addedNull":null');
  });
});
