/**
 * One client's boot, as a timeline of frames: firmware DORA → TFTP of the loader (blksize + tsize
 * → OACK → ACK 0 → DATA/ACK lock-step) → iPXE DORA → boot.ipxe over HTTP or TFTP. Faults bend the
 * timeline. A generator so that thousands of clients can be merged in time order lazily.
 */
import {
  BootOp, buildDhcpV4, DhcpV4Code, DhcpV4MessageType, emitDhcpV4, IpxeSubOption, PxeSubOption, RelayAgentSubOption,
  type DhcpV4BuildInput, type DhcpV4OptionInput,
} from '../wire/dhcpv4/index.js';
import { emitHttpRequest, emitHttpResponse } from '../wire/http/index.js';
import { TcpFlag, type TcpRepr } from '../wire/tcp.js';
import { buildAck, buildData, buildError, buildOack, buildRrq } from '../wire/tftp.js';
import { asciiBytes } from '../wire/bytes.js';
import type { Addr, FrameFactory, FrameHeads } from './frames.js';
import type { FaultName, ResolvedMix } from './options.js';
import {
  ANY, BOOT_SERVER, BROADCAST, BROADCAST_MAC, DHCP_SERVER, PROXY_SERVER, RELAY, ROGUE_SERVER, rogueAddress,
  SUBNET_MASK, type Station, type Subnet,
} from './plan.js';
import type { Rng } from './rng.js';
import { TcpPort, UdpPort } from '../wire/ports.js';

export interface ClientProfile {
  index: number;
  slot: number;
  mac: string;
  addr: Addr;
  subnet: Subnet;
  /** Option 93: 7 (x64 UEFI) or 0 (BIOS). */
  arch: 0 | 7;
  http: boolean;
  fileSize: number;
  faults: ReadonlySet<FaultName>;
}

type Phase = 'firmware' | 'ipxe';
type Frames = Generator<Uint8Array, void, void>;

const BOOTREQUEST_FLAGS_BROADCAST = 0x8000;
const IPXE_LOOPS = 3;
const FIRMWARE_PRL = [1, 2, 3, 4, 5, 6, 12, 13, 15, 17, 18, 22, 23, 28, 40, 41, 42, 43, 50, 51, 54, 58, 59, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135];
const IPXE_PRL = [1, 3, 6, 7, 12, 15, 17, 26, 43, 60, 66, 67, 119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203];
const BOOT_SCRIPT = asciiBytes('#!ipxe\nkernel http://198.51.100.2/vmlinuz initrd=initrd.img\ninitrd http://198.51.100.2/initrd.img\nboot\n');

export class ClientRun {
  /** Time (µs after the capture's start) of the frame last yielded. */
  t: number;
  private readonly uuid: string;
  private readonly c2s: FrameHeads;
  private readonly s2c: FrameHeads;

  constructor(
    private readonly p: ClientProfile,
    private readonly rng: Rng,
    private readonly f: FrameFactory,
    private readonly mix: ResolvedMix,
    private readonly content: Uint8Array,
    start: number,
  ) {
    this.t = start;
    this.uuid = rng.hex(16);
    const relayed = p.subnet.relayed;
    this.c2s = { srcMac: relayed ? RELAY.mac : p.mac, dstMac: BOOT_SERVER.mac, src: p.addr, dst: BOOT_SERVER.addr, ttl: relayed ? 63 : 64 };
    this.s2c = { srcMac: BOOT_SERVER.mac, dstMac: relayed ? RELAY.mac : p.mac, src: BOOT_SERVER.addr, dst: p.addr, ttl: 64 };
  }

  private has(fault: FaultName): boolean {
    return this.p.faults.has(fault);
  }

  private after(minUs: number, maxUs: number): void {
    this.t += this.rng.int(Math.max(1, minUs), Math.max(1, maxUs));
  }

  get loaderName(): string {
    return this.p.arch === 7 ? 'ipxe.efi' : 'undionly.kpxe';
  }

