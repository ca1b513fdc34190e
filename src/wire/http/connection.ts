/**
 * Incremental HTTP/1.1 parser for one TCP connection (RFC 9112 §6 message framing), fed the
 * in-order bytes of each direction in arbitrary chunks. Heads are buffered (bounded); bodies are
 * only counted, never kept. Requests are queued so each response is paired with the request it
 * answers (pipelining). Never throws: problems go to `sink.onError` with the stream offset.
 */
import { latin1String } from '../bytes.js';
import type { WireIssue } from '../issues.js';
import { HTTP_LAYER, parseHttpHead, type HttpRequestHead, type HttpResponseHead } from './head.js';

export interface HttpSink {
  /** `frame`: the frame that completed the header block. */
  onRequest(head: HttpRequestHead, frame: number, time: number): void;
  /** `head.request` is the request it answers (FIFO). */
  onResponse(head: HttpResponseHead, frame: number, time: number): void;
  onBody?(isRequest: boolean, bytes: number, frame: number, time: number): void;
  /** The body bytes themselves (de-chunked), as a view valid only during the call: for clients
   *  that must read a body (an iPXE script); the analyzer only counts. */
  onBodyData?(isRequest: boolean, data: Uint8Array, frame: number, time: number): void;
  /** Trailer fields of a chunked message, before its completion. */
  onTrailers?(isRequest: boolean, trailers: Array<[string, string]>, frame: number, time: number): void;
  /** `bodyBytes`: body bytes actually seen (gaps excluded), after de-chunking; bytes the snap
   *  length cut off segments the capture holds count (the sender sent them). `cut`: the snap
   *  length cut the message's framing, its end is not known (`bodyBytes` up to the cut). */
  onMessageComplete(isRequest: boolean, bodyBytes: number, frame: number, time: number, cut?: boolean): void;
  /** `bodyBytes`: where the problem ends the message (closed inside its body), the body bytes
   *  seen until then. */
  onError(isRequest: boolean, issue: WireIssue, bodyBytes?: number): void;
}

export interface HttpParserOptions {
  /** Largest header block (or trailer block) kept (default 64 KiB). */
  maxHeadBytes?: number;
  /** Requests waiting for a response beyond this are dropped, oldest first (default 1024). */
  maxPending?: number;
  /** A response head that a gap or the close cut short is still a response (`head.cut`) when its
   *  status line began (a capture's snap length cuts heads; a live client's peer does not). */
  cutResponses?: boolean;
}

/** The whole lines of a cut header block, closed by an empty line (a block of its own). */
function wholeLines(buf: Uint8Array): Uint8Array {
  const end = buf.lastIndexOf(10) + 1;
  const out = new Uint8Array(end + 2);
  out.set(buf.subarray(0, end));
  out[end] = 13;
  out[end + 1] = 10;
  return out;
}

// Direction modes.
const HEAD = 0;
const BODY = 1; // Content-Length body
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const CHUNK_END = 4; // CRLF after chunk data
const TRAILERS = 5;
const UNTIL_CLOSE = 6;
const RESYNC = 7; // looking for the next start line after losing framing
const TUNNEL = 8; // after 101 / CONNECT 2xx: not HTTP any more
const CLOSED = 9;

const MAX_CHUNK_LINE = 4096;
const HTTP_1 = [0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e]; // "HTTP/1."
/** A status line with its code whole. */
const WHOLE_STATUS = /^(HTTP\/1\.[0-9]) ([0-9]{3})(?:[ \r]|$)/;
/** A status line the cut ended, as far as its bytes go: `HTTP/1.<digit> SP <up to 3 digits>`. */
const CUT_STATUS = /^(?:H(?:T(?:T(?:P(?:\/(?:1(?:\.(?:[0-9](?: [0-9]{0,3})?)?)?)?)?)?)?)?)?$/;
/** A cut code whose first digit says it is final (2xx–5xx), or interim (1xx). */
const FINAL_CODE_START = /^HTTP\/1\.[0-9] [2-9]/;
const INTERIM_CODE_START = /^HTTP\/1\.[0-9] 1/;
/** A request line the cut ended: its method (whole when a space follows it) and URI as far as they go. */
const CUT_REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]*)(?:( )([^ \r\n]*))?/;

