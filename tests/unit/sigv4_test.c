/*
 * sigv4_test.c - the signer against the four worked examples AWS
 * publishes for S3's Authorization header (GET Object, PUT Object, GET
 * Bucket Lifecycle, List Objects; examplebucket, 2013-05-24).
 */
#include <string.h>

#include "sigv4.h"
#include "tap.h"

static const struct sigv4_key key = {
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"us-east-1", "s3"
};
#define EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HOST { "Host", "examplebucket.s3.amazonaws.com" }
#define DATE { "x-amz-date", "20130524T000000Z" }
#define CRED "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/" \
	"us-east-1/s3/aws4_request,SignedHeaders="

static int
signs(const char *method, const char *path, const char *query,
    const struct sigv4_header *h, size_t n, const char *payload,
    const char *want)
{
	struct sigv4_request r = { method, path, query, h, n, payload };
	char auth[SIGV4_AUTH_MAX];

	if (sigv4_authorization(&r, &key, "20130524T000000Z", auth,
	    sizeof(auth)) == -1)
		return 0;
	if (strcmp(auth, want) != 0) {
		printf("#   got:  %s\n#   want: %s\n", auth, want);
		return 0;
	}
	return 1;
}

int
main(void)
{
	char path[64], sha[SIGV4_SHA256_HEX], b64[32];

	{
		struct sigv4_header h[] = { HOST, { "Range", "bytes=0-9" },
		    { "x-amz-content-sha256", EMPTY }, DATE };
		TAP_OK(signs("GET", "/test.txt", "", h, 4, EMPTY, CRED
		    "host;range;x-amz-content-sha256;x-amz-date,Signature="
		    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6"
		    "036bdb41"), "AWS example: GET Object");
	}
	{
		const char *body = "Welcome to Amazon S3.";
		sigv4_sha256_hex(body, strlen(body), sha);
		sigv4_uri_encode("test$file.text", 1, path + 1);
		path[0] = '/';
		struct sigv4_header h[] = {
		    { "Date", "Fri, 24 May 2013 00:00:00 GMT" }, HOST,
		    { "x-amz-content-sha256", sha }, DATE,
		    { "x-amz-storage-class", "REDUCED_REDUNDANCY" } };
		TAP_OK(strcmp(path, "/test%24file.text") == 0 &&
		    signs("PUT", path, "", h, 5, sha, CRED
		    "date;host;x-amz-content-sha256;x-amz-date;"
		    "x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f"
		    "14c238d841ea1380cd77a1b5971af0ece108bd"),
		    "AWS example: PUT Object (key encoding, payload hash)");
	}
	{
		struct sigv4_header h[] = { HOST,
		    { "x-amz-content-sha256", EMPTY }, DATE };
		TAP_OK(signs("GET", "/", "lifecycle=", h, 3, EMPTY, CRED
		    "host;x-amz-content-sha256;x-amz-date,Signature=fea454ca2"
		    "98b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
		    "AWS example: GET Bucket Lifecycle (a bare query key)");
		TAP_OK(signs("GET", "/", "max-keys=2&prefix=J", h, 3, EMPTY,
		    CRED "host;x-amz-content-sha256;x-amz-date,Signature=34b4"
		    "8302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69d"
		    "c6f7"), "AWS example: List Objects (a query)");
	}
	sigv4_uri_encode("quotes/dt=2023-05-12/a+b c~.gz", 1, path);
	TAP_OK(strcmp(path, "quotes/dt%3D2023-05-12/a%2Bb%20c~.gz") == 0,
	    "key encoding: '=' of Hive partitions, '+', space (%s)", path);
	sigv4_base64((const unsigned char *)"\x01\x02\x03\xff", 4, b64);
	TAP_OK(strcmp(b64, "AQID/w==") == 0, "base64");
	sigv4_amz_date(1683926186, b64);
	TAP_OK(strcmp(b64, "20230512T211626Z") == 0, "x-amz-date format");
	return TAP_DONE();
}
