/** A RunResult with a pass, a budget overrun, an XML-hostile error and a step not run. */
import type { RunResult } from '../scenario/run/result.js';

export function sampleRun(): RunResult {
  return {
    ok: false,
    scenarios: [{
      name: 'uefi-ipxe', file: 'scenarios/uefi-ipxe.yaml', ok: false, duration: 9013,
      clients: [{
        name: 'pc1', persona: 'uefi-x64', mac: '52:54:00:00:0e:f1', ok: false,
        steps: [
          { name: 'firmware DORA', kind: 'dhcp', ok: false, duration: 5412, budget: 5000, error: 'firmware DORA took 5.412 s, budget 5 s', details: { expect: 'type ack, bootfile ~/\\.efi$/' } },
          { name: 'fetch <ipxe> & "more"', kind: 'tftp', ok: false, duration: 12, budget: 10000, error: '198.51.100.1 answered ERROR 1 File not found for a<b&c\u0000.efi\nsize: expected at least 100000, found 0', details: { expect: 'size ≥100000' } },
          { name: 'become ipxe', kind: 'become', ok: false, duration: 0, budget: null, error: 'not run: step 2 failed', details: { skipped: true } },
        ],
      }, {
        name: 'pc2', persona: 'bios', mac: '52:54:00:00:0e:f2', ok: true,
        steps: [{ name: 'DORA', kind: 'dhcp', ok: true, duration: 2002, budget: 5000, error: null, details: { expect: 'type ack' } }],
      }],
    }],
  };
}