/** Until a head arrives a direction holds no buffer: a capture may have 100,000 idle connections. */
const NO_HEAD = new Uint8Array(0);

class Direction {
  mode = HEAD;
  /** Offset in the stream of the next byte to consume (gaps included). */
  pos = 0;
  headBuf: Uint8Array;
  headLen = 0;
  lineStart = 0;
  headOffset = 0;
  /** Frame and time of the head's first bytes. */
  headFrame = 0;
  headTime = 0;
  /** The snap length cut the last segment pushed this way (its wire length was longer). */
  lastCut = false;
  remaining = 0;
  bodyBytes = 0;
  // chunk-size line
  chunkSize = 0;
  chunkDigits = 0;
  chunkAfterSize = false;
  chunkLineLen = 0;
  chunkCr = false;
  // resync
  atLineStart = false;
  prefix = 0;
  constructor(readonly isRequest: boolean) {
    this.headBuf = NO_HEAD;
  }
}

export class HttpConnectionParser {
  private readonly client = new Direction(true);
  private readonly server = new Direction(false);
  private pending: HttpRequestHead[] = [];
  /** Cut requests whose method the cut took: given to the sink only when a response answers them
   *  (the server's answer says it was a request), with their frame and time. */
  private unannounced: Map<HttpRequestHead, [frame: number, time: number]> | null = null;
  /** Client bytes the cut took whole, none read since, while no request was open (a keep-alive
   *  follow-up cut to 0 bytes): a response with nothing to answer answers them. */
  private cutClientBytes: { frame: number; time: number } | null = null;
  private readonly maxHead: number;
  private readonly maxPending: number;
  private readonly cutResponses: boolean;
  private readonly issues: WireIssue[] = [];
  /** Index in the current `push` where the running mode handler started (d.pos is its offset). */
  private stepStart = 0;
  private lastFrame = -1;
  private lastTime = 0;

  constructor(private readonly sink: HttpSink, opts: HttpParserOptions = {}) {
    this.maxHead = opts.maxHeadBytes ?? 65536;
    this.maxPending = opts.maxPending ?? 1024;
    this.cutResponses = opts.cutResponses ?? false;
  }

  /** `cut`: the snap length cut this segment (the capture, not the peer, ended its bytes here). */
  push(fromClient: boolean, data: Uint8Array, frame: number, time: number, cut = false): void {
    const d = fromClient ? this.client : this.server;
    d.lastCut = cut;
    this.lastFrame = frame;
    this.lastTime = time;
    // After a cut head the body cannot be framed: a server begins each response in a segment of
    // its own, so a segment's start may be the next one (a cut body need not end in a newline).
    if (this.cutResponses && !fromClient && d.mode === RESYNC && !d.atLineStart) {
      d.atLineStart = true;
      d.prefix = 0;
      d.headLen = 0;
    }
    let p = 0;
    while (p < data.length) {
      const before = p;
      this.stepStart = p;
      switch (d.mode) {
        case HEAD: case TRAILERS: p = this.head(d, data, p, frame, time); break;
        case BODY: case CHUNK_DATA: p = this.body(d, data, p, frame, time); break;
        case CHUNK_SIZE: p = this.chunkSize(d, data, p); break;
        case CHUNK_END: p = this.chunkEnd(d, data, p); break;
        case UNTIL_CLOSE: {
          const n = data.length - p;
          d.bodyBytes += n;
          this.sink.onBody?.(d.isRequest, n, frame, time);
          this.sink.onBodyData?.(d.isRequest, data.subarray(p), frame, time);
          p = data.length;
          break;
        }
        case RESYNC: p = this.resync(d, data, p); break;
        default: p = data.length; // TUNNEL, CLOSED
      }
      d.pos += p - before;
    }
  }

