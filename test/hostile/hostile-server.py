#!/usr/bin/env python3
"""The hostile party of test/hostile/servers.test.ts: DHCP (answers relays), TFTP and HTTP servers
that misbehave on purpose. Runs inside the test's own network namespace, on its given address.

  hostile-server.py ADDR DHCP_MODE TFTP_MODE HTTP_MODE

DHCP_MODE: good | garbage | flood | wrong-xid | wrong-chaddr | silent
TFTP_MODE: good | oack-absurd | never-last | block1-forever | garbage
HTTP_MODE: good | infinite | infinite-chunked | redirect-loop | ipxe-chain | garbage

Every loop is bounded: the process stops by itself after LIFETIME seconds, and floods after a
fixed count.
"""
import os
import socket
import struct
import sys
import threading
import time

LIFETIME = 90
FLOOD = 20000

addr, dhcp_mode, tftp_mode, http_mode = sys.argv[1:5]
start = time.monotonic()


def alive():
    return time.monotonic() - start < LIFETIME


# ---------------------------------------------------------------- DHCP (relayed: reply to giaddr:67)
def dhcp_reply(req, msg_type, xid=None, chaddr=None):
    op, htype, hlen, hops, rxid = struct.unpack('!BBBBI', req[:8])
    giaddr = req[24:28]
    ch = req[28:44] if chaddr is None else chaddr
    out = bytearray(236)
    struct.pack_into('!BBBBIHH', out, 0, 2, htype, hlen, hops, rxid if xid is None else xid, 0, 0)
    out[16:20] = socket.inet_aton('198.51.100.77')   # yiaddr
    out[20:24] = socket.inet_aton(addr)             # siaddr: next-server
    out[24:28] = giaddr
    out[28:44] = ch
    out[108:108 + 9] = b'boot.efi\0'                 # file
    opts = bytes([99, 130, 83, 99, 53, 1, msg_type, 54, 4]) + socket.inet_aton(addr)
    opts += bytes([51, 4, 0, 0, 14, 16, 1, 4, 255, 255, 255, 0, 67, 8]) + b'boot.efi' + bytes([255])
    return bytes(out) + opts


def dhcp_type(req):
    i = 240
    while i + 1 < len(req):
        code = req[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        if code == 53 and i + 2 < len(req):
            return req[i + 2]
        i += 2 + req[i + 1]
    return None


def dhcp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 67))
    s.settimeout(1)
    return s


def dhcp_server(s):
    while alive():
        try:
            req, peer = s.recvfrom(4096)
        except socket.timeout:
            continue
        if len(req) < 240:
            continue
        dest = (socket.inet_ntoa(req[24:28]), 67)
        kind = dhcp_type(req)
        answer = 2 if kind == 1 else 5
        if dhcp_mode == 'silent':
            continue
        if dhcp_mode == 'garbage':
            s.sendto(os.urandom(300), dest)
            s.sendto(b'\x02' + os.urandom(500), dest)
        elif dhcp_mode == 'flood':
            pkt = dhcp_reply(req, answer)
            for _ in range(FLOOD):
                if not alive():
                    break
                s.sendto(pkt, dest)
        elif dhcp_mode == 'wrong-xid':
            s.sendto(dhcp_reply(req, answer, xid=struct.unpack('!I', req[4:8])[0] ^ 0x5a5a5a5a), dest)
        elif dhcp_mode == 'wrong-chaddr':
            s.sendto(dhcp_reply(req, answer, chaddr=b'\x02\xee\xee\xee\xee\xee' + bytes(10)), dest)
        else:
            s.sendto(dhcp_reply(req, answer), dest)


# ---------------------------------------------------------------- TFTP
def tftp_transfer(peer, blksize_req):
    t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t.bind((addr, 0))
    t.settimeout(0.5)
    try:
        if tftp_mode == 'garbage':
            for _ in range(50):
                t.sendto(os.urandom(40), peer)
            return
        if tftp_mode == 'oack-absurd':
            opts = b'blksize\0' + b'99999999\0' + b'tsize\0' + b'-5\0' + b'x-unasked\0' + b'A' * 300 + b'\0'
            t.sendto(b'\0\x06' + opts, peer)
            time.sleep(2)
            return
        if tftp_mode == 'block1-forever':
            pkt = b'\0\x03\0\x01' + b'B' * 512
            for _ in range(FLOOD):
                if not alive():
                    break
                t.sendto(pkt, peer)
                time.sleep(0.001)
            return
        # good / never-last: lock-step; never-last always sends full blocks (a file without end).
        block = 1
        total = 3 if tftp_mode == 'good' else 10 ** 9
        while alive() and block <= total:
            data = b'C' * (512 if block < total else 100)
            t.sendto(b'\0\x03' + struct.pack('!H', block & 0xffff) + data, peer)
            try:
                ack, _ = t.recvfrom(1024)
            except socket.timeout:
                continue
            if len(ack) >= 4 and ack[1] == 4 and struct.unpack('!H', ack[2:4])[0] == block & 0xffff:
                block += 1
            if len(ack) >= 2 and ack[1] == 5:
                return
    finally:
        t.close()


def tftp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 69))
    s.settimeout(1)
    return s


def tftp_server(s):
    while alive():
        try:
            req, peer = s.recvfrom(2048)
        except socket.timeout:
            continue
        if req[:2] == b'\0\x01':
            threading.Thread(target=tftp_transfer, args=(peer, None), daemon=True).start()


# ---------------------------------------------------------------- HTTP
def http_conn(c):
    c.settimeout(5)
    try:
        req = b''
        while b'\r\n\r\n' not in req and len(req) < 65536:
            chunk = c.recv(4096)
            if not chunk:
                return
            req += chunk
        path = req.split(b' ')[1].decode('latin-1') if b' ' in req else '/'
        if http_mode == 'garbage':
            c.sendall(os.urandom(20000))
        elif http_mode == 'redirect-loop':
            c.sendall(('HTTP/1.1 302 Found\r\nLocation: http://%s%s\r\nContent-Length: 0\r\n\r\n' % (addr, path)).encode())
        elif http_mode == 'ipxe-chain':
            n = int(''.join(ch for ch in path if ch.isdigit()) or '0') + 1
            body = ('#!ipxe\nchain http://%s/s%d.ipxe\n' % (addr, n)).encode()
            c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n' % len(body) + body)
        elif http_mode in ('infinite', 'infinite-chunked'):
            chunked = http_mode == 'infinite-chunked'
            head = b'HTTP/1.1 200 OK\r\n' + (b'Transfer-Encoding: chunked\r\n' if chunked else b'Content-Length: 100000000000\r\n') + b'\r\n'
            c.sendall(head)
            block = b'#' * 65536
            piece = (b'10000\r\n' + block + b'\r\n') if chunked else block
            while alive():
                c.sendall(piece)
        else:
            body = b'#!ipxe\necho hello\n'
            c.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n' % len(body) + body)
    except OSError:
        pass
    finally:
        c.close()


def http_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 80))
    s.listen(64)
    s.settimeout(1)
    return s


def http_server(s):
    while alive():
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        threading.Thread(target=http_conn, args=(c,), daemon=True).start()


# Bound before 'ready': the test starts the client as soon as it reads it.
for target, sock in ((dhcp_server, dhcp_socket()), (tftp_server, tftp_socket()), (http_server, http_socket())):
    threading.Thread(target=target, args=(sock,), daemon=True).start()
print('ready', flush=True)
while alive():
    time.sleep(0.5)
