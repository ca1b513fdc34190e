#!/usr/bin/python3
"""A home-grown TFTP server of the kind found in the field, for captures/field (issue 10, shape 2).

It answers from port 69 (no new TID, against RFC 1350 section 4) and runs each transfer on a raw
socket after closing its UDP socket on 69 (one transfer at a time). So while a transfer runs no UDP
socket owns port 69: the server still reads the client's ACKs from the raw socket, but the host's
kernel also answers them with ICMP port unreachable (rate-limited by the kernel: a burst, then about
one a second). Clients that ignore ICMP (iPXE, unconnected sockets) complete the transfer.

  tftp-port69-server.py ADDR ROOT [--max-transfers N] [--max-seconds S]
Serves files of ROOT read-only (RRQ, options blksize and tsize); bounded in transfers and time.
"""
import os
import select
import socket
import struct
import sys
import time

RRQ, DATA, ACK, ERROR, OACK = 1, 3, 4, 5, 6
TFTP_PORT = 69
TIMEOUT_S = 1.0
RETRIES = 5


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack(f'!{len(data) // 2}H', data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s & 0xFFFF) or 0xFFFF


class RawUdp:
    """UDP datagrams sent and read through a raw IPv4 socket (the kernel adds the IP header)."""

    def __init__(self, addr: str):
        self.addr = addr
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)

    def send(self, payload: bytes, dst: str, dport: int) -> None:
        length = 8 + len(payload)
        pseudo = socket.inet_aton(self.addr) + socket.inet_aton(dst) + struct.pack('!BBH', 0, socket.IPPROTO_UDP, length)
        head = struct.pack('!HHHH', TFTP_PORT, dport, length, 0)
        csum = checksum(pseudo + head + payload)
        self.sock.sendto(struct.pack('!HHHH', TFTP_PORT, dport, length, csum) + payload, (dst, 0))

    def recv(self, peer: str, pport: int, deadline: float):
        """Next UDP payload from peer:pport to our port 69, or None at the deadline."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.sock], [], [], left)[0]:
                return None
            pkt, (src, _) = self.sock.recvfrom(65535)
            ihl = (pkt[0] & 0x0F) * 4
            sport, dport = struct.unpack('!HH', pkt[ihl:ihl + 4])
            if src == peer and sport == pport and dport == TFTP_PORT:
                return pkt[ihl + 8:]

    def close(self):
        self.sock.close()


def parse_rrq(pkt: bytes):
    parts = pkt[2:].split(b'\0')
    name, mode = parts[0].decode(errors='replace'), parts[1].decode(errors='replace').lower()
    opts = {}
    for i in range(2, len(parts) - 1, 2):
        if parts[i]:
            opts[parts[i].decode(errors='replace').lower()] = parts[i + 1].decode(errors='replace')
    return name, mode, opts


def exchange(raw: RawUdp, pkt: bytes, peer, want_block: int):
    """Sends pkt until the ACK for want_block comes (True) or the retries run out (False)."""
    for _ in range(RETRIES):
        raw.send(pkt, *peer)
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            reply = raw.recv(*peer, deadline)
            if reply is None:
                break
            op = struct.unpack('!H', reply[:2])[0]
            if op == ERROR:
                return False
            if op == ACK and struct.unpack('!H', reply[2:4])[0] == want_block:
                return True
    return False


def serve(addr: str, root: str, rrq: bytes, peer) -> str:
    raw = RawUdp(addr)
    try:
        name, mode, opts = parse_rrq(rrq)
        path = os.path.realpath(os.path.join(root, name.lstrip('/')))
        if not path.startswith(os.path.realpath(root) + os.sep) or not os.path.isfile(path):
            raw.send(struct.pack('!HH', ERROR, 1) + b'File not found\0', *peer)
            return f'{name}: not found'
        data = open(path, 'rb').read()
        blksize = 512
        oack = {}
        if 'blksize' in opts:
            blksize = max(8, min(int(opts['blksize']), 1468))
            oack['blksize'] = str(blksize)
        if 'tsize' in opts:
            oack['tsize'] = str(len(data))
        if oack:
            body = b''.join(k.encode() + b'\0' + v.encode() + b'\0' for k, v in oack.items())
            if not exchange(raw, struct.pack('!H', OACK) + body, peer, 0):
                return f'{name}: no ACK to OACK'
        block = 1
        for off in range(0, len(data) + 1, blksize):
            chunk = data[off:off + blksize]
            if not exchange(raw, struct.pack('!HH', DATA, block & 0xFFFF) + chunk, peer, block & 0xFFFF):
                return f'{name}: no ACK for block {block}'
            block += 1
            if len(chunk) < blksize:
                break
        return f'{name}: sent {len(data)} bytes in {block - 1} blocks of {blksize} (mode {mode})'
    finally:
        raw.close()


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    addr, root = args[0], args[1]
    max_transfers = int(args[args.index('--max-transfers') + 1]) if '--max-transfers' in args else 50
    end = time.monotonic() + (float(args[args.index('--max-seconds') + 1]) if '--max-seconds' in args else 600)
    for _ in range(max_transfers):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        udp.bind((addr, TFTP_PORT))
        print(f'listening on {addr}:{TFTP_PORT}', flush=True)
        rrq, peer = None, None
        while time.monotonic() < end:
            if select.select([udp], [], [], 1.0)[0]:
                pkt, peer = udp.recvfrom(65535)
                if len(pkt) > 4 and struct.unpack('!H', pkt[:2])[0] == RRQ:
                    rrq = pkt
                    break
        # Port 69 is left without a UDP socket for the whole transfer: the kernel answers the
        # client's ACKs with ICMP port unreachable while the raw socket still reads them.
        udp.close()
        if rrq is None:
            return 0
        print(f'{peer[0]}:{peer[1]} {serve(addr, root, rrq, peer)}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
