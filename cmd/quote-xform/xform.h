/*
 * xform.h - quote-xform's run (xform.c), for main.c.
 */
#ifndef XFORM_H
#define XFORM_H

#include <stddef.h>

#include <jq.h>
#include <jv.h>

#include "cli.h"
#include "jsonl.h"
#include "obuf.h"

struct xform {
	jq_state		*jq;
	struct obuf		 out;
	struct cli_input	 in;		/* the input, what was read */
	unsigned long		 nout;
	int			 halted, halt_status;
};

/*
 * Compile program, its $NAMEs bound from args (consumed), into x->jq.
 * Returns 0, or the exit status with why said (jq's messages too):
 * EX_USAGE for a program that does not compile.
 */
int	xform_compile(struct xform *, const char *program, jv args);

/*
 * Run the program over one input's lines.  Returns 0 to go on with the
 * next input, -1 to stop reading (a halt, a stop signal, --on-error
 * fail, stdout failed).
 */
int	xform_input(struct xform *, const char *path);

/* QP_STATS: records in and out, bad lines. */
void	xform_stats(const struct xform *, int final);

#endif
