/*
 * gzjoin_test.c - deflate streams compressed apart, joined into one gzip
 * member: whatever block kinds the compressor chose (stored, fixed,
 * dynamic; libdeflate at every level, zlib's strategies), however the
 * last block ends in its byte, zlib reads the joined member back whole,
 * as exactly one member, with the right CRC and size; and what is not a
 * whole deflate stream is refused, untouched.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <zlib.h>

#include "gzjoin.h"
#include "tap.h"

static uint64_t rng = 88172645463325252ULL;

static unsigned
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 32);
}

/* Data of a kind: 0 text-like, 1 random, 2 one byte repeated. */
static void
fill(unsigned char *p, size_t n, int kind)
{
	static const char words[] = "{\"symbol\":\"SYM-0042\",\"price\":"
	    "4123.25,\"name\":\"Index\"}\n";
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = kind == 1 ? (unsigned char)rnd() : kind == 2 ? 'a' :
		    (unsigned char)words[(i + rnd() % 3) % (sizeof(words) - 1)];
}

/* Raw deflate of in by zlib (level, strategy) into out; its length. */
static size_t
zraw(const unsigned char *in, size_t n, unsigned char *out, size_t cap,
    int level, int strategy)
{
	z_stream z;
	size_t len;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, strategy) != Z_OK)
		return 0;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		len = 0;
	else
		len = cap - z.avail_out;
	deflateEnd(&z);
	return len;
}

/*
 * Join the pieces of in (cut at cuts[0..ncuts]) compressed by who (0..12
 * libdeflate's level; 100 + level*4 + strategy: zlib's): 1 if zlib reads
 * one member back equal to in, with nothing after it.
 */
static int
round_trip(const unsigned char *in, size_t n, const size_t *cuts,
    int ncuts, int who, void *scratch)
{
	struct libdeflate_compressor *c = NULL;
	unsigned char *out, *piece, *back;
	size_t cap = n + n / 2 + 4096, pcap, len = 0, plen, at = 0, to;
	uLong crc = crc32(0, Z_NULL, 0);
	z_stream z;
	int i, ok = 0, zr;

	out = malloc(cap + 64 * (size_t)(ncuts + 2));
	pcap = n + n / 2 + 4096;
	piece = malloc(pcap);
	back = malloc(n + 1);
	if (who <= 12 && (c = libdeflate_alloc_compressor(who)) == NULL)
		goto out;
	gzjoin_header(out);
	len = GZJOIN_HEADER;
	for (i = 0; i <= ncuts; i++, at = to) {
		to = i < ncuts ? cuts[i] : n;
		if (who <= 12)
			plen = libdeflate_deflate_compress(c, in + at, to - at,
			    piece, pcap - GZJOIN_SYNC_MAX);
		else
			plen = zraw(in + at, to - at, piece, pcap -
			    GZJOIN_SYNC_MAX, (who - 100) / 4, (who - 100) % 4);
		if (plen == 0 || gzjoin_unfinal(piece, &plen, pcap,
		    scratch) == -1)
			goto out;
		memcpy(out + len, piece, plen);
		len += plen;
		crc = crc32_combine(crc, crc32(0, in + at, (uInt)(to - at)),
		    (z_off_t)(to - at));
	}
	gzjoin_trailer(out + len, (uint32_t)crc, n);
	len += GZJOIN_TRAILER;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		goto out;
	z.next_in = out;
	z.avail_in = (uInt)len;
	z.next_out = back;
	z.avail_out = (uInt)n + 1;
	zr = inflate(&z, Z_FINISH);
	ok = zr == Z_STREAM_END && z.avail_in == 0 && z.total_out == n &&
	    memcmp(back, in, n) == 0;
	inflateEnd(&z);
out:
	libdeflate_free_compressor(c);
	free(out);
	free(piece);
	free(back);
	return ok;
}

