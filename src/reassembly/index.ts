export {
  FragmentTable,
  Ipv4FragmentReassembler,
  type ExpiredDatagram,
  type FragmentReassemblyOptions,
  type Ipv4FragmentKey,
  type ReassembledDatagram,
} from './ipv4-fragments.js';
export { Ipv6FragmentReassembler, type Ipv6FragmentKey, type ReassembledIpv6 } from './ipv6-fragments.js';
export {
  TcpStreamReassembler,
  seqDiff,
  type TcpConnection,
  type TcpConnectionState,
  type TcpEndpoint,
  type TcpReassemblyOptions,
  type TcpStreamSink,
} from './tcp-stream.js';
