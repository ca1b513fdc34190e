import { describe, it, expect } from 'vitest';
import { asciiBytes, latin1String } from '../bytes.js';
import type { WireIssue } from '../issues.js';
import {
  HttpConnectionParser, emitHttpRequest, httpRequestProblem, emitHttpResponse, formatHttpText, httpHeader, httpRequestHeadOf, httpToJson, parseHttpHead,
  type HttpRequestHead, type HttpRequestRepr, type HttpResponseHead, type HttpSink,
} from './index.js';

/** Records every callback as a comparable line; onBody pieces are summed per message. */
class Recorder implements HttpSink {
  events: string[] = [];
  issues: WireIssue[] = [];
  heads: Array<HttpRequestHead | HttpResponseHead> = [];
  private bodySum = [0, 0];
  onRequest(head: HttpRequestHead): void {
    this.heads.push(head);
    this.events.push(`req ${head.offset}+${head.headLength} ${JSON.stringify(httpToJson(head))}`);
  }
  onResponse(head: HttpResponseHead): void {
    this.heads.push(head);
    this.events.push(`res ${head.offset}+${head.headLength} ${JSON.stringify(httpToJson(head))}`);
  }
  onBody(isRequest: boolean, bytes: number): void {
    expect(bytes).toBeGreaterThan(0);
    this.bodySum[isRequest ? 0 : 1]! += bytes;
  }
  onTrailers(isRequest: boolean, trailers: Array<[string, string]>): void {
    this.events.push(`trailers ${isRequest} ${JSON.stringify(trailers)}`);
  }
  onMessageComplete(isRequest: boolean, bodyBytes: number): void {
    const i = isRequest ? 0 : 1;
    this.events.push(`complete ${isRequest} body=${bodyBytes} seen=${this.bodySum[i]}`);
    this.bodySum[i] = 0;
  }
  onError(isRequest: boolean, issue: WireIssue): void {
    this.issues.push(issue);
    this.events.push(`error ${isRequest} ${issue.kind} @${issue.offset} ${issue.message}`);
  }
}

const CHUNKED_BODY =
  '5;name=value\r\nhello\r\n' +
  '1A ; ext="quoted;thing"\r\nabcdefghijklmnopqrstuvwxyz\r\n' +
  '000\r\nX-Checksum: 1234\r\nX-Other: two\r\n\r\n';

// Pipelined: the client sends every request before the server answers.
const CLIENT =
  'GET /boot.ipxe HTTP/1.1\r\nHost: 198.51.100.1\r\nUser-Agent: iPXE/1.21\r\n\r\n' +
  'POST /log HTTP/1.1\r\nHost: 198.51.100.1\r\nContent-Length: 7\r\n\r\nbooting' +
  'GET /vmlinuz HTTP/1.1\r\nHost: 198.51.100.1\r\nTE: trailers\r\n\r\n' +
  'HEAD /initrd.img HTTP/1.1\r\nHost: 198.51.100.1\r\n\r\n' +
  'GET /vmlinuz HTTP/1.1\r\nHost: 198.51.100.1\r\nIf-None-Match: "abc"\r\n\r\n';

const SERVER =
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n#!ipxe\nboot' +
  'HTTP/1.1 100 Continue\r\n\r\n' +
  'HTTP/1.1 204 No Content\r\n\r\n' +
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n' + CHUNKED_BODY +
  'HTTP/1.1 200 OK\r\nContent-Length: 123456789\r\n\r\n' +
  'HTTP/1.1 304 Not Modified\r\nETag: "abc"\r\nContent-Length: 99\r\n\r\n';

function run(clientParts: Uint8Array[], serverParts: Uint8Array[]): Recorder {
  const rec = new Recorder();
  const p = new HttpConnectionParser(rec);
  let frame = 1;
  for (const c of clientParts) p.push(true, c, frame++, frame);
  for (const s of serverParts) p.push(false, s, frame++, frame);
  p.end(true, frame, frame);
  p.end(false, frame, frame);
  return rec;
}

function bytesAt(b: Uint8Array, i: number): Uint8Array[] {
  return [b.subarray(0, i), b.subarray(i)];
}

function oneByOne(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i++) out.push(b.subarray(i, i + 1));
  return out;
}

