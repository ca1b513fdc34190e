import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { readCaptureFile } from '../capture/index.js';
import { DecodePipeline } from '../decode/pipeline.js';
import type { DecodedMessage, DecodeSink } from '../decode/messages.js';
import { generateBootTraffic } from '../gen/index.js';
import { decodedToJson, writeDecodedLine, writeTftpBlock } from './decode-jsonl.js';
import { JsonlWriter } from './jsonl-writer.js';
import { captureFiles, ROOT } from '../../test/helpers/paths.js';
import { prng } from '../../test/helpers/frames.js';
import { readdirSync } from 'node:fs';

/**
 * writeDecodedLine against the object path, checked while the message is valid (in the callback),
 * into a default slab and into the smallest one (flushed mid-line, lines longer than the slab).
 */
function checker(): { sink: { message: (m: DecodedMessage) => void }; counts: { lines: number; fast: number; dhcp4: number; mismatches: string[] } } {
  const counts = { lines: 0, fast: 0, dhcp4: 0, mismatches: [] as string[] };
  const chunks: Buffer[] = [];
  const out = { broken: false, bytes: (b: Uint8Array) => void chunks.push(Buffer.from(b)) };
  const writers = [new JsonlWriter(out), new JsonlWriter(out, 0)];
  const written = (w: JsonlWriter, m: DecodedMessage): string => {
    writeDecodedLine(w, m);
    w.flush();
    const text = Buffer.concat(chunks).toString('utf8');
    chunks.length = 0;
    return text;
  };
  return {
    counts,
    sink: {
      message(m) {
        const j = decodedToJson(m);
        const want = j === null ? '' : `${JSON.stringify(j)}\n`;
        for (const w of writers) {
          const got = written(w, m);
          if (got !== want && counts.mismatches.length < 5) counts.mismatches.push(`frame ${m.frame}: ${got} != ${want}`);
        }
        if (want !== '') counts.lines++;
        if (m.proto === 'dhcp4') counts.dhcp4++;
        if (m.proto === 'tftp' && (m.msg.opcode === 'DATA' || m.msg.opcode === 'ACK')) counts.fast++;
      },
    },
  };
}

describe('writeDecodedLine', () => {
  it('writes the same bytes as JSON.stringify(decodedToJson) for every message of every capture', async () => {
    const { sink, counts } = checker();
    for (const path of captureFiles()) {
      const pipe = new DecodePipeline(sink);
      await readCaptureFile(join(ROOT, path), (rec) => pipe.push(rec));
      pipe.finish();
    }
    expect(counts.mismatches).toEqual([]);
    expect(counts.lines).toBeGreaterThan(100);
  });

  it('does so for generated transfers with loss, errors and retransmissions (the written-out DATA and ACK lines)', () => {
    const { sink, counts } = checker();
    const pipe = new DecodePipeline(sink);
    let frame = 0;
    generateBootTraffic(
      { clients: 40, seed: 7, mix: { fileSize: [3_000, 9_000], http: 0.3 }, faults: { tftpLoss: 0.2, tftpMissingFile: 0.1, nak: 0.1 } },
      (time, data) => pipe.push({ frame: ++frame, time, linkType: 1, interfaceId: 0, data, origLen: data.length }),
    );
    pipe.finish();
    expect(counts.mismatches).toEqual([]);
    expect(counts.fast).toBeGreaterThan(100);
  });

  it('does so for DHCPv4 messages with random bytes changed (odd strings, overload, cookies, trailers, options)', async () => {
    const { sink, counts } = checker();
    const pipe = new DecodePipeline(sink, { protos: new Set(['dhcp4']) });
    const rnd = prng(5);
    const corpus = join(ROOT, 'fuzz', 'corpus', 'analyze');
    const files = [...captureFiles().map((p) => join(ROOT, p)), ...readdirSync(corpus).filter((n) => /\.pcap(ng)?$/.test(n)).map((n) => join(corpus, n))];
    let frame = 0;
    for (const path of files) {
      await readCaptureFile(path, (rec) => {
        pipe.push({ ...rec, frame: ++frame });
        // Past Ethernet, IPv4 and UDP headers (ports kept): the DHCP message itself.
        if (rec.data.length <= 42 + 240) return;
        for (let k = 0; k < 6; k++) {
          const data = Uint8Array.from(rec.data);
          for (let n = 1 + Math.floor(rnd() * 4); n > 0; n--) data[42 + Math.floor(rnd() * (data.length - 42))] = Math.floor(rnd() * 256);
          pipe.push({ ...rec, frame: ++frame, data, origLen: data.length });
        }
      });
    }
    pipe.finish();
    expect(counts.mismatches).toEqual([]);
    expect(counts.dhcp4).toBeGreaterThan(1000);
  });

  it('writes a DATA/ACK the decoder hands over as numbers (tftpBlock) as its message would be written', async () => {
    /** The whole output of `feed` through a pipeline with or without the sink's fast path. */
    const output = async (fast: boolean, feed: (push: (rec: Parameters<DecodePipeline['push']>[0]) => void) => Promise<void>) => {
      const chunks: Buffer[] = [];
      const w = new JsonlWriter({ broken: false, bytes: (b) => void chunks.push(Buffer.from(b)) });
      let blocks = 0;
      const tftpBlock: NonNullable<DecodeSink['tftpBlock']> = (session, fromClient, srcPort, opcode, block, dataLength, frame, time) => {
        blocks++;
        writeTftpBlock(w, session, fromClient, srcPort, opcode, block, dataLength, frame, time);
        return true;
      };
      const pipe = new DecodePipeline({ message: (m) => writeDecodedLine(w, m), ...(fast ? { tftpBlock } : {}) });
      await feed((rec) => pipe.push(rec));
      pipe.finish();
      w.flush();
      return { text: Buffer.concat(chunks).toString('utf8'), blocks };
    };
    const feeds = [
      async (push: (rec: Parameters<DecodePipeline['push']>[0]) => void) => {
        for (const path of captureFiles()) await readCaptureFile(join(ROOT, path), push);
      },
      async (push: (rec: Parameters<DecodePipeline['push']>[0]) => void) => {
        let frame = 0;
        generateBootTraffic(
          { clients: 40, seed: 9, mix: { fileSize: [3_000, 9_000], http: 0.3 }, faults: { tftpLoss: 0.2, tftpMissingFile: 0.1, twoServers: 0.1 } },
          (time, data) => push({ frame: ++frame, time, linkType: 1, interfaceId: 0, data, origLen: data.length }),
        );
      },
    ];
    for (const feed of feeds) {
      const slow = await output(false, feed);
      const fast = await output(true, feed);
      expect(fast.blocks).toBeGreaterThan(100);
      expect(slow.blocks).toBe(0);
      expect(fast.text.length).toBe(slow.text.length);
      expect(fast.text === slow.text).toBe(true);
    }
  });
});
