/*
 * check.c - kmeta --check: do the brokers advertise addresses this
 * client can reach?
 *
 * A Kafka client connects to a bootstrap server only to read the
 * metadata; from then on it talks to each broker at the address the
 * broker advertises (advertised.listeners).  On EC2 and in containers
 * that address is often the broker's private name, 127.0.0.1 or
 * localhost, so the bootstrap works and everything after it fails.
 * Here each address is tried the way a client would (resolve, TCP
 * connect, each bounded by --timeout) and a failure is said with what
 * to set on the broker.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#include "kmeta.h"

#define CHECK_MAX_BOOTSTRAP 32

/* An address as a client meets it, and what trying it found. */
struct endpoint {
	char	 host[256];
	char	 port[16];
	char	 shown[300];		/* host:port, [v6]:port */
	int	 resolved;
	char	 why[160];		/* why not resolved or not answered */
	int	 answered;		/* a TCP connect succeeded */
	char	 ip[INET6_ADDRSTRLEN];	/* the address that answered, else
					 * the first one tried */
	int	 loopback;		/* every address it has is loopback */
};

static void
endpoint_set(struct endpoint *e, const char *host, size_t hostlen,
    const char *port)
{
	memset(e, 0, sizeof(*e));
	if (hostlen >= sizeof(e->host))
		hostlen = sizeof(e->host) - 1;
	memcpy(e->host, host, hostlen);
	e->host[hostlen] = '\0';
	snprintf(e->port, sizeof(e->port), "%s", port);
	snprintf(e->shown, sizeof(e->shown), strchr(e->host, ':') ?
	    "[%s]:%s" : "%s:%s", e->host, e->port);
}

/*
 * One entry of bootstrap.servers, as librdkafka takes it: an optional
 * "proto://", then host, host:port or [v6]:port (9092 by default).
 */
static void
endpoint_parse(struct endpoint *e, const char *s, size_t len)
{
	const char *p, *end = s + len, *colon;
	char port[16] = "9092";
	size_t n;

	if ((p = memmem(s, len, "://", 3)) != NULL) {
		len -= (size_t)(p + 3 - s);
		s = p + 3;
	}
	if (len > 0 && s[0] == '[' && (p = memchr(s, ']', len)) != NULL) {
		if (p + 1 < end && p[1] == ':' && (n = (size_t)(end - p - 2)) >
		    0 && n < sizeof(port)) {
			memcpy(port, p + 2, n);
			port[n] = '\0';
		}
		endpoint_set(e, s + 1, (size_t)(p - s - 1), port);
		return;
	}
	colon = memrchr(s, ':', len);
	if (colon != NULL && (n = (size_t)(end - colon - 1)) > 0 &&
	    n < sizeof(port)) {
		memcpy(port, colon + 1, n);
		port[n] = '\0';
		len = (size_t)(colon - s);
	}
	endpoint_set(e, s, len, port);
}

static int
is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in6 *s6;

	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family != AF_INET6)
		return 0;
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
		return 1;
	return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
	    s6->sin6_addr.s6_addr[12] == 127;
}

/* strerror(err) in lower case, for the middle of a sentence. */
static void
reason(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' &&
	    buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
}

/* A TCP connect within ms: 0, or an errno (ETIMEDOUT when it ran out). */
static int
connect_within(const struct addrinfo *ai, long long ms)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int fd, err = 0, n;

	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol)) == -1)
		return errno;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			err = errno;
		else {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			while ((n = poll(&pfd, 1, (int)ms)) == -1 &&
			    errno == EINTR)
				;
			if (n == 0)
				err = ETIMEDOUT;
			else if (n == -1)
				err = errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == -1)
				err = errno;
		}
	}
	close(fd);
	return err;
}

/*
 * Resolve e and try its addresses in turn until one takes a TCP
 * connection, each within ms.  The resolver's own wait is its own
 * (resolv.conf's timeout and attempts).
 */
static void
endpoint_try(struct endpoint *e, long long ms)
{
	struct addrinfo hints, *res, *ai;
	int rc, err = 0, loop = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(e->host, e->port, &hints, &res)) != 0) {
		snprintf(e->why, sizeof(e->why), "%s", rc == EAI_SYSTEM ?
		    strerror(errno) : gai_strerror(rc));
		return;
	}
	e->resolved = 1;
	for (ai = res; ai != NULL; ai = ai->ai_next)
		loop = loop && is_loopback(ai->ai_addr);
	e->loopback = loop;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		err = connect_within(ai, ms);
		if (err == 0 || ai == res)
			getnameinfo(ai->ai_addr, ai->ai_addrlen, e->ip,
			    sizeof(e->ip), NULL, 0, NI_NUMERICHOST);
		if (err == 0) {
			e->answered = 1;
			break;
		}
	}
	if (!e->answered)
		reason(err, e->why, sizeof(e->why));
	freeaddrinfo(res);
}

