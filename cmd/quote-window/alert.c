/*
 * alert.c - quote-window --alert FILTER: a jq filter (libjq 1.6) over
 * each bar, and an alert line when it turns true for a key: once per
 * crossing, not on every bar while it stays true (window.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jq.h>

#include "jvjson.h"
#include "log.h"
#include "obuf.h"

#include "window.h"

struct alert {
	const char	*text;
	jq_state	*jq;
	unsigned char	*on;		/* per key id: true on its last bar */
	size_t		 non;
	unsigned long	 nerrors;
};

static void
jq_msg(void *arg, jv msg)
{
	const char *text = arg;

	msg = jq_format_error(msg);
	log_err("--alert '%s': %s", text, jv_string_value(msg));
	jv_free(msg);
}

int
alert_add(struct qw *q, const char *text)
{
	struct alert *na, *a;

	if ((na = realloc(q->alerts, (q->nalerts + 1) * sizeof(*na))) == NULL) {
		log_err("out of memory");
		return -1;
	}
	q->alerts = na;
	a = &na[q->nalerts];
	memset(a, 0, sizeof(*a));
	a->text = text;
	if ((a->jq = jq_init()) == NULL) {
		log_err("cannot start libjq");
		return -1;
	}
	jq_set_error_cb(a->jq, jq_msg, (void *)(uintptr_t)text);
	if (!jq_compile(a->jq, text)) {
		log_err("--alert '%s': the jq filter does not compile", text);
		jq_teardown(&a->jq);
		return -1;
	}
	q->nalerts++;
	return 0;
}

void
alert_free(struct qw *q)
{
	size_t i;

	for (i = 0; i < q->nalerts; i++) {
		jq_teardown(&q->alerts[i].jq);
		free(q->alerts[i].on);
	}
	free(q->alerts);
}

/* Is the filter's first output on the bar true (not false, null, none)? */
static int
truth(struct alert *a, jv bar)
{
	jv out, msg;
	int t = 0;

	jq_start(a->jq, bar, 0);	/* consumes bar */
	out = jq_next(a->jq);
	if (jv_is_valid(out))
		t = jv_get_kind(out) != JV_KIND_FALSE &&
		    jv_get_kind(out) != JV_KIND_NULL;
	else if (jv_invalid_has_msg(jv_copy(out))) {
		msg = jv_invalid_get_msg(jv_copy(out));
		if (a->nerrors++ == 0)
			log_warn("--alert '%s': jq: error: %s (taken as "
			    "false; said once)", a->text,
			    jv_get_kind(msg) == JV_KIND_STRING ?
			    jv_string_value(msg) : "not a string");
		jv_free(msg);
	}
	jv_free(out);
	return t;
}

void
alert_bar(struct qw *q, int key, const char *ws, const char *we,
    const char *id, size_t idlen, jv bar)
{
	struct alert *a;
	char aid[512];
	size_t i, n;
	int t;

	for (i = 0; i < q->nalerts; i++) {
		a = &q->alerts[i];
		t = truth(a, jv_copy(bar));
		if (t && !alert_on(q, i, key)) {
			obuf_puts(&q->out, "{\"type\":\"alert\",\"alert\":");
			obuf_json_string(&q->out, a->text, strlen(a->text));
			obuf_putc(&q->out, ',');
			obuf_json_string(&q->out, q->key_name,
			    strlen(q->key_name));
			obuf_putc(&q->out, ':');
			obuf_write(&q->out, q->key[key], q->keylen[key]);
			obuf_printf(&q->out, ",\"window_start\":\"%s\","
			    "\"window_end\":\"%s\",\"id\":", ws, we);
			/* the bar's id, and which alert: one each */
			n = (size_t)snprintf(aid, sizeof(aid), "%.*s#%zu",
			    (int)idlen, id, i + 1);
			obuf_json_string(&q->out, aid, n < sizeof(aid) ? n :
			    sizeof(aid) - 1);
			obuf_puts(&q->out, ",\"bar\":");
			jvjson_dump(&q->out, jv_copy(bar));
			obuf_puts(&q->out, "}\n");
			q->nalerts_out++;
		}
		if (alert_set(q, i, key, t) == -1)
			log_err("out of memory: --alert '%s' may fire again "
			    "for the same crossing", a->text);
	}
	jv_free(bar);
}

int
alert_on(const struct qw *q, size_t i, int key)
{
	const struct alert *a = &q->alerts[i];

	return (size_t)key < a->non && a->on[key];
}

int
alert_set(struct qw *q, size_t i, int key, int on)
{
	struct alert *a = &q->alerts[i];
	unsigned char *no;
	size_t n;

	if ((size_t)key >= a->non) {
		n = (size_t)key + 64;
		if ((no = realloc(a->on, n)) == NULL)
			return -1;
		memset(no + a->non, 0, n - a->non);
		a->on = no;
		a->non = n;
	}
	a->on[key] = (unsigned char)on;
	return 0;
}
