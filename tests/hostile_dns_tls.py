#!/usr/bin/python3
"""Hostile DNS, TLS and refusal text through capturo, and detengo on
what capturo writes.

Forged or hostile DNS queries, TLS ClientHellos and reply texts
(truncated records, name compression loops, a ClientHello with 10,000
extensions, a server name with control bytes or of 64 KB, a refusal
that names an address other than the client's) must never crash
capturo, never escape the event format, and never make detengo block a
host other than an event's src.

The captures are built here (tests/hostile.py's frames and TCP
sessions, UDP and IP fragments added), with documentation addresses
only: clients in 192.0.2.0/24, servers in 198.51.100.0/24 and
203.0.113.0/24.  capturo (the ASan/UBSan build) reads each one; every
line is read by tests/hostile.py's strict reader of
docs/capturo-events.5 and compared with the events each case must give;
then detengo -m shared -n --once --from-start decides on the lines.

    tests/hostile_dns_tls.py [DIR]

writes the captures into DIR (a temporary directory, removed at the
end, when none is given), prints one "ok - ..." or "not ok - ..." line
per check and exits 1 if any failed.  tests/hostile_dns_tls.sh runs it
and times capturo on DIR/tls-ext10000.pcap.  Standard library only.
"""
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import hostile  # noqa: E402
from hostile import (Session, csum_native, ev, ipbytes,  # noqa: E402
                     parse_all, pcap_bytes, raw_bytes_ok, show)

TOP = hostile.TOP
CAPTURO = hostile.CAPTURO_SAN
DETENGO = hostile.DETENGO

CMAC, SMAC = hostile.CMAC, hostile.SMAC

# the servers
DNS_SRV = "198.51.100.53"
DNS_SRV6 = "2001:db8::53"
MX_SRV = "203.0.113.25"
SUB_SRV = "203.0.113.46"

# an address no event is about, named in forged names and texts
OTHER = "198.51.100.9"

FAILED = 0


def report(cond, what, detail=None):
    """One result line; the detail only when the check failed."""
    global FAILED
    if cond:
        print("ok - %s" % what)
    else:
        FAILED += 1
        print("not ok - %s" % what)
        if detail:
            for line in str(detail).splitlines()[:40]:
                print("#   " + line)
    sys.stdout.flush()
    return cond


# --- UDP, and IPv4 fragments ----------------------------------------------

def udp_datagram(src, dst, sport, dport, payload):
    """The UDP header and payload, its checksum over the pseudo header."""
    n = 8 + len(payload)
    udp = bytearray(struct.pack("!HHHH", sport, dport, n, 0) + payload)
    if len(src) == 4:
        pseudo = src + dst + struct.pack("!BBH", 0, 17, n)
    else:
        pseudo = src + dst + struct.pack("!IxxxB", n, 17)
    c = csum_native(pseudo + bytes(udp))
    struct.pack_into("=H", udp, 6, c if c else 0xFFFF)
    return bytes(udp)


def ip4(src, dst, proto, payload, ipid, frag=0x4000):
    """An IPv4 header (frag: the flags and offset field) and payload."""
    ip = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload),
                               ipid & 0xFFFF, frag, 64, proto, 0, src, dst))
    struct.pack_into("=H", ip, 10, csum_native(bytes(ip)))
    return bytes(ip) + payload


def udp_frame(src, dst, sport, dport, payload, ipid=1):
    s, d = ipbytes(src), ipbytes(dst)
    dg = udp_datagram(s, d, sport, dport, payload)
    if len(s) == 4:
        return SMAC + CMAC + b"\x08\x00" + ip4(s, d, 17, dg, ipid)
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(dg), 17, 64, s, d)
    return SMAC + CMAC + b"\x86\xdd" + ip + dg


def udp_frame_padded(src, dst, sport, dport, payload, tail, ipid=1):
    """A datagram of payload whose frame goes on with tail: bytes past
    the IP and UDP lengths, as Ethernet padding (or leaked memory)."""
    return udp_frame(src, dst, sport, dport, payload, ipid) + tail


def udp6_fragment(src, dst, sport, dport, payload, fo, ident):
    """An IPv6 packet with a fragment header (RFC 8200 4.5): fo is its
    offset and M field; 0 is an atomic fragment (RFC 6946)."""
    s, d = ipbytes(src), ipbytes(dst)
    dg = udp_datagram(s, d, sport, dport, payload)
    fh = struct.pack("!BBHI", 17, 0, fo, ident)
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(fh) + len(dg), 44, 64,
                     s, d)
    return SMAC + CMAC + b"\x86\xdd" + ip + fh + dg


