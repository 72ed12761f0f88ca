/*
 * gz.c - s3put's compressing threads.
 *
 * A batch's records gather raw in a chunk (b->in) of GZ_CHUNK bytes (a
 * longer record is cut across chunks); a full chunk goes to a ring of
 * jobs, and each of --threads workers takes the next job and compresses
 * it into a raw deflate stream that another may follow (its last block
 * not final, then an empty stored block to end on a byte): ISA-L makes
 * one so itself (a sync flush), libdeflate's whole stream is mended
 * (lib/gzjoin.c).  The chunk's CRC-32 is beside it.  The main thread
 * reaps jobs in the order it gave them, so each batch's chunks follow
 * each other as its records did, appending them to the batch's
 * compressed bytes (b->buf) after the gzip header; the close adds the
 * empty final block and the trailer.  Each object is thus one gzip
 * member, as zlib would have made it in one stream: no reader has to
 * know that a gzip file may hold several.  Its parts go to the uploader
 * as before (s3put.h).
 *
 * Memory: the ring holds threads + 1 jobs, each a chunk and its
 * compressed bound; the chunks still filling are bounded together by
 * GZ_PENDING_MAX (past it the larger ones are sent).  A batch
 * is closed or dropped only once the ring is empty (gz_drain), so no
 * job outlives its batch and each object's last part follows all its
 * chunks.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <zlib.h>

#include "gzjoin.h"
#include "log.h"

#include "s3put.h"

enum { JOB_FREE, JOB_QUEUED, JOB_TAKEN, JOB_DONE };

struct gzjob {
	struct batch	*b;
	char		*in, *out;
	size_t		 inlen, outlen;	/* outlen 0: it failed */
	uint32_t	 crc;		/* of in */
	int		 state;
};

struct gz {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work, done;
	struct gzjob	*ring;
	unsigned	 n;		/* ring slots */
	unsigned	 head;		/* oldest job, reaped next */
	unsigned	 take;		/* next job for a worker */
	unsigned	 count;		/* jobs in the ring */
	int		 stop;
	int		 level;		/* libdeflate's */
	int		 isal;		/* ISA-L's instead */
	int		 nthreads;
	pthread_t	*tids;
};

/*
 * --gzip-level 1 is ISA-L's level 2, the fastest by far; 2 to 9 are
 * libdeflate's levels of the same number (s3put(1), Compression).
 */
#define ISAL_LEVEL	2
#define ISAL_BUF	ISAL_DEF_LVL2_DEFAULT

const char *
gz_library(int level)
{
	return level == 1 ? "ISA-L" : "libdeflate";
}

/*
 * ISA-L: in as a deflate stream whose last block is not final and
 * which ends on a byte (a sync flush), so the next chunk may follow.
 * The bound is generous: a stored block's header per 64K, and more.
 */
static size_t
isal_chunk(struct isal_zstream *z, unsigned char *lbuf, const char *in,
    size_t inlen, char **out)
{
	size_t bound = inlen + inlen / 8 + 65536;

	/* A chunk is at most GZ_CHUNK: ISA-L's 32-bit counts hold it. */
	if ((*out = malloc(bound)) == NULL)
		return 0;
	isal_deflate_init(z);
	z->level = ISAL_LEVEL;
	z->level_buf = lbuf;
	z->level_buf_size = ISAL_BUF;
	z->gzip_flag = IGZIP_DEFLATE;
	z->end_of_stream = 0;
	z->flush = SYNC_FLUSH;
	z->next_in = (uint8_t *)(uintptr_t)in;
	z->avail_in = (uint32_t)inlen;
	z->next_out = (uint8_t *)*out;
	z->avail_out = (uint32_t)bound;
	if (isal_deflate(z) != COMP_OK || z->avail_in != 0 ||
	    z->internal_state.state != ZSTATE_NEW_HDR)
		return 0;
	return bound - z->avail_out;
}

/*
 * libdeflate: a whole deflate stream, its last block then made not
 * final and ended on a byte (lib/gzjoin.c).
 */
