/**
 * HTTP/1.1 message heads (RFC 9112 §2-§6): start line + field lines, parsed from one complete
 * header block; framing facts (Content-Length, chunked, keep-alive) derived here, the body is the
 * connection parser's business. Also the emitters the scenario runner uses.
 */
import { asciiBytes, latin1String } from '../bytes.js';
import { pushIssue, type WireIssue } from '../issues.js';

export const HTTP_LAYER = 'http';

export type HttpHeaderList = Array<[name: string, value: string]>;

interface HttpHeadCommon {
  /** "HTTP/1.1" as sent. */
  version: string;
  /** Field lines in order, names and values as sent (values trimmed of OWS). */
  headers: HttpHeaderList;
  /** Lower-case name → value; a repeated field's values joined with ", " (RFC 9110 §5.3). */
  byName: Map<string, string>;
  /** Declared Content-Length (null: none or invalid). */
  contentLength: number | null;
  /** Transfer-Encoding ends in chunked: the body is chunked whatever Content-Length says. */
  chunked: boolean;
  /** Connection persists after this message (HTTP/1.1 default, HTTP/1.0 with keep-alive). */
  keepAlive: boolean;
  /** Offset of the head in its direction's byte stream and its length (with the empty line). */
  offset: number;
  headLength: number;
}

export interface HttpRequestHead extends HttpHeadCommon {
  kind: 'request';
  /** As far as the cut left it on a `cut` head ('' when it took the whole method). */
  method: string;
  uri: string;
  /** The capture cut the request head (the snap length): `method` and `uri` are what it left
   *  (`methodCut`: the method itself is cut, '' when nothing of it is left). Absent when whole. */
  cut?: true;
  methodCut?: true;
  /** Of a cut request: the cut may have run into its URI (nothing after it was captured). */
  uriCut?: true;
}

export interface HttpResponseHead extends HttpHeadCommon {
  kind: 'response';
  /** 0 only on a `cut` head whose status line the cut took before its code. */
  status: number;
  /** The capture cut the header block (a gap or its end inside it): the status line began, so it
   *  is a response; `headers` holds the field lines that are whole. Absent on a whole head. */
  cut?: true;
  /** On a `cut` head: the code the cut left may be an interim one (none left, or a leading "1"):
   *  the request it answers stays open. */
  mayBeInterim?: true;
  reason: string;
  /** The request this answers (FIFO pairing); null when it was never seen. */
  request: HttpRequestHead | null;
}

export type HttpHead = HttpRequestHead | HttpResponseHead;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const REQUEST_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([^ ]+) (HTTP\/[0-9]\.[0-9])$/;
const STATUS_LINE = /^(HTTP\/[0-9]\.[0-9]) ([0-9]{3})(?: (.*))?$/;

/** Case-insensitive field lookup. */
export function httpHeader(head: HttpHead, name: string): string | undefined {
  return head.byName.get(name.toLowerCase());
}

/**
 * Parse a complete header block (`block` ends with the empty line). Returns null when the start
 * line is unusable (the message cannot be framed); field-level problems are issues only.
 * `base` is the block's offset in the stream.
 */
export function parseHttpHead(
  block: Uint8Array, isRequest: boolean, issues: WireIssue[], base: number,
): HttpHead | null {
  const text = latin1String(block);
  let lineStart = 0;
  let lineEnd = text.indexOf('\n');
  const lineAt = (s: number, e: number): string => text.slice(s, e > s && text.charCodeAt(e - 1) === 13 ? e - 1 : e);
  const start = lineAt(0, lineEnd < 0 ? text.length : lineEnd);
  let head: HttpHead;
  if (isRequest) {
    const m = REQUEST_LINE.exec(start);
    if (!m) {
      pushIssue(issues, 'malformed', HTTP_LAYER, base, `bad request line "${start.slice(0, 80)}"`);
      return null;
    }
    head = {
      kind: 'request', method: m[1]!, uri: m[2]!, version: m[3]!, headers: [], byName: new Map(),
      contentLength: null, chunked: false, keepAlive: true, offset: base, headLength: block.length,
    };
  } else {
    const m = STATUS_LINE.exec(start);
    if (!m) {
      pushIssue(issues, 'malformed', HTTP_LAYER, base, `bad status line "${start.slice(0, 80)}"`);
      return null;
    }
    head = {
      kind: 'response', status: Number(m[2]), reason: m[3] ?? '', version: m[1]!, headers: [], byName: new Map(),
      contentLength: null, chunked: false, keepAlive: true, offset: base, headLength: block.length, request: null,
    };
  }
  // Field lines.
  while (lineEnd >= 0) {
    lineStart = lineEnd + 1;
    lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0) break;
    const line = lineAt(lineStart, lineEnd);
    if (line === '') break;
    const at = base + lineStart;
    const c0 = line.charCodeAt(0);
    if (c0 === 32 || c0 === 9) {
      // obs-fold (RFC 9112 §5.2): replace with a space, but say so.
      pushIssue(issues, 'malformed', HTTP_LAYER, at, 'obsolete line folding in header');
      const last = head.headers[head.headers.length - 1];
      if (last) last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      pushIssue(issues, 'malformed', HTTP_LAYER, at, `header line without a name and colon "${line.slice(0, 80)}"`);
      continue;
    }
    let name = line.slice(0, colon);
    if (!TOKEN.test(name)) {
      pushIssue(issues, 'malformed', HTTP_LAYER, at, `bad header name "${name.slice(0, 80)}"`);
      name = name.trim();
    }
    head.headers.push([name, line.slice(colon + 1).trim()]);
  }
  // Kept as long as its step: its own size, not push's spare room (17 slots for one field line).
  head.headers = head.headers.slice();
  for (const [name, value] of head.headers) {
    const key = name.toLowerCase();
    const prev = head.byName.get(key);
    head.byName.set(key, prev === undefined ? value : `${prev}, ${value}`);
  }
  deriveFraming(head, issues, base);
  return head;
}