  *run(): Frames {
    yield* this.dora('firmware');
    let bootfile = this.lastBootfile;
    if (bootfile === null) return; // noBootfile: the firmware has nothing to fetch and gives up
    const loader = this.content.subarray(0, this.p.fileSize);
    const loops = this.has('ipxeLoop') ? IPXE_LOOPS : 1;
    for (let i = 0; i < loops; i++) {
      this.after(5_000, 20_000);
      if (!(yield* this.tftp(bootfile, loader, this.has('tftpMissingFile'), 1024 + this.rng.int(0, 2000)))) return;
      this.after(300_000, 1_200_000); // the loader starts and brings the NIC up
      yield* this.dora('ipxe');
      bootfile = this.lastBootfile;
      if (bootfile === null) return;
    }
    if (this.has('ipxeLoop')) return; // still looping when the capture ends
    this.after(2_000, 10_000);
    if (this.p.http) yield* this.httpGet('/boot.ipxe', BOOT_SCRIPT);
    else yield* this.tftp('boot.ipxe', BOOT_SCRIPT, false, 49152 + this.rng.int(0, 16000));
  }

  // ---- DHCPv4 ----

  /** Bootfile granted by the last DORA (null: none). */
  private lastBootfile: string | null = null;

  private *dora(phase: Phase): Frames {
    const xid = this.rng.u32();
    const proxy = this.has('proxyOnly');
    if (phase === 'firmware' && this.has('nak')) {
      // A stale lease request answered with NAK; the client then starts over.
      yield* this.clientMsg(phase, xid, DhcpV4MessageType.REQUEST, null, { requested: this.p.addr.ip }); // INIT-REBOOT: no server id
      this.after(500, 3_000);
      yield this.serverMsg(DHCP_SERVER, xid, DhcpV4MessageType.NAK, phase, { yiaddr: '0.0.0.0', bootfile: null });
      this.after(1_000_000, 4_000_000);
    }
    yield* this.clientMsg(phase, xid, DhcpV4MessageType.DISCOVER, null, {});
    const granted = this.grantedBootfile(phase);
    this.after(500, 3_000);
    yield this.serverMsg(DHCP_SERVER, xid, DhcpV4MessageType.OFFER, phase, { yiaddr: this.p.addr.ip, bootfile: proxy ? null : granted });
    if (this.has('twoServers') && phase === 'firmware') {
      this.after(100, 2_000);
      yield this.serverMsg(ROGUE_SERVER, xid, DhcpV4MessageType.OFFER, phase, { yiaddr: rogueAddress(this.p.slot), bootfile: null });
    }
    if (proxy) {
      this.after(100, 2_000);
      yield this.serverMsg(PROXY_SERVER, xid, DhcpV4MessageType.OFFER, phase, { yiaddr: '0.0.0.0', bootfile: granted });
    }
    this.after(phase === 'firmware' ? 20_000 : 5_000, phase === 'firmware' ? 200_000 : 30_000);
    yield* this.clientMsg(phase, xid, DhcpV4MessageType.REQUEST, DHCP_SERVER, { requested: this.p.addr.ip });
    this.after(500, 3_000);
    yield this.serverMsg(DHCP_SERVER, xid, DhcpV4MessageType.ACK, phase, { yiaddr: this.p.addr.ip, bootfile: proxy ? null : granted });
    if (proxy) {
      // PXE 2.1: the boot file comes from the proxy, asked on port 4011 once the client has an address.
      const pxid = this.rng.u32();
      this.after(2_000, 10_000);
      yield* this.clientMsg(phase, pxid, DhcpV4MessageType.REQUEST, PROXY_SERVER, { ciaddr: this.p.addr.ip, to4011: true });
      this.after(500, 3_000);
      yield this.serverMsg(PROXY_SERVER, pxid, DhcpV4MessageType.ACK, phase, { yiaddr: '0.0.0.0', bootfile: granted, to4011: true });
    }
    this.lastBootfile = granted;
  }

  private grantedBootfile(phase: Phase): string | null {
    if (phase === 'firmware') return this.has('noBootfile') ? null : this.loaderName;
    if (this.has('ipxeLoop')) return this.loaderName; // the classic loop: iPXE is handed iPXE again
    return this.p.http ? `http://${BOOT_SERVER.addr.ip}/boot.ipxe` : 'boot.ipxe';
  }

