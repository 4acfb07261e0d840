#!/usr/bin/env python3
"""A spoofed SYN flood for the SYN proxy test: COUNT TCP SYNs (IPv4 or IPv6,
checksums right, as a real stack's) to DST:PORT, each from a random source
address inside PREFIX (a /16 for IPv4, a /64 for IPv6) and a random source
port, written as whole Ethernet frames to IFNAME (AF_PACKET), so that no
route or address of the sender is involved.

    syn_flood.py IFNAME DST_MAC DST PORT PREFIX COUNT
"""
import ipaddress
import random
import socket
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_syn(src, dst, sport, dport, pseudo_tail):
    seq = random.getrandbits(32)
    # MSS 1460, SACK permitted, timestamps, window scale 7: a Linux SYN
    opts = struct.pack("!BBH", 2, 4, 1460) + struct.pack("!BBBBII", 4, 2, 8, 10,
                                                          random.getrandbits(32), 0)
    opts += struct.pack("!BBBB", 1, 3, 3, 7)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (5 + len(opts) // 4) << 4,
                      0x02, 64240, 0, 0) + opts
    pseudo = src.packed + dst.packed + pseudo_tail(len(hdr))
    csum = checksum(pseudo + hdr)
    return hdr[:16] + struct.pack("!H", csum) + hdr[18:]


def frame(src_mac, dst_mac, src, dst, sport, dport):
    if dst.version == 4:
        seg = tcp_syn(src, dst, sport, dport, lambda n: struct.pack("!BBH", 0, 6, n))
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 0, 0x4000, 64, 6, 0,
                         src.packed, dst.packed)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        return dst_mac + src_mac + b"\x08\x00" + ip + seg
    seg = tcp_syn(src, dst, sport, dport, lambda n: struct.pack("!I3xB", n, 6))
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(seg), 6, 64, src.packed, dst.packed)
    return dst_mac + src_mac + b"\x86\xdd" + ip + seg


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    ifname, dst_mac, dst, port, prefix, count = sys.argv[1:]
    dst = ipaddress.ip_address(dst)
    net = ipaddress.ip_network(prefix)
    dst_mac = bytes.fromhex(dst_mac.replace(":", ""))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    src_mac = s.getsockname()[4][:6]
    for _ in range(int(count)):
        src = net[random.randrange(1, net.num_addresses - 1)]
        s.send(frame(src_mac, dst_mac, src, dst, random.randrange(1024, 65535), int(port)))
    print(count)


if __name__ == "__main__":
    main()
