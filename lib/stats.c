/*
 * stats.c - one line per report, written with a single write(2) so that
 * lines from several tools in a pipeline do not interleave.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "num.h"
#include "stats.h"

static const char *stats_tool = "?";
static const char *stats_ns = "quotepipe";
static int stats_on, stats_emf;
static long long stats_every_ms, stats_start_ms, stats_next_ms;

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);	/* cheap: per record */
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Written into the EMF line as it is: nothing JSON must escape. */
static int
namespace_ok(const char *ns)
{
	for (; *ns != '\0'; ns++)
		if ((unsigned char)*ns < 0x20 || *ns == '"' || *ns == '\\' ||
		    *ns == 0x7f)
			return 0;
	return 1;
}

int
stats_init(const char *tool, char *why, size_t whylen)
{
	const char *every = getenv("QP_STATS");
	const char *fmt = getenv("QP_STATS_FORMAT");
	const char *ns = getenv("QP_STATS_NAMESPACE");
	const char *slash = strrchr(tool, '/');

	stats_tool = slash != NULL ? slash + 1 : tool;
	if (every == NULL || *every == '\0')
		return 0;
	if (num_parse_seconds(every, 0, 86400LL * 1000, &stats_every_ms) ==
	    -1 || (stats_every_ms == 0 && strtod(every, NULL) != 0)) {
		snprintf(why, whylen, "QP_STATS=%.64s: expected seconds from 0 "
		    "(one line at the end) or 0.001 to 86400, such as 10 or 0.5",
		    every);
		return -1;
	}
	if (fmt != NULL && *fmt != '\0' && strcmp(fmt, "emf") != 0 &&
	    strcmp(fmt, "text") != 0) {
		snprintf(why, whylen, "QP_STATS_FORMAT=%.64s: expected text "
		    "(the default) or emf", fmt);
		return -1;
	}
	if (ns != NULL && *ns != '\0' && !namespace_ok(ns)) {
		snprintf(why, whylen, "QP_STATS_NAMESPACE: no quote, backslash "
		    "or control character in a CloudWatch namespace");
		return -1;
	}
	stats_on = 1;
	stats_emf = fmt != NULL && strcmp(fmt, "emf") == 0;
	if (ns != NULL && *ns != '\0')
		stats_ns = ns;
	stats_start_ms = mono_ms();
	stats_next_ms = stats_start_ms + stats_every_ms;
	return 0;
}

int
stats_wait_ms(int ms)
{
	long long left;

	if (!stats_on || stats_every_ms == 0)
		return ms;
	if ((left = stats_next_ms - mono_ms()) < 0)
		left = 0;
	return ms >= 0 && ms < left ? ms : (int)(left < INT_MAX ? left :
	    INT_MAX);
}

int
stats_enabled(void)
{
	return stats_on;
}

int
stats_due(void)
{
	long long now;

	if (!stats_on || stats_every_ms == 0)
		return 0;
	if ((now = mono_ms()) < stats_next_ms)
		return 0;
	stats_next_ms = now + stats_every_ms;
	return 1;
}

static void
put(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + n < cap) {
		memcpy(buf + *len, s, n);
		*len += n;
	}
}

void
stats_emit(const struct stat_field *f, int n, int final)
{
	char buf[4096], num[64];
	size_t len = 0;
	double secs = (mono_ms() - stats_start_ms) / 1000.0;
	struct timespec now;
	int i;

	if (!stats_on)
		return;
	if (stats_emf) {
		clock_gettime(CLOCK_REALTIME, &now);
		snprintf(buf, sizeof(buf), "{\"_aws\":{\"Timestamp\":%lld,"
		    "\"CloudWatchMetrics\":[{\"Namespace\":\"%s\","
		    "\"Dimensions\":[[\"tool\"]],\"Metrics\":[",
		    (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000,
		    stats_ns);
		len = strlen(buf);
		for (i = 0; i < n; i++) {
			snprintf(num, sizeof(num), "%s{\"Name\":\"", i ? "," :
			    "");
			put(buf, sizeof(buf), &len, num);
			put(buf, sizeof(buf), &len, f[i].name);
			put(buf, sizeof(buf), &len, "\",\"Unit\":\"");
			put(buf, sizeof(buf), &len, f[i].unit);
			put(buf, sizeof(buf), &len, "\"}");
		}
		put(buf, sizeof(buf), &len, "]}]},\"tool\":\"");
		put(buf, sizeof(buf), &len, stats_tool);
		snprintf(num, sizeof(num), "\",\"final\":%s,\"elapsed_s\":%.3f",
		    final ? "true" : "false", secs);
		put(buf, sizeof(buf), &len, num);
		for (i = 0; i < n; i++) {
			put(buf, sizeof(buf), &len, ",\"");
			put(buf, sizeof(buf), &len, f[i].name);
			snprintf(num, sizeof(num), "\":%.15g", f[i].value);
			put(buf, sizeof(buf), &len, num);
		}
		put(buf, sizeof(buf), &len, "}\n");
	} else {
		snprintf(buf, sizeof(buf), "%s: stats%s: %.1f s", stats_tool,
		    final ? " (end)" : "", secs);
		len = strlen(buf);
		for (i = 0; i < n; i++) {
			snprintf(num, sizeof(num), ", %s %.15g", f[i].name,
			    f[i].value);
			put(buf, sizeof(buf), &len, num);
		}
		if (n > 0 && secs > 0) {
			snprintf(num, sizeof(num), " (%.0f %s/s)",
			    f[0].value / secs, f[0].name);
			put(buf, sizeof(buf), &len, num);
		}
		put(buf, sizeof(buf), &len, "\n");
	}
	if (write(STDERR_FILENO, buf, len) < 0)
		return;		/* stats are best effort */
}
