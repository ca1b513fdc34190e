#!/usr/bin/env node
// Writes one hostile capture (src/gen/hostile.ts) for the robustness tests and bench/hostile.mjs.
// Build first: npx tsc -p tsconfig.json
//   node scripts/gen-hostile.mjs KIND N OUT.pcap
// KIND: tcp-gaps (N streams), frag4 / frag6 (N first fragments), chunked (N chunks),
//       tftp-rollover (N blocks), dhcp-concat (N instances, 20 messages), overload (N messages),
//       same-finding (N unanswered RRQs), stalled-transfers (N TFTP transfers of one device, then
//       an ACK storm), clock-jump (N years forward)
import { hostile, writeCapture } from '../dist/gen/index.js';

const [kind, nText, out] = process.argv.slice(2);
const n = Number(nText);
if (!kind || !out || !Number.isInteger(n) || n < 0) {
  process.stderr.write('usage: gen-hostile.mjs KIND N OUT.pcap\n');
  process.exit(2);
}
const kinds = {
  'tcp-gaps': (e) => hostile.tcpGapStreams(e, n),
  frag4: (e) => hostile.fragmentFlood(e, n, 4),
  frag6: (e) => hostile.fragmentFlood(e, n, 6),
  chunked: (e) => hostile.endlessChunkedBody(e, n),
  'tftp-rollover': (e) => hostile.tftpRollover(e, n),
  'dhcp-concat': (e) => hostile.dhcpConcatenation(e, 20, n),
  overload: (e) => hostile.dhcpOverload(e, n),
  'same-finding': (e) => hostile.identicalFindings(e, n),
  'stalled-transfers': (e) => hostile.stalledTransfers(e, n),
  'clock-jump': (e) => hostile.clockJump(e, 5, 5, n * 365 * 86400),
};
const gen = kinds[kind];
if (!gen) {
  process.stderr.write(`gen-hostile: unknown kind "${kind}" (${Object.keys(kinds).join(', ')})\n`);
  process.exit(2);
}
const { frames } = writeCapture(out, { format: 'pcap' }, gen);
process.stdout.write(`${frames}\n`);
