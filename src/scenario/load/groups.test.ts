/** Per-group statistics of a load mix ("500 UEFI PCs and 2,000 phones", scaled down) on the in-memory network in virtual time, and their merge. */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { runScenarios } from '../driver.js';
import { parseScenario } from '../load.js';
import { fakeDnsmasq } from '../run/fake-servers.test-kit.js';
import { LoopbackTransport } from '../transport/loopback.js';
import { mergeLoadReports } from './merge.js';
import { loadLines } from '../../report/load-text.js';

const SERVER = '198.51.100.1';

const MIX = `
name: mix
budget: 300s
load:
  arrival: 200/s
  concurrency: 40
  count: 250
clients:
  - name: pcs
    persona: uefi-x64
    weight: 500
    mac: { mac: "52:54:00:20:00:00", count: 500 }
    steps:
      - dhcp: { within: 5s, expect: { type: ack } }
  - name: phones
    persona: cisco
    weight: 2000
    mac: { mac: "00:1b:54:00:00:00", count: 2000 }
    steps:
      - dhcp: { within: 5s, expect: { type: ack } }
`;

async function play(yaml: string, shard?: string) {
  const clock = new FakeClock(1000);
  const transport = new LoopbackTransport(clock, { udp: [fakeDnsmasq({ addr: SERVER, pool: '198.51.100.10', offerDelay: 0.01 })], tcp: [] });
  const scenario = parseScenario(yaml, 'mix.yaml');
  const r = await runScenarios([scenario], {
    transport, clock, target: { server: SERVER }, loadHooks: { wallClock: () => 0 },
    ...(shard === undefined ? {} : { load: { shard: { index: Number(shard.split('/')[0]) - 1, count: Number(shard.split('/')[1]) } } }),
  });
  return r.scenarios[0]!.load!;
}

describe('load mix: per-group statistics', () => {
  it('each group of the mix reports its own clients and step statistics, adding up to the whole, in the weights\' proportion', async () => {
    const load = await play(MIX);
    const g = load.groups!;
    expect(Object.keys(g)).toEqual(['pcs', 'phones']);
    expect(g['pcs']!.persona).toBe('uefi-x64');
    expect(g['phones']!.persona).toBe('cisco');
    expect(g['pcs']!.started + g['phones']!.started).toBe(load.clients.started);
    expect(g['pcs']!.ok + g['phones']!.ok).toBe(load.clients.ok);
    expect(g['pcs']!.kinds.dora!.ok + g['phones']!.kinds.dora!.ok).toBe(load.kinds.dora!.ok);
    // 500 : 2000 weights → one PC for four phones (50 and 200 of 250).
    expect(g['phones']!.started).toBe(4 * g['pcs']!.started);
    expect(g['phones']!.kinds.dora!.latencyMs!.p99).toBeGreaterThan(0);
    const text = loadLines(load).join('\n');
    expect(text).toMatch(/pcs\s+│?\s*uefi-x64/);
    expect(text).toMatch(/phones\s+│?\s*cisco/);
  });

  it('merging shards adds each group up (histograms losslessly)', async () => {
    const a = await play(MIX, '1/2');
    const b = await play(MIX, '2/2');
    const m = mergeLoadReports([a, b]);
    for (const name of ['pcs', 'phones']) {
      expect(m.groups![name]!.started).toBe(a.groups![name]!.started + b.groups![name]!.started);
      expect(m.groups![name]!.kinds.dora!.ok).toBe(a.groups![name]!.kinds.dora!.ok + b.groups![name]!.kinds.dora!.ok);
    }
    expect(m.groups!['phones']!.kinds.dora!.latencyMs!.max).toBe(Math.max(a.groups!['phones']!.kinds.dora!.latencyMs!.max, b.groups!['phones']!.kinds.dora!.latencyMs!.max));
  });
});
