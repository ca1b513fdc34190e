/**
 * Install as a user does: `npm pack` of a clean checkout (tracked files only, no dist/), then
 * `npm install -g` of the tarball into a temp prefix; the installed `pxecheck` runs. Also
 * `npx pxecheck` from the repo. Slow (tsc in prepack, npm install): one test, generous timeout.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CAPTURE = join(ROOT, 'captures/lab/uefi-pxe-dnsmasq.pcapng');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const MINUTES = 60_000;

let dir = '';
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'pxecheck-install-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sh = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 4 * MINUTES, env: { ...process.env, NO_COLOR: '1' } });

describe('install', () => {
  it('npm pack of a clean checkout installs a working pxecheck into another prefix', () => {
    // A clean checkout: the tracked files, no dist/ (node_modules shared: prepack needs tsc).
    const checkout = join(dir, 'checkout');
    for (const f of sh('git', ['ls-files', '-z'], ROOT).split('\0').filter((x) => x !== '' && existsSync(join(ROOT, x)))) {
      mkdirSync(dirname(join(checkout, f)), { recursive: true });
      copyFileSync(join(ROOT, f), join(checkout, f));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(checkout, 'node_modules'));
    expect(existsSync(join(checkout, 'dist'))).toBe(false);

    sh('npm', ['pack', '--pack-destination', dir, '--silent'], checkout);
    const tgz = readdirSync(dir).find((f) => /^pxecheck-.*\.tgz$/.test(f));
    expect(tgz).toBeDefined();
    const listing = sh('tar', ['tzf', join(dir, tgz!)], dir).split('\n');
    for (const f of ['package/bin/pxecheck.js', 'package/dist/cli/main.js', 'package/LICENSE', 'package/man/pxecheck.1', 'package/scenarios/uefi-ipxe.yaml']) {
      expect(listing, f).toContain(f);
    }
    expect(listing.some((f) => /\.test\.(js|ts)$/.test(f))).toBe(false);

    // Scripts off: the libpcap binding's native build is not needed to read captures.
    const prefix = join(dir, 'prefix');
    sh('npm', ['install', '-g', join(dir, tgz!), '--prefix', prefix, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--silent'], dir);
    const bin = join(prefix, 'bin', 'pxecheck');
    expect(sh(bin, ['--version'], dir).trim()).toBe(VERSION);
    expect(sh(bin, ['analyze', CAPTURE], dir)).toMatch(/Clients:\s+1/);
    expect(sh(bin, ['decode', '--format', 'line', '--proto', 'dhcp4', CAPTURE], dir)).toMatch(/DHCPv4 +DISCOVER xid 0x/);
    expect(sh(bin, ['completion'], dir)).toContain('pxecheck');
  }, 10 * MINUTES);

  it('npx pxecheck runs the checkout\'s own build', () => {
    expect(sh('npx', ['--no-install', 'pxecheck', '--version'], ROOT).trim()).toBe(VERSION);
  }, 2 * MINUTES);
});