static size_t
libdeflate_chunk(struct libdeflate_compressor *c, void *scratch,
    const char *in, size_t inlen, char **out)
{
	size_t bound = libdeflate_deflate_compress_bound(c, inlen) +
	    GZJOIN_SYNC_MAX, len;

	if ((*out = malloc(bound)) == NULL)
		return 0;
	len = libdeflate_deflate_compress(c, in, inlen, *out, bound -
	    GZJOIN_SYNC_MAX);
	if (len == 0 || gzjoin_unfinal((unsigned char *)*out, &len, bound,
	    scratch) == -1)
		return 0;
	return len;
}

static void *
worker(void *arg)
{
	struct gz *g = arg;
	struct libdeflate_compressor *c = NULL;
	struct isal_zstream *z = NULL;
	unsigned char *lbuf = NULL;
	void *scratch = NULL;
	struct gzjob *j;
	int ready;

	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (!g->stop && g->ring[g->take].state != JOB_QUEUED)
			pthread_cond_wait(&g->work, &g->mu);
		if (g->ring[g->take].state != JOB_QUEUED)
			break;		/* stopping, and nothing left */
		j = &g->ring[g->take];
		j->state = JOB_TAKEN;
		g->take = (g->take + 1) % g->n;
		pthread_mutex_unlock(&g->mu);
		j->out = NULL;
		j->outlen = 0;
		/* Made at the first job, and tried again after a failure. */
		if (g->isal)
			ready = (z != NULL || (z = malloc(sizeof(*z))) !=
			    NULL) && (lbuf != NULL || (lbuf =
			    malloc(ISAL_BUF)) != NULL);
		else
			ready = (c != NULL || (c = libdeflate_alloc_compressor(
			    g->level)) != NULL) && (scratch != NULL ||
			    (scratch = malloc(gzjoin_scratch_size())) != NULL);
		if (ready && g->isal)
			j->outlen = isal_chunk(z, lbuf, j->in, j->inlen,
			    &j->out);
		else if (ready)
			j->outlen = libdeflate_chunk(c, scratch, j->in,
			    j->inlen, &j->out);
		j->crc = (uint32_t)libdeflate_crc32(0, j->in, j->inlen);
		pthread_mutex_lock(&g->mu);
		j->state = JOB_DONE;
		pthread_cond_broadcast(&g->done);
	}
	pthread_mutex_unlock(&g->mu);
	libdeflate_free_compressor(c);
	free(scratch);
	free(z);
	free(lbuf);
	return NULL;
}

int
gz_start(struct s3put *p)
{
	struct gz *g;
	int i;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -1;
	g->level = p->level;
	g->isal = p->level == 1;
	g->n = (unsigned)p->threads + 1;
	if ((g->ring = calloc(g->n, sizeof(*g->ring))) == NULL ||
	    (g->tids = calloc((size_t)p->threads, sizeof(*g->tids))) == NULL) {
		free(g->ring);
		free(g);
		return -1;
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->work, NULL);
	pthread_cond_init(&g->done, NULL);
	p->gz = g;
	for (i = 0; i < p->threads; i++) {
		if (pthread_create(&g->tids[i], NULL, worker, g) != 0)
			break;
		g->nthreads++;
	}
	if (g->nthreads == 0) {
		gz_stop(p);
		return -1;
	}
	return 0;
}

/*
 * Compressed bytes onto the batch's, after the gzip header if they are
 * the object's first.  -1: out of memory, the batch broken (said).
 */
static int
gz_append(struct s3put *p, struct batch *b, const char *data, size_t len)
{
	size_t need = b->len + len + (b->begun ? 0 : GZJOIN_HEADER);
	char *nb;

	if (need > b->cap) {
		if ((nb = realloc(b->buf, need + need / 4)) == NULL) {
			b->broken = 1;
			fail(p, EX_OSERR, "s3://%s/%s: out of memory: the "
			    "object is not stored, nor any after it",
			    p->bucket, b->obj->key);
			return -1;
		}
		b->buf = nb;
		b->cap = need + need / 4;
	}
	if (!b->begun) {
		gzjoin_header((unsigned char *)b->buf + b->len);
		b->len += GZJOIN_HEADER;
		b->begun = 1;
	}
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	return 0;
}

/*
 * The oldest job, once done, into its batch: a failed one (out of
 * memory) marks the batch broken, which is then not stored.  wait: wait
 * for it; else only if it is done already.  1: one reaped, 0: none.
 */
