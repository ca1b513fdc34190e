/** `run --fault "{ restart: dhcp, at: 5s }"`: a fault map as in `load.faults`, in YAML flow style. */
import { parse as parseYaml } from 'yaml';
import { parseFault, type FaultSpec } from './fault-schema.js';

/** The faults, or the first problem as one line (`--fault "…": restart: expected …`). */
export function parseFaultFlags(texts: readonly string[]): FaultSpec[] | string {
  const out: FaultSpec[] = [];
  for (const text of texts) {
    let value: unknown;
    try {
      value = parseYaml(text.startsWith('{') ? text : `{ ${text} }`);
    } catch (e) {
      return `--fault "${text}": not a YAML map: ${(e as Error).message.split('\n')[0]!}`;
    }
    const problems: string[] = [];
    const spec = parseFault(value, (message, path = []) => problems.push(`${path.length > 0 ? `${path.join('.')}: ` : ''}${message}`));
    if (spec === undefined || problems.length > 0) return `--fault "${text}": ${problems.join('; ')}`;
    out.push(spec);
  }
  return out;
}