function deriveFraming(head: HttpHead, issues: WireIssue[], base: number): void {
  const te = head.byName.get('transfer-encoding');
  if (te !== undefined) {
    const codings = te.toLowerCase().split(',').map((s) => s.trim()).filter((s) => s !== '');
    head.chunked = codings[codings.length - 1] === 'chunked';
    if (head.version === 'HTTP/1.0') pushIssue(issues, 'malformed', HTTP_LAYER, base, 'Transfer-Encoding in an HTTP/1.0 message');
  }
  const cl = head.byName.get('content-length');
  if (cl !== undefined) {
    // "5, 5" (a repeated field) is allowed when all values agree (RFC 9110 §8.6).
    const values = cl.split(',').map((s) => s.trim());
    const first = values[0]!;
    if (/^[0-9]{1,15}$/.test(first) && values.every((v) => v === first)) head.contentLength = Number(first);
    else pushIssue(issues, 'malformed', HTTP_LAYER, base, `bad Content-Length "${cl.slice(0, 40)}"`);
    if (te !== undefined) {
      pushIssue(issues, 'malformed', HTTP_LAYER, base, 'both Transfer-Encoding and Content-Length (Transfer-Encoding wins)');
    }
  }
  const conn = head.byName.get('connection')?.toLowerCase() ?? '';
  const tokens = conn.split(',').map((s) => s.trim());
  if (head.version === 'HTTP/1.1' || head.version > 'HTTP/1.1') head.keepAlive = !tokens.includes('close');
  else head.keepAlive = tokens.includes('keep-alive');
}

// ---- emit ----

export interface HttpRequestRepr {
  method: string;
  uri: string;
  version?: string;
  headers: HttpHeaderList | Record<string, string>;
  body?: Uint8Array;
}

export interface HttpResponseRepr {
  status: number;
  reason?: string;
  version?: string;
  headers: HttpHeaderList | Record<string, string>;
  body?: Uint8Array;
}

function headerLines(headers: HttpHeaderList | Record<string, string>): string {
  const list = Array.isArray(headers) ? headers : Object.entries(headers);
  let s = '';
  for (const [n, v] of list) s += `${n}: ${v}\r\n`;
  return s;
}

function withBody(head: string, body: Uint8Array | undefined): Uint8Array {
  const h = asciiBytes(head);
  if (!body || body.length === 0) return h;
  const out = new Uint8Array(h.length + body.length);
  out.set(h, 0);
  out.set(body, h.length);
  return out;
}

/** RFC 9110 §5.6.2 token: a method or a field name. */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What would end a field or the head early (RFC 9110 §5.5, RFC 9112 §2.2). */
const FIELD_VALUE_BREAK = /[\r\n\0]/;
/** A request-target holds no whitespace or control characters (RFC 9112 §3.2). */
const TARGET_BREAK = /[\x00-\x20\x7f]/;

export function isHttpToken(s: string): boolean {
  return HTTP_TOKEN.test(s);
}

/** Why `value` cannot be a field value (CR, LF or NUL would inject a field or end the head), or null. */
export function httpFieldValueProblem(value: string): string | null {
  return FIELD_VALUE_BREAK.test(value) ? `header value ${JSON.stringify(value)} holds CR, LF or NUL, which would end the field early (RFC 9110 §5.5)` : null;
}

