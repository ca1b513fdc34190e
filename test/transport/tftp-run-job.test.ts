// The worker's one config shape (offload/run-job.ts clientConfig) changes nothing the machine
// does: for configs with and without options, a tsize probe, a timeout, the normalized config's
// TftpClient sends the same RRQs, ACKs and ERRORs and ends with the same result as the config
// as given, through OACK, a probe's ERROR 8, a duplicate, a wrong TID, a timeout and the last block.
import { describe, expect, it } from 'vitest';
import { TftpClient, type TftpClientConfig } from '../../src/scenario/clients/tftp.js';
import { clientConfig } from '../../src/scenario/transport/offload/run-job.js';
import { buildOack, TFTP_OPCODES } from '../../src/wire/tftp.js';

const base: TftpClientConfig = { server: '198.51.100.1', clientAddr: '198.51.100.9', clientPort: 2000, file: 'nbp.efi' };
const configs: TftpClientConfig[] = [
  base,
  { ...base, options: {} },
  { ...base, options: { blksize: 1468 }, digest: false },
  { ...base, options: { blksize: 8192, windowsize: 4, timeout: 3 }, keepData: true },
  { ...base, tsizeProbe: true, options: { blksize: 1468, tsize: true } },
  { ...base, serverPort: 6969, retransmitAfter: 0.5, maxRetransmits: 1, mode: 'netascii', secondPort: 3000 },
  { ...base, options: { extra: { rollover: '0' } }, logAll: true },
];

function data(n: number, len: number): Uint8Array {
  const p = new Uint8Array(4 + len);
  p[1] = TFTP_OPCODES.DATA; p[2] = n >> 8; p[3] = n & 0xff;
  return p;
}

/** Plays a server script against a machine; every datagram it sent (endpoint and bytes) and its result. */
function play(cfg: TftpClientConfig): unknown {
  const m = new TftpClient({ ...cfg, reuseAck: true });
  const sent: string[] = [];
  let t = 1;
  const flush = (): void => {
    for (const d of m.dispatch(t)) sent.push(`${d.src.port}>${d.dst.addr}:${d.dst.port} ${Array.from(d.payload).join(',')}`);
    m.idle();
  };
  const from = (port: number, payload: Uint8Array, srcPort = 50000): void => {
    flush();
    t += 0.01;
    m.process({ src: { addr: cfg.server, port: srcPort }, dst: { addr: cfg.clientAddr, port }, payload }, t);
  };
  const me = (): number => Number(sent.at(-1)?.split('>')[0] ?? cfg.clientPort);
  const blk = Number(cfg.options?.blksize ?? 512);
  flush();
  from(me(), buildOack([{ name: 'blksize', value: String(blk) }, ...(cfg.tsizeProbe ? [{ name: 'tsize', value: '5000' }] : [])]));
  if (cfg.tsizeProbe) from(me(), buildOack([{ name: 'blksize', value: String(blk) }]), 50001);
  const tid = cfg.tsizeProbe ? 50001 : 50000;
  from(me(), data(1, blk), tid);
  from(me(), data(1, blk), tid); // a duplicate
  from(me(), data(2, blk), 50099); // a wrong TID
  t += 10; // a timeout: the retransmission
  flush();
  from(me(), data(2, blk), tid);
  from(me(), data(3, 10), tid);
  flush();
  const r = m.done();
  return { sent, result: r && { ...r, data: r.data && Array.from(r.data) } };
}

describe('clientConfig (the TFTP worker\'s config shape)', () => {
  it.each(configs.map((c, i) => [i, c] as const))('config %i: the same datagrams and result as the config as given', (_i, c) => {
    const normalized = clientConfig(c);
    expect(Object.keys(normalized)).toEqual(Object.keys(clientConfig(base)));
    expect(play(normalized)).toEqual(play(c));
  });
});