  /** `bytes` of this direction were lost (a TCP hole), or `cut`: sent in a segment the capture
   *  holds but cut off by its snap length (the sender sent them: a body counts them). `frame`,
   *  `time`: the segment's (the gap may come with no byte pushed from it). */
  gap(fromClient: boolean, bytes: number, cut = false, frame = this.lastFrame, time = this.lastTime): void {
    const d = fromClient ? this.client : this.server;
    const at = d.pos;
    d.pos += bytes;
    if (cut && this.cutGap(d, bytes, frame, time)) return;
    switch (d.mode) {
      case HEAD:
        this.error(d, 'truncated', at, d.headLen > 0
          ? `gap of ${bytes} bytes inside a header block` : `gap of ${bytes} bytes between messages`);
        this.cutResponse(d);
        this.startResync(d, true);
        return;
      case BODY:
      case CHUNK_DATA: {
        const lost = Math.min(bytes, d.remaining);
        d.remaining -= lost;
        this.error(d, 'truncated', at, `gap of ${bytes} bytes inside a body (${lost} body bytes not counted)`);
        if (bytes > lost) {
          // The body ended inside the gap; what follows it is lost too.
          if (d.mode === BODY) this.complete(d, this.lastFrame, this.lastTime);
          this.startResync(d, true);
          return;
        }
        if (d.remaining === 0) {
          if (d.mode === CHUNK_DATA) { d.mode = CHUNK_END; d.chunkCr = false; }
          else this.complete(d, this.lastFrame, this.lastTime);
        }
        return;
      }
      case UNTIL_CLOSE:
        this.error(d, 'truncated', at, `gap of ${bytes} bytes inside a body read until close`);
        return;
      case CHUNK_SIZE: case CHUNK_END: case TRAILERS:
        this.error(d, 'truncated', at, `gap of ${bytes} bytes inside chunked framing`);
        this.startResync(d, true);
        return;
      case RESYNC:
        d.atLineStart = true;
        d.prefix = 0;
        return;
      default:
        return;
    }
  }

  /** A request the capture cut before its method could be read (`seen`: what it left of the
   *  client's first segment), on a connection the server answers in HTTP: a cut request. */
  cutRequest(frame: number, time: number, seen: Uint8Array): void {
    const d = this.client;
    d.headFrame = frame;
    d.headTime = time;
    d.headOffset = d.pos;
    d.headLen = 0;
    this.append(d, seen, 0, seen.length);
    d.pos += seen.length;
    this.cutRequestHead(d);
    this.cutClientBytes = null; // they were this request
    this.startResync(d, true);
  }

