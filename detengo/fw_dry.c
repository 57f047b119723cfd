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
#include "fw.h"

struct dry {
	struct fw_set	 hosts;
	uint32_t	 allports;	/* one bit per configured port */
};

static void *
dry_open(const struct fw_conf *conf, char *err, size_t errlen)
{
	struct dry	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    fw_set_init(&d->hosts, 0) == -1) {
		snprintf(err, errlen, "dry run: %s", strerror(errno));
		free(d);
		return NULL;
	}
	d->allports = (uint32_t)((1ULL << conf->nports) - 1);
	return d;
}

static void
dry_close(void *p)
{
	struct dry	*d = p;

	fw_set_free(&d->hosts);
	free(d);
}

static int
dry_list(void *p, fw_list_cb cb, void *ctx)
{
	struct dry	*d = p;
	size_t		 i;

	for (i = 0; i < d->hosts.n; i++)
		if (d->hosts.v[i].addr.family != 0)
			cb(ctx, &d->hosts.v[i].addr, 0, 0);
	return 0;
}

static int
dry_add(void *p, const struct addr *hosts, size_t n)
{
	struct dry	*d = p;
	struct fw_host	*h;
	size_t		 i;
	int		 added = 0;

	for (i = 0; i < n; i++) {
		if (hosts[i].family != AF_INET && hosts[i].family != AF_INET6) {
			log_warnx("fw dry: host %zu: bad address family %d",
			    i, hosts[i].family);
			continue;
		}
		if (fw_set_get(&d->hosts, &hosts[i]) != NULL)
			continue;
		if (d->hosts.live >= FW_DRY_MAX) {
			log_warnx("fw dry: %d hosts, no room for more",
			    FW_DRY_MAX);
			return -1;
		}
		if ((h = fw_set_put(&d->hosts, &hosts[i])) == NULL) {
			log_warn("fw dry: add");
			return -1;
		}
		h->logbits = h->dropbits = d->allports;
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
		if (fw_set_del(&d->hosts, &hosts[i]) == 0)
			deleted++;
	return deleted;
}

static int
dry_flush(void *p)
{
	struct dry	*d = p;
	int		 n = (int)d->hosts.live;

	fw_set_free(&d->hosts);
	if (fw_set_init(&d->hosts, 0) == -1) {
		log_warn("fw dry: flush");
		return -1;
	}
	return n;
}

/* nothing is installed, so nothing can be shadowed */
static const char *
dry_shadowed(void *p)
{
	(void)p;
	return NULL;
}

const struct fw_ops fw_dry_ops = {
	dry_open,
	dry_close,
	dry_list,
	dry_add,
	dry_del,
	dry_flush,
	dry_shadowed,
};
