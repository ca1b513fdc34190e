/** HTTP/1.1 (RFC 9112): heads, emitters and the per-connection incremental parser. */
export {
  HTTP_LAYER,
  emitHttpRequest,
  emitHttpResponse,
  formatHttpText,
  httpHeader,
  httpFieldValueProblem,
  httpRequestHeadOf,
  httpRequestProblem,
  httpTargetProblem,
  isHttpToken,
  httpToJson,
  parseHttpHead,
  type HttpHead,
  type HttpHeaderList,
  type HttpRequestHead,
  type HttpRequestRepr,
  type HttpResponseHead,
  type HttpResponseRepr,
} from './head.js';
export { HttpConnectionParser, type HttpParserOptions, type HttpSink } from './connection.js';