  private clientOptions(phase: Phase, type: number, serverId: Station | null, requested: string | undefined): DhcpV4OptionInput[] {
    const arch = this.p.arch;
    const o: DhcpV4OptionInput[] = [{ code: DhcpV4Code.MESSAGE_TYPE, value: type }];
    if (requested) o.push({ code: DhcpV4Code.REQUESTED_IP, value: requested });
    if (serverId) o.push({ code: DhcpV4Code.SERVER_ID, value: serverId.addr.ip });
    if (phase === 'firmware') {
      o.push(
        { code: DhcpV4Code.MAX_MESSAGE_SIZE, value: 1464 },
        { code: DhcpV4Code.PARAMETER_LIST, value: FIRMWARE_PRL },
        { code: DhcpV4Code.CLIENT_UUID, value: { type: 0, uuid: this.uuid } },
        { code: DhcpV4Code.CLIENT_NDI, value: { type: 1, major: 3, minor: 16 } },
        { code: DhcpV4Code.CLIENT_ARCH, value: [arch] },
        { code: DhcpV4Code.VENDOR_CLASS, value: `PXEClient:Arch:${String(arch).padStart(5, '0')}:UNDI:003016` },
      );
    } else {
      o.push(
        { code: DhcpV4Code.MAX_MESSAGE_SIZE, value: 1472 },
        { code: DhcpV4Code.CLIENT_ARCH, value: [arch] },
        { code: DhcpV4Code.CLIENT_NDI, value: { type: 1, major: 3, minor: 10 } },
        { code: DhcpV4Code.VENDOR_CLASS, value: `PXEClient:Arch:${String(arch).padStart(5, '0')}:UNDI:003010` },
        { code: DhcpV4Code.USER_CLASS, value: 'iPXE' },
        {
          code: DhcpV4Code.IPXE_ENCAP,
          value: [
            { code: arch === 7 ? IpxeSubOption.FEATURE_EFI : IpxeSubOption.FEATURE_PXE, value: 1 },
            { code: IpxeSubOption.FEATURE_HTTP, value: 1 },
            { code: IpxeSubOption.FEATURE_TFTP, value: 1 },
            { code: IpxeSubOption.FEATURE_DNS, value: 1 },
            { code: IpxeSubOption.VERSION, value: '1.21.1' },
          ],
        },
        { code: DhcpV4Code.CLIENT_ID, value: { type: 1, id: this.p.mac } },
        { code: DhcpV4Code.CLIENT_UUID, value: { type: 0, uuid: this.uuid } },
        { code: DhcpV4Code.PARAMETER_LIST, value: IPXE_PRL },
      );
    }
    return o;
  }

  /** The client's message as seen at the capture point: broadcast, relayed (one copy per helper
   *  address), or unicast to a proxy's port 4011. */
  private *clientMsg(
    phase: Phase,
    xid: number,
    type: number,
    serverId: Station | null,
    o: { ciaddr?: string; requested?: string; to4011?: boolean },
  ): Frames {
    const p = this.p;
    const relayed = p.subnet.relayed;
    const to4011 = o.to4011 === true;
    const options = this.clientOptions(phase, type, to4011 ? null : serverId, to4011 ? undefined : o.requested);
    if (relayed && !to4011) options.push({ code: DhcpV4Code.RELAY_AGENT_INFO, value: [{ code: RelayAgentSubOption.CIRCUIT_ID, value: `0001${p.slot.toString(16).padStart(4, '0')}` }] });
    const input: DhcpV4BuildInput = {
      xid,
      secs: phase === 'firmware' ? 4 : 0,
      flags: phase === 'firmware' && !to4011 ? BOOTREQUEST_FLAGS_BROADCAST : 0,
      ciaddr: o.ciaddr ?? '0.0.0.0',
      chaddr: p.mac,
      options,
    };
    if (to4011) {
      const target = serverId ?? PROXY_SERVER;
      const payload = emitDhcpV4(buildDhcpV4(input));
      yield this.f.udp(
        { srcMac: relayed ? RELAY.mac : p.mac, dstMac: target.mac, src: p.addr, dst: target.addr, ttl: relayed ? 63 : 64 },
        UdpPort.DHCP_CLIENT, UdpPort.PXE_BOOT_SERVER, payload,
      );
      return;
    }
    if (!relayed) {
      const payload = emitDhcpV4(buildDhcpV4(input));
      yield this.f.udp({ srcMac: p.mac, dstMac: BROADCAST_MAC, src: ANY, dst: BROADCAST, ttl: 64 }, UdpPort.DHCP_CLIENT, UdpPort.DHCP_SERVER, payload);
      return;
    }
    const payload = emitDhcpV4(buildDhcpV4({ ...input, hops: 1, giaddr: RELAY.addr.ip }));
    const helpers = [DHCP_SERVER];
    if (this.has('twoServers') && phase === 'firmware') helpers.push(ROGUE_SERVER);
    if (this.has('proxyOnly')) helpers.push(PROXY_SERVER);
    for (let i = 0; i < helpers.length; i++) {
      if (i > 0) this.after(20, 200);
      const h = helpers[i]!;
      yield this.f.udp({ srcMac: RELAY.mac, dstMac: h.mac, src: RELAY.addr, dst: h.addr, ttl: 64 }, UdpPort.DHCP_SERVER, UdpPort.DHCP_SERVER, payload);
    }
  }

