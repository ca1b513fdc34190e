import { describe, expect, it } from 'vitest';
import { readCaptureBuffer } from '../capture/index.js';
import { DecodePipeline } from '../decode/pipeline.js';
import { pcapOf } from '../../test/helpers/pcap.js';
import { ObjectAssembler } from './assembler.js';
import { bytesOf, CLIENT_IP, CLIENT_MAC, content, exportFrames, HttpConvo, MemorySink, SERVER_IP, sha256, TftpConvo } from './export.test-kit.js';

describe('TFTP objects', () => {
  it('an RRQ with OACK blksize: the file, once, complete, with client and server', () => {
    const file = content(1468 * 3 + 100);
    const objs = exportFrames(new TftpConvo().rrq('boot/snponly.efi', { blksize: 1468, tsize: 0 }).oack({ blksize: 1468, tsize: file.length }).ack(0).file(file, 1468).frames);
    expect(objs).toHaveLength(1);
    const r = objs[0]!.result!;
    expect(r).toMatchObject({ protocol: 'tftp', name: 'boot/snponly.efi', direction: 'download', complete: true, problem: null, size: file.length, expectedSize: file.length, clientMac: CLIENT_MAC, clientAddr: CLIENT_IP, serverAddr: SERVER_IP });
    expect(r.sha256).toBe(sha256(file));
    expect(objs[0]!.bytes()).toEqual(file);
    expect(r.firstFrame).toBe(1);
  });

  it('retransmitted and windowsize-resent blocks are written once; a lost block resent later fills in', () => {
    const file = content(512 * 6 + 7);
    const b = (n: number) => file.subarray((n - 1) * 512, n * 512);
    const c = new TftpConvo().rrq('x.bin', { windowsize: 4 }).oack({ windowsize: 4 }).ack(0)
      .data(1, b(1)).data(2, b(2)).data(3, b(3)).data(3, b(3)) // a duplicate
      .data(5, b(5)) // 4 lost on the way: ahead, skipped
      .ack(3)
      .data(4, b(4)).data(5, b(5)).data(6, b(6)).data(7, b(7)).ack(7);
    const [o] = exportFrames(c.frames);
    expect(o!.result).toMatchObject({ complete: true, size: file.length });
    expect(o!.bytes()).toEqual(file);
  });

  it.each([0, 1] as const)('block numbers roll over past 65535 (to %i)', (rollTo) => {
    const file = content(8 * 65540 + 3);
    const [o] = exportFrames(new TftpConvo().rrq('big', { blksize: 8 }).oack({ blksize: 8 }).ack(0).file(file, 8, rollTo, false, false).frames);
    expect(o!.result).toMatchObject({ complete: true, size: file.length });
    expect(o!.result!.sha256).toBe(sha256(file));
  });

  it('a WRQ upload is exported from the client\'s DATA', () => {
    const file = content(1000);
    const [o] = exportFrames(new TftpConvo().wrq('up/phone.log').ack(0, true).file(file, 512, 0, true).frames);
    expect(o!.result).toMatchObject({ direction: 'upload', complete: true, size: 1000, clientMac: CLIENT_MAC });
    expect(o!.bytes()).toEqual(file);
  });

  it('a transfer cut short is incomplete and says where; an ERROR says which', () => {
    const file = content(512 * 4 + 1);
    const cut = new TftpConvo().rrq('cut').data(1, file.subarray(0, 512)).ack(1).data(2, file.subarray(512, 1024)).frames;
    const [o] = exportFrames(cut);
    expect(o!.result).toMatchObject({ complete: false, size: 1024 });
    expect(o!.result!.problem).toMatch(/after 2 blocks/);
    const [e] = exportFrames(new TftpConvo().rrq('missing.efi').error(1, 'File not found').frames);
    expect(e!.result).toMatchObject({ complete: false, size: 0 });
    expect(e!.result!.problem).toMatch(/ERROR 1 "File not found"/);
  });

  it('a block missing from the capture (never resent) leaves the transfer incomplete, not silently short', () => {
    const file = content(512 * 3 + 5);
    const c = new TftpConvo().rrq('hole').data(1, file.subarray(0, 512)).data(3, file.subarray(1024, 1536)).data(4, file.subarray(1536));
    const [o] = exportFrames(c.frames);
    expect(o!.result).toMatchObject({ complete: false, size: 512 });
    expect(o!.result!.problem).toMatch(/block 2 is missing/);
  });

  it('a tsize probe (OACK, then the client aborts) is not a transfer; the download after it is', () => {
    const file = content(700);
    const probe = new TftpConvo(2000, 3000).rrq('nbp.efi', { tsize: 0 }).oack({ tsize: 700 }).error(8, 'User aborted the transfer', true);
    const real = new TftpConvo(2001, 3001).rrq('nbp.efi').file(file, 512);
    const objs = exportFrames([...probe.frames, ...real.frames]);
    expect(objs).toHaveLength(1);
    expect(objs[0]!.result).toMatchObject({ complete: true, size: 700, id: 1 });
  });
});