def udp_fragments(src, dst, sport, dport, payload, cut, ipid):
    """The datagram in two IPv4 fragments, the first cut bytes long
    (a multiple of 8) with MF set, the rest at offset cut / 8."""
    s, d = ipbytes(src), ipbytes(dst)
    dg = udp_datagram(s, d, sport, dport, payload)
    eth = SMAC + CMAC + b"\x08\x00"
    return [eth + ip4(s, d, 17, dg[:cut], ipid, 0x2000),
            eth + ip4(s, d, 17, dg[cut:], ipid, cut // 8)]


# --- DNS messages (RFC 1035 4.1) ------------------------------------------

def qname(labels):
    return b"".join(bytes([len(lb)]) + lb for lb in labels) + b"\0"


def dns_header(qid=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def dns_query(labels, qtype=15, qclass=1, **kw):
    return dns_header(**kw) + qname(labels) + struct.pack("!HH", qtype,
                                                          qclass)


def dig_name(labels):
    """A name as docs/capturo-events.5 says mx writes it (dig's form)."""
    out = []
    for lb in labels:
        s = ""
        for c in lb:
            if 0x41 <= c <= 0x5A:
                c += 0x20
            ch = chr(c)
            if ch.isascii() and (ch.isalnum() or ch in "-_"):
                s += ch
            elif ch in ".\\":
                s += "\\" + ch
            else:
                s += "\\%03d" % c
        out.append(s)
    return ".".join(out).encode() if out else b"."


# --- TLS (RFC 8446 4.1.2, RFC 6066 3) -------------------------------------

def ext(etype, data):
    return struct.pack("!HH", etype, len(data)) + data


def sni_ext(name):
    entry = b"\x00" + struct.pack("!H", len(name)) + name
    return ext(0, struct.pack("!H", len(entry)) + entry)


# what a browser's hello carries besides its name
COMMON_EXTS = (ext(10, bytes.fromhex("0006001d00170018")) +      # groups
               ext(11, b"\x01\x00") +                              # formats
               ext(13, bytes.fromhex("000804030804040105010201")) +
               ext(43, bytes.fromhex("0403040303")) +              # versions
               ext(51, bytes.fromhex("0024001d0020") + bytes(range(32))))


def client_hello(exts, extblock=None):
    """The ClientHello handshake message (type, length, body)."""
    block = exts if extblock is None else extblock
    body = (b"\x03\x03" + bytes(range(0x40, 0x60)) + b"\x20" +
            bytes(range(0xA0, 0xC0)) + struct.pack("!H", 6) +
            bytes.fromhex("130113021303") + b"\x01\x00" +
            struct.pack("!H", len(block)) + block)
    return b"\x01" + struct.pack("!I", len(body))[1:] + body


def hello_for(sni):
    return client_hello(sni_ext(sni) + COMMON_EXTS)


def records(hs, size=1 << 14):
    """The handshake in handshake records of at most size bytes."""
    return b"".join(b"\x16\x03\x01" + struct.pack("!H", len(hs[i:i + size]))
                    + hs[i:i + size] for i in range(0, len(hs), size))


def cut_at(data, points):
    """data in pieces, cut at these offsets."""
    pts = [0] + list(points) + [len(data)]
    return [data[a:b] for a, b in zip(pts, pts[1:])]


SERVER_HELLO = b"\x16\x03\x03\x00\x04\x02\x00\x00\x00"
APPDATA = b"\x17\x03\x03\x00\x10" + bytes(16)
BANNER = hostile.BANNER
READY = b"220 2.0.0 Ready to start TLS\r\n"
HELO_EV = ev("helo", ("verb", "EHLO"), ("name", "client.example.org"))


# --- expectations ---------------------------------------------------------

class Cases:
    """Frames, and the events expected of each src (host:port)."""

    def __init__(self):
        self.frames = []
        self.want = {}
        self.clients = set()

    def expect(self, host, port, evs, v6=False):
        src = "[%s]:%d" % (host, port) if v6 else "%s:%d" % (host, port)
        self.want[src] = evs
        self.clients.add(host)


def got_events(recs):
    """src -> [(name, own fields)]; the common fields left out."""
    out = {}
    for name, d, fields in recs:
        own = [(k, v) for k, v in fields if k not in ("sid", "src", "dst",
                                                      "mac")]
        out.setdefault(d.get("src", b"").decode(), []).append((name, own))
    return out


# --- DNS over UDP ---------------------------------------------------------

DNS_C = "192.0.2.53"      # the UDP client
DNS_C6 = "2001:db8:2::53"
DNS_TC = "192.0.2.54"     # the TCP client


def dns_udp_cases():
    c = Cases()
    port = [20000]
    notes = {}

    def q(payload, want, what, dport=53, host=DNS_C, v6=False):
        port[0] += 1
        c.frames.append(udp_frame(host, DNS_SRV6 if v6 else DNS_SRV,
                                  port[0], dport, payload, ipid=port[0]))
        c.expect(host, port[0], want, v6)
        notes[port[0]] = what
        return port[0]

    good = dns_query([b"example", b"org"])
    q(good, [ev("mx", ("name", "example.org"))], "a good MX query")
    q(dns_query([b"example", b"org"]), [ev("mx", ("name", "example.org"))],
      "the same query again (its own sid)")
    odd = [b"MaIL", b"Ex_a-mple", b"d.t", b"b\\s", b"sp ace",
           b"\xff\xc3\xa9\x7f", b"COM"]
    q(dns_query(odd), [ev("mx", ("name", dig_name(odd)))],
      "upper case and odd bytes in labels")
    ctl = [b"a\x00b\nc\x1bd\re", b"\x1b[2J", b"example", b"net"]
    q(dns_query(ctl), [ev("mx", ("name", dig_name(ctl)))],
      "NUL, LF, CR and ESC bytes in a label")
    # names at the bound of RFC 1035 3.1: 255 bytes in wire form taken,
    # 256 not; 64 labels of 3 bytes are 257
    full = [b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 61]
    q(dns_query(full), [ev("mx", ("name", dig_name(full)))],
      "a name of 255 bytes")
    # the longest text a name makes: 250 bytes each written \DDD
    worst = [bytes(range(1, 64)), bytes(range(0x80, 0xBF)),
             bytes(range(0xC0, 0xFF)), b"\xff" * 61]
    q(dns_query(worst), [ev("mx", ("name", dig_name(worst)))],
      "a name of 255 bytes, each label byte escaped")
    q(dns_query([b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 62]), [],
      "a name of 256 bytes")
    q(dns_query([b"abc"] * 64), [], "64 labels, 257 bytes")
    q(dns_header() + b"\x85xxxxx\x00\x00\x0f\x00\x01", [],
      "a label of type 10 (reserved)")
    q(dns_header() + b"\x45xxxxx\x00\x00\x0f\x00\x01", [],
      "a label of type 01 (extended, RFC 6891 5)")
    hdr = dns_header()
    # compression (RFC 1035 4.1.4): a pointer to itself, two pointing
    # at each other, one forward to a good name after the question, a
    # chain of DNS_PTR_MAX + 1 pointers laid after the question
    q(hdr + b"\xc0\x0c" + struct.pack("!HH", 15, 1), [],
      "a pointer to itself")
    q(hdr + b"\x01a\xc0\x0c" + struct.pack("!HH", 15, 1), [],
      "a label then a pointer back to it (a loop)")
    q(hdr + b"\xc0\x12" + struct.pack("!HH", 15, 1) + b"\xc0\x0c", [],
      "two pointers to each other")
    q(hdr + b"\xc0\x12" + struct.pack("!HH", 15, 1) + qname([b"example",
                                                           b"org"]), [],
      "a forward pointer to a good name")
    chain = b"".join(struct.pack("!H", 0xC000 | (0x12 + 2 * (i + 1)))
                     for i in range(17)) + qname([b"example", b"org"])
    q(hdr + b"\xc0\x12" + struct.pack("!HH", 15, 1) + chain, [],
      "a chain of 18 pointers")
    # the longest chain the backwards rule lets a question make: into
    # the header, 12 -> 10 -> 8 -> 6 -> 4 -> 0, where "x" is a name
    m = bytearray(dns_header(qid=0x0178, qd=0xC000, an=0xC004,
                             ns=0xC006, ar=0xC008))
    m[2] = 0      # byte 2 is the name's root, flags 0 (QR 0, OPCODE 0)
    q(bytes(m) + b"\xc0\x0a" + struct.pack("!HH", 15, 1),
      [ev("mx", ("name", "x"))],
      "5 pointers back into the header, name x (well formed)")
    # a pointer back to the header's last byte, ARCOUNT's low byte: 0,
    # the root; a well-formed query for the root's MX
    q(hdr + b"\xc0\x0b" + struct.pack("!HH", 15, 1),
      [ev("mx", ("name", "."))], "a pointer to the header's last byte")
    # every proper prefix of a good query: no event
    for n in range(len(good)):
        q(good[:n], [], "a good query cut to %d bytes" % n)
    # the rest of the query in the frame past the IP and UDP lengths
    for n in range(len(good)):
        port[0] += 1
        c.frames.append(udp_frame_padded(DNS_C, DNS_SRV, port[0], 53,
                                         good[:n], good[n:], port[0]))
        c.expect(DNS_C, port[0], [])
        notes[port[0]] = "%d bytes, the rest past the lengths" % n
    # a UDP length shorter than the datagram: the query cut (RFC 768)
    port[0] += 1
    f = bytearray(udp_frame(DNS_C, DNS_SRV, port[0], 53, good, port[0]))
    struct.pack_into("!H", f, 14 + 20 + 4, 8 + len(good) - 1)
    struct.pack_into("!H", f, 14 + 20 + 6, 0)
    c.frames.append(bytes(f))
    c.expect(DNS_C, port[0], [])
    notes[port[0]] = "a UDP length one byte short"
    q(dns_query([b"example", b"org"], flags=0x8180), [],
      "a response for MX (QR 1)")
    q(dns_query([b"example", b"org"], flags=0x8180, an=1) +
      b"\xc0\x0c\x00\x0f\x00\x01\x00\x00\x0e\x10\x00\x09\x00\x0a\x04mail"
      b"\xc0\x0c", [], "a response with an MX answer")
    q(dns_query([b"example", b"org"], qtype=1), [], "a query of type A")
    q(dns_query([b"example", b"org"], qclass=255), [], "a query of class ANY")
    q(dns_query([b"example", b"org"], flags=0x2900), [],
      "an UPDATE (OPCODE 5)")
    q(dns_query([b"example", b"org"], qd=0), [], "QDCOUNT 0")
    q(dns_query([b"first", b"example"], qd=2) +
      qname([b"second", b"example"]) + b"\x00\x0f\x00\x01",
      [ev("mx", ("name", "first.example"))], "QDCOUNT 2: the first")
    q(good, [], "a good query to port 5353", dport=5353)
    q(dns_query([b"v6", b"example"]), [ev("mx", ("name", "v6.example"))],
      "a good query over IPv6", host=DNS_C6, v6=True)
    q(dns_query([b"example", b"org"]) + b"\x00" * 600,
      [ev("mx", ("name", "example.org"))],
      "600 NULs after the question (not read)")
    # IPv6: an atomic fragment is a whole packet; a first fragment is not
    port[0] += 1
    c.frames.append(udp6_fragment(DNS_C6, DNS_SRV6, port[0], 53,
                                  dns_query([b"atomic", b"example"]), 0, 7))
    c.expect(DNS_C6, port[0], [ev("mx", ("name", "atomic.example"))], True)
    notes[port[0]] = "an IPv6 atomic fragment"
    port[0] += 1
    c.frames.append(udp6_fragment(DNS_C6, DNS_SRV6, port[0], 53,
                                  dns_query([b"frag6", b"example"]), 1, 8))
    c.expect(DNS_C6, port[0], [], True)
    notes[port[0]] = "an IPv6 first fragment (M set)"
    # a fragmented query: fragments are counted, not reassembled
    port[0] += 1
    c.frames += udp_fragments(DNS_C, DNS_SRV, port[0], 53,
                              dns_query([b"fragmented", b"example"]), 24,
                              port[0])
    c.expect(DNS_C, port[0], [])
    notes[port[0]] = "a query in two IPv4 fragments"
    return c, notes


def dns_tcp_cases():
    c = Cases()

    def framed(labels):
        m = dns_query(labels)
        return struct.pack("!H", len(m)) + m

    def sess(port):
        s = Session(port, DNS_TC, DNS_SRV, sport=53)
        s.handshake()
        return s

    def answer(s):
        s.server(struct.pack("!H", 12) + dns_header(flags=0x8180, qd=0))

    s = sess(30001)
    s.client(framed([b"one", b"example"]) + framed([b"two", b"example"]))
    answer(s)
    s.close()
    c.frames += s.frames
    c.expect(DNS_TC, 30001, [ev("mx", ("name", "one.example")),
                             ev("mx", ("name", "two.example"))])

    s = sess(30002)
    m = framed([b"split", b"example"])
    s.client_parts(cut_at(m, [1, 9]))
    answer(s)
    s.close()
    c.frames += s.frames
    c.expect(DNS_TC, 30002, [ev("mx", ("name", "split.example"))])

    # a length of 65535 and that much junk shaped like queries, skipped
    # whole; the query after it is read
    s = sess(30003)
    junk = (framed([b"injunk", b"example"]) * 2000)[:65535]
    s.client(b"\xff\xff" + junk + framed([b"after", b"example"]))
    answer(s)
    s.close()
    c.frames += s.frames
    c.expect(DNS_TC, 30003, [ev("mx", ("name", "after.example"))])

    # bytes the capture lost (the server acknowledged them): where the
    # next message starts is unknown, nothing after them is read
    s = sess(30004)
    s.client(framed([b"before", b"example"]))
    s.cseq += len(framed([b"lost", b"example"]))
    s.client(framed([b"aftergap", b"example"]) +
             framed([b"aftergap2", b"example"]))
    answer(s)
    s.close()
    c.frames += s.frames
    c.expect(DNS_TC, 30004, [ev("mx", ("name", "before.example"))])

    # a length of 0, a message cut short by its length, a compression
    # loop: none of them an event, and the stream goes on
    s = sess(30005)
    loop = dns_header() + b"\xc0\x0c\x00\x0f\x00\x01"
    s.client(b"\x00\x00" + b"\x00\x05" + dns_query([b"x"])[:5] +
             struct.pack("!H", len(loop)) + loop +
             framed([b"last", b"example"]))
    answer(s)
    s.close()
    c.frames += s.frames
    c.expect(DNS_TC, 30005, [ev("mx", ("name", "last.example"))])
    return c


# --- TLS ------------------------------------------------------------------

def tls_sessions():
    """name -> Cases; the 10,000 extensions in a capture of their own."""
    caps = {"tls": Cases(), "tls-ext10000": Cases()}
    c = caps["tls"]
    n = [0]
    snis = {}
    roles = {}

    def client():
        n[0] += 1
        return "192.0.2.%d" % (100 + n[0])

    def implicit(parts, sni, what, cap=c, gap=None, fin=True):
        """A connection to 465 whose client sends parts."""
        host = client()
        s = Session(41000 + n[0], host, SUB_SRV, sport=465)
        s.handshake()
        if gap is not None:
            s.client_parts(parts[:gap], ack=False)
            s.cseq += 100
            s.client_parts(parts[gap:])
        else:
            s.client_parts(parts)
        if fin:
            s.server(SERVER_HELLO)
            s.client(APPDATA)
        s.close()
        cap.frames += s.frames
        tls = ev("tls", ("sni", sni)) if sni is not None else ev("tls")
        cap.expect(host, s.cport, [ev("connect"), tls,
                                   ev("close", ("how", "fin"),
                                      ("msgs", 0))])
        snis[host] = (what, sni)
        return host

    # a good hello, its name split over 5 segments and 2 records
    hs = hello_for(b"mail.example.net")
    at = hs.index(b"mail.example.net") + 7
    wire = records(hs[:at], 1 << 14) + records(hs[at:])
    parts = cut_at(wire, [3, 8, 5 + at + 2, 5 + at + 7])
    implicit(parts, b"mail.example.net",
             "a hello in 2 records and 5 segments, the name cut")
    # two hellos, one after the other: the first one's line only
    implicit([records(hello_for(b"one.example.net")) +
              records(hello_for(b"two.example.net"))], b"one.example.net",
             "two hellos in one connection")
    # names at the bound: 255 bytes kept, 256 not, 16,000 not
    name255 = b".".join([b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 63])
    implicit([records(hello_for(name255))], name255, "an SNI of 255 bytes")
    implicit([records(hello_for(name255 + b"e"))], None,
             "an SNI of 256 bytes")
    implicit([records(hello_for(b"x" * 16000))], None,
             "an SNI of 16,000 bytes in a hello under 16 KiB")
    # 64 KB: the most a hello's extension block can hold
    big = client_hello(sni_ext(b"x" * 65526))
    implicit(cut_at(records(big), range(1460, len(big), 1460)), None,
             "an SNI of 65,526 bytes, a hello of 64 KiB")
    # the name a client chose, control bytes and all
    evil = (b"mx.example.net\n2026-03-03T16:45:44.880222Z block host=" +
            OTHER.encode() + b" host=" + OTHER.encode() + b' "q" \x01\x7f'
            b"\r\x1b[2J\x1b]0;t\x07\xc2\x9b\xe2\x80\xae\xff\t\\ src=" +
            OTHER.encode() + b":25")
    implicit([records(hello_for(evil))], evil,
             "an SNI with LF, CR, ESC, quotes and host=")
    worst = bytes(range(1, 0x20)) * 8 + b"\x7f" * 7
    implicit([records(hello_for(worst))], worst,
             "an SNI of 255 control bytes")
    implicit([records(hello_for(b"a\x00" + OTHER.encode()))], None,
             "an SNI with a NUL")
    implicit([records(hello_for(b" host=" + OTHER.encode()))],
             b" host=" + OTHER.encode(), "an SNI of ' host=ADDR'")
    # extensions: past TLS_EXT_MAX (1024) the name is not looked for
    filler = b"".join(ext(0xFA00 + (i % 200), b"") for i in range(2000))
    implicit([records(client_hello(filler + sni_ext(b"late.example.net")))],
             None, "the SNI after 2,000 empty extensions")
    implicit([records(client_hello(sni_ext(b"early.example.net") +
                                   filler))],
             b"early.example.net", "the SNI before 2,000 empty extensions")
    # lengths that do not add up, records that cannot be a hello
    implicit([records(client_hello(b"", sni_ext(b"a.example") +
                                   b"\x00\x10\x00"))], None,
             "extensions not ending with the message")
    implicit([records(client_hello(sni_ext(b"a.example") +
                                   sni_ext(b"b.example")))], None,
             "two server_name extensions")
    implicit([b"\x16\x03\x01\x00\x00"], None, "an empty record")
    implicit([b"\x16\x03\x01\x40\x01" + hs], None,
             "a record of 2^14 + 1 bytes")
    implicit([b"\x16\x02\x00" + records(hs)[3:]], None,
             "record version major 2")
    implicit([records(b"\x02" + hs[1:])], None,
             "a ServerHello as the first message")
    r = records(hs)
    implicit([r[:5 + 40], b"\x17\x03\x03\x00\x02ab", r[45:]], None,
             "application data inside the hello")
    # cut: the connection ends, or bytes are lost, inside the hello
    implicit([r[:3]], None, "a hello cut in its record header", fin=False)
    implicit([r[:7]], None, "a hello cut in its handshake header",
             fin=False)
    implicit([r[:len(r) - 20]], None, "a hello cut in its extensions",
             fin=False)
    implicit([r[:50], r[50:]], None, "bytes lost inside the hello", gap=1)
    # picked up in the middle (no SYN, no connect line): application
    # data, or the end of a hello, gives the line without sni
    for data in (APPDATA, r[30:]):
        host = client()
        s = Session(41000 + n[0], host, SUB_SRV, sport=465)
        s.handshake()
        s.frames = []
        s.client(data).server(SERVER_HELLO)
        s.close()
        c.frames += s.frames
        c.expect(host, s.cport, [ev("tls"), ev("close", ("how", "fin"),
                                                ("msgs", 0))])
    # SSLv2's CLIENT-HELLO (RFC 6101 E.1)
    v2 = (b"\x80\x2e\x01\x00\x02\x00\x15\x00\x00\x00\x10" +
          bytes.fromhex("0700c0050080030080010080080080060040040080020080")
          [:21] + bytes(range(16)))
    implicit([v2], None, "an SSLv2 hello")

    # one client, 9 connections to 465, each naming another server with
    # a name shaped like event lines: server-fanout blocks that client
    host = client()
    for i in range(9):
        name = (b"s%d.example\n2026-03-03T16:45:44.880222Z block host=%s "
                b"reason=blocklisted\x1b[2J" % (i, OTHER.encode()))
        s = Session(43000 + i, host, SUB_SRV, sport=465)
        s.handshake()
        s.client(records(hello_for(name)))
        s.server(SERVER_HELLO)
        s.close()
        c.frames += s.frames
        c.expect(host, s.cport, [ev("connect"), ev("tls", ("sni", name)),
                                 ev("close", ("how", "fin"), ("msgs", 0))])
    roles["fanout"] = host

    # plain SMTP on 465: the port says TLS, the first byte says no
    host = client()
    s = Session(41000 + n[0], host, SUB_SRV, sport=465)
    s.handshake().server(BANNER)
    s.client(b"EHLO client.example.org\r\n").server(hostile.EHLO_REPLY)
    s.client(b"MAIL FROM:<plain@example.org>\r\n").server(hostile.OK_MAIL)
    hostile.smtp_quit(s)
    c.frames += s.frames
    c.expect(host, s.cport, [ev("connect"), ev("tls"),
                             ev("close", ("how", "fin"), ("msgs", 0))])
    snis[host] = ("plain SMTP on 465", None)

    # STARTTLS on 25, the hello cut over 5 segments and 2 records
    host = client()
    s = Session(41000 + n[0], host, MX_SRV)
    hostile.smtp_open(s)
    s.client(b"STARTTLS\r\n").server(READY)
    s.client_parts(parts)
    s.server(SERVER_HELLO)
    s.client(APPDATA)
    s.close()
    c.frames += s.frames
    c.expect(host, s.cport, [ev("connect"), HELO_EV,
                             ev("starttls", ("reply", 220)),
                             ev("tls", ("sni", "mail.example.net")),
                             ev("close", ("how", "fin"), ("msgs", 0))])
    snis[host] = ("STARTTLS, the hello in 5 segments", b"mail.example.net")

    # STARTTLS refused: the client goes on in the clear
    host = client()
    s = Session(41000 + n[0], host, MX_SRV)
    hostile.smtp_open(s)
    s.client(b"STARTTLS\r\n").server(b"454 4.7.0 TLS not available\r\n")
    s.client(b"MAIL FROM:<clear@example.org>\r\n").server(hostile.OK_MAIL)
    hostile.smtp_quit(s)
    c.frames += s.frames
    c.expect(host, s.cport, [ev("connect"), HELO_EV,
                             ev("starttls", ("reply", 454)),
                             ev("mail", ("from", "clear@example.org")),
                             ev("close", ("how", "fin"), ("msgs", 0))])

    # the hello sent before the 220 (RFC 3207 4: the client waits), in
    # the STARTTLS segment and in one of its own: the server drops what
    # was pipelined behind STARTTLS (as Postfix does since CVE-2011-0411)
    # and so never reads that hello.  Nothing of it is read as commands;
    # no tls line, as no hello followed the 220
    for same in (True, False):
        host = client()
        s = Session(41000 + n[0], host, MX_SRV)
        hostile.smtp_open(s)
        hello = records(hello_for(b"early220.example.net"))
        if same:
            s.client(b"STARTTLS\r\n" + hello)
        else:
            s.client(b"STARTTLS\r\n").client(hello)
        s.server(READY)
        s.close()
        c.frames += s.frames
        c.expect(host, s.cport, [ev("connect"), HELO_EV,
                                 ev("starttls", ("reply", 220)),
                                 ev("close", ("how", "fin"), ("msgs", 0))])

    # the same, to a server that did read the early hello: the client's
    # next records (ChangeCipherSpec, application data) follow the 220,
    # and are no hello: a tls line without sni
    host = client()
    s = Session(41000 + n[0], host, MX_SRV)
    hostile.smtp_open(s)
    s.client(b"STARTTLS\r\n" + records(hello_for(b"early220.example.net")))
    s.server(READY + SERVER_HELLO)
    s.client(b"\x14\x03\x03\x00\x01\x01" + APPDATA)
    s.close()
    c.frames += s.frames
    c.expect(host, s.cport, [ev("connect"), HELO_EV,
                             ev("starttls", ("reply", 220)), ev("tls"),
                             ev("close", ("how", "fin"), ("msgs", 0))])

    # a client that speaks TLS first on port 25, before the banner
    host = client()
    s = Session(41000 + n[0], host, MX_SRV)
    s.handshake()
    s.client(records(hello_for(b"first.example.net")))
    s.server(BANNER)
    s.close()
    c.frames += s.frames
    c.expect(host, s.cport, [ev("connect"),
                             ev("tls", ("sni", "first.example.net")),
                             ev("close", ("how", "fin"), ("msgs", 0))])

    # 10,000 extensions, the name first: 40 KB, over TLS_HELLO_MAX
    many = sni_ext(b"many.example.net") + b"".join(
        ext(0xFA00 + (i % 200), b"") for i in range(9999))
    hs = client_hello(many)
    implicit(cut_at(records(hs), range(1460, len(hs), 1460)), None,
             "10,000 extensions", cap=caps["tls-ext10000"])
    return caps, snis, roles


# --- refusals -------------------------------------------------------------

def refusal_sessions():
    c = Cases()
    n = [0]
    meta = {}

    def client():
        n[0] += 1
        return "192.0.2.%d" % (70 + n[0])

    def refuse(text, verb="RCPT", what=""):
        """A dialogue whose MAIL or RCPT is answered with text."""
        host = client()
        s = Session(42000 + n[0], host, MX_SRV)
        hostile.smtp_open(s)
        body = text(host) if callable(text) else text
        if verb == "MAIL":
            s.client(b"MAIL FROM:<a@example.org>\r\n").server(body)
            w = [ev("mail", ("from", "a@example.org"))]
        else:
            s.client(b"MAIL FROM:<a@example.org>\r\n").server(
                hostile.OK_MAIL)
            s.client(b"RCPT TO:<r@example.net>\r\n").server(body)
            w = [ev("mail", ("from", "a@example.org")),
                 ev("rcpt", ("to", "r@example.net"))]
        hostile.smtp_quit(s)
        c.frames += s.frames
        meta[host] = (what, body)
        return host, s.cport, w

    def want(host, port, w, verb, code, esc=None, listed=None, named=None):
        kv = [("verb", verb),
              ("from" if verb == "MAIL" else "to",
               "a@example.org" if verb == "MAIL" else "r@example.net"),
              ("reply", code)]
        kv += [("esc", esc)] if esc else []
        kv += [("listed", listed)] if listed else []
        kv += [("named", named)] if named else []
        c.expect(host, port, [ev("connect"), HELO_EV] + w +
                 [ev("refused", *kv),
                  ev("close", ("how", "fin"), ("msgs", 0))])

    def pf(addr, zone=b"zen.spamhaus.org"):
        return (b"554 5.7.1 Service unavailable; Client host [" + addr +
                b"] blocked using " + zone + b"; https://www.spamhaus.org/"
                b"query/ip/" + addr + b"\r\n")

    roles = {}
    # Postfix' reject_rbl_client naming the client itself
    h, p, w = refuse(lambda a: pf(a.encode()), what="own address")
    want(h, p, w, "RCPT", 554, "5.7.1", "zen.spamhaus.org", h)
    roles["own"] = h
    # the same text on MAIL, in two lines
    h, p, w = refuse(lambda a: b"550-5.7.1 Service unavailable; Client host"
                     b" [" + a.encode() + b"]\r\n550 5.7.1 blocked using "
                     b"bl.spamcop.net\r\n", verb="MAIL",
                     what="own address, two lines")
    want(h, p, w, "MAIL", 550, "5.7.1", "bl.spamcop.net", h)
    roles["own2"] = h
    # naming another host
    h, p, w = refuse(pf(OTHER.encode()), what="another address")
    want(h, p, w, "RCPT", 554, "5.7.1", "zen.spamhaus.org", OTHER)
    roles["other"] = h
    # control bytes, ANSI, a CR inside the line, a zone holding host=
    h, p, w = refuse(lambda a: b"554 5.7.1 Client host [" + a.encode() +
                     b"] blocked using zen.spam\x1b[2Jhaus.org\rhost=" +
                     OTHER.encode() + b"\x00 named=" + OTHER.encode() +
                     b"\r\n", what="ESC, CR, NUL; a zone cut by ESC")
    # the plain text has "zen.spam [2jhaus.org host=...": the zone read
    # is zen.spam, an unknown zone taken with the bracketed address
    want(h, p, w, "RCPT", 554, "5.7.1", "zen.spam", h)
    roles["ctl"] = h
    h, p, w = refuse(b"554 5.7.1 Client host [" + OTHER.encode() +
                     b"] blocked using bl.example host=" + OTHER.encode() +
                     b" listed=x.example\r\n",
                     what="host= after the zone, another address")
    want(h, p, w, "RCPT", 554, "5.7.1", "bl.example", OTHER)
    roles["hosteq"] = h
    h, p, w = refuse(b"554 5.7.1 Service unavailable; Client host "
                     b"[\x1b[31m" + OTHER.encode() + b"\x1b[0m] blocked using"
                     b" \x1b]0;zen.spamhaus.org\x07 \"host=" +
                     OTHER.encode() + b"\"\r\n",
                     what="ANSI around another address and the zone")
    # "blocked using ]0;zen..." after the control bytes became spaces:
    # no zone there, and no other phrase
    want(h, p, w, "RCPT", 554, "5.7.1")
    roles["ansi"] = h
    # the client's address as an IPv4-mapped IPv6 one: named unmapped
    h, p, w = refuse(lambda a: b"554 5.7.1 Service unavailable; Client host "
                     b"[IPv6:::ffff:" + a.encode() + b"] blocked using "
                     b"b.barracudacentral.org\r\n", what="::ffff:ADDR")
    want(h, p, w, "RCPT", 554, "5.7.1", "b.barracudacentral.org", h)
    roles["mapped"] = h
    # the phrase undone by "not"
    h, p, w = refuse(lambda a: b"550 5.7.1 " + a.encode() + b" is not "
                     b"listed at zen.spamhaus.org, refused all the same\r\n",
                     what="not listed")
    want(h, p, w, "RCPT", 550, "5.7.1")
    roles["not"] = h
    # 10 KB over 100 lines: the listing in the first line is read; one
    # only in the last line is past what is kept (SMTP_REPLY_TEXT_MAX)
    lines = [b"550-5.7.1 line %03d of a long refusal " % i + b"." * 60 +
             b"\r\n" for i in range(100)]
    h, p, w = refuse(lambda a: pf(a.encode()).replace(b"554 ", b"550-") +
                     b"".join(lines) + b"550 5.7.1 end\r\n",
                     what="10 KB, listed in the first line")
    want(h, p, w, "RCPT", 550, "5.7.1", "zen.spamhaus.org", h)
    roles["long"] = h
    h, p, w = refuse(lambda a: b"".join(lines) + pf(a.encode())
                     .replace(b"554 ", b"550 "),
                     what="10 KB, listed in the last line only")
    want(h, p, w, "RCPT", 550, "5.7.1")
    roles["longlate"] = h
    # domain lists: about the message, no listing of the client
    h, p, w = refuse(lambda a: pf(a.encode(), b"dbl.spamhaus.org"),
                     what="dbl.spamhaus.org with the client's address")
    want(h, p, w, "RCPT", 554, "5.7.1")
    roles["dbl"] = h
    h, p, w = refuse(lambda a: b"554 5.7.1 Service unavailable; Client "
                     b"host [" + a.encode() + b"] blocked using "
                     b"DBL.Spamhaus.ORG.\r\n", what="DBL.Spamhaus.ORG.")
    want(h, p, w, "RCPT", 554, "5.7.1")
    roles["dbl2"] = h
    h, p, w = refuse(b"554 5.7.1 <a@example.org>: Sender address "
                     b"[a@example.org] blocked using dbl.spamhaus.org; "
                     b"https://www.spamhaus.org/query/dbl?domain="
                     b"example.org\r\n", what="Sender address, DBL")
    want(h, p, w, "RCPT", 554, "5.7.1")
    roles["dbl3"] = h
    # an address in the text that does not parse: not taken
    h, p, w = refuse(b"554 5.7.1 Client host [300.51.100.9] blocked using "
                     b"zen.spamhaus.org\r\n", what="300.51.100.9")
    want(h, p, w, "RCPT", 554, "5.7.1")
    roles["bad"] = h
    # a 2xx reply with a listing's words: no refusal
    host = client()
    s = Session(42000 + n[0], host, MX_SRV)
    hostile.smtp_open(s)
    s.client(b"MAIL FROM:<a@example.org>\r\n").server(hostile.OK_MAIL)
    s.client(b"RCPT TO:<r@example.net>\r\n").server(
        b"250 2.1.5 Ok; Client host [" + host.encode() + b"] blocked using "
        b"zen.spamhaus.org\r\n")
    hostile.smtp_quit(s)
    c.frames += s.frames
    c.expect(host, s.cport, [ev("connect"), HELO_EV,
                             ev("mail", ("from", "a@example.org")),
                             ev("rcpt", ("to", "r@example.net")),
                             ev("close", ("how", "fin"), ("msgs", 0))])
    roles["2xx"] = host
    return c, roles, meta


# --- running --------------------------------------------------------------

def run_capturo(path):
    p = subprocess.run([CAPTURO, "-r", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    return p.stdout, p.stderr.decode("utf-8", "replace"), p.returncode


def sane(what, out, err, rc):
    san = [ln for ln in err.splitlines() if "Sanitizer" in ln or
           "runtime error" in ln]
    report(rc == 0 and not san and "capturo: packets=" in err,
           "%s: capturo exits 0, no sanitizer report" % what,
           "status %d\n%s" % (rc, err[-3000:]))
    recs, errs = parse_all(out)
    report(not errs and (not out or out.endswith(b"\n")),
           "%s: every line of capturo parses (%d lines)"
           % (what, len(out.splitlines())), "\n".join(errs))
    bad = raw_bytes_ok(out)
    report(bad is None, "%s: no raw control byte in any line" % what, bad)
    return recs


def compare(what, recs, cases, notes=None):
    got = got_events(recs)
    wrong = []
    for src, want in sorted(cases.want.items()):
        g = got.pop(src, [])
        if g != want:
            port = int(src.rsplit(":", 1)[1])
            label = notes.get(port, "") if notes else ""
            wrong.append("%s %s\nwant:\n%s\ngot:\n%s" %
                         (src, label, show(want), show(g)))
    report(not wrong, "%s: each of %d connections or datagrams gives the "
           "events expected" % (what, len(cases.want)), "\n".join(wrong))
    report(not got, "%s: no event for any other src" % what,
           "unexpected: %s" % ", ".join("%s %s" % (k, show(v))
                                        for k, v in got.items()))
    return got


def detengo(what, out, tmp):
    """detengo -m shared -n --once --from-start on the lines: the blocks
    (host -> reason) and its stats line."""
    log = os.path.join(tmp, what + ".log")
    state = os.path.join(tmp, what + ".state")
    for f in os.listdir(tmp):
        if f.startswith(what + ".state"):
            os.unlink(os.path.join(tmp, f))
    with open(log, "wb") as f:
        f.write(out)
    p = subprocess.run([DETENGO, "-m", "shared", "-n", "--once",
                        "--from-start", "-s", state, log],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    err = p.stderr.decode("utf-8", "replace")
    recs, errs = parse_all(p.stdout)
    san = [ln for ln in err.splitlines() if "Sanitizer" in ln or
           "runtime error" in ln]
    report(p.returncode == 0 and not san and not errs,
           "%s: detengo -m shared exits 0, its lines parse" % what,
           "status %d\n%s\n%s" % (p.returncode, "\n".join(errs),
                                  err[-2000:]))
    m = re.search(r"lines=(\d+) malformed=(\d+) unknown=(\d+)", err)
    nlines = len(out.splitlines())
    report(m is not None and m.group(2) == "0" and m.group(3) == "0" and
           int(m.group(1)) == nlines,
           "%s: detengo read %d lines, malformed=0 unknown=0"
           % (what, nlines), err[-2000:])
    blocks = {}
    for name, d, _ in recs:
        if name == "block":
            blocks.setdefault(d["host"].decode(), []).append(
                d.get("reason", b"").decode())
    # what --why shows of each block: the event lines as they were read
    bad = []
    for h in blocks:
        w = subprocess.run([DETENGO, "--why", h, "-s", state],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        if w.returncode != 0 or raw_bytes_ok(w.stdout) is not None or \
                b" is blocked\n" not in w.stdout:
            bad.append("%s: status %d, %r" % (h, w.returncode,
                                              w.stdout[-500:]))
        # each a line of the log, or its first WHY_LINE_MAX (1024)
        # bytes (docs/detengo.8, FILES)
        logl = out.splitlines()
        evl = [ln[2:] for ln in w.stdout.splitlines()
               if re.match(rb"^  \d{4}-", ln)]
        for ln in evl:
            if ln not in logl and not (len(ln) == 1024 and any(
                    x.startswith(ln) for x in logl)):
                bad.append("%s: not a line of the log: %r" % (h, ln[:300]))
            m = re.search(rb" src=\[?([^ \]]+)\]?:\d+ ", ln)
            if not m or m.group(1).decode() != h:
                bad.append("%s: a line of another src: %r" % (h, ln[:300]))
        if not evl:
            bad.append("%s: no event line" % h)
    if blocks:
        report(not bad, "%s: detengo --why shows each block's event lines "
               "as read (cut at 1024 bytes), all of the blocked host" % what,
               "\n".join(bad))
    return blocks


def event_hosts(recs):
    hosts = set()
    for _, d, _ in recs:
        src = d.get("src", b"").decode()
        hosts.add(src[1:src.index("]")] if src.startswith("[")
                  else src.rsplit(":", 1)[0])
    return hosts


def check_blocks(what, blocks, recs, want):
    """No block of a host that is no event's src, and none of OTHER or
    a server; want: host -> the reason it must be blocked for."""
    srcs = event_hosts(recs)
    framed = [h for h in blocks if h not in srcs or h in
              (OTHER, DNS_SRV, MX_SRV, SUB_SRV, DNS_SRV6)]
    report(not framed, "%s: detengo blocks no host that is not an event's "
           "src (%s never)" % (what, OTHER),
           "blocked: %s" % {h: blocks[h] for h in framed})
    twice = {h: r for h, r in blocks.items() if len(r) != 1}
    report(not twice, "%s: each host blocked once" % what, repr(twice))
    got = {h: r[0] for h, r in blocks.items()}
    report(got == want, "%s: detengo blocks exactly %s" %
           (what, ", ".join("%s (%s)" % kv for kv in sorted(want.items()))
            or "nobody"), "blocked: %r" % got)


def mx_fanout(recs):
    """The hosts mx-fanout must block: 5 distinct names in an hour."""
    names = {}
    for n, d, _ in recs:
        if n == "mx":
            src = d["src"].decode()
            h = src[1:src.index("]")] if src.startswith("[") else \
                src.rsplit(":", 1)[0]
            names.setdefault(h, set()).add(d["name"])
    return {h: "mx-fanout" for h, s in names.items() if len(s) >= 5}


def write(tmp, name, frames):
    path = os.path.join(tmp, name + ".pcap")
    with open(path, "wb") as f:
        f.write(pcap_bytes(frames))
    return path


def tshark_checksums(paths):
    tshark = shutil.which("tshark")
    if not tshark:
        print("skip - tshark missing: the captures' checksums not checked")
        return
    bad = []
    for p in paths:
        r = subprocess.run(
            [tshark, "-n", "-r", p, "-o", "tcp.check_checksum:TRUE",
             "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
             "-Y", "ip.checksum.status == 0 || tcp.checksum.status == 0 || "
             "udp.checksum.status == 0", "-T", "fields",
             "-e", "frame.number"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        if r.returncode != 0 or r.stdout.strip():
            bad.append("%s: %s %s" % (os.path.basename(p),
                                      r.stdout.decode()[:300],
                                      r.stderr.decode()[:300]))
    report(not bad, "tshark finds no bad IP, TCP or UDP checksum in the "
           "%d captures" % len(paths), "\n".join(bad))


def main():
    for b in (CAPTURO, DETENGO):
        if not os.access(b, os.X_OK):
            report(False, "%s is built" % os.path.relpath(b, TOP),
                   "make -s tests builds it")
            return 1
    keep = len(sys.argv) > 1
    tmp = sys.argv[1] if keep else tempfile.mkdtemp(prefix="hostile_dns.")
    os.makedirs(tmp, exist_ok=True)
    try:
        return checks(tmp)
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def checks(tmp):
    paths = []

    # DNS over UDP
    c, notes = dns_udp_cases()
    path = write(tmp, "dns-udp", c.frames)
    paths.append(path)
    out, err, rc = run_capturo(path)
    recs = sane("dns-udp", out, err, rc)
    compare("dns-udp", recs, c, notes)
    st = hostile.stats(err)
    report(st.get("fragments") == "3", "dns-udp: the 3 fragments counted, "
           "not reassembled (fragments=%s)" % st.get("fragments"))
    sids = [d["sid"] for n, d, _ in recs if n == "mx"]
    report(len(set(sids)) == len(sids), "dns-udp: each query has a sid of "
           "its own", repr(sids))
    check_blocks("dns-udp", detengo("dns-udp", out, tmp), recs,
                 mx_fanout(recs))

    # DNS over TCP
    c = dns_tcp_cases()
    path = write(tmp, "dns-tcp", c.frames)
    paths.append(path)
    out, err, rc = run_capturo(path)
    recs = sane("dns-tcp", out, err, rc)
    compare("dns-tcp", recs, c)
    sids = [d["sid"] for n, d, _ in recs if n == "mx"]
    report(len(set(sids)) == len(sids), "dns-tcp: two queries of one "
           "connection have sids of their own", repr(sids))
    report(not any(b"injunk" in ln or b"aftergap" in ln or b"lost" in ln
                   for ln in out.splitlines()),
           "dns-tcp: nothing read inside a skipped message or after a gap")
    check_blocks("dns-tcp", detengo("dns-tcp", out, tmp), recs,
                 mx_fanout(recs))

    # TLS
    caps, snis, troles = tls_sessions()
    for name, c in caps.items():
        path = write(tmp, name, c.frames)
        paths.append(path)
        out, err, rc = run_capturo(path)
        recs = sane(name, out, err, rc)
        compare(name, recs, c)
        tls = [(d["src"].decode().rsplit(":", 1)[0], d.get("sni"))
               for n, d, _ in recs if n == "tls"]
        srcs = [d["src"] for n, d, _ in recs if n == "tls"]
        report(len(srcs) == len(set(srcs)),
               "%s: one tls line per connection, never a second" % name,
               repr(tls))
        if name == "tls":
            bad = ["%s: %r, want %r" % (snis[h][0], s, snis[h][1])
                   for h, s in tls if h in snis and s != snis[h][1]]
            report(not bad, "tls: every sni value read back is the bytes "
                   "sent, control bytes, quotes and host= included",
                   "\n".join(bad))
            lines = [ln for ln in out.splitlines() if OTHER.encode() in ln]
            inside = [d for n, d, _ in recs
                      if n == "tls" and OTHER.encode() in d.get("sni", b"")]
            report(len(lines) == len(inside) == 11 and
                   all(ln.split(b" ", 2)[1] == b"tls" for ln in lines),
                   "tls: %s appears only inside the 11 sni values that hold "
                   "it" % OTHER, b"\n".join(lines).decode("utf-8", "replace"))
            report(b"plain@example.org" not in out and
                   b"early220" not in out,
                   "tls: neither SMTP on 465 nor a hello before the 220 is "
                   "read as commands")
        else:
            st = hostile.stats(err)
            report(st.get("events") == "3", "%s: 3 events (events=%s)" %
                   (name, st.get("events")))
        check_blocks(name, detengo(name, out, tmp), recs,
                     {troles["fanout"]: "server-fanout"}
                     if name == "tls" else {})

    # refusals
    c, roles, meta = refusal_sessions()
    path = write(tmp, "refused", c.frames)
    paths.append(path)
    out, err, rc = run_capturo(path)
    recs = sane("refused", out, err, rc)
    ref = [d for n, d, _ in recs if n == "refused"]
    bad = [d for d in ref if
           not re.match(rb"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9_-]+)+$",
                        d.get("listed", b"a.b")) or
           d.get("named", OTHER.encode()) not in
           [OTHER.encode()] + [h.encode() for h in meta]]
    report(not bad and ref, "refused: every listed= is a clean zone, every "
           "named= the client's own address or %s" % OTHER, repr(bad))
    compare("refused", recs, c)
    blocks = detengo("refused", out, tmp)
    want = {roles[k]: "blocklisted"
            for k in ("own", "own2", "ctl", "long", "mapped")}
    check_blocks("refused", blocks, recs, want)
    report(roles["own"] in blocks and blocks[roles["own"]] == ["blocklisted"],
           "refused: the client named by its own blocklist refusal is "
           "blocked (reason=blocklisted)", repr(blocks))
    report(roles["other"] not in blocks and roles["hosteq"] not in blocks
           and roles["ansi"] not in blocks,
           "refused: the clients of refusals naming %s are not blocked"
           % OTHER, repr(blocks))
    report(OTHER not in blocks, "refused: %s, named in texts, is never "
           "blocked" % OTHER, repr(blocks))

    # all of it at once, in one log
    logs = []
    for p in paths:
        logs.append(run_capturo(p)[0])
    allout = b"".join(logs)
    allrecs = parse_all(allout)[0]
    want = dict(mx_fanout(allrecs))
    want[troles["fanout"]] = "server-fanout"
    want.update({roles[k]: "blocklisted"
                 for k in ("own", "own2", "ctl", "long", "mapped")})
    check_blocks("all", detengo("all", allout, tmp), allrecs, want)

    tshark_checksums(paths)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
