import dc from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { warmHttpSteps } from './warm-up.js';

describe('warmHttpSteps', () => {
  it('plays one HTTP step to a passing end without opening a socket', async () => {
    const opened: unknown[] = [];
    const onSocket = (m: unknown): void => { opened.push(m); };
    dc.subscribe('net.client.socket', onSocket);
    try {
      expect(await warmHttpSteps()).toBe(true);
      // Again: nothing is left behind that a second warm-up (a second `run` in one process) trips on.
      expect(await warmHttpSteps()).toBe(true);
    } finally {
      dc.unsubscribe('net.client.socket', onSocket);
    }
    expect(opened).toEqual([]);
  });
});
