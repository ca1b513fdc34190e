/**
 * proxyDHCP client (PXE 2.1 §2.2.1 step 6/7): after DORA, a REQUEST to the proxy server's port
 * 4011 with the client's address in ciaddr and the PXE options; waits for the ACK carrying the
 * boot file. Bounded retransmissions with the DHCP back-off.
 */
import { ipv4ToString } from '../../wire/bytes.js';
import { effectiveBootFile, msgType, msgTypeName, parseDhcpV4, type DhcpV4Message } from '../../wire/dhcpv4/index.js';
import { personaOptions, type Persona, type PersonaOverrides } from '../personas.js';
import { backoff, DHCP_TYPE, emitClientMessage, macBytes, parseReplyFor, randomXid } from './dhcp4-message.js';
import type { ClientMachine, Endpoint, ExchangeEntry, RandomSource, UdpDatagram } from './types.js';

export const PROXY_DHCP_PORT = 4011;

export interface ProxyDhcpClientConfig {
  mac: string;
  persona: Persona;
  overrides?: PersonaOverrides;
  /** Our address (from the ACK): ciaddr and source address. */
  clientAddr: string;
  /** The proxy server (the proxy offer's server identifier / source). */
  server: string;
  xid?: number;
  random?: RandomSource;
  maxAttempts?: number;
  initialTimeout?: number;
  maxTimeout?: number;
}

export interface ProxyDhcpResult {
  ok: boolean;
  error: string | null;
  xid: number;
  messages: ExchangeEntry<DhcpV4Message>[];
  ack: DhcpV4Message | null;
  bootFile: string | null;
  /** Next server (siaddr) of the ACK. */
  nextServer: string | null;
  timings: { ack?: number; end: number };
}

export class ProxyDhcpClient implements ClientMachine<ProxyDhcpResult> {
  readonly xid: number;
  private readonly mac: Uint8Array;
  private readonly random: RandomSource;
  private start = -1;
  private attempts = 0;
  private nextSend: number | null = 0;
  private readonly messages: ExchangeEntry<DhcpV4Message>[] = [];
  private result: ProxyDhcpResult | null = null;

  constructor(private readonly cfg: ProxyDhcpClientConfig) {
    this.random = cfg.random ?? Math.random;
    this.xid = (cfg.xid ?? randomXid(this.random)) >>> 0;
    this.mac = macBytes(cfg.mac);
  }

  pollAt(): number | null {
    return this.result ? null : this.nextSend;
  }

  done(): ProxyDhcpResult | null {
    return this.result;
  }

  dispatch(now: number): UdpDatagram[] {
    if (this.result || this.nextSend === null || now < this.nextSend) return [];
    if (this.start < 0) this.start = now;
    if (this.attempts >= (this.cfg.maxAttempts ?? 4)) {
      this.finish(now, `no ACK from ${this.cfg.server}:${PROXY_DHCP_PORT} after ${this.attempts} REQUESTs in ${Math.round(now - this.start)} s`, null);
      return [];
    }
    this.attempts++;
    const payload = emitClientMessage({
      type: DHCP_TYPE.REQUEST, xid: this.xid, mac: this.cfg.mac, secs: now - this.start, broadcast: false,
      ciaddr: this.cfg.clientAddr, persona: personaOptions(this.cfg.persona, this.cfg.mac, this.cfg.overrides, 'request'),
    });
    const d: UdpDatagram = {
      src: { addr: this.cfg.clientAddr, port: 68 }, dst: { addr: this.cfg.server, port: PROXY_DHCP_PORT }, payload,
    };
    this.log('sent', parseDhcpV4(payload, []), now, d.src, d.dst);
    this.nextSend = now + backoff(this.attempts, this.cfg.initialTimeout ?? 4, this.cfg.maxTimeout ?? 64, this.random);
    return [d];
  }

  process(d: UdpDatagram, now: number): void {
    if (this.result) return;
    const msg = parseReplyFor(d.payload, this.xid, this.mac);
    if (!msg) return;
    this.log('received', msg, now, d.src, d.dst);
    const t = msgType(msg);
    if (t === DHCP_TYPE.ACK) this.finish(now, null, msg);
    else if (t === DHCP_TYPE.NAK) this.finish(now, `NAK from proxy ${d.src.addr}`, null);
  }

  private log(dir: 'sent' | 'received', msg: DhcpV4Message, now: number, from: Endpoint, to: Endpoint): void {
    this.messages.push({ dir, type: msgTypeName(msg) ?? 'BOOTP', time: now, index: this.messages.length, from, to, msg });
  }

  private finish(now: number, error: string | null, ack: DhcpV4Message | null): void {
    this.nextSend = null;
    const siaddr = ack ? ipv4ToString(ack.siaddr) : null;
    this.result = {
      ok: error === null, error, xid: this.xid, messages: this.messages, ack,
      bootFile: ack ? effectiveBootFile(ack) : null, nextServer: siaddr === '0.0.0.0' ? null : siaddr,
      timings: { ...(ack ? { ack: now - this.start } : {}), end: now - this.start },
    };
  }
}
