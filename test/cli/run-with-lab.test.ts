// `pxecheck run SCENARIO --lab [SERVER]`: the option rules and runWithLab's lifecycle with fakes
// (everywhere), then the real thing as root: the built CLI brings a lab up, runs uefi-ipxe.yaml
// from its client namespace and leaves no namespace behind.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRunArgs, type RunArgs } from '../../src/cli/options.js';
import { childRunArgs, planLab, runWithLab, type RunLabDeps } from '../../src/cli/run-lab.js';
import { loadScenarioFiles } from '../../src/cli/run.js';
import type { Scenario } from '../../src/scenario/schema/index.js';
import { MissingBinaryError } from '../../src/lab/binaries.js';
import type { LabInfo } from '../../src/lab/labctl.js';
import { listNamespaces } from '../../src/lab/lab.js';
import type { RunResult } from '../../src/scenario/driver.js';
import { ROOT } from '../helpers/fixtures.js';

const LAB = { clientNs: 'pxrtest-cli', clientIface: 'cl0', serverAddr: '198.51.100.1' } as LabInfo;

function labArgs(extra: Record<string, unknown> = {}): RunArgs {
  return checkRunArgs({ scenario: ['scenarios/uefi-ipxe.yaml'], lab: '', ...extra });
}

/** A child process that exits with `code` when told to, or on SIGINT with 1. */
class FakeChild extends EventEmitter {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly signals: string[] = [];
  kill(sig: NodeJS.Signals): boolean {
    this.signals.push(sig);
    if (sig === 'SIGINT' || sig === 'SIGKILL') setImmediate(() => this.exit(1));
    return true;
  }
  exit(code: number): void {
    if (this.exitCode !== null) return;
    this.exitCode = code;
    this.emit('exit', code, null);
  }
}

interface Harness {
  deps: RunLabDeps;
  events: string[];
  spawned: { cmd: string; args: string[]; child: FakeChild }[];
  stderr: string[];
  interrupt: () => void;
}

function harness(opts: { childExit?: number | null; labUpError?: Error; root?: boolean } = {}): Harness {
  const events: string[] = [];
  const spawned: Harness['spawned'] = [];
  let handler: (() => void) | null = null;
  const deps: RunLabDeps = {
    labName: 'pxrtest',
    isRoot: () => opts.root ?? true,
    autoCapture: false,
    labUp: async (o) => {
      events.push(`up ${o.name} ${o.server}${o.config ? ` ${o.config}` : ''}${o.ipv6 !== undefined ? ` ipv6=${String(o.ipv6)}` : ''}${o.ra ? ` ra=${o.ra}` : ''}${o.config6 ? ` config6=${o.config6}` : ''}`);
      if (opts.labUpError) throw opts.labUpError;
      return LAB;
    },
    labDown: async (name) => {
      events.push(`down ${name}`);
    },
    spawn: (cmd, args) => {
      const child = new FakeChild();
      spawned.push({ cmd, args, child });
      events.push(`spawn ${cmd}`);
      if (opts.childExit !== null) setImmediate(() => child.exit(opts.childExit ?? 0));
      return child as unknown as ChildProcess;
    },
    onInterrupt: (h) => {
      handler = h;
      return () => {
        handler = null;
        events.push('unsubscribed');
      };
    },
  };
  const stderr: string[] = [];
  return { deps, events, spawned, stderr, interrupt: () => handler?.() };
}

const io = (h: Harness) => ({ stderr: (s: string) => void h.stderr.push(s), stdoutIsTTY: false, stderrIsTTY: false, env: {} });