describe('HttpConnectionParser on a keep-alive, pipelined connection', () => {
  const client = asciiBytes(CLIENT);
  const server = asciiBytes(SERVER);
  const reference = run([client], [server]);

  it('produces the expected events', () => {
    expect(reference.issues).toEqual([]);
    // Offsets and lengths of the heads, computed from the streams themselves.
    const at = (stream: string, from: number): string => `${from}+${stream.indexOf('\r\n\r\n', from) + 4 - from}`;
    const c = (m: string, n = 0): string => {
      let o = -1;
      for (let k = 0; k <= n; k++) o = CLIENT.indexOf(m, o + 1);
      return at(CLIENT, o);
    };
    const s = (m: string): string => at(SERVER, SERVER.indexOf(m));
    const H = '"host":"198.51.100.1"';
    expect(reference.events).toEqual([
      `req ${c('GET /boot')} {"kind":"request","method":"GET","uri":"/boot.ipxe","version":"HTTP/1.1","headers":{${H},"user-agent":"iPXE/1.21"},"keepAlive":true}`,
      'complete true body=0 seen=0',
      `req ${c('POST')} {"kind":"request","method":"POST","uri":"/log","version":"HTTP/1.1","headers":{${H},"content-length":"7"},"contentLength":7,"keepAlive":true}`,
      'complete true body=7 seen=7',
      `req ${c('GET /vmlinuz')} {"kind":"request","method":"GET","uri":"/vmlinuz","version":"HTTP/1.1","headers":{${H},"te":"trailers"},"keepAlive":true}`,
      'complete true body=0 seen=0',
      `req ${c('HEAD')} {"kind":"request","method":"HEAD","uri":"/initrd.img","version":"HTTP/1.1","headers":{${H}},"keepAlive":true}`,
      'complete true body=0 seen=0',
      `req ${c('GET /vmlinuz', 1)} {"kind":"request","method":"GET","uri":"/vmlinuz","version":"HTTP/1.1","headers":{${H},"if-none-match":"\\"abc\\""},"keepAlive":true}`,
      'complete true body=0 seen=0',
      `res ${s('HTTP/1.1 200 OK\r\nContent-Type')} {"kind":"response","status":200,"reason":"OK","method":"GET","uri":"/boot.ipxe","version":"HTTP/1.1","headers":{"content-type":"text/plain","content-length":"11"},"contentLength":11,"keepAlive":true}`,
      'complete false body=11 seen=11',
      `res ${s('HTTP/1.1 100')} {"kind":"response","status":100,"reason":"Continue","method":"POST","uri":"/log","version":"HTTP/1.1","headers":{},"keepAlive":true}`,
      'complete false body=0 seen=0',
      `res ${s('HTTP/1.1 204')} {"kind":"response","status":204,"reason":"No Content","method":"POST","uri":"/log","version":"HTTP/1.1","headers":{},"keepAlive":true}`,
      'complete false body=0 seen=0',
      `res ${s('HTTP/1.1 200 OK\r\nTransfer')} {"kind":"response","status":200,"reason":"OK","method":"GET","uri":"/vmlinuz","version":"HTTP/1.1","headers":{"transfer-encoding":"chunked","trailer":"X-Checksum"},"chunked":true,"keepAlive":true}`,
      'trailers false [["X-Checksum","1234"],["X-Other","two"]]',
      'complete false body=31 seen=31', // 5 + 0x1a de-chunked
      `res ${s('HTTP/1.1 200 OK\r\nContent-Length: 123')} {"kind":"response","status":200,"reason":"OK","method":"HEAD","uri":"/initrd.img","version":"HTTP/1.1","headers":{"content-length":"123456789"},"contentLength":123456789,"keepAlive":true}`,
      'complete false body=0 seen=0',
      `res ${s('HTTP/1.1 304')} {"kind":"response","status":304,"reason":"Not Modified","method":"GET","uri":"/vmlinuz","version":"HTTP/1.1","headers":{"etag":"\\"abc\\"","content-length":"99"},"contentLength":99,"keepAlive":true}`,
      'complete false body=0 seen=0',
    ]);
  });

  it('pairs each response with its request object', () => {
    const res = reference.heads.filter((h): h is HttpResponseHead => h.kind === 'response');
    const req = reference.heads.filter((h): h is HttpRequestHead => h.kind === 'request');
    expect(res.map((r) => r.request)).toEqual([req[0], req[1], req[1], req[2], req[3], req[4]]);
    expect(res[1]!.request).toBe(req[1]);
    expect(httpHeader(res[3]!, 'TRAILER')).toBe('X-Checksum');
  });

  it('gives identical events for a split at every byte position of either direction', () => {
    for (let i = 0; i <= client.length; i++) {
      expect(run(bytesAt(client, i), [server]).events, `client split at ${i}`).toEqual(reference.events);
    }
    for (let i = 0; i <= server.length; i++) {
      expect(run([client], bytesAt(server, i)).events, `server split at ${i}`).toEqual(reference.events);
    }
  });

  it('gives identical events byte-at-a-time', () => {
    expect(run(oneByOne(client), oneByOne(server)).events).toEqual(reference.events);
  });

  it('works interleaved (request, response, request, ...)', () => {
    const rec = new Recorder();
    const p = new HttpConnectionParser(rec);
    const reqs = CLIENT.split(/(?=GET |POST |HEAD )/);
    const resp = ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n'];
    p.push(true, asciiBytes(reqs[0]!), 1, 1);
    p.push(false, asciiBytes(resp[0]!), 2, 2);
    p.push(true, asciiBytes(reqs[1]!), 3, 3);
    p.push(false, asciiBytes(resp[1]!), 4, 4);
    const res = rec.heads.filter((h): h is HttpResponseHead => h.kind === 'response');
    expect(res.map((r) => [r.status, r.request?.uri])).toEqual([[200, '/boot.ipxe'], [201, '/log']]);
    expect(rec.issues).toEqual([]);
  });
});

