import { it } from 'vitest';
import { parseScenario } from './load.js';
const base = (steps: string, client = '') => `budget: 30s\nclients:\n  - persona: uefi-x64\n    mac: 52:54:00:00:00:10\n${client}    steps:\n${steps}`;
const cases = [
  base('      - dhcp: { within: fast }\n'),
  base('      - dhcp:\n          withn: 5s\n'),
  base('      - dhcpp: {}\n'),
  base('      - tftp: { file: "${bootfile}" }\n'),
  base('      - tftp: { file: "${foo}" }\n'),
  base('      - dhcp\n      - tftp:\n          file: x\n          blksize: "big"\n'),
  base('      - tftp: {}\n'),
  base('      - become: ipxx\n'),
  base('      - sleep: 5\n'),
  base('      - dhcp:\n          expect:\n            options:\n              67: { equal: x }\n'),
  base('      - dhcp:\n          expect:\n            options:\n              bootfile: x\n'),
  base('      - http: { url: x, expect: { status: 999 } }\n'),
  'budget: 30s\nclients:\n  - persona: uefi-x65\n    mac: 52:54:00:00:00:1g\n    steps: [dhcp]\n',
  'budget: 30s\nclients:\n  - persona: bios\n    mac: 52:54:00:00:00:1f-52:54:00:00:00:10\n    steps: [dhcp]\n',
  'budget: 30s\nclients:\n  - persona: bios\n    mac: {mac: 52:54:00:00:00:10, cnt: 3}\n    steps: [dhcp]\n',
  'budget: 30s\nclients:\n  - persona: bios\n    steps: [dhcp]\n',
  'budget: 30s\nclients:\n  - persona: bios\n    mac: "a"\n   steps: [dhcp]\n',
  'budget: 30s\nclients: [\n',
  'budget: 30s\nbudget: 2s\nclients: []\n',
];
it('x', () => { for (const c of cases) { try { parseScenario(c, 'x.yaml'); console.log('OK?!'); } catch (e) { console.log((e as Error).message); } } });
