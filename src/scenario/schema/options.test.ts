/**
 * Option keys of the scenario language come from wire's one option name table; the old spellings
 * still parse; docs/scenarios.md's list of names is generated from the same table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { namedOptions, optionName } from '../../wire/dhcpv4/index.js';
import { namedOptions as namedOptions6, optionName as option6Name } from '../../wire/dhcpv6/index.js';
import { LEGACY_OPTION6_NAMES, LEGACY_OPTION_NAMES, parseOption6Key, parseOptionKey } from './options.js';

const DOC = fileURLToPath(new URL('../../../docs/scenarios.md', import.meta.url));
const BEGIN = '<!-- option names: generated from the wire option tables by src/scenario/schema/options.test.ts (UPDATE_DOCS=1 rewrites) -->';
const END = '<!-- end of option names -->';

function optionNamesMarkdown(): string {
  const v4 = namedOptions().map((o) => `| ${o.code} | \`${o.name}\` | ${o.kind} |`);
  const legacy = (m: Readonly<Record<string, string>>): string =>
    Object.entries(m).map(([old, name]) => `\`${old}\` (${name})`).join(', ');
  const v6 = namedOptions6().map((o) => `\`${o.key}\` ${o.code}`).join(', ');
  return [
    BEGIN,
    'Option names accepted in place of numbers: one name per option, lower-case words joined by `-`,',
    'the same names `decode` prints (DHCPv6 there in the registry\'s upper case: `BOOTFILE_URL`).',
    '',
    'The value column says what a matcher compares: `ipv4`, `text` and numbers (`u8`…`i32`) as written, `boolean` as',
    '"true"/"false", `empty` as "true";',
    '`*-list` kinds as lists (`equals: [198.51.100.1]`); `named-u8` as its name (`OFFER`) or number;',
    '`hex`, `record`, `record-list`, `named-u16-list`, `sub-options` and `enterprise-records` as hex bytes.',
    '',
    '| DHCPv4 | name | value |',
    '|---|---|---|',
    ...v4,
    '',
    `Older spellings still accepted: ${legacy(LEGACY_OPTION_NAMES)}.`,
    '',
    `DHCPv6 (\`dhcp6\` steps): ${v6}. Older spellings still accepted: ${legacy(LEGACY_OPTION6_NAMES)}.`,
    END,
  ].join('\n');
}

describe('scenario option keys', () => {
  it('take every DHCPv4 name of the wire table and give its code back', () => {
    for (const o of namedOptions()) expect(parseOptionKey(o.name)).toBe(o.code);
    expect(parseOptionKey('bootfile-name')).toBe(67);
    expect(parseOptionKey('67')).toBe(67);
  });

  it('still take the old spellings (option 160 had two names: provisioning-server is the one)', () => {
    expect(optionName(160)).toBe('provisioning-server');
    expect(parseOptionKey('polycom-boot-server')).toBe(160);
    expect(parseOptionKey('provisioning-server')).toBe(160);
    expect(parseOptionKey('tftp-servers')).toBe(150);
    for (const [old, name] of Object.entries(LEGACY_OPTION_NAMES)) expect(parseOptionKey(old)).toBe(parseOptionKey(name));
    for (const [old, key] of Object.entries(LEGACY_OPTION6_NAMES)) expect(parseOption6Key(old)).toBe(parseOption6Key(key));
  });

  it('take DHCPv6 keys derived from the registry names', () => {
    expect(option6Name(59)).toBe('BOOTFILE_URL');
    expect(parseOption6Key('bootfile-url')).toBe(59);
    expect(parseOption6Key('client-arch-type')).toBe(61);
    expect(parseOption6Key('client-id')).toBe(1);
    for (const o of namedOptions6()) expect(parseOption6Key(o.key)).toBe(o.code);
  });

  it('reject unknown names with a suggestion, and numbers out of range', () => {
    expect(parseOptionKey('bootfile-nme')).toMatch(/found "bootfile-nme"; did you mean "bootfile-name"\?$/);
    expect(parseOptionKey('255')).toBe('expected an option number from 1 to 254, found 255');
    expect(parseOption6Key('bootfile-ur')).toMatch(/did you mean "bootfile-url"\?$/);
    expect(parseOption6Key('70000')).toMatch(/^expected a DHCPv6 option number \(1-65535\) or name, found "70000"/);
  });

  it('docs/scenarios.md lists the names of the wire tables', () => {
    const doc = readFileSync(DOC, 'utf8');
    const a = doc.indexOf(BEGIN);
    const b = doc.indexOf(END);
    expect(a, 'the generated block is in docs/scenarios.md').toBeGreaterThanOrEqual(0);
    const want = optionNamesMarkdown();
    if (process.env['UPDATE_DOCS'] === '1') writeFileSync(DOC, doc.slice(0, a) + want + doc.slice(b + END.length));
    else expect(doc.slice(a, b + END.length)).toBe(want);
  });
});
