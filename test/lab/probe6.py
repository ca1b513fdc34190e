#!/usr/bin/env python3
"""IPv6 probes for the lab tests, run inside a client namespace on an interface with kernel IPv6.

  probe6.py ra IFACE TIMEOUT            -> {"ra": {"managed":..,"other":..,"lifetime":..,"src":..}} or {"ra": null}
  probe6.py solicit IFACE TIMEOUT [--vendor ENT:TEXT] [--arch N] [--user-class TEXT]
                                        -> {"type": 2, "options": {"59": "hex", ...}} or {"type": null}
Bounded by TIMEOUT seconds; only link-local multicast (ff02::2, ff02::1:2) is sent.
"""
import json, os, select, socket, struct, sys, time

def ifindex(name):
    return socket.if_nametoindex(name)

def ra(iface, timeout):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex(iface))
    # Router Solicitation (type 133) to all-routers; the kernel fills in the checksum.
    try:
        s.sendto(bytes([133, 0, 0, 0, 0, 0, 0, 0]), ('ff02::2', 0, 0, ifindex(iface)))
    except OSError:
        pass
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.time()))
        if not r:
            break
        data, addr = s.recvfrom(2048)
        if len(data) >= 16 and data[0] == 134:
            flags = data[5]
            prefixes = []
            i = 16
            while i + 2 <= len(data):
                t, ln = data[i], data[i + 1] * 8
                if ln == 0:
                    break
                if t == 3 and ln == 32:
                    prefixes.append({"prefix": socket.inet_ntop(socket.AF_INET6, data[i + 16:i + 32]), "len": data[i + 2],
                                     "onLink": bool(data[i + 3] & 0x80), "autonomous": bool(data[i + 3] & 0x40)})
                i += ln
            return {"ra": {"managed": bool(flags & 0x80), "other": bool(flags & 0x40),
                           "lifetime": struct.unpack('!H', data[6:8])[0], "src": addr[0].split('%')[0], "prefixes": prefixes}}
    return {"ra": None}

def opt(code, data):
    return struct.pack('!HH', code, len(data)) + data

def solicit(iface, timeout, args):
    duid = struct.pack('!HH', 3, 1) + bytes([0x52, 0x54, 0x00, 0x00, 0x6e, 0x01])
    body = opt(1, duid) + opt(3, struct.pack('!III', 1, 0, 0)) + opt(8, b'\x00\x00')
    body += opt(6, struct.pack('!HHHH', 59, 60, 16, 23))
    i = 0
    while i < len(args):
        k, v = args[i], args[i + 1]
        i += 2
        if k == '--vendor':
            ent, text = v.split(':', 1)
            t = text.encode()
            body += opt(16, struct.pack('!IH', int(ent), len(t)) + t)
        elif k == '--arch':
            body += opt(61, struct.pack('!H', int(v)))
        elif k == '--user-class':
            t = v.encode()
            body += opt(15, struct.pack('!H', len(t)) + t)
    xid = os.urandom(3)
    pkt = bytes([1]) + xid + body
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, iface.encode())
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex(iface))
    s.bind(('::', 546, 0, 0))
    end = time.time() + timeout
    next_send = 0.0
    while time.time() < end:
        if time.time() >= next_send:
            s.sendto(pkt, ('ff02::1:2', 547, 0, ifindex(iface)))
            next_send = time.time() + 1.0
        r, _, _ = select.select([s], [], [], min(0.5, max(0.0, end - time.time())))
        if not r:
            continue
        data, addr = s.recvfrom(4096)
        if len(data) < 4 or data[1:4] != xid:
            continue
        opts = {}
        j = 4
        while j + 4 <= len(data):
            code, ln = struct.unpack('!HH', data[j:j + 4])
            opts.setdefault(str(code), data[j + 4:j + 4 + ln].hex())
            j += 4 + ln
        return {"type": data[0], "src": addr[0].split('%')[0], "options": opts}
    return {"type": None}

def main():
    mode, iface, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    out = ra(iface, timeout) if mode == 'ra' else solicit(iface, timeout, sys.argv[4:])
    print(json.dumps(out))

main()
