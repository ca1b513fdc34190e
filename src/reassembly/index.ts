export {
  FragmentTable,
  Ipv4FragmentReassembler,
  type ExpiredDatagram,
  type FragmentLimitCounts,
  type FragmentReassemblyOptions,
  type Ipv4FragmentKey,
  type ReassembledDatagram,
} from './ipv4-fragments.js';
export { Ipv6FragmentReassembler, type Ipv6FragmentKey, type ReassembledIpv6 } from './ipv6-fragments.js';
export {
  TcpStreamReassembler,
  endsAtClose,
  finishedBySender,
  resetBy,
  unacknowledged,
  seqDiff,
  type TcpCloseReason,
  type TcpConnection,
  type TcpConnectionState,
  type TcpEndpoint,
  type TcpLimitCounts,
  type TcpReassemblyOptions,
  type TcpStreamSink,
} from './tcp-stream.js';