describe('checkRunArgs --lab', () => {
  it('a bare --lab leaves the server to the scenarios, on the lab client interface and server; --lab kea and --server-config are kept', () => {
    const a = labArgs();
    expect(a.lab).toEqual({ server: undefined, config: undefined });
    expect(a.transport).toEqual({ kind: 'raw', interface: 'cl0' });
    expect(a.server).toBe('198.51.100.1');
    expect(labArgs({ lab: true }).lab?.server).toBeUndefined();
    expect(labArgs({ 'lab-proxy': true }).lab?.proxy).toBe(true);
    expect(labArgs({ lab: 'kea', 'server-config': 'my.json' }).lab).toEqual({ server: 'kea', config: 'my.json' });
    expect(labArgs({ lab: 'isc-dhcpd' }).lab?.server).toBe('isc-dhcpd');
  });

  it('rejects an unknown server, a transport or --server next to --lab, and --server-config without --lab', () => {
    expect(() => labArgs({ lab: 'bind9' })).toThrow(/--lab takes one of dnsmasq, kea, isc-dhcpd.*"bind9"/);
    expect(() => labArgs({ interface: 'eth0' })).toThrow(/drop --interface/);
    expect(() => labArgs({ 'relay-from': '203.0.113.1' })).toThrow(/drop --relay-from/);
    expect(() => labArgs({ server: '198.51.100.9' })).toThrow(/drop --server/);
    expect(() => checkRunArgs({ scenario: ['x.yaml'], interface: 'eth0', server: '198.51.100.1', 'server-config': 'c' })).toThrow(/--server-config FILE only applies with --lab/);
    expect(checkRunArgs({ scenario: ['x.yaml'], interface: 'eth0', server: '198.51.100.1' }).lab).toBeUndefined();
    expect(() => checkRunArgs({ scenario: ['x.yaml'], interface: 'eth0', server: '198.51.100.1', 'lab-proxy': true })).toThrow(/--lab-proxy only applies with --lab/);
    // --server alone aims at a real server: it still needs a transport.
    expect(() => checkRunArgs({ scenario: ['x.yaml'], server: '198.51.100.1' })).toThrow(/choose a transport/);
    // `run --lab x.yaml`: yargs hands the scenario to --lab.
    expect(() => checkRunArgs({ scenario: [], lab: 'x.yaml' })).toThrow(/put the SCENARIO files first/);
  });
});

describe('run with no transport flag: the built-in lab', () => {
  it('is a lab run marked implicit; --lab-proxy and --format still apply', () => {
    const a = checkRunArgs({ scenario: ['scenarios/uefi-ipxe.yaml'], format: 'json', 'lab-proxy': true });
    expect(a.lab).toMatchObject({ server: undefined, implicit: true, proxy: true });
    expect(a.transport).toEqual({ kind: 'raw', interface: 'cl0' });
    expect(a.format).toBe('json');
  });

  it('says so in one line with how to aim at a real server, and picks the lab the scenario asks for', async () => {
    const h = harness();
    expect(await runWithLab(checkRunArgs({ scenario: ['scenarios/dhcp-conformance.yaml'] }), io(h), h.deps)).toBe(0);
    const notice = h.stderr.filter((l) => /no transport given/.test(l));
    expect(notice).toHaveLength(1);
    expect(notice[0]).toMatch(/--interface IFACE.*--server ADDR.*--relay-from ADDR/);
    expect(h.events[0]).toBe('up pxrtest kea');
  });

  it('not root: exit 2 naming both ways (root for the lab, or a transport), nothing built', async () => {
    const h = harness({ root: false });
    expect(await runWithLab(checkRunArgs({ scenario: ['scenarios/uefi-ipxe.yaml'] }), io(h), h.deps)).toBe(2);
    expect(h.stderr.join('')).toMatch(/needs root.*--interface IFACE --server ADDR.*--relay-from ADDR --server ADDR/s);
    expect(h.events).toEqual([]);
  });
});

