/** DHCPv6 codec (RFC 8415 and the option RFCs listed in codecs.ts). */
export {
  parseDhcpV6, emitDhcpV6, emitDhcpV6Into, dhcpV6Length, buildDhcpV6,
  getOption, getOptions, getOptionValue, innermostMessage, isDhcp6Answer, clientDuid, serverDuid,
  bootFileUrl, clientArch, vendorClass, userClasses, bootClientSaid, bootClientMaybe, asksForBootFile, bootClientProven, optionOrderNotIpxe,
} from './message.js';
export { encodeOptionPayload } from './options.js';
export { duidLinkLayerAddress, duidToJson, duidToText, HW_ETHERNET } from './duid.js';
export { dhcpV6ToJson, optionsToJson, optionValueToJson, type DhcpV6Json, type DhcpV6OptionJson } from './json.js';
export { formatDhcpV6Text } from './text.js';
export {
  DhcpV6MsgType, DhcpV6Opt, DuidType, msgTypeName, msgTypeLabel, isRelayType, optionName, optionKey, optionCodeByKey,
  namedOptions,
  statusName, archName, isHttpBootArch, duidTypeName,
} from './names.js';
export type * from './types.js';
export { MAX_RELAY_DEPTH } from './types.js';
