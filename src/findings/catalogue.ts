/**
 * The finding catalogue: the one place finding codes are defined. Codes are stable public ids
 * (like Wireshark's expert-info ids); never rename one, add a new one instead.
 */
export type Severity = 'error' | 'warning' | 'info';
export type FindingGroup = 'capture' | 'malformed' | 'sequence' | 'timing' | 'response' | 'config';

export interface FindingDef {
  code: string;
  severity: Severity;
  group: FindingGroup;
  /** One line: what this finding means. */
  summary: string;
  /** What to check on the server side. */
  hint: string;
  /** The error a user sees on the console, or the standard that applies. */
  reference?: string;
}

const defs = [
  {
    code: 'capture.truncated', severity: 'warning', group: 'capture',
    summary: 'The capture file ends in the middle of a record; everything before it was analyzed.',
    hint: 'Stop the capture cleanly (Ctrl-C on tcpdump) before copying the file.',
  },
  {
    code: 'capture.corrupt', severity: 'error', group: 'capture',
    summary: 'The capture file is corrupt (an absurd record or block length, a packet on an undescribed interface, a corrupt gzip stream); what could not be read was not analyzed.',
    hint: 'Copy the capture again (binary mode, complete), or check it with `capinfos` / `editcap`; the verdict covers only the packets before the damage.',
  },
  {
    code: 'capture.unsupported-link', severity: 'warning', group: 'capture',
    summary: 'Packets of a link type pxecheck does not decode were skipped.',
    hint: 'Capture on an Ethernet interface or the Linux "any" device (cooked), or convert the file with `editcap -T ether`.',
  },
  {
    code: 'capture.unsupported', severity: 'info', group: 'capture',
    summary: 'The capture file has parts pxecheck skips (an unknown block type, an unexpected format version).',
    hint: 'Usually harmless: the packets were read. Re-save the file with `editcap` if in doubt.',
  },
  {
    code: 'capture.limit', severity: 'warning', group: 'capture',
    summary: 'pxecheck hit one of its memory limits (out-of-order TCP bytes, open TCP connections, IP fragments in flight) and skipped what did not fit; streams it touched may be analyzed with gaps.',
    hint: 'Usually a capture of a flood, a scan or heavy loss rather than of boot traffic: filter the capture to the boot clients and servers (tcpdump/editcap) and analyze again.',
  },
  {
    code: 'capture.clock-jump', severity: 'warning', group: 'capture',
    summary: 'The capture timestamps jump back, or forward by more than a day (a clock step, or captures joined end to end); durations are measured on the steady parts only.',
    hint: 'Capture with a clock that is not stepped during the capture (NTP slewing), and join captures with `mergecap`, which orders packets by time, rather than `mergecap -a`.',
  },
  {
    code: 'capture.duplicate-frames', severity: 'info', group: 'capture',
    summary: 'Frames were recorded twice within milliseconds, the same IP packet byte for byte; pxecheck analyzed the first copy only, so they raise no retransmission.',
    hint: 'A mirror (SPAN) port, or a capture on a bridge and its member, records each frame twice; pxecheck ignored the second copies. Nothing to fix in the network.',
  },
  {
    code: 'capture.remote-mirror', severity: 'info', group: 'capture',
    summary: 'The capture is of a remote mirror: the boot traffic came to the collector inside ERSPAN, GRE (gretap) or VXLAN packets; pxecheck analyzed the mirrored frames inside them, as if captured at the mirror point. Traffic that came through a routed IP-in-GRE tunnel (between two sites\' routers) is told the same way, as a tunnel.',
    hint: 'Nothing to fix. The switch-to-collector addresses are the tunnel\'s, not devices of the boot; a mirror that truncates frames (ERSPAN mirror MTU) cuts them like a snap length.',
  },
  {
    code: 'capture.one-sided', severity: 'warning', group: 'capture',
    summary: 'The capture holds one direction of a device\'s exchange only: it acted on answers the capture does not hold (a REQUEST naming the server of an OFFER, packets from an address no ACK gave it), or servers answered it and none of its own packets are there. Its boot cannot be judged from this capture.',
    hint: 'Capture both directions: a mirror (SPAN) port set to both ingress and egress (`monitor session … both`), on the client\'s side of the relay, with tcpdump below the host firewall (or on the switch, not the server); then analyze again.',
  },
  {
    code: 'capture.snaplen', severity: 'warning', group: 'capture',
    summary: 'Frames were cut short by the capture\'s snap length: what lies past the cut (DHCP options, HTTP, TFTP data) is not in the capture, and boots that depend on it cannot be judged.',
    hint: 'Re-capture whole frames: `tcpdump -s 0` (old tcpdump cut at 68 or 96 bytes by default), `dumpcap -s 0`, or the capture appliance\'s "slice length" off.',
  },
  {
    code: 'decode.malformed', severity: 'warning', group: 'malformed',
    summary: 'A packet could not be fully decoded (truncated or breaking its protocol rules).',
    hint: 'Check the snap length of the capture (tcpdump -s 0) and the sender of the packet.',
  },
  {
    code: 'dhcp.no-offer', severity: 'error', group: 'response',
    summary: 'A client sent DISCOVER and no server offered an address.',
    hint: 'Is a DHCP server listening on this segment (or a relay with ip helper-address pointing at it)? Does its subnet/pool match the interface or giaddr? Is the client class or MAC filtered?',
    reference: 'PXE-E51: No DHCP or proxyDHCP offers were received',
  },
  {
    code: 'dhcp.no-ack', severity: 'error', group: 'response',
    summary: 'A client sent REQUEST and got neither ACK nor NAK.',
    hint: 'Does the server consider itself authoritative for the requested address? Check the server log for the REQUEST and for lease-database errors.',
  },
  {
    code: 'dhcp.nak', severity: 'error', group: 'response',
    summary: 'A server answered a REQUEST with NAK.',
    hint: 'The requested address is not valid on this subnet for this server (wrong subnet, moved client, two servers disagreeing, or an expired reservation).',
  },
  {
    code: 'dhcp.decline',
    severity: 'warning', group: 'response',
    summary: 'A client declined the address it was given (DHCPDECLINE): another host already uses it.',
    hint: 'An address conflict: a host with a static address inside the pool, a second DHCP server handing out the same range, or a lease database lost on a server restart. Exclude static addresses from the pool and check the server\'s conflict detection (ping-check).',
  },
  {
    code: 'dhcp.multiple-servers', severity: 'warning', group: 'config',
    summary: 'More than one DHCP server offered an address to the same client.',
    hint: 'Two servers answer on this segment: clients may pick either. Disable DHCP on one of them or scope their pools apart.',
  },
  {
    code: 'dhcp.slow-offer', severity: 'warning', group: 'timing',
    summary: 'The first offer came later than the threshold after the first DISCOVER.',
    hint: 'Check server load, ping-before-offer (conflict detection) delays, relay path latency and spanning-tree port fast on the client port.',
  },
  {
    code: 'dhcp.no-address-offer', severity: 'error', group: 'config',
    summary: 'Only proxyDHCP offers (no yiaddr) reached the client: no server hands out an address.',
    hint: 'A proxyDHCP server only adds boot information; a normal DHCP server must also serve this segment.',
  },
  {
    code: 'pxe.no-bootfile', severity: 'error', group: 'config',
    summary: 'A PXE client was offered an address but no boot file name (option 67 or the file field).',
    hint: 'Set the boot file for this client class (dnsmasq dhcp-boot / Kea boot-file-name / dhcpd filename), or run a proxyDHCP server.',
    reference: 'PXE-E53: No boot filename received',
  },
  {
    code: 'proxydhcp.no-reply', severity: 'error', group: 'response',
    summary: 'A PXE client asked the boot server on UDP 4011 and got no answer.',
    hint: 'Is the proxyDHCP/boot server listening on port 4011 and reachable (firewall)? Does its PXE menu/boot service match the client architecture?',
    reference: 'PXE-E55: ProxyDHCP service did not reply to request on port 4011',
  },
  {
    code: 'proxydhcp.reply-wrong-port', severity: 'warning', group: 'response',
    summary: 'A boot server answered a request sent to UDP 4011 from another port (67): firmware accepts it, iPXE drops it.',
    hint: 'Answer boot-server requests from port 4011 (the PXE specification; dnsmasq and WDS do). A NAT or firewall rule rewriting the source port, or a home-grown proxyDHCP answering from its port-67 socket, breaks iPXE\'s proxyDHCP step.',
  },
  {
    code: 'pxe.arch-mismatch', severity: 'error', group: 'config',
    summary: 'The boot program does not match the client architecture (a BIOS program to a UEFI client or the reverse).',
    hint: 'Match option 93 (client-arch) in the server config: 0 → undionly.kpxe (BIOS), 7/9 → ipxe.efi or snponly.efi (x64 UEFI), 11 → arm64 EFI.',
  },
  {
    code: 'ipxe.chainload-loop', severity: 'error', group: 'sequence',
    summary: 'A client already running iPXE was handed an iPXE binary again, or fetched the same boot program over and over.',
    hint: 'Give iPXE clients (user class "iPXE" or option 175) the HTTP script instead of the iPXE binary: dnsmasq dhcp-userclass=set:ipxe,iPXE / Kea a client class on user-class.',
  },
  {
    code: 'tftp.error', severity: 'error', group: 'response',
    summary: 'The TFTP server answered with an ERROR packet.',
    hint: 'Check that the file exists under the TFTP root with the exact name and case, and that the server may read it.',
  },
  {
    code: 'tftp.no-new-tid',
    severity: 'warning', group: 'response',
    summary: 'A TFTP server answered a transfer from port 69 instead of a port of its own (RFC 1350 §4 transfer identifier).',
    hint: 'The server bends RFC 1350: stateful firewalls, NAT and strict clients drop such answers, and its host may send ICMP port unreachable for the client\'s packets. Use a TFTP server that answers from an ephemeral port (tftpd-hpa, dnsmasq), or check the server\'s port-range setting.',
  },
  {
    code: 'tftp.tsize-probe', severity: 'info', group: 'sequence',
    summary: 'A UEFI-style size probe: RRQ with tsize, OACK, then the client ends it with ERROR 8 before the real transfer.',
    hint: 'Normal behaviour of UEFI and some PXE stacks: not a failure.',
  },
  {
    code: 'tftp.retransmit', severity: 'warning', group: 'timing',
    summary: 'TFTP blocks or ACKs were sent more than once.',
    hint: 'Packet loss or a slow path between client and server: check link errors, MTU (large blksize over a smaller path MTU), and server load.',
  },
  {
    code: 'tftp.timeout', severity: 'error', group: 'timing',
    summary: 'A TFTP transfer stopped before its last block.',
    hint: 'The client or server gave up: look for loss, a firewall that does not follow the ephemeral-port transfer (TFTP helper), or blksize larger than the path MTU.',
  },
  {
    code: 'tftp.option-ignored', severity: 'info', group: 'response',
    summary: 'The client requested a TFTP option the server did not acknowledge.',
    hint: 'The transfer falls back to defaults (512-byte blocks, lock-step): slower but correct. Enable the option on the server if speed matters.',
  },
  {
    code: 'tftp.block-oversize', severity: 'error', group: 'response',
    summary: 'A TFTP DATA block was longer than the negotiated block size (blksize of the OACK, or 512 without one).',
    hint: 'The sender breaks RFC 2348 (or RFC 1350\'s 512 without an OACK): PXE ROMs drop such blocks without a word and the transfer stalls. Check the TFTP server\'s blksize handling (a server that sends its own configured size whatever the client asked), or a proxy/WDS in between; an error when the receiver never acknowledged the block, a warning when it took it.',
    reference: 'RFC 2348 (blksize), RFC 1350 §5 (512-byte DATA)',
  },
  {
    code: 'http.error', severity: 'error', group: 'response',
    summary: 'An HTTP request of the boot chain got an error status (4xx/5xx) or no response.',
    hint: 'Check the URL path against the web server root and its access log.',
  },
  {
    code: 'httpboot.offer-ignored', severity: 'error', group: 'config',
    summary: 'A UEFI HTTP boot client ignores its offers: they lack vendor class "HTTPClient" (DHCPv4 option 60, DHCPv6 option 16) or a boot URL.',
    hint: 'For clients with vendor class HTTPClient, the server must echo "HTTPClient" (option 60; over DHCPv6 option 16 with enterprise 343) and send the boot file as a URL (option 67; DHCPv6 option 59).',
  },
  {
    code: 'dhcp6.no-advertise', severity: 'error', group: 'response',
    summary: 'A DHCPv6 client sent SOLICIT and no server advertised.',
    hint: 'Is a DHCPv6 server (or relay) on this link, listening on ff02::1:2? Is the subnet configured for this interface?',
  },
  {
    code: 'dhcp6.no-bootfile-url', severity: 'error', group: 'config',
    summary: 'A network-boot DHCPv6 client got an answer without a boot file URL (option 59).',
    hint: 'Configure option 59 (bootfile-url) for clients with arch type (option 61) 7/16, and make sure the client requests it in ORO.',
  },
  {
    code: 'dhcp6.status-error', severity: 'error', group: 'response',
    summary: 'A DHCPv6 server answered with a failure status code (NoAddrsAvail, UnspecFail, NotOnLink, NoBinding, UseMulticast...) at message, IA or address level.',
    hint: 'Read the status message: NoAddrsAvail/UnspecFail "address in use" — pool exhausted or two IAIDs of one client mapped to the same address (dnsmasq derives addresses from the DUID: widen the range or use Kea); NotOnLink — the subnet does not match the link; UseMulticast — the server refuses unicast.',
  },
  {
    code: 'dhcp6.slow-advertise', severity: 'warning', group: 'timing',
    summary: 'The first Advertise (or Rapid-Commit Reply) came later than the threshold after the first Solicit.',
    hint: 'Check server load, relay path latency, and spanning-tree port fast on the client port; a client waits at least 1 s (SOL_TIMEOUT) for Advertises anyway.',
  },
  {
    code: 'ra.missing-managed-flag', severity: 'warning', group: 'config',
    summary: 'IPv6 clients were active but every router advertisement on the link says M=0 while a DHCPv6 server answers, or no router advertisement was seen at all.',
    hint: 'Set the managed flag on the router of this link (radvd AdvManagedFlag on; dnsmasq enable-ra with a dhcp-range in stateful mode; Cisco ipv6 nd managed-config-flag): clients that obey the RA (iPXE, operating systems) skip DHCPv6 otherwise. If the capture was filtered, include ICMPv6.',
  },
  {
    code: 'ra.conflict', severity: 'warning', group: 'config',
    summary: 'Routers on the same link advertise different M/O flags or prefixes, or one router flips its flags between advertisements (RA flapping).',
    hint: 'Only one router (or a pair with identical configuration) should advertise on a boot segment: disable router advertisements on the other one, or align their managed/other flags and prefixes.',
  },
  {
    code: 'ipv6.boot-stall', severity: 'warning', group: 'timing',
    summary: 'A network-boot client spent longer than the threshold on IPv6 (from its first DHCPv6 Solicit) without a boot program before falling back to IPv4; an error when it never booted.',
    hint: 'Either make IPv6 boot work on this link (RA with M=1, a DHCPv6 server with option 59, a reachable TFTP/HTTP server) or remove the IPv6 boot entries from the firmware boot order.',
  },
  {
    code: 'boot.stopped',
    severity: 'error', group: 'sequence',
    summary: 'A boot attempt stopped before its goal with no error on the wire: the device went silent, or moved on to its next boot entry.',
    hint: 'Nothing the servers sent explains it: look at the device\'s console (an iPXE script that ended, a boot program that could not run, "Nothing to boot"), and at what the last step handed it (the script, the boot file, the options it needs).',
  },
  {
    code: 'phone.no-provisioning-server', severity: 'error', group: 'config',
    summary: "A phone's ACK has none of the provisioning options it needs (150, 66, 160, 43, 242).",
    hint: 'Add the TFTP/provisioning server option for this vendor class (Cisco: 150; Polycom: 160 or 66; Yealink: 66/43; Avaya: 242; Mitel: 43/125).',
  },
  {
    code: 'phone.default-config', severity: 'warning', group: 'config',
    summary: "A phone's own configuration file (Cisco SEP<mac>.cnf.xml) is missing, and it loaded the default configuration (XMLDefault.cnf.xml) instead: it runs, but not as provisioned for it.",
    hint: "Create the phone's configuration file under the TFTP root (or register the phone in the call manager so it writes one); with only the defaults it has no lines or settings of its own.",
  },
  {
    code: 'net.port-unreachable', severity: 'error', group: 'response',
    summary: 'A boot-chain request (TFTP, DHCP/proxyDHCP on 67/4011, or a transfer packet) was answered with ICMP destination unreachable: port, host or administratively prohibited.',
    hint: 'Nothing listens on that port at that address: check next-server/option 66 points at the TFTP server, that the service runs, and firewalls.',
  },
  {
    code: 'net.arp-unanswered', severity: 'error', group: 'response',
    summary: 'After its DHCP ACK the device asked by ARP again and again for the server its DHCP named (next server, option 66/150, a boot file URL\'s host) or its router (option 3), and no reply came: the firmware gives up before any TFTP or HTTP request (PXE-E11 ARP timeout on a BIOS PXE ROM).',
    hint: 'That server is down, or not on this link/VLAN (an off-link server needs a router, option 3), or the address in the DHCP configuration is wrong (a typo in next-server, option 66/150 or a reservation).',
    reference: 'RFC 826; PXE 2.1 (PXE-E11 ARP timeout)',
  },
  {
    code: 'net.fragments-lost', severity: 'error', group: 'config',
    summary: 'A boot-chain datagram bigger than the path MTU went out in IP fragments and some never arrived: the transfer stalled at its first big block (a TFTP blksize above the path MTU).',
    hint: 'A link on the way has a smaller MTU than the sender (a tunnel, a VLAN/MPLS hop, a switch port or firewall that drops fragments). Lower the TFTP block size below the path MTU (blksize ≤ MTU − 32 on IPv4: 1468 for 1500, 968 for 1000; tftpd-hpa -B, dnsmasq tftp-mtu, iPXE/firmware settings) or fix the MTU of that link.',
    reference: 'RFC 2348 (blksize), RFC 8900 (IP fragmentation considered fragile)',
  },
  {
    code: 'net.packet-too-big', severity: 'warning', group: 'config',
    summary: 'A router answered a boot-chain packet with ICMP "fragmentation needed" (IPv4) or "packet too big" (ICMPv6): the path MTU is smaller than the packets sent; it names the MTU.',
    hint: 'Path MTU discovery at work: the sender must resend smaller packets. TFTP does not: lower blksize to the MTU named minus 32 (IPv4) or 52 (IPv6), or raise the MTU of the link the router names; make sure firewalls pass these ICMP messages.',
    reference: 'RFC 1191 (PMTUD), RFC 8201 (IPv6 PMTUD)',
  },
  {
    code: 'net.pmtu-blackhole', severity: 'error', group: 'config',
    summary: 'Full-size packets of a download were sent again and again and never acknowledged while small packets got through, and no ICMP "fragmentation needed" came back: a path MTU black hole.',
    hint: 'A link on the way has a smaller MTU and drops bigger packets silently (or a firewall drops the ICMP that would tell the sender). Find that link (ping -M do -s SIZE) and raise its MTU, let ICMP type 3 code 4 / ICMPv6 type 2 through, or clamp the TCP MSS on the router (--clamp-mss-to-pmtu); for TFTP lower blksize.',
    reference: 'RFC 2923 (TCP problems with path MTU discovery), RFC 4821',
  },
] as const satisfies readonly FindingDef[];

export type FindingCode = (typeof defs)[number]['code'];

export const CATALOGUE: ReadonlyMap<FindingCode, FindingDef> = new Map(defs.map((d) => [d.code, d]));

export function findingDef(code: FindingCode): FindingDef {
  return CATALOGUE.get(code)!;
}
