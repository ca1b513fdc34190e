/**
 * Fuzz targets: each takes arbitrary bytes and must return without throwing (except the input
 * errors a target lists as expected: "not a capture" is a clean answer, not a crash). The
 * coverage-guided engine (fuzz/engine.mjs) runs them on an istanbul-instrumented bundle of this
 * file; test/fuzz/regressions.test.ts replays fuzz/regressions/ through them directly.
 */
import { CaptureFormatError, type CaptureRecord } from '../src/capture/types.js';
import { readCaptureBuffer } from '../src/capture/reader.js';
import { PcapParser } from '../src/capture/pcap.js';
import { PcapngParser } from '../src/capture/pcapng.js';
import { DecodePipeline } from '../src/decode/pipeline.js';
import { BootChainBuilder } from '../src/flow/builder.js';
import { analyzeFacts } from '../src/analysis/engine.js';
import { renderAnalysisText } from '../src/report/analyze-text.js';
import { renderAnalysisJson } from '../src/report/analyze-json.js';
import { parseDhcpV4 } from '../src/wire/dhcpv4/message.js';
import { parseDhcpV6 } from '../src/wire/dhcpv6/message.js';
import { parseTftp } from '../src/wire/tftp.js';
import { parseLink } from '../src/wire/link.js';
import { parseIpv4 } from '../src/wire/ipv4.js';
import { parseIpv6 } from '../src/wire/ipv6.js';
import { parseUdp } from '../src/wire/udp.js';
import { parseTcp } from '../src/wire/tcp.js';
import { parseIcmp } from '../src/wire/icmp.js';
import { parseIcmpv6 } from '../src/wire/icmpv6.js';
import { parseNdp } from '../src/wire/ndp.js';
import { parseArp } from '../src/wire/arp.js';
import { HttpConnectionParser, type HttpSink } from '../src/wire/http/connection.js';
import type { WireIssue } from '../src/wire/issues.js';
import { parseScenario, ScenarioError } from '../src/scenario/load.js';
import { interpretIpxeScript } from '../src/scenario/ipxe-script.js';
import { Dhcp4Client } from '../src/scenario/clients/dhcp4.js';
import { Dhcp6Client } from '../src/scenario/clients/dhcp6.js';
import { TftpClient } from '../src/scenario/clients/tftp.js';
import { HttpClient } from '../src/scenario/clients/http.js';
import type { ClientMachine, UdpDatagram } from '../src/scenario/clients/types.js';

export interface FuzzTarget {
  /** One input, start to end. Throws only on a bug (or an `expected` input error). */
  fuzz(data: Uint8Array): void;
  /** Input errors that are the documented answer to bad input, not a crash. */
  expected?(err: unknown): boolean;
}

/** Several messages in one input: [u16 length][bytes]…, a short length takes what is left. */
export function records(data: Uint8Array, max = 64): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  while (p + 2 <= data.length && out.length < max) {
    const len = (data[p]! << 8) | data[p + 1]!;
    out.push(data.subarray(p + 2, Math.min(data.length, p + 2 + len)));
    p += 2 + len;
  }
  return out;
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');
const noop = (): void => undefined;

/** The analyze command end to end, in memory: read → decode → flow → findings → text and JSON report. */
function analyze(data: Uint8Array): void {
  const builder = new BootChainBuilder();
  const pipeline = new DecodePipeline(builder);
  let first: number | null = null;
  let last: number | null = null;
  const summary = readCaptureBuffer(data, (rec) => {
    if (first === null) first = rec.time;
    if (last === null || rec.time > last) last = rec.time;
    pipeline.push(rec);
  }, 'fuzz');
  pipeline.finish();
  const facts = builder.facts({ file: 'fuzz', packets: summary.records, warnings: summary.warnings, truncated: summary.truncated, firstPacket: first, lastPacket: last });
  const analysis = analyzeFacts(facts);
  renderAnalysisText(analysis, undefined, { width: 80 });
  renderAnalysisJson(analysis);
}

const isCaptureFormatError = (e: unknown): boolean => e instanceof CaptureFormatError;

/** A capture file format parser fed in uneven pieces (the streaming reader refills like this). */
function feedInPieces(parser: { feed(b: Uint8Array, off: number, end: number): number; end(rest: number): void; stopped: boolean }, data: Uint8Array): void {
  // The reader keeps unconsumed bytes and feeds them again with more; one whole-buffer feed here.
  const pos = parser.feed(data, 0, data.length);
  if (!parser.stopped) parser.end(data.length - pos);
}

const sink = (rec: CaptureRecord): void => void rec.data.length;

const httpSink: HttpSink = { onRequest: noop, onResponse: noop, onBody: noop, onBodyData: noop, onTrailers: noop, onMessageComplete: noop, onError: noop };

