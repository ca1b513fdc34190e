/**
 * HTTP responses → objects: every response that carries a body (not HEAD, 1xx, 204, 304), its
 * de-chunked bytes streamed to the sink. Complete when the body ended as its framing says
 * (Content-Length reached, last chunk, or the server closed the connection with FIN) and no TCP
 * gap cut it.
 */
import type { HttpResponseHead } from '../wire/http/index.js';
import type { HttpBodyChunk, HttpCloseReason, HttpDecoded } from '../decode/messages.js';
import { ObjectBuilder } from './object-builder.js';
import type { ObjectSink } from './objects.js';
import { TcpPort } from '../wire/ports.js';

interface Body {
  obj: ObjectBuilder;
  framing: 'length' | 'chunked' | 'close';
  /** First problem met inside the body (a gap, bad chunking, an early close). */
  damage: string | null;
}

/** Requests kept waiting for their response (pipelining), as the HTTP parser bounds them. */
const MAX_PENDING = 1024;

interface Connection {
  clientMac: string | null;
  /** Frame and time of each request not yet answered, oldest first. */
  pending: Array<[frame: number, time: number]>;
  body: Body | null;
  closedBy: HttpCloseReason | null;
}

export class HttpObjects {
  private readonly conns = new Map<number, Connection>();

  constructor(private readonly sink: ObjectSink, private readonly nextId: () => number) {}

  message(m: HttpDecoded): void {
    let c = this.conns.get(m.connection);
    if (!c) {
      c = { clientMac: null, pending: [], body: null, closedBy: null };
      this.conns.set(m.connection, c);
    }
    if (m.kind === 'request') {
      c.clientMac ??= m.srcMac;
      if (c.pending.length >= MAX_PENDING) c.pending.shift();
      c.pending.push([m.frame, m.time]);
    } else if (m.kind === 'response') {
      this.response(c, m, m.head as HttpResponseHead);
    } else if (!m.isRequest && c.body) {
      if (m.issues.length > 0) {
        // The parser's error events: the body lost bytes or its framing.
        c.body.damage ??= m.issues[0]!.message;
        c.body.obj.touch(m.frame, m.time);
      } else this.complete(m.connection, c, m.frame, m.time);
    }
  }

  body(chunk: HttpBodyChunk): void {
    if (chunk.isRequest) return; // request bodies (uploads) are not exported
    const b = this.conns.get(chunk.connection)?.body;
    b?.obj.write(chunk.data, chunk.frame, chunk.time);
  }

  /** Before the parser's own end-of-connection events. */
  close(connection: number, reason: HttpCloseReason, frame: number, time: number): void {
    const c = this.conns.get(connection);
    if (!c) return;
    c.closedBy = reason;
    const b = c.body;
    if (b && b.framing !== 'close') {
      // A framed body still open when its connection ends is cut short.
      c.body = null;
      b.obj.touch(frame, time);
      b.obj.finish(false, b.damage ?? `connection ${closeText(reason)} after ${b.obj.size} of ${expectedText(b)} body bytes`);
    }
    if (!c.body) this.conns.delete(connection);
  }

  finish(): void {
    for (const c of this.conns.values()) {
      const b = c.body;
      if (b) b.obj.finish(false, b.damage ?? `the capture ends after ${b.obj.size} of ${expectedText(b)} body bytes`);
    }
    this.conns.clear();
  }

  private response(c: Connection, m: HttpDecoded, head: HttpResponseHead): void {
    if (c.body) {
      // A new response while the last body is open: the parser lost its framing and resynced.
      c.body.obj.finish(false, c.body.damage ?? 'a new response began inside the body');
      c.body = null;
    }
    const req = head.request;
    const s = head.status;
    const asked = s >= 100 && s < 200 ? c.pending[0] : c.pending.shift();
    if (req?.method === 'HEAD' || (s >= 100 && s < 200) || s === 204 || s === 304) return;
    if (req?.method === 'CONNECT' && s >= 200 && s < 300) return;
    const obj = new ObjectBuilder(this.sink, {
      protocol: 'http',
      name: req ? requestUrl(req.uri, req.byName.get('host'), m.srcAddr, m.srcPort) : '(response to an unseen request)',
      direction: 'download',
      clientMac: c.clientMac ?? m.dstMac,
      clientAddr: m.dstAddr,
      clientPort: m.dstPort,
      serverAddr: m.srcAddr,
      serverPort: m.srcPort,
    }, this.nextId, asked?.[0] ?? m.frame, asked?.[1] ?? m.time);
    obj.touch(m.frame, m.time);
    obj.status = head.cut && s === 0 ? null : s;
    const framing = head.chunked ? 'chunked' : head.contentLength !== null ? 'length' : 'close';
    // Content-Length is ignored when chunked (RFC 9112 §6.3).
    if (framing === 'length') obj.expectedSize = head.contentLength;
    c.body = { obj, framing, damage: null };
    if (framing === 'length' && head.contentLength === 0) this.complete(m.connection, c, m.frame, m.time);
  }

  private complete(connection: number, c: Connection, frame: number, time: number): void {
    const b = c.body;
    if (!b) return;
    c.body = null;
    b.obj.touch(frame, time);
    let problem = b.damage;
    const expected = b.obj.expectedSize;
    if (problem === null && expected !== null && b.obj.size !== expected) problem = `${b.obj.size} of ${expected} body bytes`;
    if (problem === null && b.framing === 'close' && c.closedBy !== 'fin') {
      problem = `body read until close, but the connection ${closeText(c.closedBy ?? 'flush')}`;
    }
    b.obj.finish(problem === null, problem);
    if (c.closedBy !== null) this.conns.delete(connection);
  }
}

function expectedText(b: Body): string {
  return b.obj.expectedSize !== null ? String(b.obj.expectedSize) : b.framing === 'chunked' ? 'a chunked' : 'an unknown number of';
}

function closeText(reason: HttpCloseReason): string {
  switch (reason) {
    case 'fin': return 'closed';
    case 'rst': return 'was reset';
    case 'timeout': return 'went idle';
    case 'restart': return 'was started over on the same ports';
    default: return 'was still open when the capture ended';
  }
}

/** `http://host/path` from the request target (absolute-form kept as is). */
export function requestUrl(uri: string, host: string | undefined, serverAddr: string, serverPort: number): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) return uri;
  const authority = host ?? (serverAddr.includes(':') ? `[${serverAddr}]` : serverAddr) + (serverPort === TcpPort.HTTP ? '' : `:${serverPort}`);
  return `http://${authority}${uri.startsWith('/') ? '' : '/'}${uri}`;
}