/* Does e's name resolve to ip (the address the bootstrap reached)? */
static int
resolves_to(const struct endpoint *e, const char *ip)
{
	struct addrinfo hints, *res, *ai;
	char a[INET6_ADDRSTRLEN];
	int same = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(e->host, e->port, &hints, &res) != 0)
		return 0;
	for (ai = res; ai != NULL && !same; ai = ai->ai_next)
		same = getnameinfo(ai->ai_addr, ai->ai_addrlen, a, sizeof(a),
		    NULL, 0, NI_NUMERICHOST) == 0 && strcmp(a, ip) == 0;
	freeaddrinfo(res);
	return same;
}

static void
put_result(struct kmeta *k, struct table *t, const char *type, int broker,
    const struct endpoint *e, const char *problem, int answered_bootstrap)
{
	char what[32];
	const char *row[4];

	if (k->table) {
		if (broker < 0)
			snprintf(what, sizeof(what), "bootstrap");
		else
			snprintf(what, sizeof(what), "broker %d", broker);
		row[0] = what;
		row[1] = e->shown;
		row[2] = e->answered ? e->ip : NULL;
		row[3] = problem == NULL ? "ok" : e->why[0] ? e->why : problem;
		table_row(t, row);
		return;
	}
	obuf_puts(&k->out, "{\"type\":");
	obuf_json_string(&k->out, type, strlen(type));
	if (broker >= 0)
		obuf_printf(&k->out, ",\"broker\":%d,\"advertised\":", broker);
	else
		obuf_puts(&k->out, ",\"server\":");
	obuf_json_string(&k->out, e->shown, strlen(e->shown));
	obuf_puts(&k->out, ",\"address\":");
	if (e->answered)
		obuf_json_string(&k->out, e->ip, strlen(e->ip));
	else
		obuf_puts(&k->out, "null");
	obuf_printf(&k->out, ",\"ok\":%s,\"problem\":", problem == NULL ?
	    "true" : "false");
	if (problem != NULL)
		obuf_json_string(&k->out, problem, strlen(problem));
	else
		obuf_puts(&k->out, "null");
	obuf_puts(&k->out, ",\"error\":");
	if (e->why[0] != '\0')
		obuf_json_string(&k->out, e->why, strlen(e->why));
	else
		obuf_puts(&k->out, "null");
	if (broker >= 0)
		obuf_printf(&k->out, ",\"answered_bootstrap\":%s",
		    answered_bootstrap ? "true" : "false");
	obuf_puts(&k->out, "}\n");
}

/*
 * The bootstrap servers: each tried, one line each.  Returns the index
 * of the first that answered, or -1 when none did (said).
 */
static int
try_bootstrap(struct kmeta *k, struct table *t, struct endpoint *boot,
    size_t *nboot)
{
	const char *s = k->bootstrap, *comma;
	char all[1024];
	size_t n, i, o = 0;
	int first = -1;

	*nboot = 0;
	while (*s != '\0' && *nboot < CHECK_MAX_BOOTSTRAP) {
		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '\0')
			break;
		comma = strchr(s, ',');
		n = comma ? (size_t)(comma - s) : strlen(s);
		while (n > 0 && s[n - 1] == ' ')
			n--;
		endpoint_parse(&boot[*nboot], s, n);
		endpoint_try(&boot[*nboot], k->timeout_ms);
		put_result(k, t, "bootstrap_check", -1, &boot[*nboot],
		    boot[*nboot].answered ? NULL : boot[*nboot].resolved ?
		    "unreachable" : "unresolved", 0);
		if (first == -1 && boot[*nboot].answered)
			first = (int)*nboot;
		(*nboot)++;
		s += n;
	}
	if (first >= 0)
		return first;
	all[0] = '\0';
	for (i = 0; i < *nboot && o < sizeof(all); i++)
		o += (size_t)snprintf(all + o, sizeof(all) - o, "%s%s (%s%s)",
		    i ? ", " : "", boot[i].shown, boot[i].resolved ? "" :
		    "does not resolve: ", boot[i].why);
	log_err("no bootstrap server answers: %s", all);
	return -1;
}

/* Which bootstrap server librdkafka read the metadata from, if known. */
static const struct endpoint *
bootstrap_used(const rd_kafka_metadata_t *md, const struct endpoint *boot,
    size_t nboot, int first)
{
	const char *name = md->orig_broker_name, *slash;
	struct endpoint e;
	size_t i;

	if (name != NULL && (slash = strrchr(name, '/')) != NULL) {
		endpoint_parse(&e, name, (size_t)(slash - name));
		for (i = 0; i < nboot; i++)
			if (strcmp(boot[i].shown, e.shown) == 0 &&
			    boot[i].answered)
				return &boot[i];
	}
	return &boot[first];
}

/*
 * One broker: its advertised address tried; what is wrong said, with
 * what to set.  Returns 0 fine, -1 a problem.
 */
