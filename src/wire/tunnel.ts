/**
 * What a frame came through when it was captured as a remote mirror: ERSPAN or gretap (GRE) and
 * VXLAN sessions from a switch or cloud mirror to the collector, or a routed IP-in-GRE tunnel
 * between two sites' routers (`gre-ip`). The frame dissector takes the
 * tunnel headers off (`frame/dissect.ts`) and names the tunnel with one of these; the same session
 * is one shared, frozen object, so a message may keep it.
 */
export type TunnelKind = 'gre' | 'gre-ip' | 'erspan1' | 'erspan2' | 'erspan3' | 'vxlan';

/** A routed tunnel (IP in GRE between two routers), not a mirror: its ends are routers. */
export function isRoutedTunnel(t: Tunnel): boolean {
  return t.kind === 'gre-ip';
}

/** Tunnel levels taken off one frame at most (a mirror of a tunnel is two; more is hostile). */
export const MAX_TUNNEL_DEPTH = 2;

export interface Tunnel {
  readonly kind: TunnelKind;
  /** The outer packet's source (the mirroring switch) and destination (the collector); for a
   *  routed tunnel (`gre-ip`), the two routers. */
  readonly src: string;
  readonly dst: string;
  /** ERSPAN session id, VXLAN VNI, GRE key; null when the header has none (ERSPAN I, GRE without K). */
  readonly id: number | null;
  /** The tunnel this one came through, when nested. */
  readonly via: Tunnel | null;
}

const ID_NAME: Record<TunnelKind, string> = { gre: 'key', 'gre-ip': 'key', erspan1: 'session', erspan2: 'session', erspan3: 'session', vxlan: 'VNI' };
const TITLE: Record<TunnelKind, string> = { gre: 'GRE', 'gre-ip': 'the IP-in-GRE tunnel', erspan1: 'ERSPAN type I', erspan2: 'ERSPAN type II', erspan3: 'ERSPAN type III', vxlan: 'VXLAN' };

/** Short, for a decode line: `erspan2 session 7 from 198.51.100.1`. */
export function tunnelShortText(t: Tunnel): string {
  const id = t.id === null ? '' : ` ${ID_NAME[t.kind]} ${t.id}`;
  return `${t.kind}${id} from ${t.src}${t.via ? ` via ${tunnelShortText(t.via)}` : ''}`;
}

/** For a sentence: `ERSPAN type II session 7 from 198.51.100.1 to 198.51.100.2`. */
export function tunnelText(t: Tunnel): string {
  const id = t.id === null ? '' : ` ${ID_NAME[t.kind]} ${t.id}`;
  const ends = isRoutedTunnel(t) ? `between ${t.src} and ${t.dst}` : `from ${t.src} to ${t.dst}`;
  return `${TITLE[t.kind]}${id} ${ends}${t.via ? ` (inside ${tunnelText(t.via)})` : ''}`;
}

/** The JSON form (decode's json/jsonl `tunnel` member). */
export interface TunnelJson {
  kind: TunnelKind;
  src: string;
  dst: string;
  id: number | null;
  via?: TunnelJson;
}

export function tunnelToJson(t: Tunnel): TunnelJson {
  const j: TunnelJson = { kind: t.kind, src: t.src, dst: t.dst, id: t.id };
  if (t.via) j.via = tunnelToJson(t.via);
  return j;
}
