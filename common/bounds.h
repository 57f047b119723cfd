/* every bound of capturo and detengo, named once; docs/capturo.8 and detengo.8 list them */
#ifndef COMMON_BOUNDS_H
#define COMMON_BOUNDS_H

/* the event line, newline included: one write(2), atomic on pipes (PIPE_BUF) */
#define EVENT_LINE_MAX		4096
/* keys an event line may carry; the largest schema has 11 */
#define EVENT_FIELDS_MAX	16
/* the longest key name */
#define EVENT_KEY_MAX		16
/* the longest event name */
#define EVENT_NAME_MAX		16

/*
 * The kernel's capture ring for a live interface, KiB (-B).  In
 * immediate mode libpcap gives a TPACKET_V2 ring of fixed slots, each
 * handed over as soon as its frame is in; with slots of 2 KiB
 * (LIVE_SLOT_SNAPLEN) 16 MiB is 8,192 of them, about 10 ms of a
 * 1 Gbit/s link full of full-size frames, and a resident set still
 * under 32 MB.  libpcap's own sizing made each slot 64 KiB on an
 * interface with segmentation offloads on: 256 frames in all.
 */
#define LIVE_BUFFER_KIB		16384
/*
 * The snap length libpcap sizes each ring slot by (libpcap 1.10,
 * create_ring(): a slot is the snap length and 68 bytes of headers
 * on Ethernet, 88 on a cooked capture, rounded up to 16): slots of
 * 2,048 bytes, two to a page, holding an Ethernet frame of up to
 * 1,978 bytes (1,514 and a few VLAN tags) or a cooked frame's 1,960
 * bytes of network layer.  A longer frame is read whole through the
 * socket's queue (LIVE_COPY_QUEUE_KIB).
 */
#define LIVE_SLOT_SNAPLEN	1980
#define LIVE_SLOT_SNAPLEN_COOKED 1960
/*
 * KiB of receive buffer for the whole copies of frames longer than a
 * slot (GRO and GSO super-frames up to 64 KiB): the kernel counts it
 * twice over and queues a copy while it holds less than that, so at
 * most 8 MiB and one frame of kernel memory, about a hundred 64 KiB
 * super-frames, 7 ms of a 10 Gbit/s link.  A frame past it stays cut
 * and its flow sees a gap.  The environment's CAPTURO_COPY_KIB sets
 * it, from 0 (no copies) to LIVE_COPY_QUEUE_KIB_MAX.
 */
#define LIVE_COPY_QUEUE_KIB	4096
#define LIVE_COPY_QUEUE_KIB_MAX	65536
/*
 * Microseconds after which a copy whose frame libpcap did not hand
 * over (one it dropped itself) is thrown away: until then poll(2)
 * may wake for it, since the copy may also come a little before its
 * frame is marked ready.
 */
#define COPY_ORPHAN_US		2000
/*
 * -B: at most 1 GiB, in KiB.  pcap_set_buffer_size() takes the bytes
 * in an int, and 1 GiB is the largest power of two it holds.
 */
#define LIVE_BUFFER_KIB_MAX	(1 << 20)
/*
 * Bytes captured of each packet (-s), the default and the most:
 * libpcap's own maximum (MAXIMUM_SNAPLEN) and tcpdump's default, room
 * for a whole frame that offloads (GRO, TSO) made up to 64 KiB.
 */
#define SNAPLEN_MAX		262144
/*
 * Ports watched (-p).  Each one is repeated in the filter at every
 * VLAN depth: 64 make 1380 BPF instructions on Ethernet (capturo -v),
 * well under Linux's 4096.
 */
#define PORTS_MAX		64
/*
 * Packets of a capture file (-r) read per pcap_dispatch() call.
 * Between two calls the lines the log could not take yet are tried
 * again; -1 would read the whole file in one call.
 */
#define FILE_DISPATCH_MAX	4096
/* flows tracked at once; past it the oldest idle flow is evicted */
#define FLOWS_MAX_DEFAULT	65536
#define FLOWS_MAX_LIMIT		(1 << 22)
/*
 * Among the flows idle the longest, how many an eviction looks through
 * for one that never carried a byte (a SYN flood's), before it takes
 * the one idle the longest: a client cannot push its own connection
 * out with SYNs from other ports.
 */
