/** DHCPv4 / BOOTP / proxyDHCP codec. */
export * from './message.js';
export * from './accessors.js';
export * from './build.js';
export {
  CLIENT_ARCH_NAMES, DhcpV4Code, DhcpV4MessageType, MESSAGE_TYPE_NAMES, OPTIONS, decodeOptionValue,
  encodeOptionValue, namedOptions, optionCode, optionKind, type OptionDef,
} from './options.js';
export type { JsonValue, ValueKind } from './codec.js';
export {
  typedOption, type ClientArch, type ClientId, type ClientNdi, type ClientUuid, type DhcpV4ValueMap, type SubOption,
  type TypedOptionCode,
} from './values.js';
export {
  PXE_BOOT_SERVER_PORT, PXE_BOOT_TYPE_LOCAL, PXE_DISCOVERY_BITS, PXE_SUBOPTIONS, PxeSubOption,
} from './pxe.js';
export {
  RELAY_AGENT_INFO_MAX, RELAY_AGENT_SUBOPTIONS, RelayAgentSubOption, relayAgentInfoData, type RelayAgentIds,
} from './relay-agent.js';
export { IPXE_SUBOPTIONS, IpxeSubOption } from './ipxe.js';
export {
  DHCPV4_JSON_FIELDS, DHCPV4_OPTIONS_FIELD, dhcpV4OptionsJson, dhcpV4ToJson, type DhcpV4JsonField, type DhcpV4JsonOption,
} from './json.js';
export { formatDhcpV4Text } from './text.js';
export { encodeTemplate, isReplyFor, newReplyScan, scanReply, type DhcpV4ReplyScan, type DhcpV4Template } from './template.js';
