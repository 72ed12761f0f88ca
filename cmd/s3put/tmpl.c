/*
 * tmpl.c - templates compiled into literal runs (rendered with
 * strftime) and fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl.h"

enum part_kind { P_TEXT, P_TOPIC, P_PARTITION, P_OFFSET };

struct part {
	enum part_kind	 kind;
	char		*text;		/* P_TEXT: a strftime format */
	int		 has_conv;	/* it has a % conversion */
};

struct tmpl {
	struct part	*parts;
	size_t		 nparts;
	int		 prefix, uses_offset, uses_kafka;
};

/* Conversions whose output is safe and stable in a key (UTC). */
static const char known_conv[] = "YmdHMSjyCeVGgujwUWaAbBhpIklsFTDRz%";

static int
add_part(struct tmpl *t, enum part_kind k, const char *s, size_t n)
{
	struct part *np = realloc(t->parts, (t->nparts + 1) * sizeof(*np));

	if (np == NULL)
		return -1;
	t->parts = np;
	np[t->nparts].kind = k;
	np[t->nparts].text = NULL;
	np[t->nparts].has_conv = 0;
	if (k == P_TEXT) {
		if ((np[t->nparts].text = strndup(s, n)) == NULL)
			return -1;
		np[t->nparts].has_conv = memchr(s, '%', n) != NULL;
	}
	t->nparts++;
	return 0;
}

struct tmpl *
tmpl_compile(const char *text, char *errbuf, size_t errlen)
{
	struct tmpl *t = calloc(1, sizeof(*t));
	const char *p = text, *run = text, *close;
	size_t n;

	if (t == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	if (*text == '\0' || *text == '/') {
		snprintf(errbuf, errlen, "the key template is empty or "
		    "starts with '/'");
		goto fail;
	}
	if (!tmpl_key_safe(text)) {
		snprintf(errbuf, errlen, "a '.' or '..' path segment: the "
		    "key would not be the one stored");
		goto fail;
	}
	while (*p != '\0') {
		if (*p == '%') {
			if (p[1] == '\0' || strchr(known_conv, p[1]) == NULL) {
				snprintf(errbuf, errlen, "unknown conversion "
				    "%%%.1s at byte %zu", p + 1,
				    (size_t)(p - text) + 1);
				goto fail;
			}
			p += 2;
			continue;
		}
		if (*p != '{') {
			p++;
			continue;
		}
		if ((close = strchr(p, '}')) == NULL) {
			snprintf(errbuf, errlen, "'{' at byte %zu is not "
			    "closed", (size_t)(p - text) + 1);
			goto fail;
		}
		if (p > run && add_part(t, P_TEXT, run, (size_t)(p - run)))
			goto oom;
		n = (size_t)(close - p - 1);
		if (n == 5 && strncmp(p + 1, "topic", 5) == 0) {
			if (add_part(t, P_TOPIC, NULL, 0))
				goto oom;
		} else if (n == 9 && strncmp(p + 1, "partition", 9) == 0) {
			if (add_part(t, P_PARTITION, NULL, 0))
				goto oom;
		} else if (n == 6 && strncmp(p + 1, "offset", 6) == 0) {
			if (add_part(t, P_OFFSET, NULL, 0))
				goto oom;
			t->uses_offset = 1;
		} else {
			snprintf(errbuf, errlen, "unknown field {%.*s}: "
			    "expected {topic}, {partition} or {offset}",
			    (int)n, p + 1);
			goto fail;
		}
		t->uses_kafka = 1;
		p = run = close + 1;
	}
	if (p > run && add_part(t, P_TEXT, run, (size_t)(p - run)))
		goto oom;
	t->prefix = p[-1] == '/';
	return t;
oom:
	snprintf(errbuf, errlen, "out of memory");
fail:
	tmpl_free(t);
	return NULL;
}

int
tmpl_key_safe(const char *key)
{
	const char *seg = key, *end;
	size_t n;

	for (;;) {
		end = strchr(seg, '/');
		n = end != NULL ? (size_t)(end - seg) : strlen(seg);
		if ((n == 1 && seg[0] == '.') ||
		    (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (end == NULL)
			return 1;
		seg = end + 1;
	}
}

void
tmpl_free(struct tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nparts; i++)
		free(t->parts[i].text);
	free(t->parts);
	free(t);
}

int
tmpl_is_prefix(const struct tmpl *t)
{
	return t->prefix;
}

int
tmpl_uses_offset(const struct tmpl *t)
{
	return t->uses_offset;
}

int
tmpl_uses_kafka(const struct tmpl *t)
{
	return t->uses_kafka;
}

int
tmpl_names_partition(const struct tmpl *t)
{
	size_t i;
	int topic = 0, partition = 0;

	if (t->prefix)
		return 1;	/* s3put's file names carry both */
	for (i = 0; i < t->nparts; i++) {
		topic |= t->parts[i].kind == P_TOPIC;
		partition |= t->parts[i].kind == P_PARTITION;
	}
	return topic && partition;
}

int
tmpl_uses_time(const struct tmpl *t)
{
	size_t i;

	for (i = 0; i < t->nparts; i++)
		if (t->parts[i].kind == P_TEXT && t->parts[i].has_conv)
			return 1;
	return 0;
}

int
tmpl_render(const struct tmpl *t, time_t when, const char *topic,
    int partition, long long offset, char *out, size_t outlen)
{
	struct tm tm;
	size_t len = 0, i, n;
	int k;

	for (i = 0; i < t->nparts; i++)	/* the clock's time, only if used */
		if (t->parts[i].kind == P_TEXT && t->parts[i].has_conv) {
			gmtime_r(&when, &tm);
			break;
		}
	for (i = 0; i < t->nparts; i++) {
		const struct part *p = &t->parts[i];

		switch (p->kind) {
		case P_TEXT:
			if (p->has_conv) {
				n = strftime(out + len, outlen - len, p->text,
				    &tm);
				if (n == 0 && p->text[0] != '\0')
					return -1;
			} else {
				n = strlen(p->text);
				if (n >= outlen - len)
					return -1;
				memcpy(out + len, p->text, n + 1);
			}
			len += n;
			continue;
		case P_TOPIC:
			k = snprintf(out + len, outlen - len, "%s",
			    topic != NULL ? topic : "");
			break;
		case P_PARTITION:
			k = topic != NULL ? snprintf(out + len, outlen - len,
			    "%d", partition) : 0;
			break;
		case P_OFFSET:
		default:
			k = offset >= 0 ? snprintf(out + len, outlen - len,
			    "%020lld", offset) : snprintf(out + len,
			    outlen - len, "{offset}");
			break;
		}
		if (k < 0 || (size_t)k >= outlen - len)
			return -1;
		len += (size_t)k;
	}
	if (len >= outlen)
		return -1;
	out[len] = '\0';
	return (int)len;
}

int
tmpl_fill_offset(const char *key, long long offset, char *out,
    size_t outlen)
{
	size_t len = 0;
	const char *p;
	int k;

	while ((p = strstr(key, "{offset}")) != NULL) {
		k = snprintf(out + len, outlen - len, "%.*s%020lld",
		    (int)(p - key), key, offset);
		if (k < 0 || (size_t)k >= outlen - len)
			return -1;
		len += (size_t)k;
		key = p + 8;
	}
	k = snprintf(out + len, outlen - len, "%s", key);
	if (k < 0 || (size_t)k >= outlen - len)
		return -1;
	return (int)(len + (size_t)k);
}