#define FLOW_EVICT_SCAN		64
/* seconds without a packet before a flow is closed with how=timeout */
#define FLOW_IDLE_DEFAULT	300
/* bytes held by all flows' reassembly and parsers; past it they skip, not grow */
#define REASM_MEM_MAX		(32 * 1024 * 1024)
#define SMTP_MEM_MAX		(64 * 1024 * 1024)
/*
 * Bytes of event lines gathered before one write(2) when a capture file
 * is read into a regular file: a few hundred lines in one system call
 * instead of one each, and more than the longest JSON line (7 times
 * EVENT_LINE_MAX).
 */
#define OUT_BATCH_MAX		(64 * 1024)
/*
 * Bytes libpcap reads from a capture file at a time (-r): 256 KiB, one
 * read(2) where stdio's 4 KiB made 64.
 */
#define READ_BUF_SIZE		(256 * 1024)
/*
 * Seconds between two writes of the metrics file (-M), besides the one
 * at start and the one at exit: node_exporter's textfile collector
 * reads the file at each scrape, and 15 s is the scrape interval of
 * Prometheus' example configuration, so a scrape that often sees
 * values at most one interval old.  A write is a file of a few KiB.
 */
#define METRICS_EVERY		15
/* event lines kept while the log cannot be written (disk full, removed) */
#define OUT_BACKLOG_MAX		(1024 * 1024)
/*
 * Seconds a reader of standard output may take nothing once the
 * program was told to stop (SIGTERM): then the events left are lost,
 * rather than the stop waiting forever for a reader that is stopped.
 */
#define OUT_STOP_WAIT		5
/* out-of-order bytes held per direction before the gap is skipped */
#define REASM_OOO_MAX		(64 * 1024)
/* out-of-order segments held per direction */
#define REASM_SEGS_MAX		64
/*
 * A segment or an ACK further than this from the next expected byte
 * is garbage, not a window: real windows stay far below 2^30 (RFC 7323
 * 2.3 caps the scaled window at 2^30), and sequence comparison modulo
 * 2^32 needs distances well under 2^31.
 */
#define REASM_SEQ_WINDOW	(1U << 30)
/* VLAN tags (802.1Q, 802.1ad, 0x9100) peeled off one frame: QinQ is 2 */
#define DECODE_VLAN_MAX		8
/*
 * VLAN tags the capture filter looks behind, 2 for QinQ: each one more
 * repeats the whole filter, ports and expression, and Linux takes at
 * most 4096 instructions.  Frames with more tags are filtered out.
 */
#define FILTER_VLAN_MAX		2
/* IPv6 extension headers walked before the packet is called malformed */
#define DECODE_IP6_EXT_MAX	8

/*
 * One SMTP line as kept by the parser.  RFC 5321 4.5.3.1.4 allows
 * 512 octets per command and 1000 per text line; longer lines are
 * cut, their start still parsed, and the event marked cut=1.
 */
#define SMTP_LINE_MAX		2048
/* client bytes held while the reply to DATA, STARTTLS or AUTH is awaited */
#define SMTP_HOLD_MAX		(16 * 1024)
/* commands awaiting their reply (pipelining depth) */
#define SMTP_PIPE_MAX		128
/* header bytes of one message kept to find Subject and Message-ID */
#define SMTP_HDR_MAX		(16 * 1024)
/*
 * A decoded subject, as long as an event line: kept whole while the
 * line holds it, event_end() cuts it to fit (cut=1) when not.
 */
#define SMTP_SUBJECT_MAX	EVENT_LINE_MAX
/* an RFC 2047 charset name; the longest IANA name has 45 octets */
#define MIME_CHARSET_MAX	64
/* iconv(3) converters kept open, as iconv_open(3) loads a module each time */
#define MIME_ICONV_CACHE	4
/* addresses: RFC 5321 4.5.3.1.3 says 256 octets for a path */
#define SMTP_ADDR_MAX		512
/*
 * Paths of the MAIL and RCPT commands awaiting their answer, kept to
 * name the one the server refuses: Postfix's client pipelines 50
 * recipients, Exim's 100; a deeper pipeline gets refused lines
 * without the path (cut=1).
 */