static int
reap(struct s3put *p, int wait)
{
	struct gz *g = p->gz;
	struct gzjob *j;
	struct batch *b;

	pthread_mutex_lock(&g->mu);
	if (g->count == 0 || (!wait && g->ring[g->head].state != JOB_DONE)) {
		pthread_mutex_unlock(&g->mu);
		return 0;
	}
	j = &g->ring[g->head];
	while (j->state != JOB_DONE)
		pthread_cond_wait(&g->done, &g->mu);
	pthread_mutex_unlock(&g->mu);

	b = j->b;
	if (j->outlen == 0 && !b->broken && !b->dropped) {
		/*
		 * A record lost: the run fails, so that no later object (of
		 * this partition or any) is acked past it (upload.c).
		 */
		b->broken = 1;
		fail(p, EX_OSERR, "s3://%s/%s: compressing %zu bytes failed "
		    "(out of memory): the object is not stored, nor any "
		    "after it", p->bucket, b->obj->key, j->inlen);
	}
	if (!b->broken && !b->dropped) {
		if (gz_append(p, b, j->out, j->outlen) == 0) {
			b->crc = (uint32_t)crc32_combine(b->crc, j->crc,
			    (z_off_t)j->inlen);
			b->isize += j->inlen;
		}
	}
	free(j->in);
	free(j->out);
	j->in = j->out = NULL;
	j->b = NULL;

	pthread_mutex_lock(&g->mu);
	j->state = JOB_FREE;
	g->head = (g->head + 1) % g->n;
	g->count--;
	pthread_mutex_unlock(&g->mu);
	/* A part is handed over as soon as it is whole (s3put.h). */
	if (!b->broken && !b->dropped && b->len >= p->part_size)
		batch_hand_part(p, b);
	return 1;
}

/* Send b's chunk to be compressed; its buffer is the job's from now. */
void
gz_submit(struct s3put *p, struct batch *b)
{
	struct gz *g = p->gz;
	struct gzjob *j;

	if (b->inlen == 0)
		return;
	while (reap(p, 0))
		;
	if (g->count == g->n)
		reap(p, 1);
	p->pending -= b->inlen;
	pthread_mutex_lock(&g->mu);
	j = &g->ring[(g->head + g->count) % g->n];
	j->b = b;
	j->in = b->in;
	j->inlen = b->inlen;
	j->state = JOB_QUEUED;
	g->count++;
	pthread_cond_signal(&g->work);
	pthread_mutex_unlock(&g->mu);
	b->in = NULL;
	b->inlen = b->incap = 0;
}

/*
 * The batch's last chunk compressed, every job reaped, the member ended
 * (empty final block, CRC-32, size).  -1: b is broken, not to be stored.
 */
int
gz_finish(struct s3put *p, struct batch *b)
{
	unsigned char t[GZJOIN_TRAILER];

	gz_submit(p, b);
	gz_drain(p);
	if (b->broken)
		return -1;
	gzjoin_trailer(t, b->crc, b->isize);
	return gz_append(p, b, (const char *)t, sizeof(t));
}

/* The jobs done already, reaped; none is waited for. */
void
gz_reap_done(struct s3put *p)
{
	if (p->gz == NULL)
		return;
	while (reap(p, 0))
		;
}

/* Every job reaped: each batch's bytes are all in b->buf. */
void
gz_drain(struct s3put *p)
{
	if (p->gz == NULL)
		return;
	while (reap(p, 1))
		;
}

void
gz_stop(struct s3put *p)
{
	struct gz *g = p->gz;
	int i;

	if (g == NULL)
		return;
	gz_drain(p);
	pthread_mutex_lock(&g->mu);
	g->stop = 1;
	pthread_cond_broadcast(&g->work);
	pthread_mutex_unlock(&g->mu);
	for (i = 0; i < g->nthreads; i++)
		pthread_join(g->tids[i], NULL);
	pthread_cond_destroy(&g->work);
	pthread_cond_destroy(&g->done);
	pthread_mutex_destroy(&g->mu);
	free(g->tids);
	free(g->ring);
	free(g);
	p->gz = NULL;
}