  /**
   * Bytes the snap length cut off a segment (`gap(…, cut)`): the sequence space shows them sent.
   * A body counts them and goes on; a head or framing they cut ends what can be read (a cut
   * response or request, a message whose end is not known), with no complaint: nothing is wrong
   * with the stream. False: handled as a lost hole.
   */
  private cutGap(d: Direction, bytes: number, frame: number, time: number): boolean {
    switch (d.mode) {
      case BODY: case CHUNK_DATA: {
        const sent = Math.min(bytes, d.remaining);
        d.remaining -= sent;
        d.bodyBytes += sent;
        if (sent > 0) this.sink.onBody?.(d.isRequest, sent, this.lastFrame, this.lastTime);
        if (d.remaining > 0) return true;
        if (d.mode === CHUNK_DATA) {
          d.mode = CHUNK_END;
          d.chunkCr = false;
          if (bytes > sent) this.cutMessage(d); // the chunk's CRLF and the next size line cut
        } else {
          this.complete(d, this.lastFrame, this.lastTime);
          // The next message began in the cut bytes: its start line is not in the capture.
          if (bytes > sent) this.startResync(d, true);
        }
        return true;
      }
      case UNTIL_CLOSE:
        d.bodyBytes += bytes;
        this.sink.onBody?.(d.isRequest, bytes, this.lastFrame, this.lastTime);
        return true;
      case CHUNK_SIZE: case CHUNK_END: case TRAILERS:
        this.cutMessage(d);
        return true;
      case HEAD:
        if (d.isRequest) {
          if (d.headLen > 0) this.cutRequestHead(d);
          else this.cutClientBytes = { frame, time };
          this.startResync(d, true);
        } else {
          // Sent in answer, none of it readable (headLen 0): a response all the same, code unknown.
          if (d.headLen > 0 || this.pending.length > 0) this.cutResponse(d, true);
          this.startResync(d, true);
        }
        return true;
      case RESYNC:
        // A start line the cut ended while resync was matching it: "HTTP" at a server segment's
        // start, a known method at a client's: a cut message all the same.
        if (d.atLineStart && cutStartLine(d.isRequest, d.headBuf, d.prefix)) {
          d.mode = HEAD;
          d.lineStart = 0;
          if (d.isRequest) this.cutRequestHead(d);
          else this.cutResponse(d);
        } else if (d.isRequest && d.prefix === 0) this.cutClientBytes = { frame, time };
        this.startResync(d, true);
        return true;
      default:
        return true;
    }
  }

  /** The snap length cut the message's framing: what was counted, its end not known. */
  private cutMessage(d: Direction): void {
    const bytes = d.bodyBytes;
    this.startResync(d, true);
    this.sink.onMessageComplete(d.isRequest, bytes, this.lastFrame, this.lastTime, true);
  }

  /** A request head the cut ended (from its start line as far as it goes). Its method whole, it is
   *  a request now; cut inside the method, only once a response answers it. */
  private cutRequestHead(d: Direction): void {
    const line = latin1String(d.headBuf.subarray(0, Math.min(d.headLen, 8192)));
    const m = CUT_REQUEST_LINE.exec(line)!;
    const methodWhole = m[2] !== undefined;
    // A cut line that is no request line as far as it goes (a lone "x:", binary) is no request.
    if (!methodWhole && m[1]!.length < line.length) return;
    const head: HttpRequestHead = {
      kind: 'request', method: m[1]!, uri: m[3] ?? '', version: 'HTTP/1.1', headers: [], byName: new Map(),
      contentLength: null, chunked: false, keepAlive: true, offset: d.headOffset, headLength: d.headLen, cut: true,
    };
    if (!methodWhole) head.methodCut = true;
    if (!methodWhole || m[0].length === line.length) head.uriCut = true;
    if (this.pending.length >= this.maxPending) this.pending.shift();
    this.pending.push(head);
    if (methodWhole) this.sink.onRequest(head, d.headFrame, d.headTime);
    else (this.unannounced ??= new Map()).set(head, [d.headFrame, d.headTime]);
  }

  /** A response with no open request after client bytes the cut took: they were a request of
   *  unknown method (as the pipeline makes the connection's first one). */
  private answerCutClientBytes(): void {
    const at = this.cutClientBytes;
    this.cutClientBytes = null;
    if (at === null || this.pending.length > 0) return;
    const head: HttpRequestHead = {
      kind: 'request', method: '', uri: '', version: 'HTTP/1.1', headers: [], byName: new Map(), contentLength: null,
      chunked: false, keepAlive: true, offset: this.client.pos, headLength: 0, cut: true, methodCut: true, uriCut: true,
    };
    this.pending.push(head);
    (this.unannounced ??= new Map()).set(head, [at.frame, at.time]);
  }

  /** A response now answers `request`: a cut request not yet given to the sink goes first. */
  private announce(request: HttpRequestHead | undefined): void {
    const at = request === undefined ? undefined : this.unannounced?.get(request);
    if (at === undefined) return;
    this.unannounced!.delete(request!);
    this.sink.onRequest(request!, at[0], at[1]);
  }

