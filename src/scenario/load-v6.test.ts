import { describe, expect, it } from 'vitest';
import { scenarioProblems as problems } from './problems.test-kit.js';
import { loadScenario } from './load.js';

const SCENARIO_DIR = new URL('../../scenarios/', import.meta.url);

describe('IPv6 scenarios', () => {
  it('uefi-ipxe-v6: RA → DHCPv6 → TFTP by URL → become ipxe-v6 → RA → DHCPv6 → script', () => {
    const s = loadScenario(new URL('uefi-ipxe-v6.yaml', SCENARIO_DIR).pathname);
    const c = s.clients[0]!;
    expect(c.persona).toBe('uefi-x64-v6');
    expect(c.steps.map((x) => x.kind)).toEqual(['ra', 'dhcp6', 'tftp', 'become', 'ra', 'dhcp6', 'ipxe-script']);
    expect(c.steps[1]).toMatchObject({ expect: { type: 'reply', status: { equals: 'Success' }, 'bootfile-url': { matches: '^tftp://' } } });
    expect(c.steps[3]).toMatchObject({ kind: 'become', persona: 'ipxe-v6' });
  });

  it('uefi-httpboot-v6: RA → DHCPv6 with HTTPClient → HTTP', () => {
    const s = loadScenario(new URL('uefi-httpboot-v6.yaml', SCENARIO_DIR).pathname);
    expect(s.clients[0]!.persona).toBe('uefi-http-v6');
    expect(s.clients[0]!.steps.map((x) => x.kind)).toEqual(['ra', 'dhcp6', 'http']);
  });

  it('a DHCPv4 step under an IPv6 persona names the fix and the place', () => {
    const p = problems([
      'budget: 10s',
      'clients:',
      '  - persona: uefi-x64-v6',
      '    mac: 52:54:00:00:00:01',
      '    steps:',
      '      - dhcp: { within: 2s }',
    ].join('\n'));
    expect(p).toEqual([
      'x.yaml:6:9: clients[0].steps[0].dhcp: step "dhcp" is DHCPv4, but client "uefi-x64-v6" is the IPv6 persona uefi-x64-v6 here; use "- dhcp6:" (operation: sarr) or "- become:" an IPv4 persona first',
    ]);
  });

  it('an IPv6 step after falling back to an IPv4 persona is caught; before it is fine', () => {
    const p = problems([
      'budget: 10s',
      'clients:',
      '  - persona: uefi-x64-v6',
      '    mac: 52:54:00:00:00:01',
      '    steps:',
      '      - dhcp6',
      '      - become: uefi-x64',
      '      - dhcp',
      '      - ra',
    ].join('\n'));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^x\.yaml:9:\d+: clients\[0\]\.steps\[3\]\.ra: step "ra" is IPv6, but client "uefi-x64-v6" is the IPv4 persona uefi-x64 here/);
  });

  it('unknown dhcp6 keys and operations get a suggestion', () => {
    const p = problems([
      'budget: 10s',
      'clients:',
      '  - persona: ipxe-v6',
      '    mac: 52:54:00:00:00:01',
      '    steps:',
      '      - dhcp6: { operation: renw, rapid-comit: true }',
    ].join('\n'));
    expect(p.join('\n')).toContain('did you mean "renew"');
    expect(p.join('\n')).toContain('did you mean "rapid-commit"');
  });

  it('${bootfile-url} is learned from a dhcp6 step', () => {
    const p = problems([
      'budget: 10s',
      'clients:',
      '  - persona: ipxe-v6',
      '    mac: 52:54:00:00:00:01',
      '    steps:',
      '      - http: { url: "${bootfile-url}" }',
      '      - dhcp6',
      '      - http: { url: "${bootfile-url}" }',
    ].join('\n'));
    expect(p).toHaveLength(1);
    expect(p[0]).toContain('steps[0].http.url: variable ${bootfile-url} is learned from a DHCP reply');
  });
});
