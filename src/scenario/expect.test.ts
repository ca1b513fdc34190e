import { describe, expect, it } from 'vitest';
import { effectiveExpect, evaluate, resolveSaved, type Observed } from './expect.js';
import { parseScenario } from './load.js';
import { stepLabel } from './schema/index.js';
import { dhcpExpectSchema, httpExpectSchema, ipxeScriptExpectSchema, parseSaveSource, tftpExpectSchema, type SaveSource } from './schema/index.js';

/** Expectations as a scenario writes them, through the real schema. */
const dhcp = (e: unknown) => dhcpExpectSchema.parse(e);
const tftp = (e: unknown) => tftpExpectSchema.parse(e);
const http = (e: unknown) => httpExpectSchema.parse(e);
const script = (e: unknown) => ipxeScriptExpectSchema.parse(e);

const ack: Observed = {
  messageType: 'ack',
  yiaddr: '198.51.100.123',
  siaddr: '198.51.100.1',
  nextServer: '198.51.100.1',
  serverId: '198.51.100.1',
  bootfile: 'undionly.kpxe',
  leaseTime: 600,
  options: new Map<number, string | number | string[] | Uint8Array>([
    [1, '255.255.255.0'], [3, ['198.51.100.1']], [51, 600], [54, '198.51.100.1'], [60, 'PXEClient'],
    [67, 'undionly.kpxe'], [150, ['198.51.100.1', '198.51.100.2']], [43, Uint8Array.of(6, 1, 8, 255)],
  ]),
};
const vars = new Map([['server', '198.51.100.1'], ['bootfile', 'undionly.kpxe']]);

describe('DHCP expectations', () => {
  it('pass when everything holds', () => {
    const e = dhcp({
      type: 'ack', yiaddr: '198.51.100.0/24', siaddr: '${server}', 'next-server': { equals: '${server}' },
      bootfile: { matches: '\\.kpxe$' }, 'lease-time': { min: 60, max: 86400 },
      options: { 1: '255.255.255.0', 3: '198.51.100.1', 60: { matches: '^PXEClient' }, 66: 'absent', 150: ['198.51.100.1', '198.51.100.2'], 43: { equals: '06:01:08:ff' }, 'lease-time': 600 },
    });
    expect(evaluate(e, ack, vars)).toEqual({ ok: true, failures: [] });
  });

  it('say expected vs found for each failing test', () => {
    const e = dhcp({
      type: 'offer', yiaddr: '203.0.113.0/24', options: { 67: 'ipxe.efi', 66: 'present', 60: 'absent', 150: { 'in-subnet': '203.0.113.0/24' } },
      'lease-time': { min: 3600 }, siaddr: { 'not-equals': '${server}' },
    });
    expect(evaluate(e, ack, vars).failures).toEqual([
      'message type: expected offer, found ack',
      'option 60: expected absent, found "PXEClient"',
      'option 66: expected present, found absent',
      'option 67: expected "ipxe.efi", found "undionly.kpxe"',
      'option 150: expected an address in 203.0.113.0/24, found ["198.51.100.1","198.51.100.2"]',
      'siaddr: expected anything but "198.51.100.1", found "198.51.100.1"',
      'yiaddr: expected an address in 203.0.113.0/24, found "198.51.100.123"',
      'lease time: expected at least 3600, found 600',
    ]);
  });

  it('treat no reply as its own type', () => {
    expect(evaluate(dhcp({ type: 'none' }), { messageType: null }).ok).toBe(true);
    expect(evaluate(dhcp({ type: 'nak' }), { messageType: null }).failures).toEqual(['message type: expected nak, found no reply']);
    expect(evaluate(dhcp({ type: 'none' }), ack).failures).toEqual(['message type: expected no reply, found ack']);
  });

  it('insert variables into regexes literally', () => {
    // "198.51.100.1" must not match "198x51y100z1" through unescaped dots.
    const e = dhcp({ bootfile: { matches: '^${server}$' } });
    expect(evaluate(e, { bootfile: '198x51y100z1' }, vars).ok).toBe(false);
    expect(evaluate(e, { bootfile: '198.51.100.1' }, vars).ok).toBe(true);
  });

  it('turn an unset variable into a failure naming it and the step', () => {
    const r = evaluate(dhcp({ yiaddr: '${first-ip}' }), ack, vars, 'client lifecycle, step 2 "renew"');
    expect(r.ok).toBe(false);
    expect(r.failures[0]).toMatch(/^client lifecycle, step 2 "renew": variable \$\{first-ip\} is not set/);
  });

  it('counts offers', () => {
    expect(evaluate(dhcp({ offers: { min: 2 } }), { offers: 1 }).failures).toEqual(['offers: expected at least 2, found 1']);
  });
});