  /** This direction was closed (FIN/RST, or `captureEnd`: the capture ended before it closed). */
  end(fromClient: boolean, frame: number, time: number, captureEnd = false): void {
    const d = fromClient ? this.client : this.server;
    switch (d.mode) {
      case UNTIL_CLOSE: this.complete(d, frame, time); break;
      case HEAD:
        if (d.headLen > 0) this.error(d, 'truncated', d.headOffset, 'connection closed inside a header block');
        // Cut only when the capture ended the bytes: a server that closed inside a head it sent
        // whole (every byte captured) sent no response.
        if (captureEnd || d.lastCut) this.cutResponse(d);
        break;
      case BODY: case CHUNK_DATA: case CHUNK_SIZE: case CHUNK_END: case TRAILERS:
        this.error(d, 'truncated', d.pos, `connection closed inside a body (${d.bodyBytes} bytes seen)`, d.bodyBytes);
        break;
      default:
        break;
    }
    d.mode = CLOSED;
  }

  // ---- modes ----

  /** Header or trailer block: buffer whole lines until the empty line. */
  private head(d: Direction, data: Uint8Array, p: number, frame: number, time: number): number {
    while (p < data.length) {
      const lf = data.indexOf(10, p);
      const end = lf < 0 ? data.length : lf + 1;
      if (d.headLen === 0) {
        d.headOffset = this.at(d, p);
        d.headFrame = frame;
        d.headTime = time;
      }
      if (d.headLen + (end - p) > this.maxHead) {
        this.error(d, 'malformed', d.headOffset, `${d.mode === TRAILERS ? 'trailer' : 'header'} block longer than ${this.maxHead} bytes`);
        this.startResync(d, false);
        return p;
      }
      this.append(d, data, p, end);
      p = end;
      if (lf < 0) return p;
      const lineEnd = d.headLen - 1; // the LF
      const lineLen = lineEnd - d.lineStart - (lineEnd > d.lineStart && d.headBuf[lineEnd - 1] === 13 ? 1 : 0);
      if (lineLen === 0) {
        if (d.mode === HEAD && d.lineStart === 0) {
          d.headLen = 0; // empty line before a start line: tolerated (RFC 9112 §2.2)
          continue;
        }
        if (d.mode === TRAILERS) this.trailersDone(d, frame, time);
        else this.headDone(d, frame, time);
        return p;
      }
      d.lineStart = d.headLen;
    }
    return p;
  }

  private append(d: Direction, data: Uint8Array, from: number, to: number): void {
    const need = d.headLen + (to - from);
    if (need > d.headBuf.length) this.reserve(d, need);
    d.headBuf.set(data.subarray(from, to), d.headLen);
    d.headLen = need;
  }

  private reserve(d: Direction, need: number): void {
    const grown = new Uint8Array(Math.min(Math.max(need, d.headBuf.length * 2, 512), this.maxHead));
    grown.set(d.headBuf.subarray(0, d.headLen));
    d.headBuf = grown;
  }

