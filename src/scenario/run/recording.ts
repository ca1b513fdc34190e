/** A client's recorded boot chain as `analyze --scenario` walks it: a cursor over its steps, and
 *  the decoded DHCP messages of each exchange. */
import type { ClientReport } from '../../analysis/types.js';
import type { BootStep, RaStep } from '../../flow/types.js';
import type { DhcpV4Message } from '../../wire/dhcpv4/index.js';
import type { DhcpV6Message } from '../../wire/dhcpv6/index.js';
import type { CapturedDhcp } from './captured-dhcp.js';

/** One client's recorded steps with a cursor: scenario steps are matched in order. */
export class Recording {
  private cursor = 0;

  constructor(readonly chain: ClientReport, private readonly captured: CapturedDhcp) {}

  /** The next recorded step of a kind. */
  take<T extends BootStep>(pred: (s: BootStep) => s is T): T | null {
    for (let i = this.cursor; i < this.chain.steps.length; i++) {
      const s = this.chain.steps[i]!;
      if (pred(s)) {
        this.cursor = i + 1;
        return s;
      }
    }
    return null;
  }

  /** Real firmware runs several exchanges of a kind (EDK2: one DHCPv6 per IAID, HEAD before GET):
   *  the first one from the cursor that satisfies `judge`, else the first one at all. */
  takeBest<T extends BootStep>(pred: (s: BootStep) => s is T, judge: (s: T) => boolean): T | null {
    let first = -1;
    for (let i = this.cursor; i < this.chain.steps.length; i++) {
      const s = this.chain.steps[i]!;
      if (!pred(s)) continue;
      if (first < 0) first = i;
      if (judge(s)) {
        this.cursor = i + 1;
        return s;
      }
    }
    if (first < 0) return null;
    this.cursor = first + 1;
    return this.chain.steps[first] as T;
  }

  /** Router advertisements are link-wide and come at any time (EDK2 solicits after its DHCPv6):
   *  the first one that satisfies, from the cursor, else from the start; the cursor stays. */
  findRa(judge: (s: RaStep) => boolean): RaStep | null {
    const ras = this.chain.steps.filter((s): s is RaStep => s.kind === 'ra' && s.advert !== null);
    const after = ras.filter((s) => this.chain.steps.indexOf(s) >= this.cursor);
    return after.find(judge) ?? ras.find(judge) ?? after[0] ?? ras[0] ?? null;
  }

  /** Recorded steps after the cursor. */
  rest(): readonly BootStep[] {
    return this.chain.steps.slice(this.cursor);
  }

  /** The decoded DHCPv4 messages of a recorded exchange, in capture order. */
  messages(frames: readonly number[]): DhcpV4Message[] {
    return pick(this.captured.v4, frames);
  }

  /** The decoded DHCPv6 messages of a recorded exchange, in capture order. */
  messages6(frames: readonly number[]): DhcpV6Message[] {
    return pick(this.captured.v6, frames);
  }
}

function pick<T>(byFrame: ReadonlyMap<number, T>, frames: readonly number[]): T[] {
  const out: T[] = [];
  for (const f of frames) {
    const m = byFrame.get(f);
    if (m !== undefined) out.push(m);
  }
  return out;
}