describe('transfer expectations', () => {
  const sha = 'a'.repeat(64);
  it('TFTP size, sha256, negotiated options and errors', () => {
    expect(evaluate(tftp({ size: 1024, sha256: sha, blksize: 1468, error: false }), { size: 1024, sha256: sha.toUpperCase(), blksize: 1468, tftpError: null }).ok).toBe(true);
    expect(evaluate(tftp({ size: { min: 2000 }, sha256: sha, error: 1 }), { size: 1024, sha256: 'b'.repeat(64), tftpError: null }).failures).toEqual([
      'size: expected at least 2000, found 1024',
      `sha256: expected ${sha}, found ${'b'.repeat(64)}`,
      'TFTP error: expected code 1, found none',
    ]);
    expect(evaluate(tftp({ error: true }), { tftpError: 1 }).ok).toBe(true);
  });

  it('HTTP status as number, list or class; body regex; headers', () => {
    const o: Observed = { status: 304, body: '#!ipxe\nkernel vmlinuz\n', headers: { 'content-type': 'text/plain' } };
    expect(evaluate(http({ status: '3xx' }), o).ok).toBe(true);
    expect(evaluate(http({ status: [200, 304] }), o).ok).toBe(true);
    expect(evaluate(http({ status: 200, body: '^#!ipxe', headers: { 'Content-Type': { matches: '^text/' } } }), o).failures).toEqual([
      'HTTP status: expected 200, found 304',
    ]);
    expect(evaluate(http({ status: '2xx', body: 'initrd' }), { ...o, status: 404 }).failures).toEqual([
      'HTTP status: expected 2xx, found 404',
      'body: expected to match /initrd/, found no match in 22 characters ("#!ipxe\\nkernel vmlinuz\\n")',
    ]);
    expect(evaluate(http({ status: 200 }), {}).failures).toEqual(['HTTP status: expected 200, found no response']);
  });

  it('iPXE script runs', () => {
    const o: Observed = { status: 200, fetchedUrls: ['http://198.51.100.1/vmlinuz', 'http://198.51.100.1/initrd.img'], booted: true, scriptErrors: 0 };
    expect(evaluate(script({ status: 200, fetches: 2, fetched: ['/vmlinuz$', '/initrd\\.img$'], boots: true, errors: 0 }), o).ok).toBe(true);
    expect(evaluate(script({ fetched: ['/wimboot$'], boots: false }), o).failures).toEqual([
      'fetched: expected a URL matching /\\/wimboot$/, found http://198.51.100.1/vmlinuz, http://198.51.100.1/initrd.img',
      'boot: expected no boot, found the script booted an image',
    ]);
  });

  it('no expectation passes', () => {
    expect(evaluate(undefined, {})).toEqual({ ok: true, failures: [] });
  });
});

describe('resolveSaved', () => {
  const src = (s: string) => parseSaveSource(s) as SaveSource;
  it('reads fields, options, headers and body groups', () => {
    const r = resolveSaved(
      { ip: src('yiaddr'), tftp: src('option:150'), type: src('header:Content-Type'), kernel: src('body:kernel (\\S+)'), none: src('option:66') },
      { ...ack, headers: { 'content-type': 'text/plain' }, body: '#!ipxe\nkernel http://x/vmlinuz quiet\n' },
    );
    expect(r.values).toEqual({ ip: '198.51.100.123', tftp: '198.51.100.1,198.51.100.2', type: 'text/plain', kernel: 'http://x/vmlinuz' });
    expect(r.failures).toEqual(['save none: option 66 was not observed']);
  });

  it('rejects unknown sources with a suggestion', () => {
    expect(parseSaveSource('yiadr')).toMatch(/found "yiadr"; did you mean "yiaddr"\?$/);
  });
});

describe('effectiveExpect', () => {
  const s = parseScenario([
    'budget: 10s', 'clients:', '  - persona: custom', '    mac: 52:54:00:00:00:01', '    steps:',
    '      - dhcp', '      - release', '      - request: { address: 203.0.113.7, expect: { type: nak } }',
    '      - tftp: { file: a }', '      - ipxe-script: { url: b, expect: { status: 200 } }', '      - sleep: 1s',
  ].join('\n'), 'd.yaml');
  const steps = s.clients[0]!.steps;

  it('fills in what a step must do by default; the scenario wins', () => {
    expect(steps.map(effectiveExpect)).toEqual([
      { type: 'ack' }, { type: 'none' }, { type: 'nak' }, { error: false }, { status: [200] }, undefined,
    ]);
    expect(evaluate(effectiveExpect(steps[3]!), { tftpError: 1 }).failures).toEqual(['TFTP error: expected none, found error 1']);
  });

  it('labels steps for run-time messages', () => {
    expect(stepLabel(s.clients[0]!, steps[2]!, 2)).toBe('client custom, step 3 "request" (d.yaml:8:9)');
  });
});