  /**
   * A response head cut short (`cutResponses`): a response all the same once its status line began
   * (`HTTP/1.<digit> SP <code>` as far as the bytes go), with the code where the cut left it (else
   * 0) and its whole field lines; it answers the oldest open request, which stays open while the
   * code may be an interim one. Its body cannot be framed: resync follows.
   */
  private cutResponse(d: Direction, sent = false): void {
    if (!this.cutResponses || d.isRequest || d.mode !== HEAD || (d.headLen === 0 && !sent)) return;
    if (d.headLen === 0) {
      d.headFrame = this.lastFrame;
      d.headTime = this.lastTime;
      d.headOffset = d.pos;
    }
    const buf = d.headBuf.subarray(0, d.headLen);
    const lf = buf.indexOf(10);
    const statusLine = latin1String(buf.subarray(0, lf < 0 ? buf.length : lf));
    const code = WHOLE_STATUS.exec(statusLine);
    // A status line the cut ended must be one as far as its bytes go (body text "HTTP/1.0 is…" is not).
    if (!code && (lf >= 0 || !CUT_STATUS.test(statusLine))) return;
    const issues = this.issues;
    issues.length = 0;
    // The whole field lines, closed by an empty line, parsed as a head of their own.
    const whole = lf < 0 ? null : parseHttpHead(wholeLines(buf), false, issues, d.headOffset);
    const head: HttpResponseHead = whole?.kind === 'response' ? whole : {
      kind: 'response', version: code?.[1] ?? 'HTTP/1.1', status: code ? Number(code[2]) : 0, reason: '', headers: [],
      byName: new Map(), contentLength: null, chunked: false, keepAlive: false, offset: d.headOffset, headLength: 0, request: null,
    };
    head.cut = true;
    head.headLength = d.headLen;
    // A code the cut left at a leading "1" is an interim one; one it took may be where the request
    // asked for one (100 Continue, 101 Switching Protocols: RFC 9110 §10.1.1, §7.8): the request
    // stays open. Else it is the final answer (a GET's next request must not wait on it).
    const mayBeInterim = code ? head.status < 200
      : INTERIM_CODE_START.test(statusLine) || (!FINAL_CODE_START.test(statusLine) && asksInterim(this.pending[0]));
    if (mayBeInterim) head.mayBeInterim = true;
    this.answerCutClientBytes();
    const request = mayBeInterim ? this.pending[0] : this.pending.shift();
    this.announce(request);
    head.request = request ?? null;
    this.sink.onResponse(head, d.headFrame, d.headTime);
  }

  /** A request its client wrote without pushing it here (the scenario runner's HTTP client): the
   *  next response is paired with it as with a parsed one. */
  expectResponse(request: HttpRequestHead): void {
    if (this.pending.length >= this.maxPending) this.pending.shift();
    if (this.pending.length === 0) this.pending = [request];
    else this.pending.push(request);
  }

  private headDone(d: Direction, frame: number, time: number): void {
    const block = d.headBuf.subarray(0, d.headLen);
    const issues = this.issues;
    issues.length = 0;
    const head = parseHttpHead(block, d.isRequest, issues, d.headOffset);
    this.resetHead(d);
    for (const i of issues) this.sink.onError(d.isRequest, i);
    if (!head) {
      this.startResync(d, true);
      return;
    }
    d.bodyBytes = 0;
    if (head.kind === 'request') {
      // The first request in the queue gets an array of one (push reserves 17 slots per connection).
      this.expectResponse(head);
      this.sink.onRequest(head, frame, time);
      if (head.chunked) this.startChunkLine(d);
      else if (head.byName.has('transfer-encoding')) {
        // A request whose final coding is not chunked cannot be framed (RFC 9112 §6.3).
        this.error(d, 'malformed', head.offset, 'request Transfer-Encoding does not end in chunked');
        this.startResync(d, true);
      } else if (head.contentLength === null && head.byName.has('content-length')) {
        this.startResync(d, true);
      } else if (head.contentLength) this.startBody(d, head.contentLength);
      else this.complete(d, frame, time);
      return;
    }
    const interim = head.status >= 100 && head.status < 200;
    this.answerCutClientBytes();
    const request = interim ? this.pending[0] : this.pending.shift();
    this.announce(request);
    head.request = request ?? null;
    this.sink.onResponse(head, frame, time);
    const method = request?.method;
    if (head.status === 101 || (method === 'CONNECT' && head.status >= 200 && head.status < 300)) {
      this.complete(d, frame, time);
      // The connection now carries another protocol in both directions.
      d.mode = TUNNEL;
      this.client.mode = TUNNEL;
      return;
    }
    if (interim || method === 'HEAD' || head.status === 204 || head.status === 304) this.complete(d, frame, time);
    else if (head.chunked) this.startChunkLine(d);
    else if (head.contentLength !== null) {
      if (head.contentLength > 0) this.startBody(d, head.contentLength);
      else this.complete(d, frame, time);
    } else {
      head.keepAlive = false;
      d.mode = UNTIL_CLOSE;
    }
  }

