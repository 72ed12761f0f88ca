/*
 * gzjoin.c - raw deflate streams, compressed apart, joined into one.
 *
 * A deflate stream (RFC 1951) ends with a block whose BFINAL bit is
 * set, padded to a byte.  To let another stream follow, as pigz and
 * zlib's examples/gzjoin.c do, that bit is cleared and an empty stored
 * block (zlib's sync flush: 3 header bits, padding, 00 00 ff ff) brings
 * the stream to a byte boundary; the whole ends with an empty final
 * block.  Finding the last block's header means walking every block:
 * each Huffman symbol is decoded (nothing is written out), which costs
 * a fraction of what compressing the same bytes did.
 */
#include <stdint.h>
#include <string.h>

#include "gzjoin.h"

struct bits {
	const unsigned char *p;
	size_t		 len;		/* bytes */
	uint64_t	 pos;		/* bits read */
};

/* The next 32 bits from pos, zeros past the end. */
static inline uint32_t
peek32(const struct bits *b)
{
	size_t i = (size_t)(b->pos >> 3);
	uint64_t w = 0;
	size_t k;

	if (i + 8 <= b->len)
		memcpy(&w, b->p + i, 8);	/* little-endian hosts */
	else
		for (k = 0; i + k < b->len && k < 8; k++)
			w |= (uint64_t)b->p[i + k] << (8 * k);
	return (uint32_t)(w >> (b->pos & 7));
}

static inline uint32_t
take(struct bits *b, unsigned n)
{
	uint32_t v = n ? peek32(b) & ((1u << n) - 1) : 0;

	b->pos += n;
	return v;
}

static inline int
past_end(const struct bits *b)
{
	return b->pos > (uint64_t)b->len * 8;
}

#define MAXBITS	15
#define FASTBITS 10	/* longer codes are rare: decoded a bit at a time */

/*
 * A decoding table: for each FASTBITS-bit lookahead, symbol << 4 | code
 * length, 0 for a code longer than FASTBITS (or none); for those, the
 * counts per length and the symbols in code order (as zlib's puff.c).
 */
struct huff {
	uint16_t	 t[1 << FASTBITS];
	uint16_t	 count[MAXBITS + 1];
	uint16_t	 sym[320];
};

/* Canonical codes from lengths (RFC 1951 3.2.2); -1 if oversubscribed. */
static int
huff_build(struct huff *h, const unsigned char *lens, unsigned n)
{
	unsigned offs[MAXBITS + 1], next[MAXBITS + 1];
	unsigned s, l, code, rev, i;
	int left = 1;

	memset(h->count, 0, sizeof(h->count));
	for (s = 0; s < n; s++)
		h->count[lens[s]]++;
	h->count[0] = 0;
	for (l = 1; l <= MAXBITS; l++) {
		left = (left << 1) - (int)h->count[l];
		if (left < 0)
			return -1;
	}
	offs[1] = 0;
	for (l = 1; l < MAXBITS; l++)
		offs[l + 1] = offs[l] + h->count[l];
	for (s = 0; s < n; s++)
		if (lens[s] != 0)
			h->sym[offs[lens[s]]++] = (uint16_t)s;
	memset(h->t, 0, sizeof(h->t));
	code = 0;
	for (l = 1; l <= MAXBITS; l++) {
		code = (code + h->count[l - 1]) << 1;
		next[l] = code;
	}
	for (s = 0; s < n; s++) {
		if ((l = lens[s]) == 0 || l > FASTBITS)
			continue;
		code = next[l]++;
		for (rev = 0, i = 0; i < l; i++)
			rev |= ((code >> i) & 1) << (l - 1 - i);
		for (i = rev; i < (1u << FASTBITS); i += 1u << l)
			h->t[i] = (uint16_t)(s << 4 | l);
	}
	return 0;
}

/* A code longer than FASTBITS, a bit at a time (puff.c's decode). */
static int
decode_slow(struct bits *b, const struct huff *h)
{
	uint32_t w = peek32(b);
	int code = 0, first = 0, index = 0, count;
	unsigned l;

	for (l = 1; l <= MAXBITS; l++) {
		code |= (int)((w >> (l - 1)) & 1);
		count = h->count[l];
		if (code - count < first) {
			b->pos += l;
			return h->sym[index + (code - first)];
		}
		index += count;
		first = (first + count) << 1;
		code <<= 1;
	}
	return -1;
}

/* One symbol, or -1 for a code the table does not have. */
static inline int
decode(struct bits *b, const struct huff *h)
{
	uint16_t e = h->t[peek32(b) & ((1u << FASTBITS) - 1)];

	if ((e & 15) == 0)
		return decode_slow(b, h);
	b->pos += e & 15;
	return e >> 4;
}

static const unsigned char len_extra[29] = {
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
	3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0
};
static const unsigned char dist_extra[30] = {
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
	7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13
};

/* A Huffman block's symbols, to its end-of-block code. */
static int
skip_codes(struct bits *b, const struct huff *lit, const struct huff *dist)
{
	int s, d;

	for (;;) {
		if ((s = decode(b, lit)) < 0 || past_end(b))
			return -1;
		if (s < 256)
			continue;
		if (s == 256)
			return 0;
		if (s > 285)
			return -1;
		b->pos += len_extra[s - 257];
		if ((d = decode(b, dist)) < 0 || d > 29)
			return -1;
		b->pos += dist_extra[d];
	}
}

