// The floor for any Node TFTP client: a bare dgram lock-step RRQ reader (no scenario runner, no
// hashing), run by bench/transfer-vs-curl.mjs --floor beside pxecheck's relay transport.
// argv[2]: JSON { server, file, blksize, from }. Prints one JSON line { ok, seconds, bytes, cpu }.
import { createSocket } from 'node:dgram';

const cfg = JSON.parse(process.argv[2]);
const sock = createSocket('udp4');
await new Promise((r) => sock.bind(0, cfg.from, r));
const rrq = Buffer.from(`\0\x01${cfg.file}\0octet\0blksize\0${cfg.blksize}\0`, 'latin1');
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let block = 0;
let bytes = 0;
const ack = (n) => Buffer.from([0, 4, (n >> 8) & 0xff, n & 0xff]);
const timer = setTimeout(() => { console.log(JSON.stringify({ ok: false, error: 'timeout' })); process.exit(1); }, 120_000);
sock.on('message', (m, r) => {
  const op = m[1];
  if (op === 6) { sock.send(ack(0), r.port, r.address); return; }
  if (op !== 3) { console.log(JSON.stringify({ ok: false, error: `opcode ${op}` })); process.exit(1); }
  const n = m.readUInt16BE(2);
  if (n === ((block + 1) & 0xffff)) { block++; bytes += m.length - 4; }
  sock.send(ack(n), r.port, r.address);
  if (m.length - 4 < cfg.blksize) {
    clearTimeout(timer);
    const c = process.cpuUsage(cpu0);
    console.log(JSON.stringify({ ok: true, seconds: (performance.now() - t0) / 1000, bytes, cpu: (c.user + c.system) / 1e6 }));
    sock.close();
  }
});
sock.send(rrq, 69, cfg.server);
