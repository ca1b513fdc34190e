/** Hundreds of clients sleeping at once on one abort signal (the in-memory transport, virtual time). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from './clock.js';
import { runScenarios } from './driver.js';
import { parseScenario } from './load.js';
import { fakeDnsmasq } from './run/fake-servers.test-kit.js';
import { LoopbackTransport } from './transport/loopback.js';

const SERVER = '198.51.100.1';
const CLIENTS = 300;

const YAML = `
name: storm
budget: 120s
clients:
  - name: pc
    persona: uefi-x64
    mac: { mac: "52:54:00:10:00:00", count: ${CLIENTS} }
    steps:
      - dhcp:
          name: DORA
          within: 10s
          expect: { type: ack }
`;

let warnings: Error[] = [];
const onWarning = (w: Error): void => { warnings.push(w); };
beforeEach(() => { warnings = []; process.on('warning', onWarning); });
afterEach(() => { process.off('warning', onWarning); });

describe('many clients on one AbortSignal', () => {
  it(`${CLIENTS} clients at concurrency 200 finish without a MaxListenersExceededWarning`, async () => {
    const clock = new FakeClock(1000);
    const transport = new LoopbackTransport(clock, { udp: [fakeDnsmasq({ addr: SERVER, pool: '198.51.100.10', offerDelay: 0.5 })], tcp: [] });
    const ac = new AbortController();
    const r = await runScenarios([parseScenario(YAML, 'storm.yaml')], { transport, clock, target: { server: SERVER }, signal: ac.signal, concurrency: 200 });
    // Warnings are emitted on the next tick.
    await new Promise((res) => setImmediate(res));
    expect(r.scenarios[0]!.clients).toHaveLength(CLIENTS);
    expect(r.scenarios[0]!.clients.filter((c) => c.ok).length).toBeGreaterThan(CLIENTS / 2);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message)).toEqual([]);
  });
});
