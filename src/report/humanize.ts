/** Durations and repeated message runs as people read them. Pure. */

/**
 * `0.512 s` below a minute; then the two largest units: `3 min 12 s`, `2 h 5 min`, `8 d 15 h`
 * (a clock jump in a capture must not print `745841437.167 s`). Negative or NaN: `n/a`.
 */
export function humanDuration(sec: number, unitSep = ' '): string {
  if (!Number.isFinite(sec) || sec < 0) return 'n/a';
  if (sec < 60) return `${sec.toFixed(3)}${unitSep}s`;
  const units: [string, number][] = [['d', 86400], ['h', 3600], ['min', 60], ['s', 1]];
  let rest = Math.round(sec);
  const parts: string[] = [];
  for (const [name, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n} ${name}`);
    if (parts.length === 2) break;
  }
  if (parts[1]?.startsWith('0 ')) parts.pop();
  return parts.join(' ');
}

/** Longest repeated block considered (DISCOVER→OFFER→REQUEST→ACK is 4). */
const MAX_BLOCK = 4;

/**
 * Runs collapse: DISCOVER, OFFER, OFFER, REQUEST → `DISCOVER→OFFER×2→REQUEST`; a block of messages
 * repeated three times or more collapses too: 250 × (INFORM, ACK) → `INFORM→ACK ×250`.
 */
export function collapseSequence(messages: readonly string[]): string {
  let out = '';
  let i = 0;
  while (i < messages.length) {
    let bestLen = 1;
    let bestTimes = 1;
    for (let len = 1; len <= MAX_BLOCK && i + 2 * len <= messages.length; len++) {
      let times = 1;
      while (i + (times + 1) * len <= messages.length && sameBlock(messages, i, i + times * len, len)) times++;
      // A single message repeats as `OFFER×2`; a block only from three times on (twice reads fine).
      const worth = len === 1 ? times >= 2 : times >= 3;
      if (worth && len * times > bestLen * bestTimes) {
        bestLen = len;
        bestTimes = times;
      }
    }
    // Every timeline row has one: a string built as it goes, no arrays per block.
    let block = messages[i]!;
    for (let k = 1; k < bestLen; k++) block += `→${messages[i + k]!}`;
    const part = bestTimes === 1 ? block : bestLen === 1 ? `${block}×${bestTimes}` : `${block} ×${bestTimes}`;
    out = i === 0 ? part : `${out}→${part}`;
    i += bestLen * bestTimes;
  }
  return out;
}

function sameBlock(m: readonly string[], a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (m[a + k] !== m[b + k]) return false;
  return true;
}