  private serverMsg(
    server: Station,
    xid: number,
    type: number,
    phase: Phase,
    o: { yiaddr: string; bootfile: string | null; to4011?: boolean },
  ): Uint8Array {
    const p = this.p;
    const relayed = p.subnet.relayed;
    const to4011 = o.to4011 === true;
    const isProxy = server === PROXY_SERVER;
    const options: DhcpV4OptionInput[] = [{ code: DhcpV4Code.MESSAGE_TYPE, value: type }, { code: DhcpV4Code.SERVER_ID, value: server.addr.ip }];
    if (type === DhcpV4MessageType.NAK) options.push({ code: DhcpV4Code.MESSAGE, value: 'requested address not available' });
    else if (!isProxy) {
      options.push({ code: DhcpV4Code.LEASE_TIME, value: 86400 }, { code: DhcpV4Code.SUBNET_MASK, value: SUBNET_MASK }, { code: DhcpV4Code.ROUTER, value: [p.subnet.router] });
    }
    // PXE servers echo the class; proxies also send discovery control (8: boot file, no menu).
    const pxe = type !== DhcpV4MessageType.NAK && (isProxy || (phase === 'firmware' && o.bootfile !== null));
    if (pxe) options.push({ code: DhcpV4Code.VENDOR_CLASS, value: 'PXEClient' });
    if (isProxy) options.push({ code: DhcpV4Code.VENDOR_SPECIFIC, value: [{ code: PxeSubOption.DISCOVERY_CONTROL, value: 8 }, { code: PxeSubOption.END, value: null }] });
    if (o.bootfile !== null) options.push({ code: DhcpV4Code.BOOTFILE_NAME, value: o.bootfile });
    if (relayed && !to4011) options.push({ code: DhcpV4Code.RELAY_AGENT_INFO, value: [{ code: RelayAgentSubOption.CIRCUIT_ID, value: `0001${p.slot.toString(16).padStart(4, '0')}` }] });
    const broadcast = phase === 'firmware' && !to4011;
    const input: DhcpV4BuildInput = {
      op: BootOp.REPLY,
      xid,
      flags: broadcast || type === DhcpV4MessageType.NAK ? BOOTREQUEST_FLAGS_BROADCAST : 0,
      ciaddr: to4011 ? p.addr.ip : '0.0.0.0',
      yiaddr: o.yiaddr,
      siaddr: o.bootfile !== null ? BOOT_SERVER.addr.ip : '0.0.0.0',
      giaddr: relayed && !to4011 ? RELAY.addr.ip : '0.0.0.0',
      chaddr: p.mac,
      file: o.bootfile ?? undefined,
      options,
    };
    const payload = emitDhcpV4(buildDhcpV4(input));
    if (to4011) {
      const heads = { srcMac: server.mac, dstMac: relayed ? RELAY.mac : p.mac, src: server.addr, dst: p.addr, ttl: 64 };
      return this.f.udp(heads, UdpPort.PXE_BOOT_SERVER, UdpPort.DHCP_CLIENT, payload);
    }
    if (relayed) {
      return this.f.udp({ srcMac: server.mac, dstMac: RELAY.mac, src: server.addr, dst: RELAY.addr, ttl: 64 }, UdpPort.DHCP_SERVER, UdpPort.DHCP_SERVER, payload);
    }
    if (input.flags) {
      return this.f.udp({ srcMac: server.mac, dstMac: BROADCAST_MAC, src: server.addr, dst: BROADCAST, ttl: 64 }, UdpPort.DHCP_SERVER, UdpPort.DHCP_CLIENT, payload);
    }
    return this.f.udp({ srcMac: server.mac, dstMac: p.mac, src: server.addr, dst: p.addr, ttl: 64 }, UdpPort.DHCP_SERVER, UdpPort.DHCP_CLIENT, payload);
  }

