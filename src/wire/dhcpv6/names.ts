/** IANA registries for DHCPv6 (RFC 8415 §24 and the "DHCPv6 Parameters" registry). Unknown values
 *  have no entry: callers keep the number and print it. */

export const DhcpV6MsgType = {
  SOLICIT: 1,
  ADVERTISE: 2,
  REQUEST: 3,
  CONFIRM: 4,
  RENEW: 5,
  REBIND: 6,
  REPLY: 7,
  RELEASE: 8,
  DECLINE: 9,
  RECONFIGURE: 10,
  INFORMATION_REQUEST: 11,
  RELAY_FORW: 12,
  RELAY_REPL: 13,
} as const;

const MSG_TYPE_NAMES: readonly string[] = [
  '', 'SOLICIT', 'ADVERTISE', 'REQUEST', 'CONFIRM', 'RENEW', 'REBIND', 'REPLY', 'RELEASE', 'DECLINE',
  'RECONFIGURE', 'INFORMATION-REQUEST', 'RELAY-FORW', 'RELAY-REPL', 'LEASEQUERY', 'LEASEQUERY-REPLY',
  'LEASEQUERY-DONE', 'LEASEQUERY-DATA', 'RECONFIGURE-REQUEST', 'RECONFIGURE-REPLY', 'DHCPV4-QUERY',
  'DHCPV4-RESPONSE', 'ACTIVELEASEQUERY', 'STARTTLS', 'BNDUPD', 'BNDREPLY', 'POOLREQ', 'POOLRESP',
  'UPDREQ', 'UPDREQALL', 'UPDDONE', 'CONNECT', 'CONNECTREPLY', 'DISCONNECT', 'STATE', 'CONTACT',
  'ADDR-REG-INFORM', 'ADDR-REG-REPLY',
];

/** IANA name, or undefined for an unassigned type. */
export function msgTypeName(t: number): string | undefined {
  return t > 0 ? MSG_TYPE_NAMES[t] : undefined;
}

/** Name for display: the IANA name, or the number as text. */
export function msgTypeLabel(t: number): string {
  return msgTypeName(t) ?? String(t);
}

export function isRelayType(t: number): boolean {
  return t === DhcpV6MsgType.RELAY_FORW || t === DhcpV6MsgType.RELAY_REPL;
}

/** Option codes (IANA "Option Codes", names without the OPTION_ prefix). */
export const DhcpV6Opt = {
  CLIENTID: 1,
  SERVERID: 2,
  IA_NA: 3,
  IA_TA: 4,
  IAADDR: 5,
  ORO: 6,
  PREFERENCE: 7,
  ELAPSED_TIME: 8,
  RELAY_MSG: 9,
  AUTH: 11,
  UNICAST: 12,
  STATUS_CODE: 13,
  RAPID_COMMIT: 14,
  USER_CLASS: 15,
  VENDOR_CLASS: 16,
  VENDOR_OPTS: 17,
  INTERFACE_ID: 18,
  RECONF_MSG: 19,
  RECONF_ACCEPT: 20,
  SIP_SERVER_D: 21,
  SIP_SERVER_A: 22,
  DNS_SERVERS: 23,
  DOMAIN_LIST: 24,
  IA_PD: 25,
  IAPREFIX: 26,
  SNTP_SERVERS: 31,
  INFORMATION_REFRESH_TIME: 32,
  REMOTE_ID: 37,
  SUBSCRIBER_ID: 38,
  CLIENT_FQDN: 39,
  NTP_SERVER: 56,
  BOOTFILE_URL: 59,
  BOOTFILE_PARAM: 60,
  CLIENT_ARCH_TYPE: 61,
  NII: 62,
  CLIENT_LINKLAYER_ADDR: 79,
  SOL_MAX_RT: 82,
  INF_MAX_RT: 83,
  MUD_URL_V6: 112,
  V6_SZTP_REDIRECT: 136,
  ANDSF_V6: 143,
} as const;

