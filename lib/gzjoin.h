/*
 * gzjoin.h - one gzip member from deflate streams compressed apart.
 *
 * GZJOIN_HEADER bytes of gzjoin_header(), then each part's raw deflate
 * stream made joinable by gzjoin_unfinal(), then GZJOIN_TRAILER bytes of
 * gzjoin_trailer() (an empty final block, the CRC-32 and the size of
 * all the parts' data): one member, as one deflate call would make.
 */
#ifndef QP_GZJOIN_H
#define QP_GZJOIN_H

#include <stddef.h>
#include <stdint.h>

#define GZJOIN_HEADER	10
#define GZJOIN_TRAILER	10
#define GZJOIN_SYNC_MAX	5	/* what gzjoin_unfinal() may add */

/*
 * buf holds one whole raw deflate stream of *len bytes: clear its last
 * block's BFINAL bit and end it on a byte with an empty stored block,
 * so that another stream may follow.  cap >= *len + GZJOIN_SYNC_MAX;
 * scratch is gzjoin_scratch_size() bytes (the walk's tables).  0, or
 * -1 if buf is not a deflate stream ending at *len (buf unchanged).
 */
int	 gzjoin_unfinal(unsigned char *buf, size_t *len, size_t cap,
	    void *scratch);
size_t	 gzjoin_scratch_size(void);
void	 gzjoin_header(unsigned char h[GZJOIN_HEADER]);
void	 gzjoin_trailer(unsigned char t[GZJOIN_TRAILER], uint32_t crc,
	    uint64_t size);

#endif
