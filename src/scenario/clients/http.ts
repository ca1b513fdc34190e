/**
 * HTTP/1.1 client for one request on a byte stream the transport owns (TCP socket in relay mode,
 * a namespace's kernel otherwise): makes the request bytes, consumes response bytes through the
 * project's `HttpConnectionParser`, measures time to first byte and throughput, counts the body,
 * hashes it incrementally when asked (the step checks or saves a digest) and keeps it only when
 * asked (e.g. iPXE scripts): a 50 MB kernel is never held, and never copied.
 */
import { createHash, type Hash } from 'node:crypto';
import {
  emitHttpRequest, HttpConnectionParser, httpRequestHeadOf, type HttpHeaderList, type HttpRequestHead, type HttpResponseHead,
  type HttpSink,
} from '../../wire/http/index.js';
import type { WireIssue } from '../../wire/issues.js';

export interface HttpClientConfig {
  method?: string;
  /** Host header value. */
  host: string;
  /** Request target, e.g. "/boot.ipxe". */
  path: string;
  /** Extra fields after Host (iPXE sends Connection, User-Agent, Host — give them in order here). */
  headers?: HttpHeaderList;
  /** Leave out the Host field (HTTP/1.0 style tests). */
  noHost?: boolean;
  version?: string;
  keepBody?: boolean;
  /** SHA-256 of the body (default true). Off, `sha256` is null: hashing costs more CPU than
   *  receiving (≈ 0.1 s per 50 MB here), so the runner asks only when a step uses the digest. */
  digest?: boolean;
  /** Most body bytes kept (default 1 MiB: an iPXE script, not a disk image); beyond it the
   *  response fails with a clear error instead of growing without end. */
  maxKeptBody?: number;
  /** 'count': bytes beyond maxKeptBody are counted, not kept, and the response goes on (what
   *  iPXE's `chain` needs: the head tells a script from a binary image, and an image is any size). */
  beyondKept?: 'fail' | 'count';
}

/** Default of HttpClientConfig.maxKeptBody. */
export const MAX_KEPT_BODY = 1 << 20;

export interface HttpResult {
  ok: boolean;
  error: string | null;
  status: number | null;
  head: HttpResponseHead | null;
  bodyBytes: number;
  /** null when the digest was not asked for (`digest: false`). */
  sha256: string | null;
  body: Uint8Array | null;
  issues: WireIssue[];
  timings: {
    /** Seconds from the request to the first response byte. */
    ttfb?: number;
    /** … to the end of the response head. */
    headers?: number;
    end: number;
    bytesPerSecond: number | null;
  };
}

export class HttpClient implements HttpSink {
  private readonly parser = new HttpConnectionParser(this);
  private readonly hash: Hash | null;
  /** The kept body so far (keepBody): one growing buffer, not a copy per piece (a chunked body
   *  arrives byte by byte). */
  private kept: Uint8Array = new Uint8Array(0);
  private readonly issues: WireIssue[] = [];
  private sentAt = -1;
  private firstByteAt = -1;
  private headAt = -1;
  private head: HttpResponseHead | null = null;
  private bodySeen = 0;
  private result: HttpResult | null = null;
  private lastTime = 0;

  constructor(private readonly cfg: HttpClientConfig) {
    this.hash = cfg.digest === false ? null : createHash('sha256');
  }

  /** The request bytes to write; `now` starts the clock. The parser is told the request's head,
   *  not fed its bytes: parsing what we just made cost ~1 ms (cold code) before it could leave. */
  request(now: number): Uint8Array {
    this.sentAt = now;
    const headers: HttpHeaderList = [];
    if (!this.cfg.noHost) headers.push(['Host', this.cfg.host]);
    headers.push(...(this.cfg.headers ?? []));
    const repr = { method: this.cfg.method ?? 'GET', uri: this.cfg.path, version: this.cfg.version, headers };
    const bytes = emitHttpRequest(repr);
    this.parser.expectResponse(httpRequestHeadOf(repr));
    return bytes;
  }

