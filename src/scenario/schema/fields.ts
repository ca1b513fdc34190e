/**
 * Building blocks of the scenario schema: strict maps that suggest the nearest key, enums that
 * suggest the nearest value, and hand-parsed fields whose messages say exactly what was expected.
 */
import { z } from 'zod';
import { DURATION_HINT, tryParseDuration } from '../duration.js';
import { describeValue, unknownKeyMessage } from './messages.js';
import { didYouMean } from './suggest.js';

/** A strict object whose unknown-key message suggests the nearest allowed key. */
export function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? unknownKeyMessage(iss.keys, allowed) : undefined),
  });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, {
    error: (iss) => {
      const found = iss.input;
      if (typeof found !== 'string') return `expected ${what}, found ${describeValue(found)}`;
      return `expected ${what}, found ${JSON.stringify(found)}${didYouMean(found, values)}`;
    },
  });
}

/** `atKey`: the problem is the key itself (unknown key), so point at the key, not its value. */
export type Report = (message: string, path?: PropertyKey[], atKey?: boolean) => void;

/** A field parsed by hand so that its message can say exactly what was expected. */
export function custom<T>(parse: (value: unknown, report: Report) => T) {
  return z.unknown().transform((value, ctx): T => {
    const report: Report = (message, path = [], atKey = false) =>
      ctx.issues.push({ code: 'custom', message, input: value, path, params: { atKey } });
    return parse(value, report);
  });
}

export const hasVariable = (s: string): boolean => s.includes('${');

export const durationField = custom((v, report): number => {
  if (typeof v === 'string') {
    const ms = tryParseDuration(v);
    if (ms !== null) return ms;
    report(`expected ${DURATION_HINT}, found ${JSON.stringify(v)}`);
  } else if (typeof v === 'number') {
    report(`expected ${DURATION_HINT}, found the bare number ${v}; add a unit: "${v}ms" or "${v}s"`);
  } else {
    report(`expected ${DURATION_HINT}, found ${describeValue(v)}`);
  }
  return 0;
});
