// The floor for a TFTP client on pxecheck's blocking UDP helper (native/udp_sync.c): a lock-step
// RRQ reader doing per block a sendto and a recvfrom with a timeout (curl: nine calls), no event loop, no hashing.
// Run by bench/transfer-vs-curl.mjs --floor native. argv[2]: JSON { server, file, blksize, from }.
// Prints one JSON line { ok, seconds, bytes, cpu }.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const udp = createRequire(import.meta.url)(join(dirname(fileURLToPath(import.meta.url)), '../../build/Release/udp_sync.node'));
const cfg = JSON.parse(process.argv[2]);
const h = udp.open(cfg.from, 0, 4 << 20);
udp.peer(h, cfg.server, 69);
const rrq = Buffer.from(`\0\x01${cfg.file}\0octet\0blksize\0${cfg.blksize}\0`, 'latin1');
const rbuf = new Uint8Array(65536);
const ack = new Uint8Array([0, 4, 0, 0]);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let block = 0;
let bytes = 0;
let out = rrq;
let outLen = rrq.length;
const fail = (error) => { console.log(JSON.stringify({ ok: false, error })); process.exit(1); };
for (let tries = 0; ;) {
  const n = udp.sendRecv(h, out, outLen, rbuf, 2000);
  if (n < 0) { if (++tries > 5) fail('timeout'); continue; }
  tries = 0;
  if (block === 0) udp.peerFromLast(h);
  const op = rbuf[1];
  let ackN;
  if (op === 6) ackN = 0;
  else if (op === 3) {
    ackN = (rbuf[2] << 8) | rbuf[3];
    if (ackN === ((block + 1) & 0xffff)) { block++; bytes += n - 4; }
  } else fail(`opcode ${op}`);
  ack[2] = ackN >> 8; ack[3] = ackN & 0xff;
  out = ack; outLen = 4;
  if (op === 3 && n - 4 < cfg.blksize) { udp.send(h, ack, 4); break; }
}
const c = process.cpuUsage(cpu0);
console.log(JSON.stringify({ ok: true, seconds: (performance.now() - t0) / 1000, bytes, cpu: (c.user + c.system) / 1e6 }));
udp.close(h);
