/**
 * One entry for the decode pipeline: strip whatever link-layer header the capture's link type
 * implies and say what comes next (an EtherType), with MACs and VLAN ids when the link has them.
 */
import { LinkType } from './link-type.js';
import { u32, u32le } from './bytes.js';
import { EtherType, parseEthernet, parseVlanTags, type VlanTag } from './ethernet.js';
import { pushIssue, type WireIssue } from './issues.js';
import { parseSll, parseSll2, sllAddressString, type SllFrame, type SllRepr } from './sll.js';

export interface LinkFrame {
  srcMac: string | null;
  dstMac: string | null;
  /** VLAN ids, outermost first. */
  vlans: number[];
  /** 0x0800 IPv4, 0x86dd IPv6, else as read; null when the link does not say. */
  etherType: number | null;
  payload: Uint8Array;
  /** Offset of `payload` in the frame. */
  payloadOffset: number;
}

/** BSD address families in DLT_NULL / DLT_LOOP headers. IPv6 differs between systems. */
const AF_INET = 2;
const AF_INET6 = new Set([10 /* Linux */, 24 /* NetBSD, OpenBSD */, 28 /* FreeBSD */, 30 /* macOS */]);

const NULL_HEADER_LENGTH = 4;

function vlanIds(tags: VlanTag[]): number[] {
  const ids: number[] = [];
  for (const t of tags) ids.push(t.vid);
  return ids;
}

/** Parse the link header of `frame` for `linkType`; null only when nothing usable remains. */
export function parseLink(linkType: number, frame: Uint8Array, issues: WireIssue[]): LinkFrame | null {
  switch (linkType) {
    case LinkType.ETHERNET: {
      const eth = parseEthernet(frame, issues, 0);
      if (!eth) return null;
      return { srcMac: eth.src, dstMac: eth.dst, vlans: vlanIds(eth.vlans), etherType: eth.etherType, payload: eth.payload, payloadOffset: eth.headerLength };
    }
    case LinkType.NULL:
    case LinkType.LOOP:
      return parseNull(linkType, frame, issues);
    case LinkType.RAW:
      return raw(frame, ipVersionType(frame, issues), issues);
    case LinkType.IPV4:
      return raw(frame, EtherType.IPV4, issues);
    case LinkType.IPV6:
      return raw(frame, EtherType.IPV6, issues);
    case LinkType.LINUX_SLL:
      return cooked(parseSll(frame, issues, 0), 16, 'sll', frame, issues);
    case LinkType.LINUX_SLL2:
      return cooked(parseSll2(frame, issues, 0), 20, 'sll2', frame, issues);
    default:
      pushIssue(issues, 'unsupported', 'link', 0, `link type ${linkType} is not supported`);
      return null;
  }
}

function raw(frame: Uint8Array, etherType: number | null, issues: WireIssue[]): LinkFrame | null {
  if (frame.length === 0) {
    pushIssue(issues, 'truncated', 'link', 0, 'empty frame');
    return null;
  }
  return { srcMac: null, dstMac: null, vlans: [], etherType, payload: frame, payloadOffset: 0 };
}

function ipVersionType(frame: Uint8Array, issues: WireIssue[]): number | null {
  if (frame.length === 0) return null;
  const version = frame[0]! >>> 4;
  if (version === 4) return EtherType.IPV4;
  if (version === 6) return EtherType.IPV6;
  pushIssue(issues, 'malformed', 'link', 0, `raw IP frame with IP version ${version}`);
  return null;
}

function parseNull(linkType: number, frame: Uint8Array, issues: WireIssue[]): LinkFrame | null {
  if (frame.length < NULL_HEADER_LENGTH) {
    pushIssue(issues, 'truncated', 'null', 0, `loopback header needs 4 bytes, ${frame.length} present`);
    return null;
  }
  let af: number;
  if (linkType === LinkType.LOOP) af = u32(frame, 0);
  else {
    // Host byte order of the capturing machine: a family never needs the high 16 bits.
    af = u32le(frame, 0);
    if (af & 0xffff0000) af = u32(frame, 0);
  }
  let etherType: number | null = null;
  if (af === AF_INET) etherType = EtherType.IPV4;
  else if (AF_INET6.has(af)) etherType = EtherType.IPV6;
  else pushIssue(issues, 'unsupported', 'null', 0, `loopback address family ${af} is not IPv4 or IPv6`);
  return { srcMac: null, dstMac: null, vlans: [], etherType, payload: frame.subarray(NULL_HEADER_LENGTH), payloadOffset: NULL_HEADER_LENGTH };
}

function cooked(parsed: SllFrame<SllRepr> | null, headerLength: number, layer: string, frame: Uint8Array, issues: WireIssue[]): LinkFrame | null {
  if (!parsed) return null;
  const { repr } = parsed;
  const tags: VlanTag[] = [];
  // Linux usually strips VLAN tags into metadata; a tag left in the data follows the header.
  const { offset, type } = parseVlanTags(frame, headerLength, repr.protocol, tags, issues, 0, layer);
  return {
    srcMac: repr.addressLength === 6 ? sllAddressString(repr) : null,
    dstMac: null,
    vlans: vlanIds(tags),
    etherType: type,
    payload: frame.subarray(offset),
    payloadOffset: offset,
  };
}
