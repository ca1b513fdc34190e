/** Hand-built Analysis objects for the report and CLI tests (no engine needed). */
import type { Analysis, ClientReport as BootChain } from '../../src/analysis/types.js';
import type { Finding } from '../../src/findings/types.js';
import type { Dhcp4Step } from '../../src/flow/types.js';
import { findingDef, type FindingCode } from '../../src/findings/catalogue.js';

const T0 = 1700000000.25;

export const GOOD_MAC = '52:54:00:12:34:56';
export const BAD_MAC = '52:54:00:ab:cd:ef';

function dhcp4(over: Partial<Dhcp4Step>): Dhcp4Step {
  return {
    kind: 'dhcp4', start: T0, duration: 0.5, ok: true, frames: [1, 2, 3, 4, 5], xid: 0x1234,
    messages: ['DISCOVER', 'OFFER', 'OFFER', 'REQUEST', 'ACK'],
    offers: [
      { server: '198.51.100.1', yiaddr: '198.51.100.50', frame: 2, delay: 0.01, bootfile: 'ipxe.efi', nextServer: '198.51.100.1', proxy: false },
      { server: '198.51.100.2', yiaddr: '0.0.0.0', frame: 3, delay: 0.02, bootfile: 'ipxe.efi', nextServer: '198.51.100.2', proxy: true },
    ],
    server: '198.51.100.1', yiaddr: '198.51.100.50', bootfile: 'ipxe.efi', nextServer: '198.51.100.1',
    stage: 'firmware', vendorClass: 'PXEClient:Arch:00007:UNDI:003016', userClass: [], arch: 7, leaseTime: 3600,
    relay: null, ackOptions: [1, 3, 51, 53, 54, 67],
    ...over,
  };
}

let findingIds = 0;

export function finding(code: FindingCode, client: string | null, frames: number[], message?: string): Finding {
  const d = findingDef(code);
  return { id: `F${++findingIds}`, code, severity: d.severity, client, attempt: client === null ? null : 0, causedBy: null, pxeError: null, frames, message: message ?? d.summary, hint: d.hint };
}

const goodChain: BootChain = {
  mac: GOOD_MAC, role: 'boot', roleReason: 'PXE firmware', outcome: 'booted', rootCause: null, attempts: [],
  arch: 7, archName: 'x64 UEFI', vendorClass: 'PXEClient:Arch:00007:UNDI:003016', timeToBootProgram: 3.5, booted: true,
  steps: [
    dhcp4({}),
    {
      kind: 'tftp', start: T0 + 1.2, duration: 0.004, ok: true, frames: [6, 7, 8], opcode: 'RRQ', direction: 'download', file: 'ipxe.efi', server: '198.51.100.1', unreachable: null, serverPort: 49152,
      requestedOptions: { tsize: '0', blksize: '1468' }, acknowledgedOptions: { tsize: '1048576' }, blksize: 512, tsize: 1048576,
      bytes: 0, blocks: 0, retransmits: 0, complete: false, error: { code: 8, message: 'User aborted the transfer' }, probe: true, throughput: null,
    },
    {
      kind: 'tftp', start: T0 + 1.3, duration: 1.1, ok: true, frames: [9, 10, 11, 12], opcode: 'RRQ', direction: 'download', file: 'ipxe.efi', server: '198.51.100.1', unreachable: null, serverPort: 49153,
      requestedOptions: { blksize: '1468' }, acknowledgedOptions: { blksize: '1468' }, blksize: 1468, tsize: null,
      frameCount: 1432, bytes: 1048576, blocks: 715, retransmits: 2, complete: true, error: null, probe: false, throughput: 953250,
    },
    dhcp4({ start: T0 + 2.9, frames: [13, 14, 15, 16], messages: ['DISCOVER', 'OFFER', 'REQUEST', 'ACK'], offers: [], stage: 'ipxe', userClass: ['iPXE'], bootfile: 'http://198.51.100.1/boot.ipxe' }),
    {
      kind: 'http', start: T0 + 3.5, duration: 0.02, ok: true, frames: [17, 18, 19], url: 'http://198.51.100.1/boot.ipxe', method: 'GET',
      server: '198.51.100.1', status: 200, bytes: 312, ttfb: 0.003, throughput: 15600, complete: true,
    },
  ],
};

const badChain: BootChain = {
  mac: BAD_MAC, role: 'boot', roleReason: 'PXE firmware', outcome: 'failed', rootCause: 'dhcp.nak', attempts: [],
  arch: 0, archName: 'x86 BIOS', vendorClass: 'PXEClient:Arch:00000:UNDI:002001', timeToBootProgram: null, booted: false,
  steps: [dhcp4({ start: T0 + 10, ok: false, frames: [20, 21, 22, 23], messages: ['DISCOVER', 'OFFER', 'REQUEST', 'NAK'], offers: [], yiaddr: null, bootfile: null, arch: 0 })],
};

/** Two clients: one boots (warning + info), one gets a NAK (error); a capture-wide warning. */
export function sampleAnalysis(): Analysis {
  return {
    file: 'captures/lab/sample.pcapng',
    packets: 23,
    clients: [structuredClone(goodChain), structuredClone(badChain)],
    findings: [
      finding('tftp.tsize-probe', GOOD_MAC, [6, 7, 8]),
      finding('tftp.retransmit', GOOD_MAC, [10, 11], 'ipxe.efi: 2 blocks sent twice'),
      finding('dhcp.nak', BAD_MAC, [23], 'Server 198.51.100.1 NAKed the REQUEST for 198.51.100.77'),
      finding('capture.truncated', null, [23]),
    ],
    summary: {
      clients: 2, otherClients: 0, booted: 1, failed: 1, incomplete: 0, errors: 1, warnings: 2, infos: 1,
      medianTimeToBootProgram: 3.5, p95TimeToBootProgram: 3.5, firstPacket: T0, lastPacket: T0 + 10.5,
    },
  };
}

/** Characters that break XML and terminals, in a file name, a TFTP error text and a finding message. */
export const NASTY = 'a<b>&c"d\'e\u0000f\u001bg\uD800h';

export function nastyAnalysis(): Analysis {
  const a = sampleAnalysis();
  a.file = `captures/${NASTY}.pcap`;
  a.findings[2]!.message = `server said ${NASTY}`;
  a.findings.push(finding('decode.malformed', null, [4], `frame 4: ${NASTY}`));
  a.findings.push(finding('tftp.error', null, [], `capture-wide ${NASTY}`));
  return a;
}