  private trailersDone(d: Direction, frame: number, time: number): void {
    if (this.sink.onTrailers) {
      const trailers: Array<[string, string]> = [];
      const text = latin1String(d.headBuf.subarray(0, d.headLen));
      for (const line of text.split('\n')) {
        const l = line.endsWith('\r') ? line.slice(0, -1) : line;
        const c = l.indexOf(':');
        if (c > 0) trailers.push([l.slice(0, c), l.slice(c + 1).trim()]);
      }
      this.sink.onTrailers(d.isRequest, trailers, frame, time);
    }
    this.resetHead(d);
    this.complete(d, frame, time);
  }

  private body(d: Direction, data: Uint8Array, p: number, frame: number, time: number): number {
    const n = Math.min(d.remaining, data.length - p);
    d.remaining -= n;
    d.bodyBytes += n;
    if (n > 0) {
      this.sink.onBody?.(d.isRequest, n, frame, time);
      this.sink.onBodyData?.(d.isRequest, data.subarray(p, p + n), frame, time);
    }
    if (d.remaining === 0) {
      if (d.mode === CHUNK_DATA) { d.mode = CHUNK_END; d.chunkCr = false; }
      else this.complete(d, frame, time);
    }
    return p + n;
  }

  private chunkSize(d: Direction, data: Uint8Array, p: number): number {
    for (; p < data.length; p++) {
      const c = data[p]!;
      if (++d.chunkLineLen > MAX_CHUNK_LINE) {
        this.error(d, 'malformed', this.at(d, p), `chunk-size line longer than ${MAX_CHUNK_LINE} bytes`);
        this.startResync(d, false);
        return p;
      }
      if (c === 10) {
        if (d.chunkDigits === 0) {
          this.error(d, 'malformed', this.at(d, p), 'chunk-size line without a size');
          this.startResync(d, true);
          return p + 1;
        }
        if (d.chunkSize === 0) {
          d.mode = TRAILERS;
          this.resetHead(d);
        } else {
          d.mode = CHUNK_DATA;
          d.remaining = d.chunkSize;
        }
        return p + 1;
      }
      if (d.chunkAfterSize || c === 13) continue; // chunk extensions / BWS: skipped
      const v = hexValue(c);
      if (v >= 0) {
        if (++d.chunkDigits > 13) {
          this.error(d, 'malformed', this.at(d, p), 'chunk size too large');
          this.startResync(d, false);
          return p;
        }
        d.chunkSize = d.chunkSize * 16 + v;
      } else if (c === 0x3b || c === 0x20 || c === 0x09) {
        d.chunkAfterSize = true; // ';' starts an extension (RFC 9112 §7.1.1)
      } else {
        this.error(d, 'malformed', this.at(d, p), `bad byte 0x${c.toString(16)} in chunk size`);
        this.startResync(d, false);
        return p;
      }
    }
    return p;
  }

  private chunkEnd(d: Direction, data: Uint8Array, p: number): number {
    const c = data[p]!;
    if (c === 13 && !d.chunkCr) { d.chunkCr = true; return p + 1; }
    if (c === 10) { this.startChunkLine(d); return p + 1; }
    this.error(d, 'malformed', d.pos, 'chunk data not followed by CRLF');
    this.startResync(d, false);
    return p;
  }

