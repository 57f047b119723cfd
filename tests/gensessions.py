#!/usr/bin/python3
"""N whole SMTP sessions in a capture, for the shell tests.

    gensessions.py OUT FIRST N [long] [LINKTYPE] [nohdr] [nudge] [twonets]

From session FIRST on, each: connect, helo, mail, rcpt, message, close,
from 198.51.100.(K%250+1) (with twonets, every other 250 sessions from
192.0.2.(K%250+1)).  "long" gives each message a subject of 900
control characters, escaped to a JSON line longer than PIPE_BUF;
"nohdr" leaves out the file header, for the rest of a capture fed
through a FIFO; "nudge" writes one packet to another port instead,
which makes capturo act on a signal without making an event; a number
is the link type (1, Ethernet, by default).  Standard library only.
"""
import struct, sys


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(a):
    return bytes(int(x) for x in a.split('.'))


MAC = b'\x02\0\0\0\0\x01'


def link(lt, ip):
    if lt == 1:
        return b'\x02\0\0\0\0\x25' + MAC + b'\x08\x00' + ip
    if lt in (101, 228):
        return ip
    if lt == 0:
        return struct.pack('<I', 2) + ip
    if lt == 108:
        return struct.pack('>I', 2) + ip
    if lt == 113:
        return struct.pack('!HHH8sH', 0, 1, 6, MAC + b'\0\0', 0x0800) + ip
    if lt == 276:
        return struct.pack('!HHIHBB8s', 0x0800, 0, 1, 1, 0, 6,
                           MAC + b'\0\0') + ip
    if lt == 9:         # PPP in HDLC-like framing
        return b'\xff\x03\x00\x21' + ip
    if lt == 104:       # Cisco HDLC
        return b'\x0f\x00\x08\x00' + ip
    if lt == 105:       # 802.11 data frame, LLC/SNAP
        return b'\x08\x01\x00\x00' + b'\x02' * 18 + b'\x00\x00' + \
            b'\xaa\xaa\x03\x00\x00\x00\x08\x00' + ip
    return ip           # USB, USER0...: whatever follows


def frame(lt, src, dst, sp, dp, seq, ack, flags, data):
    tcp = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 65535,
                      0, 0) + data
    ph = ip4(src) + ip4(dst) + struct.pack('!BBH', 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack('!H', csum(ph + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), 0, 0x4000, 64,
                     6, 0, ip4(src), ip4(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return link(lt, ip + tcp)


out, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
opts = sys.argv[4:]
lt = next((int(o) for o in opts if o.isdigit()), 1)
f = open(out, 'wb')
if 'nohdr' not in opts:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, lt))
t = [1700000000.0 + first]


def put(fr):
    t[0] += 0.0005
    s = int(t[0])
    f.write(struct.pack('<IIII', s, int((t[0] - s) * 1e6), len(fr),
                        len(fr)) + fr)


if 'nudge' in opts:     # one packet the filter leaves out: no event
    put(frame(lt, '198.51.100.1', '203.0.113.25', 40000, 8080, 1, 0, 0x02,
              b''))
    sys.exit(0)
if 'long' in opts:
    w = b'=?utf-8?q?' + b'=01' * 300 + b'?='
    subj = b' '.join([w, w, w])
else:
    subj = b'hola %d'
S = '203.0.113.25'
for k in range(first, first + n):
    if 'twonets' in opts and (k // 250) % 2 == 1:
        c = '192.0.2.%d' % (k % 250 + 1)
    else:
        c = '198.51.100.%d' % (k % 250 + 1)
    sp = 10000 + k % 50000
    cs, ss = 1000 + k, 5000 + k
    put(frame(lt, c, S, sp, 25, cs, 0, 0x02, b''))
    cs += 1
    put(frame(lt, S, c, 25, sp, ss, cs, 0x12, b''))
    ss += 1
    put(frame(lt, c, S, sp, 25, cs, ss, 0x10, b''))
    sj = subj % k if b'%d' in subj else subj
    for who, d in ((0, b'220 mx.example.net ESMTP\r\n'),
                   (1, b'EHLO pc%d\r\n' % k), (0, b'250 mx.example.net\r\n'),
                   (1, b'MAIL FROM:<w%d@example.org>\r\n' % k),
                   (0, b'250 ok\r\n'), (1, b'RCPT TO:<u%d@example.net>\r\n' % k),
                   (0, b'250 ok\r\n'), (1, b'DATA\r\n'), (0, b'354 go\r\n'),
                   (1, b'Subject: ' + sj + b'\r\nMessage-ID: <%d@example.org>'
                    b'\r\n\r\nbody\r\n.\r\n' % k),
                   (0, b'250 queued\r\n'), (1, b'QUIT\r\n'),
                   (0, b'221 bye\r\n')):
        if who:
            put(frame(lt, c, S, sp, 25, cs, ss, 0x18, d))
            cs += len(d)
        else:
            put(frame(lt, S, c, 25, sp, ss, cs, 0x18, d))
            ss += len(d)
    put(frame(lt, c, S, sp, 25, cs, ss, 0x11, b''))
    cs += 1
    put(frame(lt, S, c, 25, sp, ss, cs, 0x11, b''))
    ss += 1
    put(frame(lt, c, S, sp, 25, cs, ss, 0x10, b''))
