/*
 * xform.h - quote-xform's run (xform.c), for main.c.
 */
#ifndef XFORM_H
#define XFORM_H

#include <stddef.h>

#include <jq.h>
#include <jv.h>

#include "jsonl.h"
#include "obuf.h"

/* jq's output options. */
#define XFORM_RAW	0x01	/* -r: strings without quotes */
#define XFORM_JOIN	0x02	/* -j: -r, and no newline after a value */
#define XFORM_SLURP	0x04	/* -s: one array of every input */
#define XFORM_NULL	0x08	/* -n: run once on null; input, inputs */
#define XFORM_SORT	0x10	/* -S: object keys sorted */

struct xform {
	/* set by main() before xform_compile() */
	int			 flags;		/* XFORM_* */
	size_t			 max_line;
	enum jsonl_policy	 on_error;
	/* private */
	jq_state		*jq;
	jv			 compile_msgs;	/* jq's, held until judged */
	struct obuf		 out;
	char			**files;	/* borrowed from argv */
	int			 nfiles, nextfile;
	struct jsonl_reader	 r;
	int			 reading;	/* r is open */
	const char		*line;		/* the last line read */
	size_t			 len;
	int			 stop;		/* read no more */
	int			 slurped;	/* -s: the one input given */
	const char		*run_line;	/* the running input's text, */
	size_t			 run_len;	/* NULL once it is gone */
	/* what was read and written */
	unsigned long		 nread, nbad, nout;
	int			 err;		/* an input's failure: EX_* */
	int			 halted, halt_status;
};

/*
 * Compile program, its $NAMEs bound from args (consumed), into x->jq.
 * Returns 0, or EX_USAGE for a program that does not compile (or
 * EX_SOFTWARE, said, when libjq cannot start); after EX_USAGE nothing is
 * said yet: xform_compile_failed() says jq's messages, or instead of
 * them the caller's better one, and frees what the compile left.
 */
int	xform_compile(struct xform *, const char *program, jv args);
void	xform_compile_failed(struct xform *, const char *instead);

/*
 * Run the program over the inputs (files borrowed; none: stdin) as the
 * flags say, then report.  Returns the exit status.
 */
int	xform_run(struct xform *, int nfiles, char **files);

#endif