#define SMTP_ENV_MAX		4096
/* a HELO name or an AUTH user name */
#define SMTP_NAME_MAX		256
/*
 * Bytes of a refusal's text read for a blocklist (capturo/rbl.c): two
 * SMTP_LINE_MAX lines; real ones are under 1 KB, Gmail's multi-line
 * ones about 500 bytes.  The rest is not read.
 */
#define RBL_TEXT_MAX		4096
/* an RFC 3463 enhanced status code, "5.999.999", and its NUL */
#define RBL_ESC_MAX		12
/* a blocklist's zone (listed=); a longer name in the text is not taken */
#define RBL_ZONE_MAX		128
/*
 * Bytes before a listing phrase searched for the address it names:
 * "Client host [IPv6] blocked using", Exim's "ADDR is in a black list
 * at", cPanel's "[ADDR]:PORT is in an RBL" are within 64.
 */
#define RBL_NEAR		96
/*
 * A TLS ClientHello gathered for its server name (capturo/tls.c), the
 * handshake message with its 4-byte header.  Real ones are 200 to 600
 * bytes (the padding extension makes many exactly 512), about 1.8 KiB
 * with a post-quantum key share; 16 KiB is one plaintext record (RFC
 * 8446 5.1).  A longer hello is not read: TLS_NOT, and no sni.
 */
#define TLS_HELLO_MAX		16384
/*
 * Extensions of one ClientHello walked for server_name.  Clients send
 * about 20; each takes at least 4 bytes, so a TLS_HELLO_MAX hello may
 * carry some 4,080.  The first TLS_EXT_MAX are read, framing checked;
 * the rest are not looked at, and a server_name among them is not seen
 * (the hello is TLS_DONE with no sni).
 */
#define TLS_EXT_MAX		1024
/*
 * A server name (RFC 6066 3 host_name): a DNS name is at most 253
 * bytes as text (RFC 1035 2.3.4).  A longer one is no sni, not cut.
 */
#define TLS_SNI_MAX		255
/*
 * The text of a 4xx or 5xx reply kept for the refused event's
 * blocklist (rbl.c), its lines joined: Postfix's reject_rbl_client
 * text is about 150 bytes, Gmail's multi-line refusals about 500
 */
#define SMTP_REPLY_TEXT_MAX	1024
/* a DNS name in wire form, labels and length bytes and the root's: RFC 1035 3.1 */
#define DNS_NAME_WIRE_MAX	255
/* a DNS name as text (capturo/dns.c): a wire byte is at most 4 characters (\DDD); the NUL */
#define DNS_NAME_TEXT_MAX	(4 * DNS_NAME_WIRE_MAX + 1)
/* compression pointers followed in one name: a real name takes one or two */
#define DNS_PTR_MAX		16
/* a DNS message on TCP held whole: twice a query with cookie and padding (RFC 8467) */
#define DNS_TCP_MSG_MAX		1024

/* detengo: hosts remembered by the policy (thresholds, blocks) */
#define POLICY_HOSTS_MAX	(1 << 20)
/* -t N/SECONDS: N at most this; each counted host keeps its last N times */
#define POLICY_COUNT_MAX	64
/*
 * -t N/SECONDS: SECONDS at most 31 days.  The counts live in memory
 * only (a restart forgets them), so a longer window would promise what
 * a restart takes back; a host that must stay out that long wants -x.
 */
#define POLICY_WINDOW_MAX	(31 * 86400)
/*
 * -x: a block lasts at most 3650 days.  Ten years is already "never"
 * for a worm's host; leaving -x out gives a block that never ends, and
 * the bound keeps every end time far from int64_t overflow however a
 * unit multiplies it.
 */
#define EXPIRE_MAX		(3650LL * 86400)
/*
 * Slots of one of detengo's indexes of hosts (detengo/oidx.c), 8 bytes
 * each: 256 MiB.  An index is kept at most half full, so it holds 2^24
 * hosts, 16 times POLICY_HOSTS_MAX: room for the hosts of rules others
 * put in the firewall, and a bound on what a table grown by them takes.
 */
