// Link impairment for the lab on a kernel without `netem`: rate limits with a tbf qdisc, random
// loss with an nftables table of our own (`numgen random`), and delay with a userspace frame relay
// between two interfaces (libpcap capture on one side, injection on the other after the delay).
// Every impairment returns a handle whose remove() undoes exactly what it added.
import { openLiveInterface, type LiveInterface, type LiveOpenOptions } from '../capture/live.js';
import { run, runOk } from './run.js';

/** The namespace to impair: a namespace name, a Lab (its server namespace) or a LabInfo (serverNs). */
export type ImpairTarget = string | { readonly ns: { readonly srv: string } } | { readonly serverNs: string };

export interface Impairment {
  /** What was added, for logs ("tbf 256kbit on eth0 in lab-srv"). */
  readonly description: string;
  /** Undoes it; idempotent, never throws (a deleted namespace took it along). */
  remove(): void;
}

export function targetNamespace(t: ImpairTarget): string {
  if (typeof t === 'string') return t;
  return 'serverNs' in t ? t.serverNs : t.ns.srv;
}

const IFACE_RE = /^[A-Za-z0-9_.-]{1,15}$/;

function checkIface(iface: string): void {
  if (!IFACE_RE.test(iface)) throw new Error(`impair: not an interface name: ${JSON.stringify(iface)}`);
}

// ---------------------------------------------------------------- rate limit (tbf)

export interface RateLimitOptions {
  /** Sustained rate, kbit/s. */
  readonly rateKbit: number;
  /** Bucket size in bytes; default one full-size frame plus a little (1600), so no burst to speak of. */
  readonly burst?: number;
  /** Longest a frame may wait in the queue before tbf drops it; default 1000 ms. */
  readonly latencyMs?: number;
}

/** Root tbf qdisc on `iface` in the target namespace: egress of that interface is slowed. */
export function rateLimit(target: ImpairTarget, iface: string, opts: RateLimitOptions): Impairment {
  checkIface(iface);
  if (!(opts.rateKbit > 0)) throw new Error(`impair: rateKbit must be positive, got ${opts.rateKbit}`);
  const ns = targetNamespace(target);
  const burst = Math.max(opts.burst ?? 1600, 1600);
  const latency = opts.latencyMs ?? 1000;
  runOk('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'replace', 'dev', iface, 'root', 'tbf',
    'rate', `${Math.round(opts.rateKbit)}kbit`, 'burst', String(burst), 'latency', `${Math.round(latency)}ms`]);
  return {
    description: `tbf ${opts.rateKbit}kbit burst ${burst} on ${iface} in ${ns}`,
    remove: () => void run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', iface, 'root']),
  };
}

// ---------------------------------------------------------------- random loss (nftables)

export const IMPAIR_TABLE = 'pxecheck_impair';

export interface DropOptions {
  /** Share of matching packets dropped, 0–100 (integer). */
  readonly percent: number;
  /**
   * nft match expression for the packets to thin out, e.g. 'udp sport 69', 'udp sport != 67',
   * 'ip daddr 198.51.100.100 udp'. Only letters, digits, spaces and `.:!=<>{},/-` are accepted.
   */
  readonly match: string;
  /** Which hook: 'output' (locally sent, the default — a server's replies) or 'input'. */
  readonly hook?: 'output' | 'input';
}

const MATCH_RE = /^[A-Za-z0-9 .:!=<>{},/-]{1,200}$/;

/** The nft script that dropRandom loads (exported for the unit test). */
export function dropRandomScript(opts: DropOptions, chain: string): string {
  const percent = opts.percent;
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new Error(`impair: percent must be an integer 0–100, got ${percent}`);
  if (!MATCH_RE.test(opts.match)) throw new Error(`impair: match expression has characters nft scripts do not need: ${JSON.stringify(opts.match)}`);
  const hook = opts.hook ?? 'output';
  return [
    `add table inet ${IMPAIR_TABLE}`,
    `add chain inet ${IMPAIR_TABLE} ${chain} { type filter hook ${hook} priority 0 ; policy accept ; }`,
    `add rule inet ${IMPAIR_TABLE} ${chain} ${opts.match} numgen random mod 100 < ${percent} counter drop`,
    '',
  ].join('\n');
}

let chainSeq = 0;

/**
 * Drops `percent` % of the packets matching `match` in namespace `ns`, in a table of our own
 * (`inet pxecheck_impair`); remove() deletes the rule's chain, and the table once it is empty.
 */
