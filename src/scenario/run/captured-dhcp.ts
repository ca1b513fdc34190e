/**
 * The decoded DHCP messages of a recorded boot: what `analyze --scenario` observes a recorded
 * exchange from, with the same functions as a live one (dhcp-facts.ts, dhcp6-facts.ts). Taken on
 * the way through the analysis's own single read (its tap), so a pipe, a FIFO or merged files give
 * the same messages as a file; the checker (offline.ts) stays pure.
 */
import { tapMessages, type DecodeSink } from '../../decode/messages.js';
import { parseDhcpV4, type DhcpV4Message } from '../../wire/dhcpv4/index.js';
import { parseDhcpV6, type DhcpV6Message } from '../../wire/dhcpv6/index.js';

/** DHCPv4 and DHCPv6 messages by frame number. */
export interface CapturedDhcp {
  v4: ReadonlyMap<number, DhcpV4Message>;
  v6: ReadonlyMap<number, DhcpV6Message>;
}

/**
 * Keeps a copy of every DHCP payload the decoder passes (which exchanges a scenario step matches is
 * known only once the analysis is done), then parses the frames asked for.
 */
export class DhcpCollector {
  private readonly v4 = new Map<number, Uint8Array>();
  private readonly v6 = new Map<number, Uint8Array>();

  /** `next` (the boot-chain builder) with the DHCP payloads copied on the way. */
  tap(next: DecodeSink): DecodeSink {
    return tapMessages(next, (m) => {
      // The payload views the capture buffer, valid during this call only: keep a copy.
      if (m.proto === 'dhcp4') this.v4.set(m.frame, new Uint8Array(m.payload));
      else if (m.proto === 'dhcp6') this.v6.set(m.frame, new Uint8Array(m.payload));
    });
  }

  /** The messages of `frames` (offline.ts `dhcpFrames`: the recorded DHCP exchanges), parsed. */
  captured(frames: ReadonlySet<number>): CapturedDhcp {
    const v4 = new Map<number, DhcpV4Message>();
    const v6 = new Map<number, DhcpV6Message>();
    for (const f of frames) {
      const b4 = this.v4.get(f);
      if (b4 !== undefined) v4.set(f, parseDhcpV4(b4, []));
      const b6 = this.v6.get(f);
      if (b6 !== undefined) v6.set(f, parseDhcpV6(b6, []));
    }
    return { v4, v6 };
  }
}
