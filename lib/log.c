/*
 * log.c - one line per message on stderr, written with a single write(2)
 * so lines from librdkafka's threads and ours never interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char *log_prog = "quotepipe";
static int log_lvl = LOG_NOTICE;

void
log_init(const char *progname)
{
	const char *slash = strrchr(progname, '/');

	log_prog = slash != NULL ? slash + 1 : progname;
}

void
log_set_level(int level)
{
	log_lvl = level < LOG_ERR ? LOG_ERR : level > LOG_DEBUG ? LOG_DEBUG :
	    level;
}

int
log_level(void)
{
	return log_lvl;
}

const char *
log_progname(void)
{
	return log_prog;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n, m;

	if ((int)level > log_lvl)
		return;
	n = snprintf(line, sizeof(line), "%s: %s", log_prog,
	    level == LOG_WARN ? "warning: " : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
