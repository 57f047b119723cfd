#!/usr/bin/python3
# Stretch one host's time in a pcap file: its packets move away from its first one, FACTOR times as far.
#
# Usage: pcap_stretch.py -H ADDR -f FACTOR IN.pcap OUT.pcap
#
# A packet is the host's when its IPv4 source or destination is ADDR.
# With t0 the time of the host's first packet, each of its packets at t
# goes to t0 + (t - t0) * FACTOR; every other packet keeps its time.
# The packets are then written in the order of their new times (a stable
# sort: packets of equal time keep their order), so that the file reads
# as a capture would: a host that sent a mail every 2 seconds now sends
# one every few minutes among the others' traffic.  Within each of its
# connections the gaps grow too, which TCP does not mind.
#
# The file is the classic pcap format that tcpdump -w writes (not
# pcapng): a 24-byte header whose magic number gives the byte order and
# whether times are in micro- or nanoseconds, then records of a 16-byte
# header (seconds, fraction, captured length, original length) and the
# frame.  Frames are Ethernet (LINKTYPE_ETHERNET 1, with up to two VLAN
# tags), Linux cooked (113, 276) or raw IP (101); anything else is an
# error, not a guess.  Pure standard library.

import argparse
import ipaddress
import struct
import sys

MAGIC = {
	b"\xd4\xc3\xb2\xa1": ("<", 1000000),
	b"\xa1\xb2\xc3\xd4": (">", 1000000),
	b"\x4d\x3c\xb2\xa1": ("<", 1000000000),
	b"\xa1\xb2\x3c\x4d": (">", 1000000000),
}
ETHERTYPE_IP = 0x0800
ETHERTYPE_VLAN = (0x8100, 0x88a8)


def ip_offset(link, frame):
	"""Where the IPv4 header starts in frame, or None."""
	if link == 1:
		off, etype = 12, None
		for _ in range(3):	# the type, behind up to two tags
			if len(frame) < off + 2:
				return None
			etype = struct.unpack_from(">H", frame, off)[0]
			if etype not in ETHERTYPE_VLAN:
				break
			off += 4
		return off + 2 if etype == ETHERTYPE_IP else None
	if link == 113:		# SLL: protocol at 14, header 16
		if len(frame) < 16:
			return None
		etype = struct.unpack_from(">H", frame, 14)[0]
		return 16 if etype == ETHERTYPE_IP else None
	if link == 276:		# SLL2: protocol at 0, header 20
		if len(frame) < 20:
			return None
		etype = struct.unpack_from(">H", frame, 0)[0]
		return 20 if etype == ETHERTYPE_IP else None
	if link == 101:
		return 0 if frame[:1] and frame[0] >> 4 == 4 else None
	raise SystemExit("pcap_stretch: link type %d not read" % link)


def is_host(link, frame, host):
	off = ip_offset(link, frame)
	if off is None or len(frame) < off + 20 or frame[off] >> 4 != 4:
		return False
	return host in (frame[off + 12:off + 16], frame[off + 16:off + 20])


def main():
	ap = argparse.ArgumentParser(description="stretch a host's time")
	ap.add_argument("-H", required=True, help="the host's IPv4 address")
	ap.add_argument("-f", required=True, type=float, help="the factor")
	ap.add_argument("inp")
	ap.add_argument("out")
	args = ap.parse_args()
	if not args.f >= 1:
		raise SystemExit("pcap_stretch: the factor is 1 or more")
	host = ipaddress.IPv4Address(args.H).packed

	with open(args.inp, "rb") as f:
		data = f.read()
	if len(data) < 24 or data[:4] not in MAGIC:
		raise SystemExit("pcap_stretch: %s: not a pcap file" % args.inp)
	end, units = MAGIC[data[:4]]
	link = struct.unpack_from(end + "I", data, 20)[0] & 0x0fffffff
	recs = []		# [time in units, sequence, original length, frame]
	pos = 24
	while pos < len(data):
		if pos + 16 > len(data):
			raise SystemExit("pcap_stretch: a record header cut short")
		sec, frac, incl, orig = struct.unpack_from(end + "IIII", data, pos)
		pos += 16
		if pos + incl > len(data):
			raise SystemExit("pcap_stretch: a record cut short")
		recs.append([sec * units + frac, len(recs), orig,
		    data[pos:pos + incl]])
		pos += incl

	t0 = None
	moved = 0
	for r in recs:
		if not is_host(link, r[3], host):
			continue
		if t0 is None:
			t0 = r[0]
		r[0] = t0 + int((r[0] - t0) * args.f)
		moved += 1
	recs.sort(key=lambda r: (r[0], r[1]))

	with open(args.out, "wb") as f:
		f.write(data[:24])
		for t, _, orig, frame in recs:
			f.write(struct.pack(end + "IIII", t // units, t % units,
			    len(frame), orig))
			f.write(frame)
	print("pcap_stretch: %d of %d packets moved" % (moved, len(recs)),
	    file=sys.stderr)
	return 0


if __name__ == "__main__":
	sys.exit(main())
