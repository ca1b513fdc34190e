/**
 * The typed option values (values.ts) against every DHCPv4 packet of the public and lab captures:
 * each typed option's value has the declared shape and is the very value the JSON view prints.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureFiles, ROOT } from '../../../test/helpers/paths.js';
import { udpPayloads } from '../../../test/helpers/pcap.js';
import { dhcpV4OptionsJson, optionKind, parseDhcpV4, typedOption, type DhcpV4ValueMap, type TypedOptionCode } from './index.js';

const isStr = (v: unknown): boolean => typeof v === 'string';
const isNum = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v);
const isIp = (v: unknown): boolean => typeof v === 'string' && /^\d{1,3}(\.\d{1,3}){3}$/.test(v);
const list = (each: (v: unknown) => boolean) => (v: unknown): boolean => Array.isArray(v) && v.every(each);
const rec = (fields: Record<string, (v: unknown) => boolean>) => (v: unknown): boolean =>
  v !== null && typeof v === 'object' && !Array.isArray(v) &&
  Object.entries(fields).every(([k, f]) => f((v as Record<string, unknown>)[k])) &&
  Object.keys(v).every((k) => k in fields);
const subOption = rec({ code: (c) => c === null || isNum(c), name: isStr, value: () => true });

/** A runtime check per typed code, written from DhcpV4ValueMap. */
const SHAPE: { [C in TypedOptionCode]: (v: unknown) => boolean } = {
  1: isIp, 3: list(isIp), 6: list(isIp), 12: isStr, 15: isStr,
  43: (v) => isStr(v) || list(subOption)(v),
  50: isIp, 51: isNum, 52: isNum, 53: (v) => isStr(v) || isNum(v), 54: isIp, 55: list(isNum), 60: isStr,
  61: rec({ type: isNum, id: isStr }), 66: isStr, 67: isStr, 77: (v) => isStr(v) || list(isStr)(v),
  82: list(subOption), 93: list(rec({ code: isNum, name: isStr })), 94: rec({ type: isNum, major: isNum, minor: isNum }),
  97: rec({ type: isNum, uuid: isStr }), 150: list(isIp), 160: isStr, 175: list(subOption),
};

const FILES = [...captureFiles('public'), ...captureFiles('lab')];

describe('typed DHCPv4 option values', () => {
  it('every typed option of every captured DHCPv4 packet has its declared shape and its JSON value', () => {
    const seen = new Set<number>();
    for (const file of FILES) {
      for (const { payload } of udpPayloads(join(ROOT, file), [67, 68])) {
        const msg = parseDhcpV4(payload, []);
        const json = new Map(dhcpV4OptionsJson(msg).map((o) => [o.code, o.value]));
        for (const key of Object.keys(SHAPE)) {
          const code = Number(key) as TypedOptionCode;
          const v: DhcpV4ValueMap[typeof code] | undefined = typedOption(msg, code);
          if (v === undefined) continue;
          seen.add(code);
          expect(SHAPE[code](v), `${file}: option ${code} = ${JSON.stringify(v)}`).toBe(true);
          expect(v).toEqual(json.get(code));
        }
      }
    }
    // The corpus must exercise the options PXE and phone boots hinge on, or this test proves little.
    for (const code of [53, 54, 60, 67, 93]) expect(seen.has(code), `option ${code} seen`).toBe(true);
  });

  it('names a value kind for each typed option', () => {
    expect(optionKind(67)).toBe('text');
    expect(optionKind(150)).toBe('ipv4-list');
    expect(optionKind(175)).toBe('sub-options');
    expect(optionKind(254)).toBe('hex');
  });
});