/** Run a protocol client: dispatch, then each record as a reply from `from`, the clock moving on. */
function driveClient<R>(client: ClientMachine<R>, replies: Uint8Array[], from: { addr: string; port: number }, to: { addr: string; port: number }): void {
  let now = 0;
  client.dispatch(now);
  for (const payload of replies) {
    now += 0.25;
    const d: UdpDatagram = { src: from, dst: to, payload };
    client.process(d, now);
    client.dispatch(now);
    const next = client.pollAt();
    if (next !== null && next > now && next - now < 5) { now = next; client.dispatch(now); }
    if (client.done()) break;
  }
}

export const TARGETS: Record<string, FuzzTarget> = {
  analyze: { fuzz: analyze, expected: isCaptureFormatError },
  pcap: {
    fuzz: (d) => feedInPieces(new PcapParser(sink), d),
    expected: isCaptureFormatError,
  },
  pcapng: {
    fuzz: (d) => feedInPieces(new PcapngParser(sink), d),
    expected: isCaptureFormatError,
  },
  // Each protocol parser, alone, on raw bytes (the pipeline only hands them plausible ones).
  wire: {
    fuzz: (d) => {
      if (d.length === 0) return;
      const issues: WireIssue[] = [];
      const body = d.subarray(1);
      switch (d[0]! % 12) {
        case 0: parseDhcpV4(body, issues); break;
        case 1: parseDhcpV6(body, issues); break;
        case 2: parseTftp(body, issues); break;
        case 3: parseLink(d[1] ?? 1, d.subarray(2), issues); break;
        case 4: parseIpv4(body, issues); break;
        case 5: parseIpv6(body, issues); break;
        case 6: parseUdp(body, issues); break;
        case 7: parseTcp(body, issues); break;
        case 8: parseIcmp(body, issues); break;
        case 9: parseIcmpv6(body, issues); parseNdp(body, issues); break;
        case 10: parseArp(body, issues); break;
        default: parseLink(276, body, issues); break; // Linux SLL2
      }
    },
  },
  http: {
    fuzz: (d) => {
      const p = new HttpConnectionParser(httpSink);
      let t = 0;
      for (const r of records(d)) {
        const fromClient = r.length > 0 && (r[0]! & 1) === 1;
        p.push(fromClient, r.subarray(1), t, t);
        t++;
      }
      p.end(true, t, t);
      p.end(false, t, t);
    },
  },
  scenario: {
    fuzz: (d) => void parseScenario(utf8.decode(d), 'fuzz.yaml'),
    expected: (e) => e instanceof ScenarioError,
  },
  ipxe: {
    fuzz: (d) => {
      const text = latin1.decode(d);
      interpretIpxeScript(text.startsWith('#!ipxe') ? text : `#!ipxe\n${text}`, {
        vars: new Map([['mac', '52:54:00:12:34:56'], ['ip', '198.51.100.10'], ['next-server', '198.51.100.1'], ['buildarch', 'x86_64'], ['platform', 'efi']]),
        baseUrl: 'http://198.51.100.1/boot.ipxe',
        maxSteps: 2000,
      });
    },
  },
  'client-dhcp4': {
    fuzz: (d) => driveClient(
      new Dhcp4Client({ mac: '52:54:00:00:0e:f1', persona: 'uefi-x64', xid: 0xdf8841ff, random: () => 0.5, maxAttempts: 2 }),
      records(d), { addr: '198.51.100.1', port: 67 }, { addr: '255.255.255.255', port: 68 },
    ),
  },
  'client-dhcp6': {
    fuzz: (d) => driveClient(
      new Dhcp6Client({ mac: '52:54:00:00:0e:f6', persona: 'uefi-x64-v6', xid: 0x3c9360, random: () => 0.5 }, { kind: 'sarr' }),
      records(d), { addr: 'fe80::1', port: 547 }, { addr: 'fe80::5054:ff:fe00:ef6', port: 546 },
    ),
  },
  'client-tftp': {
    fuzz: (d) => driveClient(
      new TftpClient({ server: '198.51.100.1', clientAddr: '198.51.100.10', clientPort: 2000, file: 'boot.efi', options: { tsize: true, blksize: 1468 }, tsizeProbe: d.length % 2 === 1, maxRetransmits: 2 }),
      records(d), { addr: '198.51.100.1', port: 40000 }, { addr: '198.51.100.10', port: 2000 },
    ),
  },
  'client-http': {
    fuzz: (d) => {
      const c = new HttpClient({ host: '198.51.100.1', path: '/boot.ipxe', keepBody: true });
      c.request(0);
      let t = 0;
      for (const r of records(d)) c.receive(r, ++t);
      c.end(t + 1);
    },
  },
};
