/** The option TLV list (RFC 8415 §21.1): option-code(2) option-len(2) option-data. */
import { putU16, u16 } from '../bytes.js';
import { pushIssue } from '../issues.js';
import { codecFor, specPayloadLength, writeSpecPayload } from './codecs.js';
import { optionName } from './names.js';
import {
  type DecodeContext, type DhcpV6Option, type DhcpV6OptionSpec, type DhcpV6Value, LAYER,
} from './types.js';

/**
 * Parses options in `buf[start, end)` into `out`; `base` is the absolute offset of `buf[0]`.
 * Returns where it stopped: `end`, or the start of 1-3 bytes too short for an option header (the
 * caller reports or keeps them). An option whose length runs past `end` keeps the bytes there
 * with `declaredLength`, and ends the list.
 */
export function parseOptionList(
  buf: Uint8Array, start: number, end: number, base: number, cx: DecodeContext, out: DhcpV6Option[],
): number {
  // A complete option whose payload is too short for its type is malformed (its own length field
  // says so); running out of bytes for the TLV itself is `cx.shortKind`.
  const whole: DecodeContext = cx.shortKind === 'malformed' ? cx : { issues: cx.issues, depth: cx.depth, shortKind: 'malformed' };
  let o = start;
  while (end - o >= 4) {
    const code = u16(buf, o);
    const len = u16(buf, o + 2);
    const avail = end - o - 4;
    const at = base + o + 4;
    if (len > avail) {
      pushIssue(cx.issues, cx.shortKind, LAYER, base + o,
        `option ${label(code)} length ${len} runs past the end (${avail} bytes left)`);
      const data = buf.subarray(o + 4, end);
      // Decode what is there (a cut-off relay message or IA still says a lot); the issue above
      // already covers the missing bytes, so what the partial decode complains of is dropped.
      const inner: DecodeContext = { issues: [], depth: cx.depth, shortKind: cx.shortKind };
      const opt: DhcpV6Option = { code, data, declaredLength: len };
      const value = decodeValue(code, data, at, inner);
      if (value !== undefined) opt.value = value;
      out.push(opt);
      return end;
    }
    const data = buf.subarray(o + 4, o + 4 + len);
    const opt: DhcpV6Option = { code, data };
    const value = decodeValue(code, data, at, whole);
    if (value !== undefined) opt.value = value;
    out.push(opt);
    o += 4 + len;
  }
  return o;
}

function decodeValue(code: number, data: Uint8Array, at: number, cx: DecodeContext): DhcpV6Value | undefined {
  const c = codecFor(code);
  return c ? (c.decode(data, at, cx) as DhcpV6Value | undefined) : undefined;
}

function label(code: number): string {
  const n = optionName(code);
  return n ? `${code} (${n})` : String(code);
}

export function optionListLength(opts: readonly DhcpV6OptionSpec[]): number {
  let n = 0;
  for (const s of opts) n += 4 + specPayloadLength(s);
  return n;
}

/** Writes options at `o`; returns the offset after them. Raw `data` wins over `value`. */
export function writeOptionList(opts: readonly DhcpV6OptionSpec[], out: Uint8Array, o: number): number {
  for (const s of opts) {
    const len = specPayloadLength(s);
    if (len > 0xffff) throw new RangeError(`option ${s.code} payload of ${len} bytes exceeds 65535`);
    putU16(out, o, s.code);
    putU16(out, o + 2, s.declaredLength ?? len);
    o = writeSpecPayload(s, out, o + 4);
  }
  return o;
}

/** Encodes one option's payload through the codec table (e.g. to build raw test vectors). */
export function encodeOptionPayload(spec: DhcpV6OptionSpec): Uint8Array {
  const out = new Uint8Array(specPayloadLength(spec));
  writeSpecPayload(spec, out, 0);
  return out;
}
