/* the dry-run firewall: decides like the real one, changes nothing */
#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "bounds.h"
#include "log.h"
#include "backend.h"
#include "hset.h"

/* a host's item holds the time its block ends */
#define UNTIL(h)	((h)->v[0])

struct dry {
	struct hset	 hosts;
};

static void *
dry_open(const struct fw_conf *conf, char *err, size_t errlen)
{
	struct dry	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    hset_init(&d->hosts, 0) == -1) {
		snprintf(err, errlen, "dry run: %s", strerror(errno));
		free(d);
		return NULL;
	}
	(void)conf;
	return d;
}

static void
dry_close(void *p)
{
	struct dry	*d = p;

	hset_free(&d->hosts);
	free(d);
}

static int
dry_list(void *p, fw_list_cb cb, void *ctx)
{
	struct dry	*d = p;
	size_t		 i;

	for (i = 0; i < d->hosts.n; i++)
		if (d->hosts.v[i].addr.family != 0)
			cb(ctx, &d->hosts.v[i].addr, 0, 0,
			    (int64_t)UNTIL(&d->hosts.v[i]), 0);
	return 0;
}

static int
dry_add(void *p, const struct addr *hosts, const int64_t *until, size_t n)
{
	struct dry	*d = p;
	struct hset_item	*h;
	size_t		 i;
	int		 added = 0;

	for (i = 0; i < n; i++) {
		if (hosts[i].family != AF_INET && hosts[i].family != AF_INET6) {
			log_warnx("fw dry: host %zu: bad address family %d",
			    i, hosts[i].family);
			continue;
		}
		if ((h = hset_get(&d->hosts, &hosts[i])) != NULL) {
			UNTIL(h) = until != NULL ? (uint64_t)until[i] : 0;
			continue;
		}
		if (d->hosts.live >= FW_DRY_MAX) {
			log_warnx("fw dry: %d hosts, no room for more",
			    FW_DRY_MAX);
			return -1;
		}
		if ((h = hset_put(&d->hosts, &hosts[i])) == NULL) {
			log_warn("fw dry: add");
			return -1;
		}
		UNTIL(h) = until != NULL ? (uint64_t)until[i] : 0;
		added++;
	}
	return added;
}

static int
dry_del(void *p, const struct addr *hosts, size_t n)
{
	struct dry	*d = p;
	size_t		 i;
	int		 deleted = 0;

	for (i = 0; i < n; i++)
		if (hset_del(&d->hosts, &hosts[i]) == 0)
			deleted++;
	return deleted;
}

static int
dry_flush(void *p)
{
	struct dry	*d = p;
	int		 n = (int)d->hosts.live;

	hset_free(&d->hosts);
	if (hset_init(&d->hosts, 0) == -1) {
		log_warn("fw dry: flush");
		return -1;
	}
	return n;
}

const struct fw_backend fw_dry_backend = {
	.name = "dry",
	.open = dry_open,
	.close = dry_close,
	.list = dry_list,
	.add = dry_add,
	.del = dry_del,
	.flush = dry_flush,
};