describe('planLab: one lab for the scenarios', () => {
  const sc = (name: string, lab?: Scenario['lab']): Scenario => ({ file: `${name}.yaml`, name, budgetMs: 1000, vars: {}, clients: [], ...(lab ? { lab } : {}) });
  const bare = { server: undefined, config: undefined };
  it('user flag first, then the scenarios\' lab:, then dnsmasq; proxy from either', () => {
    expect(planLab(bare, [sc('a')])).toEqual({ server: 'dnsmasq', proxy: false, notes: [] });
    expect(planLab(bare, [sc('a'), sc('b', { server: 'kea' })])).toMatchObject({ server: 'kea', proxy: false });
    expect(planLab(bare, [sc('p', { proxy: true })])).toMatchObject({ server: 'dnsmasq', proxy: true });
    expect(planLab({ ...bare, proxy: true }, [sc('a')])).toMatchObject({ proxy: true });
    const named = planLab({ ...bare, server: 'dnsmasq' }, [sc('c', { server: 'kea', reason: 'option 51 in the INFORM ACK' })]);
    expect(named.server).toBe('dnsmasq');
    expect(named.notes.join()).toMatch(/c expects the kea lab: option 51/);
  });
  it('refuses scenarios that need different labs', () => {
    expect(() => planLab(bare, [sc('a'), sc('p', { proxy: true })])).toThrow(/different labs.*run them separately/);
    expect(() => planLab(bare, [sc('k', { server: 'kea' }), sc('i', { server: 'isc-dhcpd' })])).toThrow(/different lab servers/);
  });
  it('the shipped proxydhcp and dhcp-conformance scenarios ask for their lab', () => {
    const { scenarios, problems } = loadScenarioFiles([join(ROOT, 'scenarios/proxydhcp.yaml'), join(ROOT, 'scenarios/dhcp-conformance.yaml')]);
    expect(problems).toEqual([]);
    expect(planLab(bare, [scenarios[0]!])).toMatchObject({ proxy: true });
    expect(planLab(bare, [scenarios[1]!])).toMatchObject({ server: 'kea', proxy: false });
  });
});

describe('run --lab and IPv6', () => {
  it('--lab-ipv6-only / --lab-ra / --server-config6 reach the lab; --lab-ra or a kea6 config alone ask for IPv6', () => {
    expect(labArgs({ lab: 'kea', 'lab-ipv6-only': true }).lab).toMatchObject({ ipv6: 'only' });
    expect(labArgs({ lab: 'kea', 'lab-ra': 'unmanaged' }).lab).toMatchObject({ ipv6: true, ra: 'unmanaged' });
    expect(labArgs({ lab: 'kea', 'server-config6': 'k6.json' }).lab).toMatchObject({ ipv6: true, config6: 'k6.json' });
    expect(() => labArgs({ 'lab-ra': 'sometimes' })).toThrow(/--lab-ra must be one of managed, unmanaged, none \(got "sometimes"\)/);
    expect(() => checkRunArgs({ scenario: ['x.yaml'], interface: 'eth0', server: '198.51.100.1', 'lab-ipv6': true })).toThrow(/--lab-ipv6 only applies with --lab/);
  });

  it('an IPv6 scenario gets an IPv6 lab without asking; an IPv4 one does not', async () => {
    const h6 = harness();
    await runWithLab(checkRunArgs({ scenario: ['scenarios/uefi-ipxe-v6.yaml'], lab: 'kea', 'lab-ra': 'unmanaged' }), io(h6), h6.deps);
    expect(h6.events[0]).toBe('up pxrtest kea ipv6=true ra=unmanaged');
    const auto = harness();
    await runWithLab(checkRunArgs({ scenario: ['scenarios/uefi-httpboot-v6.yaml'], lab: 'dnsmasq' }), io(auto), auto.deps);
    expect(auto.events[0]).toBe('up pxrtest dnsmasq ipv6=true');
    const v4 = harness();
    await runWithLab(labArgs(), io(v4), v4.deps);
    expect(v4.events[0]).toBe('up pxrtest dnsmasq');
  });

  it('an IPv6-only lab is the ${server} of the child run', () => {
    const only = { ...LAB, ipv6: { mode: 'only', serverAddr6: '2001:db8:1::1' } } as LabInfo;
    expect(childRunArgs(labArgs(), only, '/x')).toEqual(expect.arrayContaining(['--server', '2001:db8:1::1']));
    expect(childRunArgs(labArgs(), LAB, '/x')).toEqual(expect.arrayContaining(['--server', '198.51.100.1']));
  });
});