describe('HttpConnectionParser framing edge cases', () => {
  it('reads a response without length until close', () => {
    const rec = run([asciiBytes('GET / HTTP/1.0\r\n\r\n')], [asciiBytes('HTTP/1.0 200 OK\r\n\r\n'), asciiBytes('x'.repeat(1000))]);
    expect(rec.events.at(-1)).toBe('complete false body=1000 seen=1000');
    expect((rec.heads[1] as HttpResponseHead).keepAlive).toBe(false);
  });

  it('does not buffer a 1 GiB Content-Length body fed in small pushes', () => {
    const rec = new Recorder();
    const p = new HttpConnectionParser(rec);
    const GiB = 1024 ** 3;
    p.push(true, asciiBytes('GET /big.iso HTTP/1.1\r\nHost: h\r\n\r\n'), 1, 0);
    p.push(false, asciiBytes(`HTTP/1.1 200 OK\r\nContent-Length: ${GiB}\r\n\r\n`), 2, 0);
    const chunk = new Uint8Array(64 * 1024).fill(0x41);
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    for (let sent = 0; sent < GiB; sent += chunk.length) p.push(false, chunk, 3, 0);
    const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
    expect(rec.events.at(-1)).toBe(`complete false body=${GiB} seen=${GiB}`);
    expect(after - before).toBeLessThan(32 * 1024 * 1024);
    expect(rec.issues).toEqual([]);
  });

  it('reports a malformed head with its offset and resynchronises, without throwing', () => {
    const rec = run([asciiBytes(
      'GET /ok HTTP/1.1\r\nHost: a\r\n\r\n' + // 29 bytes
      'GARBAGE LINE\r\nmore\r\n\r\n' + // bad request line at 29
      'GET /two HTTP/1.1\r\nHost b\r\n\r\n', // header line without colon at 51 + 19
    )], []);
    expect(rec.issues).toEqual([
      { kind: 'malformed', layer: 'http', offset: 29, message: 'bad request line "GARBAGE LINE"' },
      { kind: 'malformed', layer: 'http', offset: 70, message: 'header line without a name and colon "Host b"' },
    ]);
    const reqs = rec.heads.map((h) => (h as HttpRequestHead).uri);
    expect(reqs).toEqual(['/ok', '/two']);
  });

  it('reports a bad chunk size and a bad status line', () => {
    const rec = run([asciiBytes('GET / HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n')], [asciiBytes(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n' + 'junk\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n')]);
    expect(rec.issues.map((i) => [i.offset, i.message])).toEqual([[47, 'bad byte 0x7a in chunk size']]);
    expect(rec.heads.filter((h) => h.kind === 'response').map((h) => (h as HttpResponseHead).status)).toEqual([200, 404]);
  });

  it('a gap inside a body reduces the counted bytes and is reported', () => {
    const rec = new Recorder();
    const p = new HttpConnectionParser(rec);
    p.push(true, asciiBytes('GET / HTTP/1.1\r\n\r\n'), 1, 0);
    p.push(false, asciiBytes('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n'), 2, 0); // 40 bytes
    p.push(false, new Uint8Array(30), 3, 0);
    p.gap(false, 20);
    p.push(false, new Uint8Array(50), 4, 0);
    p.push(false, asciiBytes('HTTP/1.1 200 OK\r\n'), 5, 0); // unsolicited but parseable
    expect(rec.issues).toEqual([{ kind: 'truncated', layer: 'http', offset: 70, message: 'gap of 20 bytes inside a body (20 body bytes not counted)' }]);
    expect(rec.events).toContain('complete false body=80 seen=80');
  });

  it('a gap running past the end of a body completes it and resyncs on the next head', () => {
    const rec = new Recorder();
    const p = new HttpConnectionParser(rec);
    p.push(true, asciiBytes('GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n'), 1, 0);
    p.push(false, asciiBytes('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'), 2, 0);
    p.gap(false, 7 + 5); // the rest of the body and the start of the next status line
    p.push(false, asciiBytes('1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 404 Nope\r\nContent-Length: 0\r\n\r\n'), 3, 0);
    expect(rec.events.filter((e) => e.startsWith('complete false'))).toEqual(['complete false body=3 seen=3', 'complete false body=0 seen=0']);
    const res = rec.heads.filter((h): h is HttpResponseHead => h.kind === 'response');
    // The lost 200 was never seen, so the 404 pairs with the second request in FIFO order.
    expect(res.map((r) => [r.status, r.request?.uri])).toEqual([[200, '/1'], [404, '/2']]);
  });

  it('a gap inside a head is reported and the next message is found', () => {
    const rec = new Recorder();
    const p = new HttpConnectionParser(rec);
    p.push(true, asciiBytes('GET /a HTTP/1.1\r\nHo'), 1, 0);
    p.gap(true, 10);
    p.push(true, asciiBytes('st: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n'), 2, 0);
    expect(rec.issues).toEqual([{ kind: 'truncated', layer: 'http', offset: 19, message: 'gap of 10 bytes inside a header block' }]);
    expect(rec.heads.map((h) => (h as HttpRequestHead).uri)).toEqual(['/b']);
    expect(rec.heads[0]!.offset).toBe(19 + 10 + 9);
  });

  it('caps the header block (no unbounded growth) and recovers', () => {
    const rec = new Recorder();
    const p = new HttpConnectionParser(rec, { maxHeadBytes: 1024 });
    p.push(true, asciiBytes('GET / HTTP/1.1\r\nX-Big: '), 1, 0);
    for (let i = 0; i < 100; i++) p.push(true, asciiBytes('a'.repeat(1000)), 2, 0);
    p.push(true, asciiBytes('\r\n\r\nGET /next HTTP/1.1\r\n\r\n'), 3, 0);
    expect(rec.issues.map((i) => [i.offset, i.message])).toEqual([[0, 'header block longer than 1024 bytes']]);
    expect(rec.heads.map((h) => (h as HttpRequestHead).uri)).toEqual(['/next']);
  });

  it('both Transfer-Encoding and Content-Length: chunked wins, flagged', () => {
    const rec = run([asciiBytes('POST /x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n')], []);
    expect(rec.issues.map((i) => i.message)).toEqual(['both Transfer-Encoding and Content-Length (Transfer-Encoding wins)']);
    expect(rec.events.at(-1)).toBe('complete true body=3 seen=3');
  });

  it('reports a connection closed inside a body', () => {
    const rec = run([asciiBytes('GET / HTTP/1.1\r\n\r\n')], [asciiBytes('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc')]);
    expect(rec.issues).toEqual([{ kind: 'truncated', layer: 'http', offset: 42, message: 'connection closed inside a body (3 bytes seen)' }]);
  });

  it('stops parsing after 101 Switching Protocols', () => {
    const rec = run([asciiBytes('GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), new Uint8Array([0x81, 0x00])],
      [asciiBytes('HTTP/1.1 101 Switching Protocols\r\n\r\n'), new Uint8Array([0x81, 0x05, 1, 2, 3])]);
    expect(rec.issues).toEqual([]);
    expect(rec.heads.length).toBe(2);
  });
});

describe('HTTP emit and presentation', () => {
  it('emits requests and responses that the parser reads back', () => {
    const req = emitHttpRequest({ method: 'GET', uri: '/ipxe.efi', headers: [['Host', '198.51.100.1'], ['Range', 'bytes=0-']] });
    expect(latin1String(req)).toBe('GET /ipxe.efi HTTP/1.1\r\nHost: 198.51.100.1\r\nRange: bytes=0-\r\n\r\n');
    const res = emitHttpResponse({ status: 404, headers: { 'Content-Length': '0' } });
    expect(latin1String(res)).toBe('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    const withBody = emitHttpResponse({ status: 200, reason: 'Fine', headers: { 'Content-Length': '2' }, body: asciiBytes('hi') });
    const rec = run([req], [withBody]);
    expect(rec.issues).toEqual([]);
    const r = rec.heads[1] as HttpResponseHead;
    expect(formatHttpText(r)).toEqual(['HTTP/1.1 200 Fine  (for GET /ipxe.efi)', '  Content-Length: 2']);
    expect(formatHttpText(rec.heads[0]!)).toEqual(['GET /ipxe.efi HTTP/1.1', '  Host: 198.51.100.1', '  Range: bytes=0-']);
    expect(rec.events.at(-1)).toBe('complete false body=2 seen=2');
  });
});

describe('HttpConnectionParser body data', () => {
  it('hands over the de-chunked body bytes, split anywhere', () => {
    const script = '#!ipxe\nkernel http://198.51.100.1/vmlinuz\ninitrd http://198.51.100.1/initrd.img\nboot\n';
    const chunked =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
      `7;ext=1\r\n${script.slice(0, 7)}\r\n${(script.length - 7).toString(16)}\r\n${script.slice(7)}\r\n0\r\nX-T: 1\r\n\r\n` +
      `HTTP/1.1 200 OK\r\nContent-Length: ${script.length}\r\n\r\n${script}`;
    const wire = asciiBytes(chunked);
    for (const split of [1, 5, 13, 64, wire.length]) {
      const bodies: string[] = [''];
      const sink = {
        onRequest() {}, onResponse() {}, onError() {},
        onBodyData(_r: boolean, data: Uint8Array) { bodies[bodies.length - 1] += latin1String(data); },
        onMessageComplete(isRequest: boolean) { if (!isRequest) bodies.push(''); },
      };
      const p = new HttpConnectionParser(sink);
      p.push(true, asciiBytes('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n'), 1, 0);
      for (let i = 0; i < wire.length; i += split) p.push(false, wire.subarray(i, i + split), 2, 0);
      expect(bodies.slice(0, 2)).toEqual([script, script]);
    }
  });
});

describe('response heads cut by a capture\'s snap length (cutResponses)', () => {
  const GET = asciiBytes('GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n');
  /** Two responses, each in a segment of its own whose tail (rest of the head, the body) is lost. */
  function cutRun(opts: { cutResponses?: boolean }, first: string, second: string): Recorder {
    const rec = new Recorder();
    const p = new HttpConnectionParser(rec, opts);
    p.push(true, GET, 1, 1);
    p.push(false, asciiBytes(first), 2, 2);
    p.gap(false, 500);
    p.push(false, asciiBytes('tail of a binary body without a newline'), 3, 3); // a whole last segment
    p.push(false, asciiBytes(second), 4, 4); // contiguous: the next response's segment
    p.gap(false, 500);
    p.end(false, 5, 5);
    return rec;
  }
  const responses = (rec: Recorder) => rec.heads.filter((h): h is HttpResponseHead => h.kind === 'response');

  it('off (a live client\'s peer cuts nothing): a head cut short is no response', () => {
    expect(responses(cutRun({}, 'HTTP/1.1 200 OK\r\nServer: ng', 'HTTP/1.1 404 Not'))).toEqual([]);
  });

  it('on: each cut head is a response with the code the cut left, paired in order; the next is found at its segment\'s start', () => {
    const rs = responses(cutRun({ cutResponses: true }, 'HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Len', 'HTTP/1.1 404 Not'));
    expect(rs.map((r) => [r.status, r.cut, r.request?.uri])).toEqual([[200, true, '/a'], [404, true, '/b']]);
    expect(rs[0]!.headers).toEqual([['Server', 'nginx']]); // whole field lines only
  });

  it('on: a status line cut before its code is a response of unknown status (0), one cut before "HTTP/1." none', () => {
    expect(responses(cutRun({ cutResponses: true }, 'HTTP/1.1 2', 'HTTP/1.1 200 OK')).map((r) => r.status)).toEqual([0, 200]);
    expect(responses(cutRun({ cutResponses: true }, 'HTTP/', 'HTTP/1.1 200 OK')).map((r) => r.status)).toEqual([0, 200]);
    expect(responses(cutRun({ cutResponses: true }, 'XTTP/1.1 200', 'garbage')).length).toBe(0);
  });
});

describe('cut heads: only the capture cuts a head, and only a status line is one', () => {
  const GET = asciiBytes('GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n');
  const responses = (rec: Recorder) => rec.heads.filter((h): h is HttpResponseHead => h.kind === 'response');
  /** A server segment holding part of a head, then the close; `cut`: the snap length cut the segment. */
  function closeInHead(cut: boolean, captureEnd: boolean): Recorder {
    const rec = new Recorder();
    const p = new HttpConnectionParser(rec, { cutResponses: true });
    p.push(true, GET, 1, 1);
    p.push(false, asciiBytes('HTTP/1.1 200 OK\r\nContent-Le'), 2, 2, cut);
    p.end(false, 3, 3, captureEnd);
    return rec;
  }

  it('a server that closed inside a head captured whole sent no response', () => {
    expect(responses(closeInHead(false, false))).toEqual([]);
  });

  it('a close after a segment the snap length cut, or the capture\'s end, leaves a cut response', () => {
    expect(responses(closeInHead(true, false)).map((r) => [r.status, r.cut])).toEqual([[200, true]]);
    expect(responses(closeInHead(false, true)).map((r) => [r.status, r.cut])).toEqual([[200, true]]);
  });

  it('body text starting "HTTP/1.0 is…" after a gap is no response; a cut "HTTP/1.1 1" keeps its request open', () => {
    const rec = new Recorder();
    const p = new HttpConnectionParser(rec, { cutResponses: true });
    p.push(true, GET, 1, 1);
    p.push(false, asciiBytes('HTTP/1.1 200 OK\r\nContent-Le'), 2, 2);
    p.gap(false, 100);
    p.push(false, asciiBytes('HTTP/1.0 is described in RFC 1945'), 3, 3);
    p.gap(false, 100);
    expect(responses(rec).map((r) => [r.status, r.request?.uri])).toEqual([[200, '/a']]);

    const rec2 = new Recorder();
    const q = new HttpConnectionParser(rec2, { cutResponses: true });
    q.push(true, GET, 1, 1);
    q.push(false, asciiBytes('HTTP/1.1 1'), 2, 2);
    q.gap(false, 100);
    q.push(false, asciiBytes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), 3, 3);
    expect(responses(rec2).map((r) => [r.status, r.request?.uri])).toEqual([[0, '/a'], [200, '/a']]);
  });

  it('a cut "HTTP" (code gone) answering a GET is its final answer: the next response answers /b; after Expect: 100-continue it may be interim', () => {
    const rec = new Recorder();
    const p = new HttpConnectionParser(rec, { cutResponses: true });
    p.push(true, GET, 1, 1);
    p.push(false, asciiBytes('HTTP'), 2, 2, true);
    p.gap(false, 200, true);
    p.push(false, asciiBytes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), 3, 3);
    expect(responses(rec).map((r) => [r.status, r.request?.uri])).toEqual([[0, '/a'], [200, '/b']]);

    const rec2 = new Recorder();
    const q = new HttpConnectionParser(rec2, { cutResponses: true });
    q.push(true, asciiBytes('PUT /a HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n'), 1, 1);
    q.push(false, asciiBytes('HTTP'), 2, 2, true);
    q.gap(false, 20, true);
    q.push(false, asciiBytes('HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n'), 3, 3);
    expect(responses(rec2).map((r) => [r.status, r.request?.uri])).toEqual([[0, '/a'], [201, '/a']]);
  });

  it('bytes the snap length cut off a body count as sent, with no complaint; a chunked body cut in its framing ends cut', () => {
    const rec = new Recorder();
    const p = new HttpConnectionParser(rec, { cutResponses: true });
    p.push(true, GET, 1, 1);
    p.push(false, asciiBytes('HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\nabc'), 2, 2, true);
    p.gap(false, 1445, true);
    p.push(false, asciiBytes('def'), 3, 3, true);
    p.gap(false, 1549, true);
    expect(rec.issues).toEqual([]);
    expect(rec.events.filter((e) => e.startsWith('complete false'))).toEqual(['complete false body=3000 seen=3000']);
  });
});

describe('emitHttpRequest guards', () => {
  it('refuses what would inject a field or split the request line', () => {
    const bad: [HttpRequestRepr, RegExp][] = [
      [{ method: 'GET', uri: '/a', headers: [['Host', 'h'], ['X', 'a\r\nContent-Length: 5']] }, /header value .* CR, LF or NUL/],
      [{ method: 'GET', uri: '/a', headers: [['X', 'a\nb']] }, /CR, LF or NUL/],
      [{ method: 'GET', uri: '/a', headers: [['X', 'a\0b']] }, /CR, LF or NUL/],
      [{ method: 'GET', uri: '/a b', headers: [['Host', 'h']] }, /request target .* space or control/],
      [{ method: 'GET', uri: '/a\tb', headers: [] }, /request target/],
      [{ method: 'GET', uri: '', headers: [] }, /empty request target/],
      [{ method: 'GET', uri: '/a', headers: [['Bad Name', 'x']] }, /header name "Bad Name" is not an HTTP token/],
      [{ method: 'GET', uri: '/a', headers: [['X:', 'x']] }, /header name/],
      [{ method: 'GE T', uri: '/a', headers: [] }, /method/],
    ];
    for (const [r, message] of bad) {
      expect(() => emitHttpRequest(r), JSON.stringify(r)).toThrow(message);
      expect(httpRequestProblem(r)).toMatch(message);
    }
    // What is allowed stays allowed: empty values, tabs and obs-text inside a value, a query.
    expect(httpRequestProblem({ method: 'GET', uri: '/a?b=%20', headers: [['X-A', ''], ['X-B', 'a\tb'], ['X-C', 'v\u00a0']] })).toBeNull();
  });
});

describe('httpRequestHeadOf', () => {
  it('is the head parseHttpHead reads back from emitHttpRequest\'s bytes', () => {
    const reprs: HttpRequestRepr[] = [
      { method: 'GET', uri: '/boot.ipxe', headers: [['Host', '198.51.100.1']] },
      { method: 'HEAD', uri: '/vmlinuz?x=1', version: 'HTTP/1.0', headers: [['Host', 'a'], ['Connection', 'keep-alive'], ['X-A', ' 1 '], ['x-a', '2']] },
      { method: 'POST', uri: '/', headers: { Host: 'h', 'Content-Length': '0', Connection: 'close' } },
      { method: 'POST', uri: '/a', headers: [['Host', 'bücher.example'], ['X-Empty', ''], ['Content-Length', '3']], body: new TextEncoder().encode('abc') },
    ];
    for (const r of reprs) {
      const bytes = emitHttpRequest(r);
      // The head block alone (parseHttpHead's input): the body is not part of headLength.
      const head = bytes.subarray(0, bytes.length - (r.body?.length ?? 0));
      expect(httpRequestHeadOf(r)).toEqual(parseHttpHead(head, true, [], 0));
    }
  });

  it('pairs the response with it when the parser is told, not fed (HEAD: no body)', () => {
    const seen: Array<[string, number]> = [];
    const p = new HttpConnectionParser({
      onRequest: () => {}, onResponse: (h) => seen.push(['head', h.request?.method === 'HEAD' ? 1 : 0]),
      onMessageComplete: (req, n) => { if (!req) seen.push(['done', n]); }, onError: () => {},
    });
    const r: HttpRequestRepr = { method: 'HEAD', uri: '/', headers: [['Host', 'a']] };
    p.expectResponse(httpRequestHeadOf(r));
    p.push(false, new TextEncoder().encode('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n'), 0, 0);
    expect(seen).toEqual([['head', 1], ['done', 0]]);
  });
});
