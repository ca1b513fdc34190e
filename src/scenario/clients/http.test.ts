import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { asciiBytes, latin1String } from '../../wire/bytes.js';
import { emitHttpResponse } from '../../wire/http/index.js';
import { FakeClock } from '../clock.js';
import { HttpClient } from './http.js';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const SCRIPT = asciiBytes('#!ipxe\nkernel http://198.51.100.1/vmlinuz || echo no kernel\ninitrd http://198.51.100.1/initrd.img\nboot\n');

function body(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13) & 0xff;
  return b;
}

function chunked(data: Uint8Array, sizes: number[]): Uint8Array {
  const parts: Uint8Array[] = [asciiBytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n')];
  let o = 0;
  for (const n of sizes) {
    parts.push(asciiBytes(`${n.toString(16)};ext=1\r\n`), data.subarray(o, o + n), asciiBytes('\r\n'));
    o += n;
  }
  parts.push(asciiBytes('0\r\nX-Trailer: t\r\n\r\n'));
  return Buffer.concat(parts);
}

describe('HttpClient', () => {
  it('request bytes as iPXE sends them', () => {
    const c = new HttpClient({ host: '198.51.100.1', path: '/boot.ipxe', noHost: true,
      headers: [['Connection', 'keep-alive'], ['User-Agent', 'iPXE/1.0.0'], ['Host', '198.51.100.1']] });
    expect(latin1String(c.request(0))).toBe(
      'GET /boot.ipxe HTTP/1.1\r\nConnection: keep-alive\r\nUser-Agent: iPXE/1.0.0\r\nHost: 198.51.100.1\r\n\r\n');
  });

  it('response in chunks: ttfb from the fake clock, body hashed and kept', () => {
    const clock = new FakeClock(10);
    const c = new HttpClient({ host: '198.51.100.1', path: '/boot.ipxe', keepBody: true });
    c.request(clock.now());
    const resp = emitHttpResponse({ status: 200, headers: { 'Content-Length': String(SCRIPT.length) }, body: SCRIPT });
    const cuts = [5, 30, 41, resp.length];
    let prev = 0;
    for (const [i, cut] of cuts.entries()) {
      clock.advance(i === 0 ? 0.05 : 0.01);
      c.receive(resp.subarray(prev, cut), clock.now());
      prev = cut;
    }
    const r = c.done()!;
    expect(r.ok).toBe(true);
    expect(r.status).toBe(200);
    expect(r.timings.ttfb).toBeCloseTo(0.05, 9);
    expect(r.timings.headers).toBeCloseTo(0.07, 9);
    expect(r.timings.end).toBeCloseTo(0.08, 9);
    expect(r.bodyBytes).toBe(SCRIPT.length);
    expect(r.sha256).toBe(sha(SCRIPT));
    expect(latin1String(r.body!)).toBe(latin1String(SCRIPT));
    expect(r.timings.bytesPerSecond).toBeCloseTo(SCRIPT.length / 0.01, 3);
  });

  it('Content-Length body split at every point: same count and hash, body not kept', () => {
    const data = body(300);
    const resp = emitHttpResponse({ status: 200, headers: { 'Content-Length': '300' }, body: data });
    for (let cut = 1; cut < resp.length; cut++) {
      const c = new HttpClient({ host: 'h', path: '/f' });
      c.request(0);
      c.receive(resp.subarray(0, cut), 1);
      c.receive(resp.subarray(cut), 2);
      const r = c.done()!;
      expect([cut, r.bodyBytes, r.sha256]).toEqual([cut, 300, sha(data)]);
      expect(r.body).toBeNull();
    }
  });

  it('chunked body: framing removed before hashing', () => {
    const data = body(700);
    const resp = chunked(data, [100, 512, 88]);
    for (const step of [1, 7, 64, resp.length]) {
      const c = new HttpClient({ host: 'h', path: '/f', keepBody: true });
      c.request(0);
      for (let o = 0; o < resp.length; o += step) c.receive(resp.subarray(o, o + step), 1);
      const r = c.done()!;
      expect(r.ok).toBe(true);
      expect(r.bodyBytes).toBe(700);
      expect(r.sha256).toBe(sha(data));
      expect(r.body).toEqual(data);
    }
  });

  it('body read until close; 100 Continue before the final head', () => {
    const data = body(50);
    const c = new HttpClient({ host: 'h', path: '/f', keepBody: true });
    c.request(0);
    c.receive(Buffer.concat([asciiBytes('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\n'), data]), 1);
    expect(c.done()).toBeNull();
    c.end(2);
    const r = c.done()!;
    expect(r.ok).toBe(true);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(data);
  });

  it('404 is an error with the status; a close mid-body is reported', () => {
    const c = new HttpClient({ host: 'h', path: '/nope' });
    c.request(0);
    c.receive(emitHttpResponse({ status: 404, headers: { 'Content-Length': '0' } }), 0.1);
    expect(c.done()!.error).toBe('HTTP 404 Not Found');
    const d = new HttpClient({ host: 'h', path: '/f' });
    d.request(0);
    d.receive(asciiBytes('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'), 0.1);
    d.end(0.2);
    expect(d.done()!.ok).toBe(false);
    expect(d.done()!.error).toBe('connection closed before the end of the body');
    expect(d.done()!.bodyBytes).toBe(3);
  });

  it('digest off: body counted, no SHA-256; bytes past the response change nothing', () => {
    const data = body(5000);
    const resp = emitHttpResponse({ status: 200, headers: { 'Content-Length': '5000' }, body: data });
    const extra = asciiBytes('HTTP/1.1 500 Oops\r\nContent-Length: 3\r\n\r\nbad');
    for (const digest of [false, true]) {
      const c = new HttpClient({ host: 'h', path: '/f', digest });
      c.request(0);
      c.receive(Buffer.concat([resp, extra]), 1);
      const r = c.done()!;
      expect([r.ok, r.status, r.bodyBytes, r.issues]).toEqual([true, 200, 5000, []]);
      expect(r.sha256).toBe(digest ? sha(data) : null);
    }
  });

  it('the receive buffer may be reused after each call: the kept body is a copy', () => {
    const resp = emitHttpResponse({ status: 200, headers: { 'Content-Length': String(SCRIPT.length) }, body: SCRIPT });
    const c = new HttpClient({ host: 'h', path: '/boot.ipxe', keepBody: true });
    c.request(0);
    const buf = new Uint8Array(16);
    for (let o = 0; o < resp.length; o += 16) {
      const n = Math.min(16, resp.length - o);
      buf.set(resp.subarray(o, o + n));
      c.receive(buf.subarray(0, n), 1);
      buf.fill(0x2a);
    }
    const r = c.done()!;
    expect(latin1String(r.body!)).toBe(latin1String(SCRIPT));
    expect(r.head?.status).toBe(200);
  });
});
