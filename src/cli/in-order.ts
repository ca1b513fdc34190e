/**
 * Runs a task per item with at most `concurrency` at once and hands the results back in input
 * order, so that many captures analysed on every core still print as one run would. At most
 * `window` results wait for a slow earlier one (bounded memory, whatever the number of items).
 */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface InOrderOptions {
  concurrency: number;
  /** Items started but not yet handed back (≥ concurrency; default 4 × concurrency). */
  window?: number;
}

export async function* inOrder<T, R>(items: readonly T[], task: (item: T, index: number) => Promise<R>, opts: InOrderOptions): AsyncGenerator<Settled<R>> {
  const concurrency = Math.max(1, Math.floor(opts.concurrency));
  const window = Math.max(concurrency, opts.window ?? concurrency * 4);
  const pending = new Map<number, Promise<Settled<R>>>();
  let next = 0;
  let running = 0;
  let wake: (() => void) | null = null;
  const settle = (i: number): Promise<Settled<R>> =>
    task(items[i]!, i).then(
      (value): Settled<R> => ({ ok: true, value }),
      (error: unknown): Settled<R> => ({ ok: false, error }),
    ).finally(() => {
      running--;
      wake?.();
    });
  for (let out = 0; out < items.length; out++) {
    // Start what the limits allow, then wait for the next item in order.
    for (;;) {
      while (next < items.length && running < concurrency && next - out < window) {
        running++;
        pending.set(next, settle(next));
        next++;
      }
      const mine = pending.get(out)!;
      const done = await Promise.race([mine.then(() => true), new Promise<false>((r) => { wake = () => r(false); })]);
      wake = null;
      if (done) break;
    }
    const result = await pending.get(out)!;
    pending.delete(out);
    yield result;
  }
}