int
main(void)
{
	static const size_t sizes[] = { 0, 1, 2, 7, 100, 300, 4096, 65537,
	    400000 };
	void *scratch = malloc(gzjoin_scratch_size());
	unsigned char *in;
	size_t cuts[8], n, k, len;
	int who, kind, bad, tries, s, ok;

	in = malloc(1 << 21);
	/* Every libdeflate level, every kind, every size, 1-4 pieces. */
	for (who = 0; who <= 12; who++) {
		bad = tries = 0;
		for (kind = 0; kind < 3; kind++)
			for (s = 0; s < (int)(sizeof(sizes) / sizeof(sizes[0]));
			    s++) {
				n = sizes[s];
				fill(in, n, kind);
				for (k = 0; k < 3; k++)
					cuts[k] = n ? rnd() % (n + 1) : 0;
				if (cuts[0] > cuts[1]) {
					size_t t = cuts[0];
					cuts[0] = cuts[1];
					cuts[1] = t;
				}
				cuts[2] = cuts[1] > cuts[2] ? cuts[1] : cuts[2];
				tries += 2;
				bad += !round_trip(in, n, NULL, 0, who, scratch);
				bad += !round_trip(in, n, cuts, 3, who, scratch);
			}
		TAP_OK(bad == 0, "libdeflate level %d: %d joins of 1-4 streams "
		    "(stored, fixed and dynamic blocks) read back as one "
		    "member (%d wrong)", who, tries, bad);
	}
	/* zlib's levels and strategies: fixed codes, Huffman only, RLE. */
	bad = tries = 0;
	for (who = 100; who < 100 + 10 * 4; who++)
		for (kind = 0; kind < 3; kind++) {
			n = 70000;
			fill(in, n, kind);
			cuts[0] = rnd() % n;
			tries++;
			bad += !round_trip(in, n, cuts, 1, who, scratch);
		}
	TAP_OK(bad == 0, "zlib levels 0-9 with default, filtered, "
	    "Huffman-only and RLE strategies: %d joins (%d wrong)", tries, bad);
	/* Where the last block ends in its byte: every bit position. */
	bad = 0;
	for (n = 1; n <= 64; n++) {
		fill(in, n, 0);
		cuts[0] = n / 2;
		bad += !round_trip(in, n, cuts, 1, 100 + 6 * 4 + 3, scratch);
		bad += !round_trip(in, n, cuts, 1, 1, scratch);
	}
	TAP_OK(bad == 0, "tiny inputs 1-64 bytes, the final block ending at "
	    "each bit of its byte (%d wrong)", bad);
	/* Large: 2 MiB of text in 1 MiB pieces at level 6. */
	fill(in, 1 << 21, 0);
	cuts[0] = 1 << 20;
	TAP_OK(round_trip(in, 1 << 21, cuts, 1, 6, scratch),
	    "2 MiB in two 1 MiB pieces at level 6");

	/* Refusals: cut short, trailing bytes, not deflate at all. */
	fill(in, 5000, 0);
	len = zraw(in, 5000, in + 8192, 8192, 6, Z_DEFAULT_STRATEGY);
	ok = 1;
	for (k = 0; k + 1 < len && ok; k++) {
		n = k;
		if (gzjoin_unfinal(in + 8192, &n, 8192, scratch) != -1 ||
		    n != k)
			ok = 0;
	}
	TAP_OK(ok, "a stream cut short at any of its %zu bytes is refused, "
	    "its length unchanged", len - 1);
	in[8192 + len] = 0x55;
	n = len + 1;
	TAP_OK(gzjoin_unfinal(in + 8192, &n, 8192, scratch) == -1 &&
	    n == len + 1, "a byte after the stream: refused");
	n = len;
	TAP_OK(gzjoin_unfinal(in + 8192, &n, len + 2, scratch) == -1,
	    "no room for the sync block: refused");
	bad = 0;
	for (k = 0; k < 20000; k++) {
		n = 1 + rnd() % 60;
		fill(in, n, 1);
		len = n;
		if (gzjoin_unfinal(in, &len, 128, scratch) == 0 &&
		    (len < n || len > n + GZJOIN_SYNC_MAX))
			bad++;
	}
	TAP_OK(bad == 0, "20000 random byte strings: no crash, no read or "
	    "write out of bounds (ASan), lengths sane");
	free(in);
	free(scratch);
	return TAP_DONE();
}
