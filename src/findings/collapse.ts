/**
 * Findings that say the same thing again and again (one device asking for the same file a million
 * times, each request unanswered) are rolled up: per device, attempt, code, severity and cause,
 * the first MAX_ALIKE - 1 stay as they are and the rest become one finding with a `count`. A
 * report then has a line per kind of trouble, not per packet, and the JSON keeps the number.
 */
import type { RootCauses } from './causes.js';
import type { Finding } from './types.js';

/** Alike findings shown one by one; beyond it the rest are one finding with a count. */
export const MAX_ALIKE = 10;
/** Frames a rolled-up finding lists (a sample: the first few of the findings it stands for). */
const ROLLED_FRAMES = 10;

function groupKey(f: Finding): string {
  return `${f.client}|${f.attempt}|${f.code}|${f.severity}|${f.causedBy}`;
}

/**
 * Rolls up alike findings (in place of `findings`' order, which is kept) and numbers the result
 * from `F${idBase + 1}`; `causedBy` and the root-cause map follow the new ids.
 */
export function collapseAlike(findings: readonly Finding[], roots: RootCauses, idBase = 0): Finding[] {
  const sizes = new Map<string, number>();
  for (const f of findings) {
    const k = groupKey(f);
    sizes.set(k, (sizes.get(k) ?? 0) + 1);
  }
  let any = false;
  for (const n of sizes.values()) if (n > MAX_ALIKE) any = true;
  const out: Finding[] = [];
  /** Old id → the finding that now stands for it. */
  const standsFor = new Map<string, Finding>();
  const seen = new Map<string, number>();
  const holders = new Map<string, Finding>();
  for (const f of findings) {
    const k = groupKey(f);
    const nth = (seen.get(k) ?? 0) + 1;
    seen.set(k, nth);
    if (!any || sizes.get(k)! <= MAX_ALIKE || nth < MAX_ALIKE) {
      out.push(f);
      standsFor.set(f.id, f);
      continue;
    }
    let h = holders.get(k);
    if (!h) {
      h = { ...f, frames: f.frames.slice(0, ROLLED_FRAMES), count: 0 };
      holders.set(k, h);
      out.push(h);
    } else {
      for (const fr of f.frames) if (h.frames.length < ROLLED_FRAMES && !h.frames.includes(fr)) h.frames.push(fr);
    }
    h.count! += 1;
    standsFor.set(f.id, h);
  }
  for (const h of holders.values()) {
    h.message = `${h.message} (×${h.count}: this and ${h.count! - 1} more alike; frames of the first few)`;
  }
  // New ids in order; causes and roots follow them.
  const newId = new Map<Finding, string>();
  out.forEach((f, i) => newId.set(f, `F${idBase + i + 1}`));
  const rename = (old: string): string => {
    const f = standsFor.get(old);
    return f ? newId.get(f)! : old;
  };
  for (const f of out) if (f.causedBy !== null) f.causedBy = rename(f.causedBy);
  for (const byAttempt of roots.values()) for (const [a, id] of byAttempt) byAttempt.set(a, rename(id));
  for (const f of out) f.id = newId.get(f)!;
  return out;
}
