/**
 * Findings looked up by id, by the root cause they follow from, and by device: a report of
 * 100,000 devices asks these questions per device, and scanning every finding each time made it
 * quadratic.
 */
import type { Finding } from '../findings/types.js';

const NONE: readonly Finding[] = [];

export class FindingIndex {
  private readonly byId = new Map<string, Finding>();
  private readonly byCause = new Map<string, Finding[]>();
  private readonly byClient = new Map<string, Finding[]>();

  constructor(readonly all: readonly Finding[]) {
    for (const f of all) {
      this.byId.set(f.id, f);
      if (f.causedBy !== null) push(this.byCause, f.causedBy, f);
      if (f.client !== null) push(this.byClient, f.client, f);
    }
  }

  get(id: string): Finding | undefined {
    return this.byId.get(id);
  }

  /** Findings whose `causedBy` is `id`, in report order. */
  consequences(id: string): readonly Finding[] {
    return this.byCause.get(id) ?? NONE;
  }

  /** A device's findings, in report order. */
  ofClient(key: string): readonly Finding[] {
    return this.byClient.get(key) ?? NONE;
  }
}

function push(m: Map<string, Finding[]>, k: string, f: Finding): void {
  const list = m.get(k);
  if (list) list.push(f);
  else m.set(k, [f]);
}

const cache = new WeakMap<readonly Finding[], FindingIndex>();

/** The index of a finding list (built once per list and reused while its length holds). */
export function findingIndex(all: readonly Finding[] | FindingIndex): FindingIndex {
  if (all instanceof FindingIndex) return all;
  const hit = cache.get(all);
  if (hit && hit.all.length === all.length) return hit;
  const idx = new FindingIndex(all);
  cache.set(all, idx);
  return idx;
}
