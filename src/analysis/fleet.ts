/**
 * The fleet summary of `analyze` over several captures: boot success, time to boot program and
 * top root causes per capture, per site (the folder a capture sits in), per server and per
 * platform (architecture and vendor). Fed one analysis at a time and keeping only a few numbers
 * per boot device, so a thousand captures need no more than their verdicts.
 */
import { quantile } from './engine.js';
import { serversOf, siteOf, vendorOf } from './device-keys.js';
import type { Analysis } from './types.js';

/** How many root causes each group lists. */
export const TOP_CAUSES = 3;

export interface FleetGroup {
  /** Boot clients (role `boot`) in the group. */
  clients: number;
  booted: number;
  failed: number;
  incomplete: number;
  /** booted / clients, null when there are none. */
  bootSuccessRate: number | null;
  /** Over the boot clients that fetched a boot program (as the report's own summary). */
  medianTimeToBootProgram: number | null;
  p95TimeToBootProgram: number | null;
  /** Root causes of the failed devices, most frequent first (at most TOP_CAUSES). */
  topRootCauses: { code: string; devices: number }[];
}

export interface FleetFile extends FleetGroup { file: string; site: string | null; packets: number; otherClients: number }
export interface FleetSite extends FleetGroup { site: string | null; captures: number }
export interface FleetServer extends FleetGroup { server: string }
export interface FleetPlatform extends FleetGroup { archName: string | null; vendor: string | null }

export interface Fleet {
  /** Captures reported, and inputs that could not be read. */
  captures: number;
  unreadable: number;
  packets: number;
  otherClients: number;
  total: FleetGroup;
  files: FleetFile[];
  sites: FleetSite[];
  servers: FleetServer[];
  platforms: FleetPlatform[];
}

class GroupStats {
  clients = 0;
  booted = 0;
  failed = 0;
  incomplete = 0;
  readonly times: number[] = [];
  readonly causes = new Map<string, number>();

  add(outcome: string, time: number | null, cause: string | null): void {
    this.clients++;
    if (outcome === 'booted') this.booted++;
    else if (outcome === 'failed') this.failed++;
    else if (outcome === 'incomplete') this.incomplete++;
    if (time !== null) this.times.push(time);
    if (outcome === 'failed' && cause !== null) this.causes.set(cause, (this.causes.get(cause) ?? 0) + 1);
  }

  result(): FleetGroup {
    const times = [...this.times].sort((a, b) => a - b);
    return {
      clients: this.clients, booted: this.booted, failed: this.failed, incomplete: this.incomplete,
      bootSuccessRate: this.clients === 0 ? null : this.booted / this.clients,
      medianTimeToBootProgram: quantile(times, 0.5),
      p95TimeToBootProgram: quantile(times, 0.95),
      topRootCauses: [...this.causes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP_CAUSES).map(([code, devices]) => ({ code, devices })),
    };
  }
}

/** Groups in first-seen order, each keyed by a string. */
class Groups<K> {
  readonly map = new Map<string, { key: K; stats: GroupStats; extra: number }>();
  get(id: string, key: K): { key: K; stats: GroupStats; extra: number } {
    let g = this.map.get(id);
    if (g === undefined) this.map.set(id, (g = { key, stats: new GroupStats(), extra: 0 }));
    return g;
  }
}

export class FleetSummary {
  private captures = 0;
  private unreadable = 0;
  private packets = 0;
  private otherClients = 0;
  private readonly total = new GroupStats();
  private readonly files: FleetFile[] = [];
  private readonly sites = new Groups<string | null>();
  private readonly servers = new Groups<string>();
  private readonly platforms = new Groups<{ archName: string | null; vendor: string | null }>();

  /** An input that could not be read (counted, nothing else). */
  addUnreadable(): void {
    this.unreadable++;
  }

  add(a: Analysis): void {
    this.captures++;
    this.packets += a.packets;
    const site = siteOf(a.file);
    const siteGroup = this.sites.get(site ?? '\0', site);
    siteGroup.extra++;
    const file = new GroupStats();
    let other = 0;
    for (const c of a.clients) {
      if (c.role !== 'boot') { other++; continue; }
      const add = (s: GroupStats): void => s.add(c.outcome, c.timeToBootProgram, c.rootCause);
      add(this.total);
      add(file);
      add(siteGroup.stats);
      for (const server of serversOf(c.steps)) add(this.servers.get(server, server).stats);
      const vendor = vendorOf(c.vendorClass);
      add(this.platforms.get(`${c.archName ?? ''}\0${vendor ?? ''}`, { archName: c.archName, vendor }).stats);
    }
    this.otherClients += other;
    this.files.push({ file: a.file, site, packets: a.packets, otherClients: other, ...file.result() });
  }

  result(): Fleet {
    const byClients = <T extends FleetGroup>(list: T[]): T[] => list.sort((a, b) => b.clients - a.clients);
    return {
      captures: this.captures,
      unreadable: this.unreadable,
      packets: this.packets,
      otherClients: this.otherClients,
      total: this.total.result(),
      files: this.files,
      sites: [...this.sites.map.values()].map((g) => ({ site: g.key, captures: g.extra, ...g.stats.result() })),
      servers: byClients([...this.servers.map.values()].map((g) => ({ server: g.key, ...g.stats.result() }))),
      platforms: byClients([...this.platforms.map.values()].map((g) => ({ ...g.key, ...g.stats.result() }))),
    };
  }
}
