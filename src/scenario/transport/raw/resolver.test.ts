import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LinkResolver } from './resolver.js';
import { BROADCAST_MAC, ZERO_MAC } from './frames.js';

const SERVER = '198.51.100.1';
const SERVER_MAC = '02:00:00:00:00:01';
const CLIENT_MAC = '02:00:00:00:00:aa';

function resolver(retries = 3, intervalMs = 100): { r: LinkResolver; asked: string[] } {
  const asked: string[] = [];
  const r = new LinkResolver({
    retries,
    intervalMs,
    request: (ip, asMac, asIp) => asked.push(`${ip} as ${asMac}/${asIp}`),
    cacheable: (ip) => ip !== '0.0.0.0',
  });
  return { r, asked };
}

describe('LinkResolver', () => {
  beforeEach(() => { vi.useFakeTimers(); });
  afterEach(() => { vi.useRealTimers(); });

  it('asks once per interval up to the retries, then tells every waiter null', () => {
    const { r, asked } = resolver(3, 100);
    const got: (string | null)[] = [];
    r.resolve(SERVER, CLIENT_MAC, '0.0.0.0', (m) => got.push(m));
    r.resolve(SERVER, CLIENT_MAC, '0.0.0.0', (m) => got.push(m));
    expect(asked).toEqual([`${SERVER} as ${CLIENT_MAC}/0.0.0.0`]);
    vi.advanceTimersByTime(200);
    expect(asked).toHaveLength(3);
    expect(got).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(got).toEqual([null, null]);
    expect(r.failures).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(asked).toHaveLength(3);
  });

  it('sends at least one request when retries is 0', () => {
    const { r, asked } = resolver(0);
    r.resolve(SERVER, CLIENT_MAC, '0.0.0.0', () => {});
    expect(asked).toHaveLength(1);
  });

  it('wakes the waiters when the answer is learned and stops asking', () => {
    const { r, asked } = resolver();
    const got: (string | null)[] = [];
    r.resolve(SERVER, CLIENT_MAC, '0.0.0.0', (m) => got.push(m));
    r.learn(SERVER, SERVER_MAC);
    expect(got).toEqual([SERVER_MAC]);
    vi.advanceTimersByTime(1000);
    expect(asked).toHaveLength(1);
    expect(r.failures).toBe(0);
    r.resolve(SERVER, CLIENT_MAC, '0.0.0.0', (m) => got.push(m));
    expect(got).toEqual([SERVER_MAC, SERVER_MAC]);
    expect(asked).toHaveLength(1);
  });

  it('never caches broadcast/zero MACs or addresses the protocol rejects', () => {
    const { r } = resolver();
    r.learn(SERVER, BROADCAST_MAC);
    r.learn(SERVER, ZERO_MAC);
    r.learn('0.0.0.0', SERVER_MAC);
    expect(r.lookup(SERVER)).toBeUndefined();
    expect(r.lookup('0.0.0.0')).toBeUndefined();
  });

  it('close tells pending waiters null and cancels the retries', () => {
    const { r, asked } = resolver();
    const got: (string | null)[] = [];
    r.resolve(SERVER, CLIENT_MAC, '0.0.0.0', (m) => got.push(m));
    r.close();
    expect(got).toEqual([null]);
    vi.advanceTimersByTime(1000);
    expect(asked).toHaveLength(1);
    expect(r.failures).toBe(0);
  });
});