describe('childRunArgs', () => {
  it('passes the lab interface and server, and makes scenario, output and pcap paths absolute', () => {
    const a = labArgs({ format: 'json', output: 'out/r.json', pcap: 'r.pcapng', rate: '50' });
    expect(childRunArgs(a, LAB, '/home/u')).toEqual([
      'run', '/home/u/scenarios/uefi-ipxe.yaml', '--interface', 'cl0', '--server', '198.51.100.1', '--format', 'json',
      '--output', '/home/u/out/r.json', '--pcap', '/home/u/r.pcapng', '--max-pps', '50',
    ]);
    expect(childRunArgs(labArgs({ output: '-' }), LAB, '/x')).toContain('-');
  });

  it('passes a raised load ceiling on to the child run', () => {
    const args = childRunArgs(labArgs({ 'max-load': 'arrival-rate=500,count=none' }), LAB, '/x');
    expect(args.slice(args.indexOf('--max-load'), args.indexOf('--max-load') + 2)).toEqual(['--max-load', 'arrival-rate=500,count=none']);
  });
});

describe('runWithLab above the load ceiling', () => {
  it('refuses in one line before any lab is built', async () => {
    const h = harness({ childExit: 0 });
    const code = await runWithLab(labArgs({ 'arrival-rate': '1000' }), io(h), h.deps);
    expect(code).toBe(2);
    expect(h.stderr.join('')).toMatch(/above the default ceiling of 100: raise it on purpose \(--max-load arrival-rate=1000\).*no lab was built/);
    expect(h.events.some((e) => e.startsWith('up'))).toBe(false);
  });
});

