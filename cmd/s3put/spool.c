/*
 * spool.c - one file per object, named by creation time so that a
 * replay keeps the order the objects were closed in (and so the order
 * of their acks).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "json.h"
#include "obuf.h"
#include "wire.h"

#include "spool.h"

struct spool_file {
	int	 fd;
	char	*dir, *base;	/* base: dir/NAME without suffix */
	char	*tmp;
	int	 gz;
};

struct spool_file *
spool_open(const char *dir, const char *key)
{
	static unsigned long seq;
	struct spool_file *sf = calloc(1, sizeof(*sf));
	struct timespec ts;
	size_t n = strlen(dir) + 64;

	if (sf == NULL)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	sf->gz = strlen(key) > 3 && strcmp(key + strlen(key) - 3, ".gz") == 0;
	if ((sf->base = malloc(n)) == NULL || (sf->tmp = malloc(n + 8)) ==
	    NULL || (sf->dir = strdup(dir)) == NULL)
		goto fail;
	snprintf(sf->base, n, "%s/%010lld%09ld-%05d-%06lu", dir,
	    (long long)ts.tv_sec, ts.tv_nsec, (int)getpid() % 100000, ++seq);
	snprintf(sf->tmp, n + 8, "%s.tmp", sf->base);
	mkdir(dir, 0700);
	if ((sf->fd = open(sf->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1)
		goto fail;
	return sf;
fail:
	free(sf->base);
	free(sf->tmp);
	free(sf->dir);
	free(sf);
	return NULL;
}

int
spool_write(struct spool_file *sf, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		if ((n = write(sf->fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

const char *
spool_path(const struct spool_file *sf)
{
	return sf->tmp;
}

static void
sf_free(struct spool_file *sf)
{
	if (sf->fd >= 0)
		close(sf->fd);
	free(sf->base);
	free(sf->tmp);
	free(sf->dir);
	free(sf);
}

void
spool_discard(struct spool_file *sf)
{
	if (sf == NULL)
		return;
	unlink(sf->tmp);
	sf_free(sf);
}

static int
write_meta(const char *path, const char *bucket, const char *key,
    unsigned long records, const char *topic, int partition,
    long long first, long long last)
{
	char tmp[PATH_MAX];
	struct obuf o;
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
	    -1)
		return -1;
	obuf_open(&o, fd, 8192);
	wire_ack_write(&o, &(struct wire_ack){ bucket, key,
	    (long long)records, -1, NULL, topic, partition, first, last, 0 });
	rc = obuf_close(&o);
	if (rc == 0 && fsync(fd) == -1)
		rc = errno;
	close(fd);
	if (rc != 0 || rename(tmp, path) == -1) {
		unlink(tmp);
		errno = rc ? rc : errno;
		return -1;
	}
	return 0;
}

int
spool_keep(struct spool_file *sf, const char *bucket, const char *key,
    unsigned long records, const char *topic, int partition,
    long long first, long long last, char *kept, size_t keptlen)
{
	char obj[PATH_MAX], meta[PATH_MAX];
	int rc = -1;

	if ((size_t)snprintf(obj, sizeof(obj), "%s%s", sf->base, sf->gz ?
	    ".gz" : ".jsonl") < sizeof(obj) &&
	    (size_t)snprintf(meta, sizeof(meta), "%s.json", sf->base) <
	    sizeof(meta) &&
	    fsync(sf->fd) == 0 && rename(sf->tmp, obj) == 0) {
		if (write_meta(meta, bucket, key, records, topic, partition,
		    first, last) == 0)
			rc = 0;
		else {
			/* Without its .json it would be an orphan. */
			int e = errno;

			unlink(obj);
			errno = e;
		}
	} else {
		int e = errno;

		unlink(sf->tmp);
		errno = e;
	}
	snprintf(kept, keptlen, "%s", obj);
	sf_free(sf);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
entry_free(struct spool_entry *e)
{
	free(e->path);
	free(e->meta);
	free(e->bucket);
	free(e->key);
	free(e->topic);
	free(e);
}

static struct spool_entry *
read_entry(const char *dir, const char *name)
{
	struct spool_entry *e = calloc(1, sizeof(*e));
	char doc[8192], strs[8192], base[PATH_MAX], obj[PATH_MAX + 8];
	struct wire_ack a;
	size_t n, len = 0;
	FILE *fp;

	if (e == NULL)
		return NULL;
	n = strlen(name) - 5;		/* without ".json" */
	snprintf(base, sizeof(base), "%s/%.*s", dir, (int)n, name);
	e->meta = malloc(strlen(base) + 6);
	if (e->meta == NULL)
		goto fail;
	snprintf(e->meta, strlen(base) + 6, "%s.json", base);
	if ((fp = fopen(e->meta, "r")) == NULL)
		goto fail;
	len = fread(doc, 1, sizeof(doc) - 1, fp);
	fclose(fp);
	doc[len] = '\0';
	if (json_validate(doc, len, NULL) == -1 ||
	    wire_ack_parse(doc, len, &a, strs, sizeof(strs)) == -1 ||
	    a.bucket == NULL || a.key == NULL || a.records < 0)
		goto fail;
	snprintf(obj, sizeof(obj), "%s.gz", base);
	if (access(obj, R_OK) == -1)
		snprintf(obj, sizeof(obj), "%s.jsonl", base);
	if ((e->path = strdup(obj)) == NULL ||
	    (e->bucket = strdup(a.bucket)) == NULL ||
	    (e->key = strdup(a.key)) == NULL ||
	    (a.topic != NULL && (e->topic = strdup(a.topic)) == NULL))
		goto fail;
	e->records = (unsigned long)a.records;
	e->partition = a.partition;
	e->first = a.first;
	e->last = a.last;
	return e;
fail:
	entry_free(e);
	return NULL;
}

int
spool_list(const char *dir, struct spool_entry **out)
{
	struct spool_entry *head = NULL, **tail = &head, *e;
	char **names = NULL, **nn, path[PATH_MAX];
	size_t n = 0, i, len;
	struct dirent *de;
	DIR *d;

	*out = NULL;
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0) {
			/* A killed run's: never acknowledged. */
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
			continue;
		}
		if (len <= 5 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		if ((nn = realloc(names, (n + 1) * sizeof(*nn))) == NULL)
			break;
		names = nn;
		if ((names[n] = strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		if ((e = read_entry(dir, names[i])) != NULL) {
			*tail = e;
			tail = &e->next;
		}
		free(names[i]);
	}
	free(names);
	*out = head;
	return 0;
}

void
spool_list_free(struct spool_entry *e)
{
	struct spool_entry *next;

	for (; e != NULL; e = next) {
		next = e->next;
		entry_free(e);
	}
}

void
spool_remove(struct spool_entry *e)
{
	unlink(e->path);
	unlink(e->meta);
}

/* Newlines in p[0..n). */
static unsigned long
count_lines(const char *p, size_t n)
{
	unsigned long k = 0;
	const char *e = p + n;

	while (p < e && (p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		k++;
		p++;
	}
	return k;
}

int
spool_check(const struct spool_entry *e, char *why, size_t whylen)
{
	static char in[65536], out[65536];
	size_t len = strlen(e->path);
	int gz = len > 3 && strcmp(e->path + len - 3, ".gz") == 0;
	int fd, zr = Z_OK, in_member = 0, err = 0;
	unsigned long lines = 0;
	char last = '\n';
	z_stream z;
	ssize_t n;

	memset(&z, 0, sizeof(z));
	if ((fd = open(e->path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (gz && inflateInit2(&z, 15 + 16) != Z_OK) {
		close(fd);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	while (!err && (n = read(fd, in, sizeof(in))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(why, whylen, "%s", strerror(errno));
			err = 1;
			break;
		}
		if (!gz) {
			lines += count_lines(in, (size_t)n);
			last = in[n - 1];
			continue;
		}
		z.next_in = (Bytef *)in;
		z.avail_in = (uInt)n;
		while (z.avail_in > 0) {
			in_member = 1;
			z.next_out = (Bytef *)out;
			z.avail_out = sizeof(out);
			zr = inflate(&z, Z_NO_FLUSH);
			lines += count_lines(out, sizeof(out) - z.avail_out);
			if (zr == Z_STREAM_END) {
				inflateReset(&z);	/* another member */
				in_member = 0;
			} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
				snprintf(why, whylen, "not valid gzip");
				err = 1;
				break;
			}
		}
	}
	close(fd);
	if (gz)
		inflateEnd(&z);
	if (err)
		return -1;
	if (in_member) {
		snprintf(why, whylen, "its gzip stream stops short");
		return -1;
	}
	if (last != '\n' || lines != e->records) {
		snprintf(why, whylen, "it holds %lu%s records, its metadata "
		    "says %lu", lines, last != '\n' ? " and a part" : "",
		    e->records);
		return -1;
	}
	return 0;
}

int
spool_set_aside(const struct spool_entry *e, char *where, size_t wherelen)
{
	char path[PATH_MAX + 16];
	int rc = 0;

	snprintf(path, sizeof(path), "%s.broken", e->path);
	if (rename(e->path, path) == -1)
		rc = -1;
	snprintf(where, wherelen, "%s", path);
	snprintf(path, sizeof(path), "%s.broken", e->meta);
	if (rename(e->meta, path) == -1)
		rc = -1;
	return rc;
}

int
spool_replay(const struct spool_entry *e, size_t part_size,
    spool_part_fn fn, void *arg, void *obj)
{
	char *buf;
	size_t len;
	ssize_t n;
	int fd, done = 0;

	if ((fd = open(e->path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (!done) {
		if ((buf = malloc(part_size)) == NULL) {
			close(fd);
			return -1;
		}
		for (len = 0; len < part_size; len += (size_t)n) {
			n = read(fd, buf + len, part_size - len);
			if (n == -1 && errno == EINTR) {
				n = 0;
				continue;
			}
			if (n == -1) {
				free(buf);
				close(fd);
				return -1;
			}
			if (n == 0) {
				done = 1;
				break;
			}
		}
		/* A file of exactly N parts ends with an empty final part. */
		fn(arg, obj, buf, len, done);
	}
	close(fd);
	return 0;
}