#define OIDX_SLOTS_MAX		(1 << 25)
/* hosts counted toward a threshold at once; past it the stalest is forgotten */
#define POLICY_TRACK_MAX	65536
/* entries in the allow list */
#define ALLOW_MAX		65536
/* a line of the allow file or the state file */
#define CONF_LINE_MAX		512
/* hosts gathered into one libiptc commit */
#define FW_BATCH_MAX		16384
/*
 * Hosts the set of a pending batch is first sized for: a burst of new
 * worms is tens of hosts, and the set doubles when a batch grows past.
 */
#define FW_BATCH_HINT		256
/* seconds to wait for the xtables lock */
#define XT_LOCK_WAIT		10
/*
 * -W: at most an hour.  A holder that keeps the lock longer is stuck,
 * and while detengo waits it blocks nobody.
 */
#define XT_LOCK_WAIT_MAX	3600
/* ports one host is blocked on: each costs two rules per host (LOG and DROP) */
#define FW_PORTS_MAX		16
/* hosts the dry-run backend remembers, as many as the policy can block */
#define FW_DRY_MAX		POLICY_HOSTS_MAX
/* milliseconds between two tries of the xtables lock (iptables -W defaults to 1 s) */
#define XT_LOCK_POLL_MS		10
/* bytes of the log read at once */
#define TAIL_READ_MAX		(256 * 1024)
/*
 * reads of TAIL_READ_MAX per tail_next() call, so that one call never
 * reports more lines than an int holds and other work gets a turn
 */
#define TAIL_READS_MAX		64
/*
 * bytes before the saved log offset kept as a check that the file is
 * still the one read (a truncated and refilled file fails it)
 */
#define TAIL_SUM_MAX		64

/*
 * -e PROGRAM: notices run at once, and waiting their turn (past it they
 * are dropped and counted).  A notice is a mail or a web request: four
 * at once outrun any worm outbreak's blocks, and 64 waiting are
 * minutes of them.
 */
#define NOTIFY_RUN_MAX		4
#define NOTIFY_QUEUE_MAX	64
/* seconds a notice may run; then its process group gets SIGTERM, and 2 s later SIGKILL */
#define NOTIFY_TIMEOUT		30
/*
 * Notices one by one in NOTIFY_BURST_WINDOW seconds; the rest of that
 * window are told in one summary at its end: a burst of 10,000 blocks
 * is 10 mails and a summary, not 10,000 mails.
 */
#define NOTIFY_BURST		10
#define NOTIFY_BURST_WINDOW	60
/*
 * --why: the trigger lines kept per block in the evidence file beside
 * the state file, whole: a line is at most EVENT_LINE_MAX (capturo's
 * are a few hundred bytes)
 */
#define WHY_LINES_MAX		4
#define WHY_LINE_MAX		EVENT_LINE_MAX
/*
 * bytes of the evidence file (STATEFILE.why) past which it is rewritten
 * with only the records of blocks still in force, once it has doubled
 */
#define WHY_FILE_MAX		(16 * 1024 * 1024)
/* trigger lines of all hosts kept in memory, to find a block's earlier ones */
#define WHY_RING		256

/*
 * -m shared: the hosts the signatures follow at once (past it the one
 * whose newest observation is oldest is forgotten), and per host the
 * distinct names and servers kept (a threshold N is at most this), the
 * MAIL/RCPT outcomes kept for the refusal ratio, the blocklist refusals
 * kept, and the sids named as a block's evidence.  The sets grow as
 * used: a host with a name, a server and a MAIL holds about 220 bytes
 * (t_sig), a host that fills them all about 1 KiB.
 */
#define SIG_HOSTS_MAX		(1 << 18)
#define SIG_SET_MAX		16
#define SIG_RATIO_MAX		32
#define SIG_LISTED_MAX		4
#define SIG_SIDS_MAX		8
/* a signature's window: at most a day (its counts live in memory only) */
#define SIG_WINDOW_MAX		86400

#endif /* COMMON_BOUNDS_H */
