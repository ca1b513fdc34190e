/**
 * Was a response whose head (or chunked framing) the snap length cut delivered? Its body is not
 * in the capture, but the TCP sequence space still shows how far the server sent and the client's
 * ACKs how far it got. Offsets are the server direction's stream offsets as the HTTP parser counts
 * them (gaps and cut bytes included).
 *
 * - The server began another response: this one ended where that one starts (a server writes a
 *   response whole before the next). Delivered when the client acknowledged up to there and the
 *   span holds the head bytes seen and the Content-Length, when the head showed one.
 * - The connection closed (FIN, RST, idle, the capture's end): delivered only where the head showed
 *   its Content-Length, the server's bytes reach the head bytes seen plus that length, the client
 *   acknowledged every byte the server sent, and the server sent no RST. The head's unseen bytes
 *   are not known: a server that stopped within that many bytes of the end reads as delivered.
 * Anything else says nothing (the "a later transfer followed" reading of the findings stays).
 */
import type { HttpRequestHead, HttpResponseHead } from '../wire/http/index.js';

export interface CutResponse {
  /** The request it answers, as the parser paired them. */
  readonly request: HttpRequestHead | null;
  /** Stream offset of its first byte and the head bytes the capture holds. */
  readonly offset: number;
  readonly headBytes: number;
  /** From the head's whole field lines (null when the cut took it, or chunked). */
  readonly contentLength: number | null;
}

/** A response cut so that its end is unknown: null when nothing can be judged of it (a head of
 *  which no byte was captured, an interim code). */
export function cutResponse(head: HttpResponseHead): CutResponse | null {
  if (head.headLength <= 0 || head.mayBeInterim) return null;
  return { request: head.request, offset: head.offset, headBytes: head.headLength, contentLength: head.chunked ? null : head.contentLength };
}

/** `acked`: the client's acknowledged stream offset of the server's bytes (-Infinity: none). */
export function deliveredBeforeNext(r: CutResponse, next: number, acked: number): boolean {
  return acked >= next && next - r.offset >= r.headBytes + (r.contentLength ?? 0);
}

/** `end`: the server's stream offset past its last byte at the close. */
export function deliveredAtClose(r: CutResponse, end: number, acked: number, serverReset: boolean): boolean {
  if (r.contentLength === null || serverReset) return false;
  return acked >= end && end - r.offset >= r.headBytes + r.contentLength;
}