export function dropRandom(target: ImpairTarget, opts: DropOptions): Impairment & { dropped(): number } {
  const ns = targetNamespace(target);
  const chain = `drop${++chainSeq}_${process.pid}`;
  runOk('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: dropRandomScript(opts, chain) });
  return {
    description: `nft drop ${opts.percent}% of '${opts.match}' (${opts.hook ?? 'output'}) in ${ns}`,
    dropped(): number {
      const r = run('ip', ['netns', 'exec', ns, 'nft', 'list', 'chain', 'inet', IMPAIR_TABLE, chain]);
      const m = /counter packets (\d+)/.exec(r.stdout);
      return m ? Number(m[1]) : 0;
    },
    remove(): void {
      run('ip', ['netns', 'exec', ns, 'nft', 'delete', 'chain', 'inet', IMPAIR_TABLE, chain]);
      const left = run('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'inet', IMPAIR_TABLE]);
      if (left.code === 0 && !/\bchain\b/.test(left.stdout)) run('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', IMPAIR_TABLE]);
    },
  };
}

/** Removes every impairment pxecheck may have left in `ns`: the root qdisc of each iface, our nft table. */
export function clearImpairments(target: ImpairTarget, ifaces: readonly string[] = []): void {
  const ns = targetNamespace(target);
  for (const iface of ifaces) {
    checkIface(iface);
    run('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'del', 'dev', iface, 'root']);
  }
  run('ip', ['netns', 'exec', ns, 'nft', 'delete', 'table', 'inet', IMPAIR_TABLE]);
}

// ---------------------------------------------------------------- delay relay (userspace)

export interface DelayRelayOptions {
  /** Delay added to every frame, each direction, ms. */
  readonly delayMs: number;
  /** Frames held at most per direction; more are dropped (counted). Default 4096. */
  readonly maxQueue?: number;
  /** For tests: how the two sides are opened (default openLiveInterface). */
  readonly open?: (iface: string, opts: LiveOpenOptions) => LiveInterface;
  /** For tests: the clock, ms (default Date.now). */
  readonly now?: () => number;
}

export interface DelayRelayStats {
  /** Frames forwarded a→b and b→a. */
  forwardedAB: number;
  forwardedBA: number;
  /** Frames dropped because the queue was full. */
  overflow: number;
  /** Frames whose injection failed. */
  sendErrors: number;
}

interface Queued {
  readonly frame: Uint8Array;
  readonly due: number;
}

/** A FIFO of frames with a constant delay: due times are monotonic, so a ring of arrays is enough. */
class DelayQueue {
  private items: Queued[] = [];
  private head = 0;
  constructor(readonly max: number) {}
  get size(): number {
    return this.items.length - this.head;
  }
  push(q: Queued): boolean {
    if (this.size >= this.max) return false;
    this.items.push(q);
    return true;
  }
  peek(): Queued | undefined {
    return this.items[this.head];
  }
  shift(): Queued | undefined {
    const q = this.items[this.head];
    if (q === undefined) return undefined;
    this.head++;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return q;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/**
 * Relays Ethernet frames between interfaces `a` and `b` (both in this process's namespace, neither
 * bridged nor addressed), each frame `delayMs` late, both directions. Only frames the interface
 * received are captured (BPF `inbound`), so what we inject is not relayed back.
 */
export class DelayRelay {
  readonly stats: DelayRelayStats = { forwardedAB: 0, forwardedBA: 0, overflow: 0, sendErrors: 0 };
  private readonly sideA: LiveInterface;
  private readonly sideB: LiveInterface;
  private readonly qAB: DelayQueue;
  private readonly qBA: DelayQueue;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(readonly a: string, readonly b: string, readonly opts: DelayRelayOptions) {
    if (!(opts.delayMs >= 0)) throw new Error(`DelayRelay: delayMs must be >= 0, got ${opts.delayMs}`);
    const open = opts.open ?? openLiveInterface;
    const max = opts.maxQueue ?? 4096;
    this.now = opts.now ?? Date.now;
    this.qAB = new DelayQueue(max);
    this.qBA = new DelayQueue(max);
    this.sideA = open(a, { filter: 'inbound' });
    try {
      this.sideB = open(b, { filter: 'inbound' });
    } catch (e) {
      this.sideA.close();
      throw e;
    }
    this.sideA.onPacket((frame) => this.enqueue(this.qAB, frame));
    this.sideB.onPacket((frame) => this.enqueue(this.qBA, frame));
  }

  /** Frames waiting in either direction. */
  get queued(): number {
    return this.qAB.size + this.qBA.size;
  }

  private enqueue(q: DelayQueue, frame: Uint8Array): void {
    if (this.stopped) return;
    if (!q.push({ frame, due: this.now() + this.opts.delayMs })) {
      this.stats.overflow++;
      return;
    }
    this.schedule();
  }

  /** One timer for both queues, armed for the earliest due frame. */
  private schedule(): void {
    if (this.stopped || this.timer !== null) return;
    const next = Math.min(this.qAB.peek()?.due ?? Infinity, this.qBA.peek()?.due ?? Infinity);
    if (next === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
      this.schedule();
    }, Math.max(0, next - this.now()));
  }

  /** Sends every frame that is due (exposed for tests with a fake clock). */
  flush(): void {
    const now = this.now();
    this.drain(this.qAB, this.sideB, now, 'forwardedAB');
    this.drain(this.qBA, this.sideA, now, 'forwardedBA');
  }

  private drain(q: DelayQueue, out: LiveInterface, now: number, counter: 'forwardedAB' | 'forwardedBA'): void {
    for (let head = q.peek(); head !== undefined && head.due <= now; head = q.peek()) {
      q.shift();
      try {
        out.send(head.frame);
        this.stats[counter]++;
      } catch {
        this.stats.sendErrors++;
      }
    }
  }

  /** Stops relaying; frames still queued are dropped. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.qAB.clear();
    this.qBA.clear();
    this.sideA.close();
    this.sideB.close();
  }
}
