// `pxecheck lab` CLI: argument checks and output with fake library calls (no root needed), then
// the real thing across processes: `up` in one node process that exits, `status`/`down` in others.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLabArgs, runLab, type LabDeps } from '../../src/cli/lab.js';
import { UsageError } from '../../src/cli/exit-codes.js';
import { isAlive, listNamespaces, readLabInfo, run, type LabInfo, type LabStatus } from '../../src/lab/index.js';
import { privateBuild } from '../helpers/private-build.js';

describe('checkLabArgs', () => {
  it('defaults: dnsmasq, name pxelab, text', () => {
    expect(checkLabArgs({ action: 'up' })).toEqual({ action: 'up', name: 'pxelab', server: 'dnsmasq', proxy: false, format: 'text' });
    expect(checkLabArgs({ action: 'up', server: 'isc-dhcpd', config: '/etc/dhcp/dhcpd.conf', name: 'lab2' })).toMatchObject({ server: 'isc-dhcpd', config: '/etc/dhcp/dhcpd.conf', name: 'lab2' });
  });
  it('IPv6: --ipv6 / --ipv6-only, --ra, --config6 for kea', () => {
    expect(checkLabArgs({ action: 'up', ipv6: true })).toMatchObject({ ipv6: true });
    expect(checkLabArgs({ action: 'up', 'ipv6-only': true, ra: 'unmanaged' })).toMatchObject({ ipv6: 'only', ra: 'unmanaged' });
    expect(checkLabArgs({ action: 'up', server: 'kea', ipv6: true, config6: 'k6.json' })).toMatchObject({ server: 'kea', ipv6: true, config6: 'k6.json' });
    expect(checkLabArgs({ action: 'up' })).not.toHaveProperty('ipv6');
  });
  it.each([
    [{}, /name an action: up, down, status/],
    [{ action: 'start' }, /name an action.*got "start"/],
    [{ action: 'up', server: 'bind' }, /--server must be one of dnsmasq, kea, isc-dhcpd/],
    [{ action: 'up', name: 'Bad_Name' }, /--name must be 1-12 characters/],
    [{ action: 'up', name: 'a-very-long-lab-name' }, /--name must be 1-12/],
    [{ action: 'up', server: 'kea', proxy: true }, /--proxy needs --server dnsmasq/],
    [{ action: 'down', config: 'x.conf' }, /only apply to 'lab up'/],
    [{ action: 'status', format: 'xml' }, /--format must be one of text, json/],
    [{ action: 'up', config: ['a', 'b'] }, /--config given more than once/],
    [{ action: 'up', ra: 'unmanaged' }, /--ra only applies with --ipv6 or --ipv6-only/],
    [{ action: 'up', ipv6: true, ra: 'off' }, /--ra must be one of managed, unmanaged, none \(got "off"\)/],
    [{ action: 'up', config6: 'k6.json' }, /--config6 \(a kea-dhcp6 config\) needs --ipv6/],
    [{ action: 'up', ipv6: true, config6: 'k6.json' }, /use it with --server kea or isc-dhcpd/],
    [{ action: 'up', ipv6: true, proxy: true }, /--proxy is an IPv4 \(proxyDHCP\) lab; drop --ipv6/],
    [{ action: 'status', ipv6: true }, /only apply to 'lab up'/],
  ])('%j → UsageError', (raw, msg) => {
    expect(() => checkLabArgs(raw as Record<string, unknown>)).toThrow(UsageError);
    expect(() => checkLabArgs(raw as Record<string, unknown>)).toThrow(msg);
  });
});

describe('runLab (fake library)', () => {
  const info = { name: 'x', server: 'dnsmasq', proxy: false, builtInConfig: true, serverAddr: '198.51.100.1', serverAddr6: '2001:db8:1::1', serverNs: 'x-srv', clientNs: 'x-cli', clientIface: 'cl0', relayIface: 'rl0', relayAddr: '198.51.100.250', httpBase: 'http://198.51.100.1', tftpRoot: '/tmp/b', stateDir: '/tmp/s', addressServer: '198.51.100.1', servers: [] } as unknown as LabInfo;
  const calls: string[] = [];
  const deps: LabDeps = {
    up: async (o) => {
      calls.push(`up ${o.name} ${o.server}`);
      if (o.name === 'missing') throw new Error('lab: missing server program: dhcpd (Debian package: isc-dhcp-server)');
      return info;
    },
    down: async (n) => ({ existed: n === 'x', removedNamespaces: n === 'x' ? ['x-srv', 'x-cli'] : [] }),
    status: (n) => (n === 'x' ? ({ name: 'x', stateDir: '/tmp/s', info, namespaces: [], interfaces: [], processes: [] } as LabStatus) : undefined),
  };
  const io = () => {
    const o = { out: '', err: '' };
    return { o, io: { stdout: (s: string) => void (o.out += s), stderr: (s: string) => void (o.err += s) } };
  };
  it('up prints where things are; errors go to stderr with exit 2', async () => {
    const a = io();
    expect(await runLab(checkLabArgs({ action: 'up', name: 'x' }), a.io, deps)).toBe(0);
    expect(a.o.out).toContain('lab x is up');
    expect(a.o.out).toContain('interface cl0 (raw mode), relay 198.51.100.250 on rl0');
    const b = io();
    expect(await runLab(checkLabArgs({ action: 'up', name: 'missing', server: 'isc-dhcpd' }), b.io, deps)).toBe(2);
    expect(b.o.err).toContain('isc-dhcp-server');
    expect(calls).toEqual(['up x dnsmasq', 'up missing isc-dhcpd']);
  });
  it('down of a missing lab says so and exits 0; status of a missing lab exits 1', async () => {
    const a = io();
    expect(await runLab(checkLabArgs({ action: 'down', name: 'nolab' }), a.io, deps)).toBe(0);
    expect(a.o.out).toBe('lab nolab does not exist: nothing to do\n');
    const b = io();
    expect(await runLab(checkLabArgs({ action: 'status', name: 'nolab' }), b.io, deps)).toBe(1);
    expect(b.o.out).toContain('lab nolab does not exist');
    const c = io();
    expect(await runLab(checkLabArgs({ action: 'status', name: 'x', format: 'json' }), c.io, deps)).toBe(0);
    expect(JSON.parse(c.o.out)).toMatchObject({ exists: true, name: 'x' });
  });
});

