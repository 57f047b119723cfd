/* the firewall's front door: pick a backend, check what all of them share */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "bounds.h"
#include "backend.h"

/* the first is the default */
static const struct fw_backend *const backends[] = {
	&fw_iptc_backend,
	&fw_ipset_backend,
	&fw_nft_backend,
};
#define NBACKENDS	(sizeof(backends) / sizeof(backends[0]))

struct fw {
	const struct fw_backend	*be;
	const struct fw_backend	*named;		/* -b, when be is the dry one */
	void			*st;
	uint16_t		 ports[FW_PORTS_MAX];
	char			 where[64];
};

static const struct fw_backend *
backend_find(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return backends[0];
	for (i = 0; i < NBACKENDS; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

int
fw_backend_known(const char *name)
{
	return backend_find(name) != NULL;
}

const char *
fw_backend_names(void)
{
	static char	 buf[64];
	size_t		 i;

	if (buf[0] == '\0')
		for (i = 0; i < NBACKENDS; i++)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			    "%s%s", i ? ", " : "", backends[i]->name);
	return buf;
}

/* an option of the configuration the backend does not take */
static const char *
opt_refused(const struct fw_conf *c, int opts)
{
	if (c->chain != NULL && !(opts & FW_OPT_CHAIN))
		return "-c (a chain)";
	if (c->insert && !(opts & FW_OPT_INSERT))
		return "-I (--insert)";
	if (c->lockwait != 0 && !(opts & FW_OPT_LOCKWAIT))
		return "-W (the xtables lock)";
	return NULL;
}

struct fw *
fw_open(const struct fw_conf *conf, char *err, size_t errlen)
{
	static const uint16_t	 dflt[] = { 25 };
	const struct fw_backend	*be;
	const char		*o;
	struct fw_conf		 c = *conf;
	struct fw		*f;
	int			 i, j;

	if ((be = backend_find(c.backend)) == NULL) {
		snprintf(err, errlen, "no firewall backend \"%.40s\": one of "
		    "%s", c.backend, fw_backend_names());
		return NULL;
	}
	if ((o = opt_refused(&c, be->opts)) != NULL) {
		snprintf(err, errlen, "the %s backend does not take %s",
		    be->name, o);
		return NULL;
	}
	if (be->check != NULL && be->check(&c, err, errlen) == -1)
		return NULL;
	if (be->open == NULL && !c.dry) {
		snprintf(err, errlen, "the %s backend is not built into this "
		    "detengo: use one of the others (-b)", be->name);
		return NULL;
	}
	if (c.ports == NULL || c.nports == 0) {
		c.ports = dflt;
		c.nports = 1;
	}
	if (c.nports < 0 || c.nports > FW_PORTS_MAX) {
		snprintf(err, errlen, "%d ports: at most %d", c.nports,
		    FW_PORTS_MAX);
		return NULL;
	}
	for (i = 0; i < c.nports; i++) {
		if (c.ports[i] == 0) {
			snprintf(err, errlen, "port 0 cannot be blocked");
			return NULL;
		}
		for (j = 0; j < i; j++)
			if (c.ports[j] == c.ports[i]) {
				snprintf(err, errlen, "port %u given twice",
				    c.ports[i]);
				return NULL;
			}
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	memcpy(f->ports, c.ports, c.nports * sizeof(c.ports[0]));
	c.ports = f->ports;
	f->named = be;
	f->be = c.dry ? &fw_dry_backend : be;
	/* a dry run reports what the backend it stands for would */
	snprintf(f->where, sizeof(f->where), "%s",
	    be->where != NULL ? be->where(&c) : be->name);
	if ((f->st = f->be->open(&c, err, errlen)) == NULL) {
		free(f);
		return NULL;
	}
	return f;
}

void
fw_close(struct fw *f)
{
	if (f == NULL)
		return;
	f->be->close(f->st);
	free(f);
}

const char *
fw_name(const struct fw *f)
{
	return f->named->name;
}

int
fw_caps(const struct fw *f)
{
	return f->be->caps;
}

const char *
fw_where(const struct fw *f)
{
	return f->where;
}

void
fw_advise(struct fw *f)
{
	if (f->be->advise != NULL)
		f->be->advise(f->st);
}

int
fw_list(struct fw *f, fw_list_cb cb, void *ctx)
{
	return f->be->list(f->st, cb, ctx);
}

int
fw_add(struct fw *f, const struct addr *hosts, const int64_t *until,
    size_t n)
{
	return f->be->add(f->st, hosts, until, n);
}

int
fw_del(struct fw *f, const struct addr *hosts, size_t n)
{
	return f->be->del(f->st, hosts, n);
}

int
fw_flush(struct fw *f)
{
	return f->be->flush(f->st);
}

const char *
fw_shadowed(struct fw *f)
{
	return f->be->shadowed != NULL ? f->be->shadowed(f->st) : NULL;
}

int
fw_tick(struct fw *f)
{
	return f->be->tick != NULL ? f->be->tick(f->st) : 0;
}

int
fw_tick_ms(const struct fw *f)
{
	return f->be->tick != NULL ? f->be->tick_ms : 0;
}

/* the wall clock in milliseconds, against which the kernel's ends count */
int64_t
fw_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
