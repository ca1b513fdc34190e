// The scenario settings engineer G added: mtu (top level), dhcp init-reboot, dhcp6 solicit-delay.
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError } from './load.js';

const base = (top: string, step: string, persona = 'uefi-x64'): string =>
  `name: t\nbudget: 30s\n${top}clients:\n  - persona: ${persona}\n    mac: 52:54:00:00:00:01\n    steps:\n      - ${step}\n`;

describe('scenario transport settings', () => {
  it('reads mtu, init-reboot and solicit-delay', () => {
    const s = parseScenario(base('mtu: 1400\n', 'dhcp: { init-reboot: 198.51.100.7 }'), 'a.yaml');
    expect(s.mtu).toBe(1400);
    const step = s.clients[0]!.steps[0]!;
    expect(step.kind === 'dhcp' && step['init-reboot']).toBe('198.51.100.7');
    const v6 = parseScenario(base('', 'dhcp6: { solicit-delay: 1s }', 'uefi-x64-v6'), 'b.yaml');
    const s6 = v6.clients[0]!.steps[0]!;
    expect(s6.kind === 'dhcp6' && s6['solicit-delay']).toBe(1000);
    expect(parseScenario(base('', 'dhcp: {}'), 'c.yaml').mtu).toBeUndefined();
  });

  it('an MTU below the IPv4 minimum is an error at its line and column', () => {
    let err: unknown;
    try { parseScenario(base('mtu: 100\n', 'dhcp: {}'), 'd.yaml'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message).toMatch(/^d\.yaml:3:\d+: mtu: .*576/m);
  });
});