  /**
   * Skip to a line that starts like a message: "HTTP/1." (responses) or an upper-case method and
   * a space (requests). Only the line's first bytes are kept, so garbage costs no memory.
   */
  private resync(d: Direction, data: Uint8Array, p: number): number {
    while (p < data.length) {
      if (!d.atLineStart) {
        const lf = data.indexOf(10, p);
        if (lf < 0) return data.length;
        p = lf + 1;
        d.atLineStart = true;
        d.prefix = 0;
        d.headLen = 0;
        continue;
      }
      const c = data[p]!;
      if (d.prefix === 0) {
        d.headOffset = this.at(d, p);
        d.headFrame = this.lastFrame;
        d.headTime = this.lastTime;
      }
      let ok: boolean;
      let matched = false;
      if (c === 10 || (c === 13 && d.prefix === 0)) {
        // empty line: still at a line start
        d.prefix = 0;
        d.headLen = 0;
        p++;
        continue;
      }
      if (d.isRequest) {
        ok = (c >= 0x41 && c <= 0x5a) || c === 0x2d ? d.prefix < 20 : c === 0x20 && d.prefix >= 3;
        matched = ok && c === 0x20;
      } else {
        ok = c === HTTP_1[d.prefix];
        matched = ok && d.prefix === HTTP_1.length - 1;
      }
      if (!ok) {
        d.atLineStart = false;
        d.headLen = 0;
        continue;
      }
      if (d.headLen >= d.headBuf.length) this.reserve(d, d.headLen + 1);
      d.headBuf[d.headLen++] = c;
      d.prefix++;
      p++;
      if (matched) {
        d.mode = HEAD;
        d.lineStart = 0;
        d.prefix = 0;
        return p;
      }
    }
    return p;
  }

  // ---- helpers ----

  private startBody(d: Direction, length: number): void {
    d.mode = BODY;
    d.remaining = length;
  }

  private startChunkLine(d: Direction): void {
    d.mode = CHUNK_SIZE;
    d.chunkSize = 0;
    d.chunkDigits = 0;
    d.chunkAfterSize = false;
    d.chunkLineLen = 0;
  }

  private complete(d: Direction, frame: number, time: number): void {
    d.mode = HEAD;
    this.resetHead(d);
    this.sink.onMessageComplete(d.isRequest, d.bodyBytes, frame, time);
    d.bodyBytes = 0;
  }

  private resetHead(d: Direction): void {
    d.headLen = 0;
    d.lineStart = 0;
    d.headBuf = NO_HEAD; // an idle connection holds no buffer (one small allocation per message)
  }

  private startResync(d: Direction, atLineStart: boolean): void {
    d.mode = RESYNC;
    d.atLineStart = atLineStart;
    d.prefix = 0;
    d.headLen = 0;
    d.lineStart = 0;
    d.remaining = 0;
    d.bodyBytes = 0;
  }

  /** Stream offset of `data[i]` during the current mode step. */
  private at(d: Direction, i: number): number {
    return d.pos + (i - this.stepStart);
  }

  private error(d: Direction, kind: WireIssue['kind'], offset: number, message: string, bodyBytes?: number): void {
    this.sink.onError(d.isRequest, { kind, layer: HTTP_LAYER, offset, message }, bodyBytes);
  }
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT'];

/** The first `n` bytes of a start line, as resync matched them before a cut, begin a message:
 *  "HTTP" at least of a status line; the start of a known method (such a request is given to the
 *  sink only once a response answers it). */
function cutStartLine(isRequest: boolean, buf: Uint8Array, n: number): boolean {
  if (isRequest) {
    if (n < 1) return false;
    const seen = latin1String(buf.subarray(0, n));
    return METHODS.some((m) => m.startsWith(seen));
  }
  return n >= 4;
}

/** A request that may be answered by an interim response first (Expect, Upgrade; a cut request
 *  whose fields are not known and whose method may carry a body). */
function asksInterim(r: HttpRequestHead | undefined): boolean {
  if (r === undefined) return false;
  if (r.cut) return r.methodCut === true || (r.method !== 'GET' && r.method !== 'HEAD');
  return r.byName.has('expect') || r.byName.has('upgrade');
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
