import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario, ScenarioError } from './load.js';
import { macAt, SCENARIO_PERSONAS } from './schema/index.js';

const SCENARIO_DIR = new URL('../../scenarios/', import.meta.url);

describe('shipped scenarios', () => {
  const files = readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml'));

  it('ships the promised files', () => {
    expect(files.sort()).toEqual(expect.arrayContaining([
      'bios-pxe.yaml', 'cisco-phone.yaml', 'dhcp-conformance.yaml', 'polycom-phone.yaml', 'proxydhcp.yaml',
      'uefi-httpboot.yaml', 'uefi-ipxe.yaml',
    ]));
  });

  for (const f of files) {
    it(`${f} loads`, () => {
      const s = loadScenario(new URL(f, SCENARIO_DIR).pathname);
      expect(s.clients.length).toBeGreaterThan(0);
      expect(s.budgetMs).toBeGreaterThan(0);
      for (const c of s.clients) for (const step of c.steps) expect(step.at?.line).toBeGreaterThan(0);
    });
  }

  it('uefi-ipxe: firmware → TFTP → become ipxe → DHCP → script', () => {
    const s = loadScenario(new URL('uefi-ipxe.yaml', SCENARIO_DIR).pathname);
    const c = s.clients[0]!;
    expect(c.persona).toBe('uefi-x64');
    expect(c.steps.map((x) => x.kind)).toEqual(['dhcp', 'tftp', 'become', 'dhcp', 'ipxe-script']);
    const tftp = c.steps[1]!;
    if (tftp.kind !== 'tftp') throw new Error('expected a tftp step');
    expect(tftp.file).toBe('${bootfile}');
    expect(tftp.within).toBe(10_000);
    expect(tftp.probe).toBe(true);
    expect(c.steps[2]).toMatchObject({ kind: 'become', persona: 'ipxe' });
    expect(c.steps[0]).toMatchObject({ within: 5000, expect: { type: 'ack', yiaddr: { inSubnet: '198.51.100.0/24' }, bootfile: { matches: '\\.efi$' } } });
  });

  it('cisco-phone: a MAC range gives consecutive clients', () => {
    const s = loadScenario(new URL('cisco-phone.yaml', SCENARIO_DIR).pathname);
    const mac = s.clients[0]!.mac;
    expect(mac).toEqual({ first: '00:1e:7a:00:00:01', count: 4 });
    expect(macAt(mac, 3)).toBe('00:1e:7a:00:00:04');
  });
});

describe('docs/scenarios.md', () => {
  const doc = readFileSync(new URL('../../docs/scenarios.md', import.meta.url), 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('every YAML example is a valid scenario', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const b of blocks) expect(() => parseScenario(b, 'docs/scenarios.md')).not.toThrow();
  });

  it('the persona gallery shows every persona', () => {
    const gallery = blocks.map((b) => parseScenario(b, 'doc.yaml')).find((s) => s.name === 'persona-gallery')!;
    expect(new Set(gallery.clients.map((c) => c.persona))).toEqual(new Set(SCENARIO_PERSONAS));
  });
});