// The servers must outlive the `lab up` process: run the CLI from a private build in child processes.
const isRoot = process.getuid?.() === 0;
const hasTools = run('sh', ['-c', 'command -v ip && command -v ss && command -v dnsmasq && command -v nginx && command -v busybox']).code === 0;
const BUILD = `/tmp/pxecheck-lab-cli-build-${process.pid}`;
const NAME = 'pxlt-cli';

describe.skipIf(!isRoot || !hasTools)('pxecheck lab across processes (root)', () => {
  beforeAll(() => {
    // The shared private build of src/ (test/helpers/private-build.ts); lab.mjs lives in a dir of our own.
    const dist = privateBuild().dist;
    if (!existsSync(join(dist, 'cli/lab.js'))) throw new Error('private build of src/ failed');
    rmSync(BUILD, { recursive: true, force: true });
    mkdirSync(BUILD, { recursive: true });
    writeFileSync(
      join(BUILD, 'lab.mjs'),
      `import { checkLabArgs, runLab } from ${JSON.stringify(pathToFileURL(join(dist, 'cli/lab.js')).href)};\n` +
        "const [action, name, ...rest] = process.argv.slice(2);\n" +
        "const raw = { action, name }; for (let i = 0; i < rest.length; i += 2) raw[rest[i]] = rest[i + 1];\n" +
        "process.exitCode = await runLab(checkLabArgs(raw), { stderr: (s) => process.stderr.write(s) });\n",
    );
   }, 300_000);
  afterAll(() => {
    cli('down');
    rmSync(BUILD, { recursive: true, force: true });
  });
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(BUILD, 'lab.mjs'), args[0] ?? '', NAME, ...args.slice(1)], { encoding: 'utf8', timeout: 60_000 });

  it('up exits leaving servers running; status sees them; down removes everything; crash leftovers too', { timeout: 90_000 }, () => {
    const up = cli('up');
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toContain(`lab ${NAME} is up`);
    const pids = (readLabInfo(NAME)?.servers ?? []).map((s) => s.pid);
    expect(pids.length).toBe(2); // dnsmasq (DHCP+TFTP) and nginx
    expect(pids.every(isAlive)).toBe(true);
    const again = cli('up');
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(`lab "${NAME}" is already up`);
    const st = cli('status');
    expect(st.status, st.stdout).toBe(0);
    expect(st.stdout).toMatch(/dnsmasq +pid \d+ alive/);
    expect(st.stdout).toContain('198.51.100.250/24');

    // A crash: one server killed behind the lab's back → status says DEAD, exit 1; down still cleans up.
    process.kill(pids[0] ?? -1, 'SIGKILL');
    run('sleep', ['0.3']);
    const st2 = cli('status');
    expect(st2.status).toBe(1);
    expect(st2.stdout).toContain('DEAD');
    const down = cli('down');
    expect(down.status).toBe(0);
    expect(down.stdout).toContain('stopped and removed');
    expect(listNamespaces().filter((n) => n.startsWith(`${NAME}-`))).toEqual([]);
    expect(pids.filter(isAlive)).toEqual([]);
    const down2 = cli('down');
    expect(down2.status).toBe(0);
    expect(down2.stdout).toContain('does not exist');

    // Leftovers of an `up` that died half-way (namespace + process, no lab.json).
    run('ip', ['netns', 'add', `${NAME}-srv`]);
    spawnSync('sh', ['-c', `ip netns exec ${NAME}-srv sleep 300 >/dev/null 2>&1 &`]);
    expect(cli('status').stdout).toContain('incomplete');
    expect(cli('down').status).toBe(0);
    expect(listNamespaces().filter((n) => n.startsWith(`${NAME}-`))).toEqual([]);
    expect(run('ip', ['netns', 'pids', `${NAME}-srv`]).code).not.toBe(0);
  });
});