  /** Response bytes as they arrive (any split). Read during the call only: the transport may
   *  reuse the buffer (the parser copies head bytes; body bytes are counted, hashed, kept). */
  receive(bytes: Uint8Array, now: number): void {
    if (this.result || bytes.length === 0) return;
    this.lastTime = now;
    if (this.firstByteAt < 0) this.firstByteAt = now;
    this.parser.push(false, bytes, 0, now);
  }

  /** The server closed the connection. */
  end(now: number): void {
    if (this.result) return;
    this.parser.end(false, 0, now);
    if (!this.result) this.finish(now, this.head ? 'connection closed before the end of the body' : 'connection closed before a response');
  }

  /** The transport gave up (connect refused, timeout…). */
  abort(now: number, reason: string): void {
    if (!this.result) this.finish(now, reason);
  }

  done(): HttpResult | null {
    return this.result;
  }

  // ---- HttpSink ----

  onRequest(_head: HttpRequestHead): void {}

  onResponse(head: HttpResponseHead, _frame: number, time: number): void {
    // Interim (1xx): the final head follows. After the result: bytes past the response, not ours.
    if ((head.status >= 100 && head.status < 200) || this.result) return;
    this.head = head;
    this.headAt = time;
  }

  /** De-chunked body bytes, a view into the pushed bytes: hashed and kept here, never copied otherwise. */
  onBodyData(isRequest: boolean, data: Uint8Array): void {
    if (isRequest || this.result) return;
    this.bodySeen += data.length;
    this.hash?.update(data);
    if (this.cfg.keepBody) this.keep(data);
  }

  /** `end`: how many body bytes are kept once this piece is. */
  private keep(data: Uint8Array, end = this.bodySeen): void {
    const max = this.cfg.maxKeptBody ?? MAX_KEPT_BODY;
    if (end > max) {
      if (this.cfg.beyondKept !== 'count') {
        this.finish(this.lastTime, `body larger than ${max} bytes: stopped reading (a script this long is not one)`);
        return;
      }
      // Keep what still fits of this piece; the rest is only counted (bodyBytes).
      const room = max - (end - data.length);
      if (room <= 0) return;
      data = data.subarray(0, room);
      end = max;
    }
    if (end > this.kept.length) {
      const grown = new Uint8Array(Math.min(max, Math.max(end, this.kept.length * 2, 4096)));
      grown.set(this.kept.subarray(0, end - data.length));
      this.kept = grown;
    }
    this.kept.set(data, end - data.length);
  }

  onMessageComplete(isRequest: boolean, _bodyBytes: number, _frame: number, time: number): void {
    if (isRequest || !this.head || this.result) return;
    this.finish(time, this.head.status >= 400 ? `HTTP ${this.head.status} ${this.head.reason}` : null);
  }

  onError(isRequest: boolean, issue: WireIssue): void {
    if (!isRequest && !this.result) this.issues.push(issue);
  }

  private finish(now: number, error: string | null): void {
    const t0 = this.sentAt;
    const dt = this.headAt >= 0 ? now - this.headAt : 0;
    let body: Uint8Array | null = null;
    if (this.cfg.keepBody) body = this.kept.slice(0, Math.min(this.bodySeen, this.kept.length));
    this.result = {
      ok: error === null, error, status: this.head?.status ?? null, head: this.head, bodyBytes: this.bodySeen,
      sha256: this.hash?.digest('hex') ?? null, body, issues: this.issues,
      timings: {
        ...(this.firstByteAt >= 0 ? { ttfb: this.firstByteAt - t0 } : {}),
        ...(this.headAt >= 0 ? { headers: this.headAt - t0 } : {}),
        end: now - t0, bytesPerSecond: dt > 0 ? this.bodySeen / dt : null,
      },
    };
  }
}
