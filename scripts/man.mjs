#!/usr/bin/env node
// Writes man/pxecheck.1 from the built CLI's own --help texts (run by `npm pack` through prepack),
// so the man page says exactly what `pxecheck COMMAND --help` says.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}bin/pxecheck.js`;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const COMMANDS = ['decode', 'analyze', 'run', 'capture', 'export', 'merge', 'lab', 'completion'];

const help = (args) => execFileSync(process.execPath, [bin, ...args, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '80' } });
/** roff: backslashes doubled, a leading dot or quote escaped, so help text stays literal. */
const roff = (text) => text.replace(/\\/g, '\\e').split('\n').map((l) => (/^[.']/.test(l) ? `\\&${l}` : l)).join('\n');

const out = [
  `.TH PXECHECK 1 "" "pxecheck ${pkg.version}" "User Commands"`,
  '.SH NAME',
  `pxecheck \\- ${pkg.description.replace(/-/g, '\\-')}`,
  '.SH SYNOPSIS',
  '.B pxecheck',
  '.I command',
  '[options]',
  '.SH DESCRIPTION',
  '.nf',
  roff(help([]).trimEnd()),
  '.fi',
];
for (const c of COMMANDS) out.push(`.SH COMMAND: ${c.toUpperCase()}`, '.nf', roff(help([c]).trimEnd()), '.fi');
out.push(
  '.SH EXIT STATUS',
  '0 success (no error finding, every step passed); 1 an error finding or a failed step; 2 usage error, unreadable input or environment error.',
  '.SH SEE ALSO',
  'tshark(1), tcpdump(8), dnsmasq(8). The documentation in docs/ of the package.',
  '',
);
mkdirSync(`${root}man`, { recursive: true });
writeFileSync(`${root}man/pxecheck.1`, out.join('\n'));
console.log('wrote man/pxecheck.1');
