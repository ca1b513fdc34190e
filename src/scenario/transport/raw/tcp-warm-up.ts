/**
 * One HTTP exchange played in memory through the raw transport's TCP code before the first real
 * one (`prewarmTcp`): the user-space connection (open, data, the batch's ACK, both FINs), the frame
 * composer's TCP frames and ACK template, the in-place read of plain TCP frames (what the transport
 * tries first), the dissector's TCP path and the HTTP client. Cold, that code cost the
 * first HTTP step ~2 ms that belongs to no server (measured: connect 2.5–3.1 ms cold, 1.1–1.2 warm;
 * request to first byte 0.8–4.7 ms cold, 0.5 warm). Nothing is sent: the client's frames are
 * composed and dissected as a capture would hand them over, the played server's are composed here;
 * no timer outlives it.
 */
import { asciiBytes } from '../../../wire/bytes.js';
import { FrameDissector } from '../../../wire/frame/dissect.js';
import { Tcp4FramePeek } from '../../../wire/frame/tcp4-peek.js';
import { emitHttpResponse } from '../../../wire/http/index.js';
import type { WireIssue } from '../../../wire/issues.js';
import { LinkType } from '../../../wire/link-type.js';
import { emitTcpOptions, TcpFlag, TcpOptionKind } from '../../../wire/tcp.js';
import { TcpPort } from '../../../wire/ports.js';
import { HttpClient } from '../../clients/http.js';
import { tcpAckTemplate, tcpFrame, type L2Addresses } from './frames.js';
import { RawTcpConnection } from './tcp-client.js';

/** Documentation addresses (RFC 5737) and locally administered MACs: nothing here reaches a link. */
const CLIENT: L2Addresses = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '198.51.100.2', dstIp: '198.51.100.1' };
const SERVER: L2Addresses = { srcMac: CLIENT.dstMac, dstMac: CLIENT.srcMac, srcIp: CLIENT.dstIp, dstIp: CLIENT.srcIp };
const CLIENT_PORT = 49152;
const SERVER_PORT = TcpPort.HTTP;
const CLIENT_ISS = 1;
const SERVER_ISS = 1000;
const BODY = asciiBytes('warm\n');
const RESPONSE = emitHttpResponse({ status: 200, headers: [['Content-Type', 'text/plain'], ['Content-Length', String(BODY.length)]], body: BODY });
const EMPTY = new Uint8Array(0);

/** Plays the exchange; true when the HTTP client got the whole response and the connection closed. */
export async function warmRawTcp(mss: number, scaledWindow: number): Promise<boolean> {
  const dissector = new FrameDissector();
  const issues: WireIssue[] = [];
  const sent: Uint8Array[] = [];
  const now = (): number => performance.now() / 1000;
  const peek = new Tcp4FramePeek();
  const acks = tcpAckTemplate(CLIENT, CLIENT_PORT, SERVER_PORT);
  const conn = new RawTcpConnection({
    localPort: CLIENT_PORT, remotePort: SERVER_PORT, iss: CLIENT_ISS, now, mss, scaledWindow, rtoMs: 60_000, lingerMs: 60_000,
    emit: (seg) => {
      if (seg.flags === TcpFlag.ACK && seg.payload.length === 0 && seg.options === undefined) { sent.push(acks.next(seg.seq, seg.ack, seg.window)); return; }
      sent.push(tcpFrame(CLIENT, {
        srcPort: CLIENT_PORT, dstPort: SERVER_PORT, seq: seg.seq, ack: seg.ack, flags: seg.flags, window: seg.window, urgent: 0,
        ...(seg.options ? { options: seg.options } : {}),
      }, seg.payload));
    },
    onClosed: () => undefined,
  });
  const fromServer = (seq: number, ack: number, flags: number, payload: Uint8Array, options?: Uint8Array): void => {
    const frame = tcpFrame(SERVER, { srcPort: SERVER_PORT, dstPort: CLIENT_PORT, seq, ack, flags, window: 0xffff, urgent: 0, ...(options ? { options } : {}) }, payload);
    if (peek.read(frame)) { conn.handle(peek.seg); return; }
    issues.length = 0;
    dissector.dissect(LinkType.ETHERNET, frame, issues);
    conn.handle(dissector.tcp);
  };
  try {
    const connected = conn.connect();
    const K = TcpOptionKind;
    fromServer(SERVER_ISS, CLIENT_ISS + 1, TcpFlag.SYN | TcpFlag.ACK, EMPTY, emitTcpOptions([{ kind: K.MSS, mss }, { kind: K.WINDOW_SCALE, shift: 7 }, { kind: K.SACK_PERMITTED }]));
    await connected;
    const client = new HttpClient({ host: SERVER.srcIp, path: '/', digest: false });
    conn.onData((data, time) => client.receive(data, time));
    conn.onEnd((time) => client.end(time));
    const request = client.request(now());
    conn.write(request);
    const acked = CLIENT_ISS + 1 + request.length;
    fromServer(SERVER_ISS + 1, acked, TcpFlag.ACK | TcpFlag.PSH, RESPONSE);
    await Promise.resolve(); // the receive batch's ACK goes out from a microtask
    fromServer(SERVER_ISS + 1 + RESPONSE.length, acked, TcpFlag.FIN | TcpFlag.ACK, EMPTY);
    conn.close();
    fromServer(SERVER_ISS + 2 + RESPONSE.length, acked + 1, TcpFlag.ACK, EMPTY); // our FIN acknowledged
    // The client's frames as a capture hands them over (the dissector's path for what we send).
    for (const frame of sent) dissector.dissect(LinkType.ETHERNET, frame, issues);
    return client.done()?.ok === true && conn.state === 'closed';
  } catch {
    return false;
  } finally {
    conn.abort('warm-up over', false); // closed already when it went as played: then a no-op
  }
}
