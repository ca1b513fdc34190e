/**
 * For senders of many near-identical messages (a load run's thousands of DISCOVERs): a message
 * encoded ONCE by this codec, with the offsets of the fields that change per client, so a copy is
 * patched in place instead of built; and a reply read at fixed offsets plus one option walk,
 * without building a message object. The format stays this module's business.
 */
import { emitDhcpV4, F, FIXED_LEN, BootOp, MAGIC_COOKIE, type DhcpV4Message } from './message.js';
import { u32 as readU32 } from '../bytes.js';
import { DhcpV4Code } from './options.js';
import { bootNameSource, BootNameSource } from './accessors.js';

export interface DhcpV4Template {
  /** The encoded message: copy it, then patch the copy. */
  readonly bytes: Uint8Array;
  /** Offsets of the fixed fields a sender patches. */
  readonly xid: number;
  readonly secs: number;
  readonly flags: number;
  readonly ciaddr: number;
  readonly chaddr: number;
  /** Data offset of each option's first instance in the options area, by code. */
  readonly options: ReadonlyMap<number, number>;
}

/** Encodes `msg` and notes where its patchable fields and options are. */
export function encodeTemplate(msg: DhcpV4Message): DhcpV4Template {
  const bytes = emitDhcpV4(msg);
  const options = new Map<number, number>();
  for (let i = F.OPTIONS; i < bytes.length;) {
    const code = bytes[i]!;
    if (code === DhcpV4Code.PAD) { i++; continue; }
    if (code === DhcpV4Code.END || i + 1 >= bytes.length) break;
    if (!options.has(code)) options.set(code, i + 2);
    i += 2 + bytes[i + 1]!;
  }
  return { bytes, xid: F.XID, secs: F.SECS, flags: F.FLAGS, ciaddr: F.CIADDR, chaddr: F.CHADDR, options };
}

/** What a client needs of a server reply; filled in place by `scanReply` (one object reused). */
export interface DhcpV4ReplyScan {
  xid: number;
  /** Option 53, 0 when absent. */
  type: number;
  yiaddr: number;
  /** Option 54 as a 32-bit number; `hasServerId` false when absent (or not 4 bytes). */
  serverId: number;
  hasServerId: boolean;
  /** Option 1 (0 when absent) and option 3's first router (0 when absent). */
  subnetMask: number;
  router: number;
  /** `effectiveBootFile(parseDhcpV4(b)) !== null`, the general runner's PXE offer choice: the same
   *  rule (bootNameSource) fed with what the walk saw. */
  hasBootFile: boolean;
}

export function newReplyScan(): DhcpV4ReplyScan {
  return { xid: 0, type: 0, yiaddr: 0, serverId: 0, hasServerId: false, subnetMask: 0, router: 0, hasBootFile: false };
}

/**
 * Is `b` a server's reply to this client's transaction: a whole fixed header, BOOTREPLY, `xid`,
 * chaddr starting with `mac[macAt .. macAt + macLength]`? The filter both DHCPv4 clients apply
 * before reading a reply (Dhcp4Client's parseReplyFor, the lean DORA engine's receive).
 */
export function isReplyFor(b: Uint8Array, xid: number, mac: Uint8Array, macAt: number, macLength: number): boolean {
  if (b.length < FIXED_LEN || b[F.OP] !== BootOp.REPLY || readU32(b, F.XID) !== xid >>> 0) return false;
  for (let i = 0; i < macLength; i++) if (b[F.CHADDR + i] !== mac[macAt + i]) return false;
  return true;
}

/**
 * Reads a BOOTREPLY with the DHCP cookie into `out`; false when `b` is not one. Options are walked
 * once in RFC 3396 order (options area, then `file` and `sname` when option 52 overloads them);
 * the first instance of each option counts (the ones read here are fixed-size).
 */
export function scanReply(b: Uint8Array, out: DhcpV4ReplyScan): boolean {
  if (b.length < F.OPTIONS || b[F.OP] !== BootOp.REPLY) return false;
  for (let i = 0; i < 4; i++) if (b[FIXED_LEN + i] !== MAGIC_COOKIE[i]) return false;
  out.xid = readU32(b, F.XID);
  out.yiaddr = readU32(b, F.YIADDR);
  out.type = 0;
  out.serverId = 0;
  out.hasServerId = false;
  out.subnetMask = 0;
  out.router = 0;
  out.hasBootFile = false;
  const overload = walkArea(b, F.OPTIONS, b.length, out);
  // As parseDhcpV4: the areas hold options only for overload 1..3; any odd value hides `file` (overloadValue & 1).
  if (overload >= 1 && overload <= 3) {
    if (overload & 1) walkArea(b, F.FILE, F.FILE + 128, out);
    if (overload & 2) walkArea(b, F.SNAME, F.SNAME + 64, out);
  }
  // Until here hasBootFile says only that some area held option 67.
  out.hasBootFile = bootNameSource(out.hasBootFile, (overload & 1) !== 0, b, F.FILE) !== BootNameSource.NONE;
  return true;
}

/** Walks one area's options into `out` (hasBootFile: option 67 seen); returns the first option 52's value (0 when none). */
function walkArea(b: Uint8Array, start: number, end: number, out: DhcpV4ReplyScan): number {
  const seen = { type: out.type !== 0, sid: out.hasServerId, mask: out.subnetMask !== 0, router: out.router !== 0 };
  let overload = 0;
  let overloadSeen = false;
  for (let i = start; i < end;) {
    const code = b[i]!;
    if (code === DhcpV4Code.PAD) { i++; continue; }
    if (code === DhcpV4Code.END) break;
    // A cut-short option still counts as present, as parseDhcpV4 keeps it (with what data there is).
    if (i + 1 >= end) { if (code === DhcpV4Code.BOOTFILE_NAME) out.hasBootFile = true; break; }
    const len = b[i + 1]!;
    const d = i + 2;
    if (d + len > end) {
      if (code === DhcpV4Code.BOOTFILE_NAME) out.hasBootFile = true;
      if (code === DhcpV4Code.OVERLOAD && !overloadSeen && d < end) overload = b[d]!;
      break;
    }
    switch (code) {
      case DhcpV4Code.MESSAGE_TYPE: if (!seen.type && len >= 1) { out.type = b[d]!; seen.type = true; } break;
      case DhcpV4Code.SERVER_ID: if (!seen.sid && len === 4) { out.serverId = readU32(b, d); out.hasServerId = true; seen.sid = true; } break;
      case DhcpV4Code.SUBNET_MASK: if (!seen.mask && len === 4) { out.subnetMask = readU32(b, d); seen.mask = true; } break;
      case DhcpV4Code.ROUTER: if (!seen.router && len >= 4) { out.router = readU32(b, d); seen.router = true; } break;
      case DhcpV4Code.BOOTFILE_NAME: out.hasBootFile = true; break;
      case DhcpV4Code.OVERLOAD: if (len >= 1 && !overloadSeen) { overload = b[d]!; overloadSeen = true; } break;
      default: break;
    }
    i = d + len;
  }
  return overload;
}