describe('runWithLab lifecycle (fakes)', () => {
  it('up, the child in the client namespace, its exit code, then down', async () => {
    const h = harness({ childExit: 1 });
    const code = await runWithLab(labArgs({ lab: 'kea', 'server-config': 'k.json' }), io(h), { ...h.deps, cliPath: '/p/bin/pxecheck.js' });
    expect(code).toBe(1);
    expect(h.events).toEqual([`up pxrtest kea ${join(process.cwd(), 'k.json')}`, 'spawn ip', 'down pxrtest', 'unsubscribed']);
    expect(h.spawned[0]!.args.slice(0, 5)).toEqual(['netns', 'exec', 'pxrtest-cli', process.execPath, '/p/bin/pxecheck.js']);
    expect(h.spawned[0]!.args.slice(5, 7)).toEqual(['run', join(process.cwd(), 'scenarios/uefi-ipxe.yaml')]);
  });

  it('records the lab bridge by itself and keeps the file only when the run fails', async () => {
    for (const [childExit, kept] of [[0, false], [1, true]] as const) {
      const h = harness({ childExit });
      const base = h.deps.spawn!;
      let file = '';
      const deps: RunLabDeps = {
        ...h.deps,
        autoCapture: true,
        labName: `pxrcap${childExit}`,
        spawn: (cmd, args, quiet) => {
          if (!args.includes('tcpdump')) return base(cmd, args, quiet);
          file = args[args.length - 1]!;
          writeFileSync(file, ''); // tcpdump creates its file at once; this one lives until SIGINT
          return new FakeChild() as unknown as ChildProcess;
        },
      };
      expect(await runWithLab(labArgs(), io(h), deps)).toBe(childExit);
      expect(file).toBe(join(tmpdir(), `pxecheck-pxrcap${childExit}-bridge.pcapng`));
      expect(existsSync(file)).toBe(kept);
      expect(h.stderr.join('').includes(`pxecheck analyze ${file}`)).toBe(kept);
      rmSync(file, { force: true });
    }
  });

  it('not root: exit 2 with a how-to, nothing built', async () => {
    const h = harness({ root: false });
    expect(await runWithLab(labArgs(), io(h), h.deps)).toBe(2);
    expect(h.stderr.join('')).toMatch(/as root/);
    expect(h.events).toEqual([]);
  });

  it('missing server binary: its message (the Debian package), exit 2, and still down', async () => {
    const h = harness({ labUpError: new MissingBinaryError('lab: kea-dhcp4 not found: apt-get install kea-dhcp4-server') });
    expect(await runWithLab(labArgs({ lab: 'kea' }), io(h), h.deps)).toBe(2);
    expect(h.stderr.join('')).toContain('apt-get install kea-dhcp4-server');
    expect(h.events).toEqual(['up pxrtest kea', 'down pxrtest', 'unsubscribed']);
  });

  it('Ctrl-C: SIGINT goes to the child, which is waited for, then down; exit 1', async () => {
    const h = harness({ childExit: null });
    const done = runWithLab(labArgs(), io(h), h.deps);
    // Wait for the child to be spawned (bounded), not a fixed sleep.
    for (let i = 0; i < 200 && h.spawned.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(h.spawned).toHaveLength(1);
    expect(h.events).not.toContain('down pxrtest');
    h.interrupt();
    expect(await done).toBe(1);
    expect(h.spawned[0]!.child.signals).toEqual(['SIGINT']);
    expect(h.events.slice(-2)).toEqual(['down pxrtest', 'unsubscribed']);
    expect(h.stderr.join('')).toMatch(/interrupted/);
  });
});

// ---------------------------------------------------------------------------------------------
// As root: the real CLI and the real lab.

const isRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v ip && command -v dnsmasq && command -v kea-dhcp4 && command -v in.tftpd && command -v nginx']).status === 0;
const skipReason = !isRoot ? 'needs root (network namespaces)' : !hasTools ? 'needs ip, dnsmasq, kea-dhcp4, in.tftpd, nginx' : '';
const labNamespaces = () => listNamespaces().filter((n) => /^pxr[0-9a-f]{4}-/.test(n));

function cli(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/pxecheck.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve({ code: c, stdout: out, stderr: err });
    });
  });
}

describe.skipIf(skipReason !== '')(`pxecheck run --lab for real${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let tmp = '';
  beforeAll(() => {
    spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.json')], { cwd: ROOT, timeout: 120_000, stdio: 'ignore' });
    if (!existsSync(join(ROOT, 'dist/cli/run-lab.js'))) throw new Error('build of src/ failed (dist/cli/run-lab.js missing)');
    tmp = mkdtempSync(join(tmpdir(), 'pxr-test-'));
  }, 150_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  for (const server of ['', 'kea']) {
    it(`uefi-ipxe.yaml --lab ${server || '(dnsmasq)'}: every step ok, exit 0, no lab namespace left`, async () => {
      const before = labNamespaces();
      const capture = join(tmp, `bridge-${server || 'dnsmasq'}.pcap`);
      const r = await cli(['run', 'scenarios/uefi-ipxe.yaml', '--lab', ...(server ? [server] : []), '--format', 'json', '--capture', capture], 90_000);
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as RunResult;
      expect(result.ok).toBe(true);
      const steps = result.scenarios.flatMap((s) => s.clients.flatMap((c) => c.steps));
      expect(steps.map((s) => s.name)).toEqual(['firmware DORA', 'fetch the iPXE binary', expect.any(String), 'iPXE DORA', 'boot.ipxe and what it loads']);
      expect(steps.every((s) => s.ok)).toBe(true);
      expect(labNamespaces()).toEqual(before);
      // The bridge capture holds the whole chain: DHCP, TFTP and HTTP.
      const bytes = readFileSync(capture);
      expect(bytes.length).toBeGreaterThan(100_000);
    }, 120_000);
  }
});
