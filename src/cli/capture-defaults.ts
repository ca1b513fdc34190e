/** `capture` defaults, apart so `--help` shows them without loading libpcap (start-up time). */

/**
 * Everything a boot can send: all UDP (DHCPv4/v6, proxyDHCP 4011, TFTP 69 and the ephemeral ports
 * of its transfers — the decoder's TFTP tracker sorts those out), HTTP on 80/8080, ICMP errors;
 * the same again inside one 802.1Q tag (after `vlan` BPF offsets move by 4); GRE (IPv4 and IPv6) for
 * ERSPAN/gretap mirrors and IP tunnels, whose frames the decoder takes out (VXLAN is UDP already);
 * ARP (a ROM asking for a next server that never answers: net.arp-unanswered).
 */
const BOOT_TRAFFIC = 'udp or icmp or icmp6 or tcp port 80 or tcp port 8080 or proto gre or arp';
export const DEFAULT_CAPTURE_FILTER = `${BOOT_TRAFFIC} or (vlan and (${BOOT_TRAFFIC}))`;
export const DEFAULT_MAX_PACKETS = 1_000_000;
