import { describe, expect, it } from 'vitest';
import { asciiBytes } from '../bytes.js';
import { RELAY_AGENT_INFO_MAX, relayAgentInfo, relayAgentInfoData } from './relay-agent.js';

const NO_CTX = { issues: null, base: 0, vendorClass: null };

describe('relayAgentInfoData (option 82 as a relay agent adds it)', () => {
  it('puts circuit-id (1) then remote-id (2) as length-prefixed sub-options', () => {
    const d = relayAgentInfoData({ circuitId: 'eth0', remoteId: 'sw1' })!;
    expect([...d]).toEqual([1, 4, ...asciiBytes('eth0'), 2, 3, ...asciiBytes('sw1')]);
  });

  it('is null without ids, and carries only the ids given', () => {
    expect(relayAgentInfoData({})).toBeNull();
    expect([...relayAgentInfoData({ remoteId: 'r' })!]).toEqual([2, 1, 0x72]);
  });

  it('never exceeds one option (255 bytes): long ids are cut, circuit-id first, and decode back', () => {
    for (const [c, r] of [[300, 10], [10, 300], [253, 5], [252, 5], [400, 400]] as const) {
      const d = relayAgentInfoData({ circuitId: 'c'.repeat(c), remoteId: 'r'.repeat(r) })!;
      expect(d.length, `${c}/${r}`).toBeLessThanOrEqual(RELAY_AGENT_INFO_MAX);
      const subs = relayAgentInfo.decode(d, NO_CTX) as { code: number }[];
      expect(subs[0]!.code).toBe(1);
      expect(subs.every((s) => s.code === 1 || s.code === 2)).toBe(true);
    }
  });
});
