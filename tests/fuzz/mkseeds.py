#!/usr/bin/env python3
"""Write the seed inputs of tests/fuzz/corpus/ from the project's own material.

SMTP dialogues come from the scripts of tests/unit/t_smtp.c and from the
recorded captures tests/data/*.pcap (both directions, in packet order,
retransmissions dropped and losses written as gaps); packets for the
decoder come from the same captures under every link type; event lines
from examples/events.sample and tests/detengo.sh; header fields from
tests/unit/t_mime.c and the messages in the captures; state files from the
shapes tests/unit/t_state.c uses.  Each seed is written in its target's input
format (see the comment at the top of tests/fuzz/fz_*.c) and kept under
64 KiB.  Run from anywhere: python3 tests/fuzz/mkseeds.py
"""

import hashlib
import os
import re
import struct

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(TOP, "tests", "fuzz", "corpus")
SEED_MAX = 60 * 1024


def put(target, name, data):
    """Write one seed; a name says where it came from."""
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    data = bytes(data[:SEED_MAX])
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# --- C string literals, as in tests/unit/t_smtp.c and tests/unit/t_mime.c ---

def c_unescape(s):
    """The bytes of one C string literal's body."""
    out = bytearray()
    i = 0
    simple = {"n": 10, "r": 13, "t": 9, "\\": 92, '"': 34, "'": 39,
              "0": 0, "a": 7, "b": 8, "f": 12, "v": 11, "?": 63}
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = s[i + 1]
        if e == "x":
            j = i + 2
            while j < len(s) and s[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(s[i + 2:j], 16) & 0xff)
            i = j
        elif e in "01234567" and i + 2 < len(s) and s[i + 2] in "01234567":
            j = i + 1
            while j < len(s) and j < i + 4 and s[j] in "01234567":
                j += 1
            out.append(int(s[i + 1:j], 8) & 0xff)
            i = j
        else:
            out.append(simple[e])
            i += 2
    return bytes(out)


LIT = re.compile(r'"((?:[^"\\]|\\.)*)"')


def literals(text):
    """Adjacent literals joined, as the C compiler joins them."""
    items, cur, pos = [], None, 0
    for m in re.finditer(r'"((?:[^"\\]|\\.)*)"|(,)', text):
        if m.group(2):
            if cur is not None:
                items.append(cur)
            cur = None
        else:
            cur = (cur or b"") + c_unescape(m.group(1))
    if cur is not None:
        items.append(cur)
    return items


# --- fz_smtp's script format ---

def script(steps):
    """steps: (kind, bytes or number); kind C S G H M P."""
    out = bytearray([0])        # script mode, full budget
    for kind, v in steps:
        if kind == "C":
            for i in range(0, len(v), 255):
                c = v[i:i + 255]
                out += bytes([7, len(c)]) + c
        elif kind == "CL":
            out += bytes([5])
            for i in range(0, len(v), 65535):
                c = v[i:i + 65535]
                out += bytes([2]) + struct.pack(">H", len(c)) + c
        elif kind == "S":
            out.append(5)
            for i in range(0, len(v), 255):
                c = v[i:i + 255]
                out += bytes([1, len(c)]) + c
        elif kind == "G":
            out += bytes([3]) + struct.pack(">H", min(v, 65535))
        elif kind == "H":
            out += bytes([4, min(v, 255)])
        elif kind == "M":
            out.append(6)
        if len(out) > SEED_MAX:
            break
    return bytes(out)


def split_seed(client, seed):
    return bytes([1]) + struct.pack(">I", seed) + client


