/**
 * One copy of each short text that many devices repeat (vendor classes, boot file names, URLs,
 * TFTP option values): a step keeps the table's copy, not the one parsed from its packet. With
 * thousands of devices in memory at once these copies were ~3 MB of the 10k-client capture's heap.
 * Bounded: a full table starts over (a text kept since is still right, only not shared).
 */
import { latin1String } from '../wire/bytes.js';

const MAX_ENTRIES = 4_096;
/** Longer texts are rarely repeated (and are not worth hashing for it). */
const MAX_LENGTH = 256;

/** Slots of the byte-keyed text cache (`latin1`): a capture's distinct boot names and vendor
 *  classes are few; a power of two. */
const BYTE_SLOTS = 1_024;
/** Byte texts longer than this are decoded each time (rarely repeated; not worth comparing). */
const MAX_BYTE_TEXT = 64;

/** Texts remembered after one list (`appended`): its few servers or vendor classes. */
const MAX_APPENDS = 64;

/** The empty list of texts: one frozen array for every step that has none yet. */
export const NO_TEXTS: readonly never[] = Object.freeze([]);

export class SharedStrings {
  private readonly table = new Map<string, string>();
  private readonly lists = new Map<string, readonly number[]>();
  private readonly records = new Map<string, Readonly<Record<string, string>>>();
  private readonly textLists = new Map<string, readonly (string | null)[]>();
  /** Per shared list (a weak key: a list no step holds goes), the lists one text more makes. */
  private readonly appends = new WeakMap<readonly (string | null)[], Map<string | null, readonly (string | null)[]>>();
  /** Direct-mapped by a hash of the bytes: the bytes (a copy) and their text. */
  private readonly byteKeys: (Uint8Array | undefined)[] = new Array(BYTE_SLOTS);
  private readonly byteTexts: string[] = new Array(BYTE_SLOTS);
  /** Lists of option codes by a hash of their set (`codes`): the set's 256 bits and the list. */
  private readonly codeBits: (Uint16Array | undefined)[] = new Array(BYTE_SLOTS);
  private readonly codeLists: number[][] = new Array(BYTE_SLOTS);

  /** `latin1String(b)` from the table: bytes seen before give their text without decoding them
   *  (a TextDecoder call and a new string per DHCPv4 message were ~150 ms of the 10k-client
   *  capture's run), the same copy `of` gives. */
  latin1(b: Uint8Array): string {
    const n = b.length;
    if (n > MAX_BYTE_TEXT) return this.of(latin1String(b));
    let h = 0x811c9dc5 ^ n;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    const slot = (h ^ (h >>> 15)) & (BYTE_SLOTS - 1);
    const key = this.byteKeys[slot];
    if (key !== undefined && key.length === n) {
      let i = 0;
      while (i < n && key[i] === b[i]) i++;
      if (i === n) return this.byteTexts[slot]!;
    }
    const text = this.of(latin1String(b));
    this.byteKeys[slot] = b.slice();
    this.byteTexts[slot] = text;
    return text;
  }

  /** The ascending list of the codes set in `bits` (256 bits, 16 to a word, one per option code),
   *  one frozen copy per set as `numbers` keeps it, found without building the list or a key when seen. */
  codes(bits: Uint16Array): number[] {
    let h = 0x811c9dc5;
    for (let i = 0; i < 16; i++) h = Math.imul(h ^ bits[i]!, 0x01000193);
    const slot = (h ^ (h >>> 15)) & (BYTE_SLOTS - 1);
    const key = this.codeBits[slot];
    if (key !== undefined) {
      let i = 0;
      while (i < 16 && key[i] === bits[i]) i++;
      if (i === 16) return this.codeLists[slot]!;
    }
    const list: number[] = [];
    for (let code = 0; code < 256; code++) if ((bits[code >>> 4]! & (1 << (code & 15))) !== 0) list.push(code);
    const shared = this.numbers(list);
    this.codeBits[slot] = bits.slice();
    this.codeLists[slot] = shared;
    return shared;
  }

  /** One frozen copy of each list of small numbers many devices repeat (a server's ACK option
   *  codes: one list per DHCPv4 step, ~1 MB at 100,000 clients). Nothing may change the list. */
  numbers(list: number[]): number[] {
    const key = list.join(',');
    const hit = this.lists.get(key);
    if (hit !== undefined) return hit as number[];
    if (this.lists.size >= MAX_ENTRIES) this.lists.clear();
    this.lists.set(key, Object.freeze(list));
    return list;
  }

  /** One frozen copy of each complete option record many transfers repeat (a TFTP request's
   *  `blksize`/`tsize`, a server's OACK: ~19,000 records held at 100,000 clients, nearly all
   *  alike). Keys in their order (the report prints them so). Nothing may change the record. */
  record(rec: Record<string, string>): Record<string, string> {
    let key = '';
    for (const k in rec) key += k + '\0' + rec[k] + '\0';
    if (key.length > MAX_LENGTH) return rec;
    const hit = this.records.get(key);
    if (hit !== undefined) return hit as Record<string, string>;
    if (this.records.size >= MAX_ENTRIES) this.records.clear();
    this.records.set(key, Object.freeze(rec));
    return rec;
  }

  /** One frozen copy of each short list of texts many steps repeat (the servers that addressed a
   *  DHCPv4 step, its offers' vendor classes, its user classes: a one-item array each was ~2 MB
   *  at 100,000 clients), its texts shared too. Nothing may change the list: a step replaces it. */
  texts<T extends string | null>(list: T[]): T[] {
    let key = '';
    // Length-prefixed, null apart: no two lists share a key whatever their texts hold.
    for (const t of list) key += t === null ? '-,' : `${t.length}:${t},`;
    if (key.length > MAX_LENGTH) return list;
    const hit = this.textLists.get(key);
    if (hit !== undefined) return hit as T[];
    if (this.textLists.size >= MAX_ENTRIES) this.textLists.clear();
    for (let i = 0; i < list.length; i++) list[i] = this.of(list[i]!);
    this.textLists.set(key, Object.freeze(list));
    return list;
  }

  /** `texts([...list, t])` for a list this table gave (or NO_TEXTS), remembered per list and
   *  text: a step's first server or offer asks the same few each time (a key string built per
   *  answer was ~40 ms of the 10k-client capture's run). */
  appended<T extends string | null>(list: readonly T[], t: T): T[] {
    let next = this.appends.get(list);
    if (next === undefined) this.appends.set(list, (next = new Map()));
    const hit = next.get(t);
    if (hit !== undefined) return hit as T[];
    const made = this.texts([...list, t]);
    if (next.size < MAX_APPENDS) next.set(t, made);
    return made;
  }

  of<T extends string | null>(s: T): T {
    if (s === null || s.length > MAX_LENGTH) return s;
    const hit = this.table.get(s);
    if (hit !== undefined) return hit as T;
    if (this.table.size >= MAX_ENTRIES) this.table.clear();
    this.table.set(s, s);
    return s;
  }
}