  // ---- TFTP ----

  /** One read transfer; returns false when the server refused it. */
  private *tftp(file: string, data: Uint8Array, missing: boolean, clientPort: number): Generator<Uint8Array, boolean, void> {
    const blksize = this.mix.blksize;
    const serverPort = 49152 + this.rng.int(0, 16383);
    const toServer = (payload: Uint8Array, dstPort: number): Uint8Array => this.f.udp(this.c2s, clientPort, dstPort, payload);
    const toClient = (payload: Uint8Array): Uint8Array => this.f.udp(this.s2c, serverPort, clientPort, payload);
    yield toServer(buildRrq(file, 'octet', { blksize, tsize: 0 }), UdpPort.TFTP);
    this.after(200, 1_000);
    if (missing) {
      yield toClient(buildError(1, 'File not found'));
      return false;
    }
    yield toClient(buildOack({ blksize, tsize: data.length }));
    this.after(100, 400);
    yield toServer(buildAck(0), serverPort);
    const lossy = this.has('tftpLoss');
    const blocks = Math.floor(data.length / blksize) + 1; // a short (maybe empty) block ends it
    for (let b = 1; b <= blocks; b++) {
      const block = data.subarray((b - 1) * blksize, Math.min(b * blksize, data.length));
      this.after(40, 150);
      if (lossy && this.rng.chance(this.mix.lossRate)) {
        // DATA lost before the capture point: the client times out and repeats its last ACK.
        this.after(1_000_000, 1_000_500);
        yield toServer(buildAck(b - 1), serverPort);
        this.after(40, 150);
      }
      yield toClient(buildData(b, block));
      this.after(60, 300);
      yield toServer(buildAck(b), serverPort);
    }
    return true;
  }

  // ---- HTTP over TCP ----

  private *httpGet(path: string, body: Uint8Array): Frames {
    const rng = this.rng;
    const cport = 49152 + rng.int(0, 16383);
    let cseq = rng.u32();
    let sseq = rng.u32();
    const A = TcpFlag.ACK;
    const seg = (fromClient: boolean, flags: number, payload: Uint8Array): Uint8Array => {
      const repr: TcpRepr = {
        srcPort: fromClient ? cport : TcpPort.HTTP,
        dstPort: fromClient ? TcpPort.HTTP : cport,
        seq: fromClient ? cseq : sseq,
        ack: flags & A ? (fromClient ? sseq : cseq) : 0,
        flags,
        window: 65535,
        urgent: 0,
      };
      const frame = this.f.tcp(fromClient ? this.c2s : this.s2c, repr, payload);
      const used = payload.length + (flags & (TcpFlag.SYN | TcpFlag.FIN) ? 1 : 0);
      if (fromClient) cseq = (cseq + used) >>> 0;
      else sseq = (sseq + used) >>> 0;
      return frame;
    };
    const none = new Uint8Array(0);
    yield seg(true, TcpFlag.SYN, none);
    this.after(100, 500);
    yield seg(false, TcpFlag.SYN | A, none);
    this.after(50, 200);
    yield seg(true, A, none);
    this.after(20, 100);
    const req = emitHttpRequest({
      method: 'GET',
      uri: path,
      headers: [['Connection', 'keep-alive'], ['User-Agent', 'iPXE/1.21.1'], ['Host', BOOT_SERVER.addr.ip]],
    });
    yield seg(true, TcpFlag.PSH | A, req);
    this.after(200, 2_000);
    const resp = emitHttpResponse({
      status: 200,
      headers: [['Content-Type', 'text/plain'], ['Content-Length', String(body.length)]],
      body,
    });
    yield seg(false, TcpFlag.PSH | A, resp);
    this.after(50, 300);
    yield seg(true, A, none);
    this.after(1_000, 5_000);
    yield seg(true, TcpFlag.FIN | A, none);
    this.after(100, 500);
    yield seg(false, TcpFlag.FIN | A, none);
    this.after(50, 200);
    yield seg(true, A, none);
  }
}
