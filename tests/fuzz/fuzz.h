/* fuzz.h - what the harnesses share. */
#ifndef QP_FUZZ_H
#define QP_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * The input in a malloc'd buffer of exactly its size (one byte for an
 * empty one), so that ASan sees any read past the end; NULL if out of
 * memory.
 */
static inline char *
fuzz_copy(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);

	if (buf != NULL && size > 0)
		memcpy(buf, data, size);
	return buf;
}

#endif