static int
check_broker(struct kmeta *k, struct table *t, const rd_kafka_metadata_t *md,
    const rd_kafka_metadata_broker_t *b, const struct endpoint *ref)
{
	struct endpoint e;
	char port[16], why[1024], works[512];
	const char *problem = NULL;
	int answered = b->id == md->orig_broker_id;

	snprintf(port, sizeof(port), "%d", b->port);
	endpoint_set(&e, b->host, strlen(b->host), port);
	endpoint_try(&e, k->timeout_ms);
	why[0] = '\0';
	/* The address that works, when this is the broker that answered. */
	works[0] = '\0';
	if (answered || md->broker_cnt == 1)
		snprintf(works, sizeof(works), " (the bootstrap address %s "
		    "works)", ref->shown);
	if (!e.resolved) {
		problem = "unresolved";
		log_err("broker %d advertises %s, whose name does not resolve "
		    "here (%s), while the bootstrap server %s answered: "
		    "clients reach the bootstrap and then fail. Set on the "
		    "broker: advertised.listeners=%s://HOST:PORT with a "
		    "HOST:PORT this client can reach%s", (int)b->id, e.shown,
		    e.why, ref->shown, k->protocol, works);
	} else if (!e.answered) {
		problem = "unreachable";
		if (e.loopback && !ref->loopback)
			snprintf(why, sizeof(why), " %s is a loopback "
			    "address: to a client it means the client's own "
			    "machine.", e.host);
		else if (e.loopback)
			snprintf(why, sizeof(why), " The bootstrap reached "
			    "the cluster at %s, through a forwarded port, a "
			    "tunnel or a proxy, not at the address the broker "
			    "advertises.", ref->shown);
		else if (answered && !resolves_to(&e, ref->ip))
			snprintf(why, sizeof(why), " %s resolves here to %s, "
			    "not to %s where the bootstrap reached this "
			    "broker.", e.host, e.ip, ref->ip);
		log_err("broker %d advertises %s, which does not answer from "
		    "here (%s), while the bootstrap server %s did: clients "
		    "reach the bootstrap and then fail.%s Set on the broker: "
		    "advertised.listeners=%s://HOST:PORT with a HOST:PORT "
		    "this client can reach%s", (int)b->id, e.shown, e.why,
		    ref->shown, why, k->protocol, works);
	} else if (e.loopback && !ref->loopback) {
		problem = "loopback";
		log_err("broker %d advertises %s, a loopback address: it "
		    "answers here only because this is the broker's own "
		    "machine, and any other client that reaches the "
		    "bootstrap server %s then fails. Set on the broker: "
		    "advertised.listeners=%s://HOST:PORT with a HOST:PORT "
		    "the clients can reach%s", (int)b->id, e.shown,
		    ref->shown, k->protocol, works);
	} else {
		log_info("broker %d at %s answers (%s)", (int)b->id, e.shown,
		    e.ip);
		if (answered && strcmp(e.ip, ref->ip) != 0)
			log_info("broker %d: reached at %s through the "
			    "bootstrap, at %s through its advertised address",
			    (int)b->id, ref->ip, e.ip);
	}
	put_result(k, t, "broker_check", (int)b->id, &e, problem, answered);
	return problem != NULL ? -1 : 0;
}

int
kmeta_check(struct kmeta *k)
{
	struct endpoint boot[CHECK_MAX_BOOTSTRAP];
	const struct endpoint *ref;
	const rd_kafka_metadata_t *md;
	rd_kafka_resp_err_t err;
	struct table t;
	const char *row[4] = { "CHECK", "ADDRESS", "REACHED", "RESULT" };
	size_t nboot;
	int first, i, bad = 0;

	if (k->table) {
		table_init(&t, 4);
		table_row(&t, row);
	}
	if ((first = try_bootstrap(k, &t, boot, &nboot)) < 0) {
		bad = -1;
		goto out;
	}
	/* Only the brokers: no topic list to wait for. */
	if ((err = rd_kafka_metadata(k->rk, 0, NULL, &md,
	    (int)k->timeout_ms)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_err("the bootstrap server %s takes connections, but no "
		    "Kafka metadata came within %lld ms (%s): is it a Kafka "
		    "listener for security.protocol %s?", boot[first].shown,
		    k->timeout_ms, rd_kafka_err2str(err), k->protocol);
		bad = -1;
		goto out;
	}
	ref = bootstrap_used(md, boot, nboot, first);
	log_info("metadata from %s: %d broker%s", md->orig_broker_name,
	    md->broker_cnt, md->broker_cnt == 1 ? "" : "s");
	for (i = 0; i < md->broker_cnt; i++)
		if (check_broker(k, &t, md, &md->brokers[i], ref) == -1)
			bad = -1;
	rd_kafka_metadata_destroy(md);
out:
	if (k->table) {
		table_write(&t, &k->out);
		table_free(&t);
	}
	return bad ? EX_UNAVAILABLE : 0;
}