static int
dynamic_tables(struct bits *b, struct huff *lit, struct huff *dist)
{
	static const unsigned char order[19] = {
		16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14,
		1, 15
	};
	unsigned char lens[320], cl[19] = { 0 };
	unsigned nlit, ndist, ncl, i, n, rep;
	int s;

	nlit = take(b, 5) + 257;
	ndist = take(b, 5) + 1;
	ncl = take(b, 4) + 4;
	if (nlit > 286 || ndist > 30)
		return -1;
	for (i = 0; i < ncl; i++)
		cl[order[i]] = (unsigned char)take(b, 3);
	if (huff_build(lit, cl, 19) == -1)
		return -1;
	for (n = 0; n < nlit + ndist;) {
		if ((s = decode(b, lit)) < 0 || past_end(b))
			return -1;
		if (s < 16) {
			lens[n++] = (unsigned char)s;
			continue;
		}
		if (s == 16) {
			if (n == 0)
				return -1;
			rep = 3 + take(b, 2);
			s = lens[n - 1];
		} else if (s == 17) {
			rep = 3 + take(b, 3);
			s = 0;
		} else {
			rep = 11 + take(b, 7);
			s = 0;
		}
		if (n + rep > nlit + ndist)
			return -1;
		while (rep--)
			lens[n++] = (unsigned char)s;
	}
	if (lens[256] == 0 || huff_build(lit, lens, nlit) == -1 ||
	    huff_build(dist, lens + nlit, ndist) == -1)
		return -1;
	return 0;
}

static void
fixed_tables(struct huff *lit, struct huff *dist)
{
	unsigned char lens[288];

	memset(lens, 8, 144);
	memset(lens + 144, 9, 112);
	memset(lens + 256, 7, 24);
	memset(lens + 280, 8, 8);
	huff_build(lit, lens, 288);
	memset(lens, 5, 30);
	huff_build(dist, lens, 30);
}

int
gzjoin_unfinal(unsigned char *buf, size_t *len, size_t cap, void *scratch)
{
	struct huff *lit = scratch, *dist = lit + 1;
	struct bits b = { buf, *len, 0 };
	uint64_t last = 0, end;
	unsigned final, type, stored;
	size_t at;

	do {
		last = b.pos;
		final = take(&b, 1);
		type = take(&b, 2);
		if (type == 0) {
			b.pos = (b.pos + 7) & ~(uint64_t)7;
			at = (size_t)(b.pos >> 3);
			if (at + 4 > b.len)
				return -1;
			stored = (unsigned)buf[at] | (unsigned)buf[at + 1] << 8;
			if ((stored ^ ((unsigned)buf[at + 2] |
			    (unsigned)buf[at + 3] << 8)) != 0xffff)
				return -1;
			b.pos += 32 + (uint64_t)stored * 8;
		} else if (type == 1) {
			fixed_tables(lit, dist);
			if (skip_codes(&b, lit, dist) == -1)
				return -1;
		} else if (type == 2) {
			if (dynamic_tables(&b, lit, dist) == -1 ||
			    skip_codes(&b, lit, dist) == -1)
				return -1;
		} else
			return -1;
		if (past_end(&b))
			return -1;
	} while (!final);
	end = b.pos;
	/* The stream must end here, padded to its last byte. */
	if ((end + 7) / 8 != *len || cap < *len + GZJOIN_SYNC_MAX)
		return -1;
	buf[last >> 3] &= (unsigned char)~(1u << (last & 7));
	if (end & 7)
		buf[end >> 3] &= (unsigned char)((1u << (end & 7)) - 1);
	/* The stored block's 3 header bits, in this byte or a new one. */
	if ((end & 7) == 0 || 8 - (end & 7) < 3)
		buf[(*len)++] = 0;
	memcpy(buf + *len, "\0\0\377\377", 4);
	*len += 4;
	return 0;
}

size_t
gzjoin_scratch_size(void)
{
	return 2 * sizeof(struct huff);
}

void
gzjoin_header(unsigned char h[GZJOIN_HEADER])
{
	/* ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS=Unix */
	static const unsigned char hdr[GZJOIN_HEADER] = {
		0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3
	};

	memcpy(h, hdr, GZJOIN_HEADER);
}

void
gzjoin_trailer(unsigned char t[GZJOIN_TRAILER], uint32_t crc, uint64_t size)
{
	/* An empty final block (fixed codes: 1, 01, then 256's 0000000). */
	t[0] = 0x03;
	t[1] = 0x00;
	t[2] = (unsigned char)crc;
	t[3] = (unsigned char)(crc >> 8);
	t[4] = (unsigned char)(crc >> 16);
	t[5] = (unsigned char)(crc >> 24);
	t[6] = (unsigned char)size;
	t[7] = (unsigned char)(size >> 8);
	t[8] = (unsigned char)(size >> 16);
	t[9] = (unsigned char)(size >> 24);
}