/** The first problem's full text. */
function firstProblem(text: string): string {
  try {
    parseScenario(text, 'scenarios/x.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message.split('\n')[0]!;
  }
  throw new Error('expected the scenario to be rejected');
}

const client = (steps: string, extra = '') =>
  `budget: 30s\nclients:\n  - persona: uefi-x64\n    mac: 52:54:00:00:00:10\n${extra}    steps:\n${steps}`;

describe('broken scenarios name file:line:col, expected and found', () => {
  it('bad duration', () => {
    expect(firstProblem(client('      - dhcp\n      - tftp:\n          file: a\n          within: fast\n'))).toBe(
      'scenarios/x.yaml:9:19: clients[0].steps[1].tftp.within: expected a duration like "500ms" or "2s", found "fast"');
    expect(firstProblem(client('      - sleep: 5\n'))).toBe(
      'scenarios/x.yaml:6:16: clients[0].steps[0].sleep: expected a duration like "500ms" or "2s", found the bare number 5; add a unit: "5ms" or "5s"');
    expect(firstProblem('budget: soon\nclients: []\n')).toBe(
      'scenarios/x.yaml:1:9: budget: expected a duration like "500ms" or "2s", found "soon"');
  });

  it('unknown key with a suggestion, pointing at the key', () => {
    expect(firstProblem(client('      - dhcp:\n          withn: 5s\n'))).toBe(
      'scenarios/x.yaml:7:11: clients[0].steps[0].dhcp.withn: unknown key "withn"; did you mean "within"?');
    expect(firstProblem('budget: 30s\nclient: []\n')).toBe(
      'scenarios/x.yaml:2:1: client: unknown key "client"; did you mean "clients"?');
    expect(firstProblem(client('      - dhcp:\n          expect:\n            options:\n              67: { equal: x }\n'))).toBe(
      'scenarios/x.yaml:9:21: clients[0].steps[0].dhcp.expect.options.67.equal: unknown key "equal"; did you mean "equals"?');
  });

  it('unknown step kind', () => {
    expect(firstProblem(client('      - dhpc: {}\n'))).toBe(
      'scenarios/x.yaml:6:9: clients[0].steps[0].dhpc: unknown step "dhpc"; did you mean "dhcp"?');
  });

  it('bad MAC and bad MAC range', () => {
    expect(firstProblem('budget: 30s\nclients:\n  - persona: bios\n    mac: 52:54:00:00:00:1g\n    steps: [dhcp]\n')).toBe(
      'scenarios/x.yaml:4:10: clients[0].mac: expected a MAC like "52:54:00:00:00:10", a range "52:54:00:00:00:10-52:54:00:00:00:1f" or { mac: …, count: 16 }, found "52:54:00:00:00:1g"');
    expect(firstProblem('budget: 30s\nclients:\n  - persona: bios\n    mac: 52:54:00:00:00:1f-52:54:00:00:00:10\n    steps: [dhcp]\n')).toBe(
      'scenarios/x.yaml:4:10: clients[0].mac: MAC range "52:54:00:00:00:1f-52:54:00:00:00:10" ends before it starts; write the lower MAC first');
    expect(firstProblem('budget: 30s\nclients:\n  - persona: bios\n    mac: { mac: 52:54:00:00:00:10, count: 0 }\n    steps: [dhcp]\n')).toBe(
      'scenarios/x.yaml:4:43: clients[0].mac.count: expected a whole number of clients from 1 to 1,000,000, found 0');
  });

  it('unknown persona, at top level and in become', () => {
    expect(firstProblem('budget: 30s\nclients:\n  - persona: uefi-x65\n    mac: 52:54:00:00:00:10\n    steps: [dhcp]\n')).toMatch(
      /^scenarios\/x\.yaml:3:14: clients\[0\]\.persona: expected a persona \(bios, .*\), found "uefi-x65"; did you mean "uefi-x64"\?$/);
    expect(firstProblem(client('      - become: ipxx\n'))).toMatch(
      /^scenarios\/x\.yaml:6:17: clients\[0\]\.steps\[0\]\.become: expected a persona .*, found "ipxx"; did you mean "ipxe"\?$/);
  });

  it('variable used before a step saves it', () => {
    expect(firstProblem(client('      - dhcp\n      - tftp: { file: "${image}" }\n      - dhcp: { save: { image: bootfile } }\n'))).toBe(
      'scenarios/x.yaml:7:24: clients[0].steps[1].tftp.file: variable ${image} is not built in and no earlier step of client "uefi-x64" saves it; add it to an earlier step\'s save: map or to vars:');
    expect(firstProblem(client('      - tftp:\n          file: boot/${bootfile}\n'))).toBe(
      'scenarios/x.yaml:7:22: clients[0].steps[0].tftp.file: variable ${bootfile} is learned from a DHCP reply, but no dhcp, proxydhcp, request or dhcp6 step comes before this one in client "uefi-x64"');
    expect(firstProblem(client('      - dhcp\n      - tftp: { file: "${bootfle}" }\n'))).toBe(
      'scenarios/x.yaml:7:24: clients[0].steps[1].tftp.file: variable ${bootfle} is not built in and no earlier step of client "uefi-x64" saves it; did you mean "${bootfile}"?');
  });

  it('saved variables and vars: are visible to later steps only of the same client', () => {
    const ok = client('      - dhcp: { save: { image: bootfile } }\n      - tftp: { file: "${image}/${dir}" }\n') .replace('budget: 30s\n', 'budget: 30s\nvars: { dir: x }\n');
    expect(parseScenario(ok, 'ok.yaml').vars).toEqual({ dir: 'x' });
    const other = `${client('      - dhcp: { save: { image: bootfile } }\n')}  - persona: bios\n    mac: 52:54:00:00:00:11\n    steps:\n      - dhcp\n      - tftp: { file: "\${image}" }\n`;
    expect(firstProblem(other)).toMatch(/^scenarios\/x\.yaml:11:24: clients\[1\]\.steps\[1\]\.tftp\.file: variable \$\{image\} is not built in/);
  });

  it('YAML syntax errors carry a position', () => {
    expect(firstProblem('budget: 30s\nclients: [\n')).toMatch(/^scenarios\/x\.yaml:\d+:\d+: YAML syntax error: /);
    expect(firstProblem('budget: 30s\nbudget: 2s\nclients: []\n')).toBe('scenarios/x.yaml:2:1: YAML syntax error: Map keys must be unique');
    expect(firstProblem('budget: 30s\nclients:\n  - persona: bios\n   mac: x\n')).toMatch(/^scenarios\/x\.yaml:4:\d+: YAML syntax error: /);
  });

  it('missing required keys and wrong types', () => {
    expect(firstProblem('budget: 30s\nclients:\n  - persona: bios\n    steps: [dhcp]\n')).toBe(
      'scenarios/x.yaml:3:5: clients[0]: missing required key "mac"');
    expect(firstProblem(client('      - tftp: { blksize: 512 }\n'))).toBe(
      'scenarios/x.yaml:6:15: clients[0].steps[0].tftp: missing required key "file"');
    expect(firstProblem(client('      - tftp: { file: a, blksize: big }\n'))).toBe(
      'scenarios/x.yaml:6:35: clients[0].steps[0].tftp.blksize: expected a number, found "big"');
    expect(firstProblem(client('      - http: { url: x, expect: { status: 999 } }\n'))).toBe(
      'scenarios/x.yaml:6:43: clients[0].steps[0].http.expect.status: expected an HTTP status like 200, [200, 304] or "2xx", found 999');
    // A header value with CR/LF would inject a field of its own; a space would split the request line.
    expect(firstProblem(client('      - http: { url: "http://h/a", headers: { X-A: "1\\r\\nContent-Length: 5" } }\n'))).toMatch(
      /^scenarios\/x\.yaml:6:\d+: clients\[0\]\.steps\[0\]\.http\.headers\.X-A: header value .* holds CR, LF or NUL/);
    expect(firstProblem(client('      - http: { url: "http://h/a", headers: { "Bad Name": x } }\n'))).toMatch(
      /^scenarios\/x\.yaml:6:\d+: clients\[0\]\.steps\[0\]\.http\.headers\.Bad Name: header name "Bad Name" is not an HTTP token/);
    expect(firstProblem(client('      - http: { url: "http://h/a b" }\n'))).toMatch(
      /^scenarios\/x\.yaml:6:\d+: clients\[0\]\.steps\[0\]\.http\.url: expected a URL without spaces or control characters/);
    expect(firstProblem(client('      - dhcp:\n          expect: { yiaddr: 198.51.100.0/33 }\n'))).toBe(
      'scenarios/x.yaml:7:29: clients[0].steps[0].dhcp.expect.yiaddr: expected a subnet like "198.51.100.0/24" or "2001:db8:1::/64", found "198.51.100.0/33"');
  });

  it('a step item with two kinds says how to fix it', () => {
    expect(firstProblem(client('      - dhcp:\n        within: 5s\n'))).toBe(
      'scenarios/x.yaml:6:9: clients[0].steps[0]: expected one step kind per list item, found 2 keys (dhcp, within); indent the step\'s fields under its kind, or start a new "- " item');
  });

  it('reports every problem, in file order', () => {
    try {
      parseScenario(client('      - tftp: { file: a, within: fast }\n      - dhcp: { withn: 1s }\n'), 'y.yaml');
      expect.unreachable();
    } catch (e) {
      const problems = (e as ScenarioError).problems;
      expect(problems.map((p) => `${p.line}:${p.col}`)).toEqual(['6:34', '7:17']);
    }
  });

  it('duplicate client names', () => {
    const text = 'budget: 30s\nclients:\n  - { name: a, persona: bios, mac: 52:54:00:00:00:01, steps: [dhcp] }\n  - { name: a, persona: bios, mac: 52:54:00:00:00:02, steps: [dhcp] }\n';
    expect(firstProblem(text)).toBe('scenarios/x.yaml:4:13: clients[1].name: client name "a" is already used by clients[0]; names must be unique');
  });

  it('unnamed clients get unique names from their persona', () => {
    const text = 'budget: 30s\nclients:\n  - { persona: bios, mac: 52:54:00:00:00:01, steps: [dhcp] }\n  - { persona: bios, mac: 52:54:00:00:00:02, steps: [dhcp] }\n';
    expect(parseScenario(text, 'z.yaml').clients.map((c) => c.name)).toEqual(['bios', 'bios-2']);
  });
});

describe('lab: the built-in lab a scenario needs', () => {
  const withLab = (lab: string) => `budget: 30s\n${lab}\nclients:\n  - persona: uefi-x64\n    mac: 52:54:00:00:00:10\n    steps:\n      - dhcp\n`;
  it('keeps server, proxy and reason', () => {
    const s = parseScenario(withLab('lab: { server: kea, proxy: false, reason: "INFORM bug" }'), 'x.yaml');
    expect(s.lab).toEqual({ server: 'kea', proxy: false, reason: 'INFORM bug' });
    expect(parseScenario(withLab(''), 'x.yaml').lab).toBeUndefined();
  });
  it('an unknown server or key is a file:line:col problem', () => {
    expect(firstProblem(withLab('lab: { server: bind9 }'))).toMatch(/^scenarios\/x\.yaml:2:\d+: .*expected a lab server \(dnsmasq, kea, isc-dhcpd\), found "bind9"/);
    expect(firstProblem(withLab('lab: { proxi: true }'))).toMatch(/^scenarios\/x\.yaml:2:\d+: .*unknown key "proxi"; did you mean "proxy"\?/);
  });
});
