/**
 * The raw transport's TCP connections, found per received segment by its port pair (a number)
 * and then its two addresses (the dissector's texts, compared, not joined into a key): no string is
 * built or hashed per frame. Several entries share a port pair only when clients with different
 * addresses reuse a port. IPv4 connections can also be found by numbers read straight from a frame
 * (`getV4`, with the client's MAC: the receive fast path, tcp4-peek.ts).
 */

/** An IPv4 connection's ends as numbers: addresses (unsigned 32-bit) and the client's MAC, its first
 *  2 bytes and its last 4. */
export interface TcpWireEnds {
  localIp: number;
  remoteIp: number;
  macHigh: number;
  macLow: number;
}

interface Entry<C> {
  localAddr: string;
  remoteAddr: string;
  conn: C;
  wire: TcpWireEnds | null;
}

export class TcpConnectionTable<C> {
  private readonly byPorts = new Map<number, Entry<C>[]>();
  /** Connections per local port, per local address (port allocation). */
  private readonly ports = new Map<string, Map<number, number>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(localAddr: string, localPort: number, remoteAddr: string, remotePort: number): C | undefined {
    const list = this.byPorts.get(pairKey(localPort, remotePort));
    if (list === undefined) return undefined;
    for (const e of list) if (e.localAddr === localAddr && e.remoteAddr === remoteAddr) return e.conn;
    return undefined;
  }

  /** The IPv4 connection of these numbers (a frame's addresses and destination MAC), if any. */
  getV4(localIp: number, localPort: number, remoteIp: number, remotePort: number, macHigh: number, macLow: number): C | undefined {
    const list = this.byPorts.get(pairKey(localPort, remotePort));
    if (list === undefined) return undefined;
    for (const e of list) {
      const w = e.wire;
      if (w !== null && w.localIp === localIp && w.remoteIp === remoteIp && w.macLow === macLow && w.macHigh === macHigh) return e.conn;
    }
    return undefined;
  }

  /** Adds a connection (replacing one with the same addresses and ports); `wire` for IPv4 ones. */
  set(localAddr: string, localPort: number, remoteAddr: string, remotePort: number, conn: C, wire: TcpWireEnds | null = null): void {
    const key = pairKey(localPort, remotePort);
    let list = this.byPorts.get(key);
    if (list === undefined) this.byPorts.set(key, (list = []));
    const old = list.find((e) => e.localAddr === localAddr && e.remoteAddr === remoteAddr);
    if (old) { old.conn = conn; old.wire = wire; return; }
    list.push({ localAddr, remoteAddr, conn, wire });
    this.count++;
    let used = this.ports.get(localAddr);
    if (used === undefined) this.ports.set(localAddr, (used = new Map()));
    used.set(localPort, (used.get(localPort) ?? 0) + 1);
  }

  /** Removes the entry, if it still holds `conn` (a newer connection on the same ends stays). */
  delete(localAddr: string, localPort: number, remoteAddr: string, remotePort: number, conn: C): void {
    const key = pairKey(localPort, remotePort);
    const list = this.byPorts.get(key);
    const i = list?.findIndex((e) => e.localAddr === localAddr && e.remoteAddr === remoteAddr && e.conn === conn) ?? -1;
    if (list === undefined || i < 0) return;
    list.splice(i, 1);
    this.count--;
    if (list.length === 0) this.byPorts.delete(key);
    const used = this.ports.get(localAddr)!;
    const n = used.get(localPort)! - 1;
    if (n > 0) used.set(localPort, n);
    else if (used.delete(localPort) && used.size === 0) this.ports.delete(localAddr);
  }

  /** A connection from `localAddr` uses `localPort`. */
  portInUse(localAddr: string, localPort: number): boolean {
    return (this.ports.get(localAddr)?.get(localPort) ?? 0) > 0;
  }

  values(): C[] {
    const out: C[] = [];
    for (const l of this.byPorts.values()) for (const e of l) out.push(e.conn);
    return out;
  }
}

function pairKey(localPort: number, remotePort: number): number {
  return localPort * 0x10000 + remotePort;
}
