/**
 * Safety of what the runner sends. Load mode (many simulated clients) is a flood to whoever shares
 * the network, so it has a default ceiling that must be raised on purpose: this is the one check,
 * a pure function the load runner and the CLI call before anything is sent.
 */

/** What a load run asks for (after sharding: this host's part). */
export interface LoadAsk {
  /** New clients per second (the peak of a ramp). */
  arrivalPerSecond: number;
  /** Clients running at once. */
  concurrency: number;
  /** Clients in all. */
  count: number;
}

/** Default ceiling: a lab bench's worth. Above it the operator says so explicitly. */
export const LOAD_CEILING: Readonly<LoadAsk> = { arrivalPerSecond: 100, concurrency: 200, count: 10_000 };

const WHAT: Record<keyof LoadAsk, string> = {
  arrivalPerSecond: 'new clients per second',
  concurrency: 'clients at once',
  count: 'clients in all',
};

/**
 * Null when `ask` is within the ceiling (the default one, or `raised` where the operator raised
 * it); else one clear line naming what is too high and how to raise it (`flag` is the CLI spelling,
 * e.g. "--max-load").
 */
export function loadCeilingProblem(ask: LoadAsk, raised: Partial<LoadAsk> = {}, flag = '--max-load'): string | null {
  for (const k of Object.keys(WHAT) as (keyof LoadAsk)[]) {
    const ceiling = raised[k] ?? LOAD_CEILING[k];
    if (!(ask[k] <= ceiling)) {
      return `load asks for ${ask[k]} ${WHAT[k]}, above the ${raised[k] === undefined ? 'default ' : ''}ceiling of ${ceiling}: ` +
        `raise it on purpose (${flag}) on a network that is yours to load`;
    }
  }
  return null;
}
