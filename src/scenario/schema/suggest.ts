/** "Did you mean …?": the nearest allowed word to a typo, for every unknown-name message. */

/** Levenshtein distance, small inputs only. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest candidate within a distance that still reads as a typo, or undefined. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  if (w.length >= 3) {
    const prefixed = candidates.find((c) => c.toLowerCase().startsWith(w));
    if (prefixed !== undefined && editDistance(w, prefixed.toLowerCase()) > 2) return prefixed;
  }
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** `; did you mean "x"?`, else the allowed list when it is short. */
export function didYouMean(found: string, allowed: readonly string[]): string {
  const s = suggest(found, allowed);
  if (s !== undefined) return `; did you mean "${s}"?`;
  return allowed.length <= 12 ? ` (allowed: ${allowed.join(', ')})` : ' (see docs/scenarios.md for the list)';
}