/** Why `uri` cannot be a request-target, or null. */
export function httpTargetProblem(uri: string): string | null {
  if (uri === '') return 'an empty request target';
  return TARGET_BREAK.test(uri) ? `request target ${JSON.stringify(uri)} holds a space or control character (RFC 9112 §3.2; percent-encode it: %20)` : null;
}

/** Why `emitHttpRequest(r)` would not write one well-formed request head, or null. */
export function httpRequestProblem(r: HttpRequestRepr): string | null {
  if (!isHttpToken(r.method)) return `method ${JSON.stringify(r.method)} is not an HTTP token (RFC 9110 §9.1)`;
  const target = httpTargetProblem(r.uri);
  if (target) return target;
  const list = Array.isArray(r.headers) ? r.headers : Object.entries(r.headers);
  for (const [name, value] of list) {
    if (!isHttpToken(name)) return `header name ${JSON.stringify(name)} is not an HTTP token (RFC 9110 §5.1)`;
    const problem = httpFieldValueProblem(value);
    if (problem) return problem;
  }
  return null;
}

/** Request bytes as given (no header is added: the caller decides Host, Content-Length...); throws
 *  a RangeError for what would not be one well-formed head (an injected field, a split request line). */
export function emitHttpRequest(r: HttpRequestRepr): Uint8Array {
  const problem = httpRequestProblem(r);
  if (problem) throw new RangeError(problem);
  return withBody(`${r.method} ${r.uri} ${r.version ?? 'HTTP/1.1'}\r\n${headerLines(r.headers)}\r\n`, r.body);
}

/** The head `emitHttpRequest(r)` writes, as parseHttpHead would read it back: a client pairs its
 *  response with it without parsing the bytes it just made (a process's first parse costs about a
 *  millisecond of lazy compilation, before the request could leave). */
export function httpRequestHeadOf(r: HttpRequestRepr): HttpRequestHead {
  const list = Array.isArray(r.headers) ? r.headers : Object.entries(r.headers);
  const version = r.version ?? 'HTTP/1.1';
  // One byte per character, as emitHttpRequest writes them: request line, fields, blank line.
  let headLength = r.method.length + 1 + r.uri.length + 1 + version.length + 2 + 2;
  for (const [n, v] of list) headLength += n.length + 2 + v.length + 2;
  const headers: HttpHeaderList = list.map(([n, v]) => [n, v.trim()]);
  const head: HttpRequestHead = {
    kind: 'request', method: r.method, uri: r.uri, version, headers, byName: new Map(),
    contentLength: null, chunked: false, keepAlive: true, offset: 0, headLength,
  };
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const prev = head.byName.get(key);
    head.byName.set(key, prev === undefined ? value : `${prev}, ${value}`);
  }
  deriveFraming(head, [], 0);
  return head;
}

export function emitHttpResponse(r: HttpResponseRepr): Uint8Array {
  const reason = r.reason ?? HTTP_REASONS[r.status] ?? '';
  return withBody(`${r.version ?? 'HTTP/1.1'} ${r.status} ${reason}\r\n${headerLines(r.headers)}\r\n`, r.body);
}

const HTTP_REASONS: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 204: 'No Content', 206: 'Partial Content',
  301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 307: 'Temporary Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  416: 'Range Not Satisfiable', 500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable',
};

// ---- presentation ----

/** JSON form; header names lower-cased (field names are case-insensitive), repeats joined. */
export function httpToJson(head: HttpHead): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [k, v] of head.byName) headers[k] = v;
  const j: Record<string, unknown> = { kind: head.kind };
  if (head.kind === 'request') {
    j['method'] = head.method;
    j['uri'] = head.uri;
  } else {
    j['status'] = head.status;
    j['reason'] = head.reason;
    if (head.request) { j['method'] = head.request.method; j['uri'] = head.request.uri; }
  }
  j['version'] = head.version;
  j['headers'] = headers;
  if (head.contentLength !== null) j['contentLength'] = head.contentLength;
  if (head.chunked) j['chunked'] = true;
  j['keepAlive'] = head.keepAlive;
  return j;
}

export function formatHttpText(head: HttpHead): string[] {
  const first = head.kind === 'request'
    ? `${head.method} ${head.uri} ${head.version}`
    : `${head.version} ${head.status} ${head.reason}`.trimEnd() + (head.request ? `  (for ${head.request.method} ${head.request.uri})` : '');
  const lines = [first];
  for (const [n, v] of head.headers) lines.push(`  ${n}: ${v}`);
  return lines;
}
