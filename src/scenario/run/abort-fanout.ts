/**
 * One 'abort' listener per signal, however many clients wait on it: thousands of sleeping clients
 * each adding their own listener trip Node's MaxListenersExceededWarning (and cost a listener
 * add/remove per sleep).
 */

type Waiters = Set<() => void>;

const waitersBySignal = new WeakMap<AbortSignal, Waiters>();

/** Calls `fn` once when `signal` aborts; returns the function that cancels that. */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let waiters = waitersBySignal.get(signal);
  if (!waiters) {
    const set: Waiters = new Set();
    waiters = set;
    waitersBySignal.set(signal, set);
    signal.addEventListener('abort', () => {
      for (const w of [...set]) w();
      set.clear();
    }, { once: true });
  }
  const w = waiters;
  w.add(fn);
  return () => { w.delete(fn); };
}