describe('HTTP objects', () => {
  const body = content(5000, 7);

  it('Content-Length body over several segments', () => {
    const c = new HttpConvo().request('GET /boot/vmlinuz HTTP/1.1\r\nHost: boot.example\r\n\r\n')
      .respond(bytesOf(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, body)).close();
    const [o] = exportFrames(c.frames);
    expect(o!.result).toMatchObject({ protocol: 'http', name: 'http://boot.example/boot/vmlinuz', status: 200, complete: true, size: body.length, expectedSize: body.length, clientMac: CLIENT_MAC, serverAddr: SERVER_IP });
    expect(o!.bytes()).toEqual(body);
  });

  it('chunked body is de-chunked', () => {
    const chunked = bytesOf(`${(3000).toString(16)}\r\n`, body.subarray(0, 3000), `\r\n${(2000).toString(16)};ext=1\r\n`, body.subarray(3000), '\r\n0\r\n\r\n');
    const c = new HttpConvo().request('GET /s.ipxe HTTP/1.1\r\nHost: h\r\n\r\n')
      .respond(bytesOf('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', chunked)).close();
    const [o] = exportFrames(c.frames);
    expect(o!.result).toMatchObject({ complete: true, size: body.length, expectedSize: null });
    expect(o!.bytes()).toEqual(body);
  });

  it('body read until close: complete with the server\'s FIN, incomplete when the capture ends first', () => {
    const resp = bytesOf('HTTP/1.0 200 OK\r\n\r\n', body);
    const [closed] = exportFrames(new HttpConvo().request('GET /a HTTP/1.0\r\n\r\n').respond(resp).close().frames);
    expect(closed!.result).toMatchObject({ complete: true, size: body.length });
    const [open] = exportFrames(new HttpConvo().request('GET /a HTTP/1.0\r\n\r\n').respond(resp).frames);
    expect(open!.result).toMatchObject({ complete: false, size: body.length });
  });

  it('a TCP gap inside the body marks it incomplete; HEAD and 304 have no object', () => {
    const c = new HttpConvo().request('GET /initrd HTTP/1.1\r\nHost: h\r\n\r\n')
      .respond(bytesOf(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`, body.subarray(0, 2000)))
      .lose(1000).respond(body.subarray(3000)).close();
    const [o] = exportFrames(c.frames);
    expect(o!.result).toMatchObject({ complete: false, size: 4000 });
    expect(o!.result!.problem).toMatch(/gap/);
    const none = new HttpConvo().request('HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n').respond(bytesOf(`HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n`))
      .request('GET /x HTTP/1.1\r\nHost: h\r\n\r\n').respond(bytesOf('HTTP/1.1 304 Not Modified\r\n\r\n')).close();
    expect(exportFrames(none.frames)).toEqual([]);
  });
});

describe('bodies stream to the sink (nothing of a file is held)', () => {
  it.each([
    ['TFTP', new TftpConvo().rrq('s.bin').file(content(512 * 8 + 1), 512).frames],
    ['HTTP', new HttpConvo().request('GET /s HTTP/1.1\r\nHost: h\r\n\r\n').respond(bytesOf('HTTP/1.1 200 OK\r\nContent-Length: 4000\r\n\r\n', content(4000)), 500).close().frames],
  ])('%s: the sink has each byte by the time its frame was decoded', (_p, frames) => {
    const sink = new MemorySink();
    const asm = new ObjectAssembler(sink);
    const pipe = new DecodePipeline(asm, { protos: new Set(['tftp', 'http']) });
    const written: number[] = [];
    readCaptureBuffer(pcapOf(frames), (r) => {
      pipe.push(r);
      written.push(sink.list().reduce((n, o) => n + o.chunks.reduce((m, c) => m + c.length, 0), 0));
    });
    pipe.finish();
    asm.finish();
    const total = sink.list()[0]!.result!.size;
    // Bytes arrive over many frames, and all of them before the transfer's last frame.
    expect(new Set(written).size).toBeGreaterThan(4);
    expect(written.findIndex((n) => n === total)).toBeLessThan(frames.length - 1);
  });
});