def smtp_from_tests():
    text = open(os.path.join(TOP, "tests", "unit", "t_smtp.c")).read()
    n = 0
    for m in re.finditer(r"static const char \*(\w+)\[\] = \{([^;]*?)NULL \};",
                         text, re.S):
        name, body = m.group(1), m.group(2)
        steps, client = [], b""
        for item in literals(body):
            k, v = item[:1], item[2:]
            if k == b"C":
                steps.append(("C", v))
                client += v
            elif k == b"S":
                steps.append(("S", v))
            elif k == b"G":
                steps.append(("G", int(v)))
            elif k == b"H":
                steps.append(("H", int(v)))
            elif k == b"M":
                steps.append(("M", None))
        put("smtp", "t_smtp-" + name, script(steps))
        if client:
            put("smtp", "t_smtp-" + name + "-split",
                split_seed(client, 0x9e3779b9 + n))
        n += 1


# --- the captures ---

def pcap_packets(path):
    """(linktype, [frame bytes]) of a classic pcap file."""
    data = open(path, "rb").read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None, []
    linktype = struct.unpack(e + "I", data[20:24])[0]
    frames, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return linktype, frames


def parse_frame(f):
    """Ethernet, IPv4/IPv6, TCP: a dict, or None."""
    if len(f) < 14:
        return None
    et, off = struct.unpack(">H", f[12:14])[0], 14
    while et in (0x8100, 0x88a8) and len(f) >= off + 4:
        et, off = struct.unpack(">H", f[off + 2:off + 4])[0], off + 4
    ip = f[off:]
    if et == 0x0800 and len(ip) >= 20:
        hl = (ip[0] & 15) * 4
        tot = struct.unpack(">H", ip[2:4])[0] or len(ip)
        if ip[9] != 6:
            return None
        src, dst, l4 = ip[12:16], ip[16:20], ip[hl:tot]
        fam = 4
    elif et == 0x86dd and len(ip) >= 40:
        if ip[6] != 6:
            return None
        plen = struct.unpack(">H", ip[4:6])[0]
        src, dst, l4 = ip[8:24], ip[24:40], ip[40:40 + plen]
        fam = 6
    else:
        return None
    if len(l4) < 20:
        return None
    sport, dport, seq, ack = struct.unpack(">HHII", l4[:12])
    doff = (l4[12] >> 4) * 4
    return {"fam": fam, "ip": ip, "l2": f[:off], "et": et,
            "src": (src, sport), "dst": (dst, dport), "seq": seq,
            "flags": l4[13], "data": l4[doff:]}


def dialogue(frames):
    """The SMTP steps of the first connection, and its client bytes."""
    pk = [p for p in map(parse_frame, frames) if p]
    client = None
    for p in pk:
        if p["flags"] & 0x12 == 0x02:           # SYN without ACK
            client = p["src"]
            break
    if client is None:
        for p in pk:
            if p["data"]:
                client = p["src"] if p["dst"][1] < p["src"][1] else p["dst"]
                break
    if client is None:
        return [], b""
    server = None
    nxt, steps, cbytes = {}, [], b""
    for p in pk:
        if p["src"] == client:
            d = "C"
            if server is None:
                server = p["dst"]
        elif p["dst"] == client:
            d = "S"
        else:
            continue
        if (d == "C" and p["dst"] != server) or \
           (d == "S" and server is not None and p["src"] != server):
            continue
        seq, data = p["seq"], p["data"]
        if p["flags"] & 0x02:
            nxt[d] = (seq + 1) & 0xffffffff
            continue
        if not data:
            continue
        if d not in nxt:
            nxt[d] = seq
        diff = (seq - nxt[d]) & 0xffffffff
        if diff >= 0x80000000:                  # behind: a retransmission
            back = 0x100000000 - diff
            if back >= len(data):
                continue
            data = data[back:]
        elif diff > 0:                          # ahead: bytes lost
            steps.append(("G" if d == "C" else "H", diff))
        nxt[d] = (seq + diff + len(data)) & 0xffffffff if diff < 0x80000000 \
            else (nxt[d] + len(data)) & 0xffffffff
        steps.append((d if d == "S" or len(data) <= 255 else "CL", data))
        if d == "C":
            cbytes += data
    return steps, cbytes


