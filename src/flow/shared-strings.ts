/**
 * One copy of each short text that many devices repeat (vendor classes, boot file names, URLs,
 * TFTP option values): a step keeps the table's copy, not the one parsed from its packet. With
 * thousands of devices in memory at once these copies were ~3 MB of the 10k-client capture's heap.
 * Bounded: a full table starts over (a text kept since is still right, only not shared).
 */
const MAX_ENTRIES = 4_096;
/** Longer texts are rarely repeated (and are not worth hashing for it). */
const MAX_LENGTH = 256;

/** The empty list of texts: one frozen array for every step that has none yet. */
export const NO_TEXTS: readonly never[] = Object.freeze([]);

export class SharedStrings {
  private readonly table = new Map<string, string>();
  private readonly lists = new Map<string, readonly number[]>();
  private readonly records = new Map<string, Readonly<Record<string, string>>>();
  private readonly textLists = new Map<string, readonly (string | null)[]>();

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

  of<T extends string | null>(s: T): T {
    if (s === null || s.length > MAX_LENGTH) return s;
    const hit = this.table.get(s);
    if (hit !== undefined) return hit as T;
    if (this.table.size >= MAX_ENTRIES) this.table.clear();
    this.table.set(s, s);
    return s;
  }
}