const OPTION_NAMES: Record<number, string> = {
  1: 'CLIENTID', 2: 'SERVERID', 3: 'IA_NA', 4: 'IA_TA', 5: 'IAADDR', 6: 'ORO', 7: 'PREFERENCE',
  8: 'ELAPSED_TIME', 9: 'RELAY_MSG', 11: 'AUTH', 12: 'UNICAST', 13: 'STATUS_CODE',
  14: 'RAPID_COMMIT', 15: 'USER_CLASS', 16: 'VENDOR_CLASS', 17: 'VENDOR_OPTS', 18: 'INTERFACE_ID',
  19: 'RECONF_MSG', 20: 'RECONF_ACCEPT', 21: 'SIP_SERVER_D', 22: 'SIP_SERVER_A', 23: 'DNS_SERVERS',
  24: 'DOMAIN_LIST', 25: 'IA_PD', 26: 'IAPREFIX', 27: 'NIS_SERVERS', 28: 'NISP_SERVERS',
  29: 'NIS_DOMAIN_NAME', 30: 'NISP_DOMAIN_NAME', 31: 'SNTP_SERVERS', 32: 'INFORMATION_REFRESH_TIME',
  33: 'BCMCS_SERVER_D', 34: 'BCMCS_SERVER_A', 36: 'GEOCONF_CIVIC', 37: 'REMOTE_ID',
  38: 'SUBSCRIBER_ID', 39: 'CLIENT_FQDN', 40: 'PANA_AGENT', 41: 'NEW_POSIX_TIMEZONE',
  42: 'NEW_TZDB_TIMEZONE', 43: 'ERO', 44: 'LQ_QUERY', 45: 'CLIENT_DATA', 46: 'CLT_TIME',
  47: 'LQ_RELAY_DATA', 48: 'LQ_CLIENT_LINK', 49: 'MIP6_HNIDF', 50: 'MIP6_VDINF', 51: 'V6_LOST',
  52: 'CAPWAP_AC_V6', 53: 'RELAY_ID', 54: 'IPV6_ADDRESS_MOS', 55: 'IPV6_FQDN_MOS', 56: 'NTP_SERVER',
  57: 'V6_ACCESS_DOMAIN', 58: 'SIP_UA_CS_LIST', 59: 'BOOTFILE_URL', 60: 'BOOTFILE_PARAM',
  61: 'CLIENT_ARCH_TYPE', 62: 'NII', 63: 'GEOLOCATION', 64: 'AFTR_NAME', 65: 'ERP_LOCAL_DOMAIN_NAME',
  66: 'RSOO', 67: 'PD_EXCLUDE', 68: 'VSS', 69: 'MIP6_IDINF', 70: 'MIP6_UDINF', 71: 'MIP6_HNP',
  72: 'MIP6_HAA', 73: 'MIP6_HAF', 74: 'RDNSS_SELECTION', 75: 'KRB_PRINCIPAL_NAME',
  76: 'KRB_REALM_NAME', 77: 'KRB_DEFAULT_REALM_NAME', 78: 'KRB_KDC', 79: 'CLIENT_LINKLAYER_ADDR',
  80: 'LINK_ADDRESS', 81: 'RADIUS', 82: 'SOL_MAX_RT', 83: 'INF_MAX_RT', 84: 'ADDRSEL',
  85: 'ADDRSEL_TABLE', 86: 'V6_PCP_SERVER', 87: 'DHCPV4_MSG', 88: 'DHCP4_O_DHCP6_SERVER',
  89: 'S46_RULE', 90: 'S46_BR', 91: 'S46_DMR', 92: 'S46_V4V6BIND', 93: 'S46_PORTPARAMS',
  94: 'S46_CONT_MAPE', 95: 'S46_CONT_MAPT', 96: 'S46_CONT_LW', 97: '4RD', 98: '4RD_MAP_RULE',
  99: '4RD_NON_MAP_RULE', 100: 'LQ_BASE_TIME', 101: 'LQ_START_TIME', 102: 'LQ_END_TIME',
  103: 'DHCP_CAPTIVE_PORTAL', 104: 'MPL_PARAMETERS', 105: 'ANI_ATT', 106: 'ANI_NETWORK_NAME',
  107: 'ANI_AP_NAME', 108: 'ANI_AP_BSSID', 109: 'ANI_OPERATOR_ID', 110: 'ANI_OPERATOR_REALM',
  111: 'S46_PRIORITY', 112: 'MUD_URL_V6', 113: 'V6_PREFIX64', 135: 'RELAY_PORT',
  136: 'V6_SZTP_REDIRECT', 137: 'S46_BIND_IPV6_PREFIX', 138: 'IA_LL', 139: 'LLADDR',
  140: 'SLAP_QUAD', 141: 'V6_DOTS_RI', 142: 'V6_DOTS_ADDRESS', 143: 'IPV6_ADDRESS_ANDSF',
  144: 'V6_DNR',
};