def captures():
    d = os.path.join(TOP, "tests", "data")
    paths = sorted(os.path.join(d, f) for f in os.listdir(d)
                   if f.endswith(".pcap"))
    paths.append(os.path.join(TOP, "examples", "worm.pcap"))
    return [p for p in paths if os.path.exists(p)]


def smtp_from_captures():
    for i, path in enumerate(captures()):
        name = os.path.basename(path)[:-5]
        lt, frames = pcap_packets(path)
        if lt != 1:
            continue
        steps, client = dialogue(frames)
        if not steps:
            continue
        put("smtp", "pcap-" + name, script(steps))
        put("smtp", "pcap-" + name + "-split",
            split_seed(client, 0x2545f491 + i))
        # the same connection seen from its middle on
        if len(steps) > 6:
            put("smtp", "pcap-" + name + "-midstream",
                script([("M", None)] + steps[len(steps) // 3:]))
        # the header block of the first message, for fz_mime
        m = re.search(rb"(?i)\nDATA\r?\n(.*?)\r?\n\r?\n", b"\n" + client, re.S)
        if m:
            put("mime", "pcap-" + name, bytes([9, 0]) + m.group(1) + b"\r\n")
            put("mime", "pcap-" + name + "-msgid",
                bytes([8, 1]) + m.group(1) + b"\r\n")


# --- fz_decode: the captured frames under every link type ---

# fz_decode's table: index of each link type
EN10MB, SLL, SLL2, RAW, LT_RAW, IPV4, IPV6, NULL, LOOP = range(9)


def decode_seeds():
    n = 0
    for path in captures():
        name = os.path.basename(path)[:-5]
        lt, frames = pcap_packets(path)
        if lt != 1:
            continue
        picked, kinds = [], set()
        for f in frames:
            p = parse_frame(f)
            if not p:
                continue
            kind = (p["fam"], p["flags"] & 0x17, bool(p["data"]))
            if kind in kinds:
                continue
            kinds.add(kind)
            picked.append((f, p))
        for j, (f, p) in enumerate(picked[:2]):
            tag = "%s-%d" % (name, j)
            ip = p["ip"]
            mac = f[6:12]
            et = struct.pack(">H", p["et"])
            fam4 = p["fam"] == 4
            put("decode", tag + "-ether", bytes([EN10MB]) + f)
            if n % 5 == 0:
                put("decode", tag + "-raw", bytes([RAW]) + ip)
                put("decode", tag + "-ipvx",
                    bytes([IPV4 if fam4 else IPV6]) + ip)
                put("decode", tag + "-sll", bytes([SLL]) +
                    struct.pack(">HHH", 0, 1, 6) + mac + b"\0\0" + et + ip)
                put("decode", tag + "-sll2", bytes([SLL2]) + et + b"\0\0" +
                    struct.pack(">IHBB", 2, 1, 0, 6) + mac + b"\0\0" + ip)
                put("decode", tag + "-null", bytes([NULL]) +
                    struct.pack("<I", 2 if fam4 else 30) + ip)
                put("decode", tag + "-loop", bytes([LOOP]) +
                    struct.pack(">I", 2 if fam4 else 24) + ip)
                put("decode", tag + "-qinq", bytes([EN10MB]) + f[:12] +
                    b"\x88\xa8\x00\x05\x81\x00\x00\x07" + f[12:])
                if not fam4:
                    # a hop-by-hop header in front of TCP
                    hbh = bytes([6, 0]) + b"\x01\x04\0\0\0\0"
                    ip2 = ip[:4] + struct.pack(">H", len(ip) - 40 + 8) + \
                        b"\x00" + ip[7:40] + hbh + ip[40:]
                    put("decode", tag + "-hbh", bytes([RAW]) + ip2)
                else:
                    # a first fragment
                    ip2 = ip[:6] + b"\x20\x00" + ip[8:]
                    put("decode", tag + "-frag", bytes([LT_RAW]) + ip2)
            n += 1


# --- fz_event: lines, and writer inputs ---

def event_seeds():
    lines = open(os.path.join(TOP, "examples", "events.sample"),
                 "rb").read().splitlines()
    for i, l in enumerate(lines):
        put("event", "sample-%02d" % i, b"\0" + l + b"\n")
    sh = open(os.path.join(TOP, "tests", "detengo.sh")).read()
    for i, m in enumerate(re.finditer(r"^\s*echo '(20[^']*)'", sh, re.M)):
        put("event", "detengo-sh-%02d" % i, b"\0" + m.group(1).encode())
    extra = [
        b'2026-03-03T16:45:45.101544Z message sid=7f3a2c01 '
        b'src=198.51.100.10:43712 dst=203.0.113.25:25 '
        b'mac=b8:27:eb:20:ab:35 subject="Mensaje de prueba" '
        b'msgid=<x@example.org> size=201 rcpts=1 reply=250',
        b'2026-03-03T16:45:45.101544Z helo sid=1 src=[2001:db8:1::10]:40000 '
        b'dst=[2001:db8::25]:25 verb=EHLO name="\\x00\\x7F\\xFF\\t\\r\\n'
        b'\\"\\\\ \xc3\xb1 \\u{202E} \\u{85}"',
        b'2026-03-03T16:45:45.101544Z mail sid=1 src=192.0.2.1:1 '
        b'dst=192.0.2.2:25 from="" cut=1',
        b'0000-01-01T00:00:00.000000Z block host=192.0.2.9 chain=FORWARD '
        b'ports=25,587 until=9999-12-31T23:59:59.999999Z',
        b'9999-12-31T23:59:59.999999Z unblock host=2001:db8::1 '
        b'reason=expired',
        b'2024-02-29T12:00:00.000001Z skip sid=00000001 src=192.0.2.1:9 '
        b'host=192.0.2.1 reason=allowed',
        b'2026-03-03T16:45:45.101544Z close sid=1 src=a dst=b how=fin '
        b'msgs=0',
        b'2026-03-03T16:45:45.101544Z future key="\\u{10FFFF}" x_y=z',
    ]
    for i, l in enumerate(extra):
        put("event", "extra-%02d" % i, b"\0" + l)
    # writer mode: event index, flags, time, usec, optional-key bits, values
    def w(ev, flags, sec, usec, present, values):
        out = bytes([1, ev, flags]) + struct.pack(">qI", sec, usec) + \
            bytes([present])
        for v in values:
            if len(v) < 0xc0:
                out += bytes([len(v)]) + v
            else:
                out += bytes([0xc0 + (len(v) >> 8), len(v) & 0xff]) + v
        return out
    t = 62167219200 + 1772556344
    put("event", "write-mail", w(4, 0, t, 880222, 0xff,
        [b"7f3a2c01", b"198.51.100.10:43712", b"203.0.113.25:25",
         b"b8:27:eb:20:ab:35", b"worm@example.org"]))
    put("event", "write-message-utf8", w(6, 0, t, 1, 0xff,
        [b"1", b"192.0.2.1:1", b"192.0.2.2:25", b"", "Ñandú \u202e x".encode(),
         b"<a@b>", b"12", b"1", b"250"]))
    put("event", "write-long", w(1, 1, t, 2, 0, [b"1", b"a", b"b",
        b"EHLO", b"\x85\xe2\x80\xae\"" * 900]))
    put("event", "write-controls", w(9, 0, 0, 0, 0xff,
        [bytes(range(0, 256)), b"manual"]))


# --- fz_state ---

def state_seeds():
    good = (b"detengo-state 1\n"
            b"pos 2049 123456789 18446 0badf00d 64\n"
            b"block 192.0.2.1 1700000000 1700003600\n"
            b"block 2001:db8::25 1700000001 0\n"
            b"block 198.51.100.7 0 9223372036854775807\n")
    put("state", "full", good)
    put("state", "header-only", b"detengo-state 1\n")
    put("state", "pos-last", b"detengo-state 1\nblock ::ffff:192.0.2.1 5 6\n"
        b"pos 0 0 0 00000000 0\n")
    put("state", "many", b"detengo-state 1\n" + b"".join(
        b"block 192.0.2.%d %d 0\n" % (i, i) for i in range(1, 200)))
    put("state", "bad-dup", b"detengo-state 1\nblock 192.0.2.1 1 0\n"
        b"block 192.0.2.1 1 0\n")
    put("state", "bad-v2", b"detengo-state 2\n")
    put("state", "ops", bytes([0]) + bytes(
        [1, 1, 2, 33, 3, 2, 0x81, 1, 4, 1, 0x82, 33, 5, 34, 0x81, 2]))


# --- fz_reasm ---

def reasm_seeds():
    def hdr(budget, syn=True, isn0=0xfffff000, isn1=1000):
        return bytes([budget]) + struct.pack(">IB", isn0, syn) + \
            struct.pack(">IB", isn1, syn)

    def seg(dist, ln, d=0):
        return bytes([0 | d << 7]) + struct.pack(">hH", dist, ln)

    def ack(dist, d=0):
        return bytes([4 | d << 7]) + struct.pack(">h", dist)

    put("reasm", "in-order", hdr(0) + seg(0, 100) + seg(0, 100) +
        seg(0, 1000, 1) + seg(0, 50))
    put("reasm", "out-of-order", hdr(0) + seg(100, 100) + seg(300, 50) +
        seg(0, 100) + seg(0, 100) + bytes([5]))
    put("reasm", "overlap", hdr(0) + seg(50, 100) + seg(0, 200) +
        seg(-50, 120) + seg(10, 30))
    put("reasm", "ack-hole", hdr(0) + seg(500, 100) + ack(400) + ack(700) +
        bytes([0x85]))
    put("reasm", "pressure", hdr(3) + bytes([3]) + struct.pack(">hB", 10, 70)
        + seg(5, 2000) + bytes([3]) + struct.pack(">hB", 2, 3))
    put("reasm", "burst", hdr(0, syn=False) + seg(0, 10) + bytes([7, 80]) +
        seg(0, 200) + bytes([5]))
    put("reasm", "far", hdr(0) + bytes([6, 0, 1, 14, 0, 1, 22, 0, 1]) +
        seg(0, 10))
    put("reasm", "abs", hdr(1) + bytes([2, 1, 0, 0, 0, 100]) +
        bytes([2, 0, 0, 0, 0, 200]))


# --- fz_mime: the cases of tests/unit/t_mime.c ---

def mime_seeds():
    text = open(os.path.join(TOP, "tests", "unit", "t_mime.c")).read()
    n = 0
    for m in re.finditer(r"\b(subj|msgid)\((\s*(?:\"(?:[^\"\\]|\\.)*\"\s*)+),",
                         text):
        val = b"".join(c_unescape(x) for x in LIT.findall(m.group(2)))
        field = b"Subject:" if m.group(1) == "subj" else b"Message-ID:"
        name = 0 if m.group(1) == "subj" else 1
        n += 1
        if n % 2:
            continue
        put("mime", "t_mime-%02d" % n, bytes([9 if n % 2 else 8, name]) +
            b"From: a@b\r\n" + field + val + b"\r\nX: y\r\n\r\nbody")


def main():
    smtp_from_tests()
    smtp_from_captures()
    decode_seeds()
    event_seeds()
    state_seeds()
    reasm_seeds()
    mime_seeds()
    for t in sorted(os.listdir(OUT)):
        files = os.listdir(os.path.join(OUT, t))
        size = sum(os.path.getsize(os.path.join(OUT, t, f)) for f in files)
        print("%-7s %3d seeds, %6d bytes" % (t, len(files), size))


if __name__ == "__main__":
    main()
