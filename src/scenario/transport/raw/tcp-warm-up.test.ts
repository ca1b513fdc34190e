import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LiveOpenOptions } from '../../../capture/live.js';
import { FakeLink } from './fake-link.test-kit.js';
import { warmRawTcp } from './tcp-warm-up.js';
import { createRawTransport } from './transport.js';

afterEach(() => { vi.useRealTimers(); });

describe('warmRawTcp', () => {
  it('plays a whole HTTP exchange through the user-space TCP code and leaves no timer behind', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    expect(await warmRawTcp(1460, 256 * 1460)).toBe(true);
    // Its retransmission and linger timers were all cleared: the connection closed as a peer's would.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('createRawTransport with prewarmTcp sends nothing on the link', async () => {
    const link = new FakeLink();
    const t = await createRawTransport({ interface: 'fake0', macs: ['02:00:00:00:0d:01'], open: (_i: string, _o: LiveOpenOptions) => link, prewarmTcp: true });
    try {
      expect(link.sent).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
