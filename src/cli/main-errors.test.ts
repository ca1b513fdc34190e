/** main(): an internal error is one line without --debug, the stack with it; exit 2 either way. */
import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { main } from './main.js';
import type { ClientTransport } from '../scenario/transport/types.js';

const SCENARIO = fileURLToPath(new URL('../../scenarios/bios-pxe.yaml', import.meta.url));

async function crash(extra: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await main(['run', SCENARIO, '--relay-from', '198.51.100.9', '--server', '198.51.100.1', ...extra], { stderr: (s) => err.push(s) }, {
    createTransport: async () => ({ close: async () => {} }) as unknown as ClientTransport,
    onInterrupt: () => {
      throw new TypeError('a bug deep inside');
    },
  });
  return { code, err: err.join('') };
}

describe('internal errors', () => {
  it('print one line naming --debug, exit 2', async () => {
    const r = await crash([]);
    expect(r.code).toBe(2);
    expect(r.err).toBe('pxecheck: internal error: a bug deep inside (run with --debug for the stack)\n');
  });

  it('print the stack with --debug', async () => {
    const r = await crash(['--debug']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^pxecheck: internal error: TypeError: a bug deep inside\n\s+at /);
  });
});