/** The IANA registry spelling (`BOOTFILE_URL`), as decode output prints it; undefined when unassigned. */
export function optionName(code: number): string | undefined {
  return OPTION_NAMES[code];
}

/**
 * The option's name in pxecheck's one convention (lower-case words joined by "-", as for DHCPv4):
 * the registry name lower-cased with "_" → "-" (`BOOTFILE_URL` → `bootfile-url`). The scenario
 * language and docs use this form; it is the same name as `optionName`, spelled for people.
 */
export function optionKey(code: number): string | undefined {
  return OPTION_NAMES[code]?.toLowerCase().replace(/_/g, '-');
}

const CODE_BY_KEY: ReadonlyMap<string, number> = new Map(
  Object.entries(OPTION_NAMES).map(([code, name]) => [name.toLowerCase().replace(/_/g, '-'), Number(code)]),
);

/** The code of an option key (`bootfile-url` → 59), or undefined. */
export function optionCodeByKey(key: string): number | undefined {
  return CODE_BY_KEY.get(key);
}

/** Every named option as code and key, by code. */
export function namedOptions(): Array<{ code: number; key: string }> {
  return Object.keys(OPTION_NAMES).map((c) => ({ code: Number(c), key: optionKey(Number(c))! }));
}

/** RFC 8415 §21.13 and later registrations. */
const STATUS_NAMES: readonly string[] = [
  'Success', 'UnspecFail', 'NoAddrsAvail', 'NoBinding', 'NotOnLink', 'UseMulticast',
  'NoPrefixAvail', 'UnknownQueryType', 'MalformedQuery', 'NotConfigured', 'NotAllowed',
  'QueryTerminated', 'DataMissing', 'CatchUpComplete', 'NotSupported', 'TLSConnectionRefused',
  'AddressInUse', 'ConfigurationConflict', 'MissingBindingInformation',
  'OutdatedBindingInformation', 'ServerShuttingDown', 'DNSUpdateNotSupported', 'ExcessiveTimeSkew',
];

export function statusName(code: number): string | undefined {
  return STATUS_NAMES[code];
}

/** IANA "Processor Architecture Types" (RFC 4578 §2.1, RFC 5970 option 61). */
const ARCH_NAMES: readonly string[] = [
  'x86 BIOS', 'NEC/PC98', 'Itanium', 'DEC Alpha', 'Arc x86', 'Intel Lean Client', 'x86 UEFI',
  'x64 UEFI', 'EFI Xscale', 'EBC', 'ARM32 UEFI', 'ARM64 UEFI', 'PowerPC Open Firmware',
  'PowerPC ePAPR', 'POWER OPAL v3', 'x86 UEFI HTTP', 'x64 UEFI HTTP', 'EBC HTTP', 'ARM32 UEFI HTTP',
  'ARM64 UEFI HTTP', 'x86 BIOS HTTP', 'ARM32 U-Boot', 'ARM64 U-Boot', 'ARM32 U-Boot HTTP',
  'ARM64 U-Boot HTTP', 'RISC-V 32 UEFI', 'RISC-V 32 UEFI HTTP', 'RISC-V 64 UEFI',
  'RISC-V 64 UEFI HTTP', 'RISC-V 128 UEFI', 'RISC-V 128 UEFI HTTP', 's390 Basic', 's390 Extended',
  'MIPS32 UEFI', 'MIPS64 UEFI', 'Sunway 32 UEFI', 'Sunway 64 UEFI', 'LoongArch32 UEFI',
  'LoongArch32 UEFI HTTP', 'LoongArch64 UEFI', 'LoongArch64 UEFI HTTP', 'ARM rpiboot',
];

export function archName(code: number): string | undefined {
  return ARCH_NAMES[code];
}

/** An architecture type that is an HTTP boot client's (RFC 5970 §3.3, IANA: "… HTTP"). */
export function isHttpBootArch(code: number): boolean {
  return ARCH_NAMES[code]?.endsWith(' HTTP') ?? false;
}

export const DuidType = { LLT: 1, EN: 2, LL: 3, UUID: 4 } as const;

const DUID_TYPE_NAMES: readonly string[] = ['', 'DUID-LLT', 'DUID-EN', 'DUID-LL', 'DUID-UUID'];

export function duidTypeName(t: number): string | undefined {
  return t > 0 ? DUID_TYPE_NAMES[t] : undefined;
}
