/* test-sigv4.c: pre-signed URLs and POST policies, signed and verified
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-sigv4"

#include "config.h"

#include <string.h>
#include <sys/wait.h>

#include "tessera-sigv4.h"

#define ACCESS_KEY "AKIDTESSERA0001"
#define SECRET_KEY "tEsSeRa/SeCrEt+KeY/0123456789abcdefghijk"
#define REGION     "us-east-1"
#define BUCKET     "tessera"

static const char *
lookup_secret (const char *access_key_id,
               gpointer    user_data)
{
  const char *secret = user_data != NULL ? user_data : SECRET_KEY;

  return g_str_equal (access_key_id, ACCESS_KEY) ? secret : NULL;
}

static GDateTime *
signing_time (void)
{
  return g_date_time_new_utc (2026, 11, 25, 6, 30, 0);
}

static GDateTime *
signing_time_plus (int seconds)
{
  g_autoptr(GDateTime) time = signing_time ();

  return g_date_time_add_seconds (time, seconds);
}

/* Helpers */

static void
test_amz_date (void)
{
  g_autoptr(GDateTime) time = g_date_time_new_utc (2015, 8, 30, 12, 36, 0);
  g_autoptr(GTimeZone) paris = g_time_zone_new_identifier ("+02:00");
  g_autoptr(GDateTime) local = g_date_time_to_timezone (time, paris);
  g_autofree char *amz = tessera_sigv4_amz_date (time);
  g_autofree char *amz_local = tessera_sigv4_amz_date (local);
  g_autofree char *stamp = tessera_sigv4_date_stamp (local);
  g_autoptr(GDateTime) parsed = tessera_sigv4_parse_amz_date ("20150830T123600Z");
  g_autofree char *scope = tessera_sigv4_credential_scope (stamp, "eu-west-3", "s3");

  g_assert_cmpstr (amz, ==, "20150830T123600Z");
  /* The same instant elsewhere is written in UTC. */
  g_assert_cmpstr (amz_local, ==, "20150830T123600Z");
  g_assert_cmpstr (stamp, ==, "20150830");
  g_assert_cmpstr (scope, ==, "20150830/eu-west-3/s3/aws4_request");
  g_assert_nonnull (parsed);
  g_assert_true (g_date_time_equal (parsed, time));

  g_assert_null (tessera_sigv4_parse_amz_date (NULL));
  g_assert_null (tessera_sigv4_parse_amz_date (""));
  g_assert_null (tessera_sigv4_parse_amz_date ("20150830T123600"));
  g_assert_null (tessera_sigv4_parse_amz_date ("20150830T123600ZZ"));
  g_assert_null (tessera_sigv4_parse_amz_date ("2015-08-30T12:36:00Z"));
  g_assert_null (tessera_sigv4_parse_amz_date ("20150231T123600Z"));
  g_assert_null (tessera_sigv4_parse_amz_date ("20150830T253600Z"));
  g_assert_null (tessera_sigv4_parse_amz_date ("2015083OT123600Z"));
}

static void
test_uri_encode (void)
{
  g_autofree char *a = tessera_sigv4_uri_encode ("a b/c~d-e_f.g+h=ሴ", -1, FALSE);
  g_autofree char *b = tessera_sigv4_uri_encode ("a b/c~d-e_f.g+h=ሴ", -1, TRUE);
  g_autofree char *c = tessera_sigv4_uri_decode ("a%20b%2Fc%7e+%zz%4", -1);
  g_autofree char *d = tessera_sigv4_uri_encode ("abc", 2, TRUE);

  g_assert_cmpstr (a, ==, "a%20b/c~d-e_f.g%2Bh%3D%E1%88%B4");
  g_assert_cmpstr (b, ==, "a%20b%2Fc~d-e_f.g%2Bh%3D%E1%88%B4");
  /* '+' is not a space here, and malformed escapes stay as they are. */
  g_assert_cmpstr (c, ==, "a b/c~+%zz%4");
  g_assert_cmpstr (d, ==, "ab");
}

static void
test_canonical_uri (void)
{
  struct {
    const char *path;
    TesseraSigv4Flags flags;
    const char *expected;
  } cases[] = {
    /* S3: never normalised, each segment encoded exactly once. */
    { "/bucket/a b/c.jpg", TESSERA_SIGV4_S3_URI, "/bucket/a%20b/c.jpg" },
    { "/bucket/a%20b/c.jpg", TESSERA_SIGV4_S3_URI, "/bucket/a%20b/c.jpg" },
    { "/bucket/a%2fb", TESSERA_SIGV4_S3_URI, "/bucket/a%2Fb" },
    { "/bucket/%7Euser", TESSERA_SIGV4_S3_URI, "/bucket/~user" },
    { "/bucket//./../x/", TESSERA_SIGV4_S3_URI, "/bucket//./../x/" },
    { "", TESSERA_SIGV4_S3_URI, "/" },
    /* Other services: normalised, and an encoded path encoded again. */
    { "/a%20b", TESSERA_SIGV4_FLAGS_NONE, "/a%2520b" },
    { "/a/./b/../c//d/", TESSERA_SIGV4_FLAGS_NONE, "/a/c/d/" },
    { "/../..", TESSERA_SIGV4_FLAGS_NONE, "/" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *uri = tessera_sigv4_canonical_uri (cases[i].path, cases[i].flags);

      g_assert_cmpstr (uri, ==, cases[i].expected);
    }
}

static void
test_canonical_query (void)
{
  g_autofree char *q1 = tessera_sigv4_canonical_query ("b=2&a=3&a=1&c&%41=x&&d=%7e+");
  g_autofree char *q2 = tessera_sigv4_canonical_query (NULL);
  g_autofree char *q3 = tessera_sigv4_canonical_query ("x=a b");

  /* Sorted by encoded name (A before a), then value; a bare name gets "=". */
  g_assert_cmpstr (q1, ==, "A=x&a=1&a=3&b=2&c=&d=~%2B");
  g_assert_cmpstr (q2, ==, "");
  g_assert_cmpstr (q3, ==, "x=a%20b");
}

static void
test_canonical_headers (void)
{
  g_autoptr(TesseraSigv4Request) request = tessera_sigv4_request_new ("GET", "/", NULL);
  g_autofree char *signed_headers = NULL;
  g_autofree char *canonical = NULL;
  g_autofree char *joined = NULL;

  tessera_sigv4_request_add_header (request, "Host", "example.com");
  tessera_sigv4_request_add_header (request, "X-Multi", "  one \t two\n   three  ");
  tessera_sigv4_request_add_header (request, "User-Agent", "curl/7.88");
  tessera_sigv4_request_add_header (request, "x-multi", "four");
  tessera_sigv4_request_add_header (request, "Authorization", "Bearer nope");
  tessera_sigv4_request_add_header (request, "Content-Type", "image/png");

  canonical = tessera_sigv4_canonical_headers (request, &signed_headers);
  g_assert_cmpstr (canonical, ==,
                   "content-type:image/png\n"
                   "host:example.com\n"
                   "x-multi:one two three,four\n");
  g_assert_cmpstr (signed_headers, ==, "content-type;host;x-multi");

  joined = tessera_sigv4_request_dup_header (request, "X-MULTI");
  g_assert_cmpstr (joined, ==, "  one \t two\n   three  ,four");
  g_assert_null (tessera_sigv4_request_dup_header (request, "x-absent"));
}

static const char *
lookup_example (const char *access_key_id,
                gpointer    user_data)
{
  return g_str_equal (access_key_id, "AKIAIOSFODNN7EXAMPLE")
         ? "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" : NULL;
}

/* AWS's worked example of a pre-signed S3 GET, from the S3 documentation
 * ("Authenticating Requests: Using Query Parameters"). */
static void
test_aws_documented_presigned_get (void)
{
  g_autoptr(GDateTime) time = g_date_time_new_utc (2013, 5, 24, 0, 0, 0);
  g_autoptr(GDateTime) later = g_date_time_new_utc (2013, 5, 24, 23, 0, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(TesseraSigv4Request) request = NULL;
  TesseraSigv4Params params = {
    .access_key_id = "AKIAIOSFODNN7EXAMPLE",
    .secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    .region = "us-east-1",
    .service = "s3",
    .time = time,
    .flags = TESSERA_SIGV4_S3_URI,
  };
  g_autofree char *url = tessera_sigv4_presign_url ("GET",
                                                    "https://examplebucket.s3.amazonaws.com/test.txt",
                                                    &params, 86400, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (url, ==,
                   "https://examplebucket.s3.amazonaws.com/test.txt"
                   "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                   "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
                   "&X-Amz-Date=20130524T000000Z"
                   "&X-Amz-SignedHeaders=host"
                   "&X-Amz-Expires=86400"
                   "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, &error);
  g_assert_no_error (error);
  request = tessera_sigv4_request_new ("GET", g_uri_get_path (uri), g_uri_get_query (uri));
  tessera_sigv4_request_add_header (request, "Host", "examplebucket.s3.amazonaws.com");

  g_assert_true (tessera_sigv4_verify_presigned (request, "us-east-1", lookup_example, NULL,
                                                 later, &error));
  g_assert_no_error (error);
}

/* Pre-signed GET round trips */

typedef struct
{
  char *path;
  char *query;
  char *host;
} Presigned;

static void
presigned_clear (Presigned *presigned)
{
  g_clear_pointer (&presigned->path, g_free);
  g_clear_pointer (&presigned->query, g_free);
  g_clear_pointer (&presigned->host, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Presigned, presigned_clear)

static void
presign (Presigned  *out,
         const char *region,
         const char *service,
         guint       expires)
{
  g_autoptr(GDateTime) time = signing_time ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  TesseraSigv4Params params = {
    .access_key_id = ACCESS_KEY,
    .secret_access_key = SECRET_KEY,
    .region = region,
    .service = service,
    .time = time,
    .flags = TESSERA_SIGV4_S3_URI,
  };
  g_autofree char *url = tessera_sigv4_presign_url ("GET",
                                                    "http://127.0.0.1:8642/" BUCKET "/u/a%20b/%E1%88%B4.jpg",
                                                    &params, expires, &error);

  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (url, "http://127.0.0.1:8642/" BUCKET "/u/a%20b/%E1%88%B4.jpg?"));
  g_assert_nonnull (strstr (url, "X-Amz-SignedHeaders=host&"));

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, &error);
  g_assert_no_error (error);
  out->path = g_strdup (g_uri_get_path (uri));
  out->query = g_strdup (g_uri_get_query (uri));
  out->host = g_strdup ("127.0.0.1:8642");
}

static gboolean
verify (const char  *method,
        const char  *path,
        const char  *query,
        const char  *host,
        GDateTime   *now,
        const char  *secret,
        GError     **error)
{
  g_autoptr(TesseraSigv4Request) request = tessera_sigv4_request_new (method, path, query);

  tessera_sigv4_request_add_header (request, "Host", host);
  tessera_sigv4_request_add_header (request, "User-Agent", "test-sigv4");
  return tessera_sigv4_verify_presigned (request, REGION, lookup_secret, (gpointer) secret,
                                         now, error);
}

static char *
replace (const char *text,
         const char *from,
         const char *to)
{
  g_autoptr(GString) out = g_string_new (text);

  g_assert_nonnull (strstr (text, from));
  g_string_replace (out, from, to, 1);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
assert_sigv4_error (const GError *error,
                    TesseraSigv4Error code,
                    const char *s3_code,
                    guint status)
{
  g_assert_error (error, TESSERA_SIGV4_ERROR, (int) code);
  g_assert_cmpstr (tessera_sigv4_error_get_s3_code (error), ==, s3_code);
  g_assert_cmpuint (tessera_sigv4_error_get_http_status (error), ==, status);
  g_assert_nonnull (error->message);
}

static void
test_presign_round_trip (void)
{
  g_auto(Presigned) p = { 0 };
  g_autoptr(GDateTime) now = signing_time_plus (10);
  g_autoptr(GDateTime) last = signing_time_plus (300);
  g_autoptr(GError) error = NULL;

  presign (&p, REGION, "s3", 300);

  g_assert_true (verify ("GET", p.path, p.query, p.host, now, NULL, &error));
  g_assert_no_error (error);
  /* The last second of validity still counts. */
  g_assert_true (verify ("GET", p.path, p.query, p.host, last, NULL, &error));
  g_assert_no_error (error);
  /* An HTTP server that hands over the decoded path gets the same answer. */
  g_assert_true (verify ("GET", "/" BUCKET "/u/a b/ሴ.jpg", p.query, p.host, now, NULL, &error));
  g_assert_no_error (error);
}

static void
test_presign_tampered (void)
{
  g_auto(Presigned) p = { 0 };
  g_autoptr(GDateTime) now = signing_time_plus (10);

  presign (&p, REGION, "s3", 300);

  {
    g_autoptr(GError) error = NULL;
    g_assert_false (verify ("GET", "/" BUCKET "/u/a%20b/other.jpg", p.query, p.host, now, NULL,
                            &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH,
                        "SignatureDoesNotMatch", 403);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *query = g_strconcat (p.query, "&response-content-type=text%2Fhtml", NULL);
    g_assert_false (verify ("GET", p.path, query, p.host, now, NULL, &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH,
                        "SignatureDoesNotMatch", 403);
  }
  {
    /* Stretching the lifetime breaks the signature. */
    g_autoptr(GError) error = NULL;
    g_autofree char *query = replace (p.query, "X-Amz-Expires=300", "X-Amz-Expires=3000");
    g_assert_false (verify ("GET", p.path, query, p.host, now, NULL, &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH,
                        "SignatureDoesNotMatch", 403);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *query = replace (p.query, "X-Amz-Signature=", "X-Amz-Signature=0");
    g_assert_false (verify ("GET", p.path, query, p.host, now, NULL, &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH,
                        "SignatureDoesNotMatch", 403);
  }
  {
    g_autoptr(GError) error = NULL;
    g_assert_false (verify ("GET", p.path, p.query, "evil.example:8642", now, NULL, &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH,
                        "SignatureDoesNotMatch", 403);
  }
  {
    g_autoptr(GError) error = NULL;
    g_assert_false (verify ("DELETE", p.path, p.query, p.host, now, NULL, &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH,
                        "SignatureDoesNotMatch", 403);
  }
}

static void
test_presign_expired (void)
{
  g_auto(Presigned) p = { 0 };
  g_autoptr(GDateTime) after = signing_time_plus (301);
  g_autoptr(GDateTime) before = signing_time_plus (-3600);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) early = NULL;

  presign (&p, REGION, "s3", 300);

  g_assert_false (verify ("GET", p.path, p.query, p.host, after, NULL, &error));
  assert_sigv4_error (error, TESSERA_SIGV4_ERROR_EXPIRED, "AccessDenied", 403);
  g_assert_cmpstr (error->message, ==, "Request has expired");

  g_assert_false (verify ("GET", p.path, p.query, p.host, before, NULL, &early));
  assert_sigv4_error (early, TESSERA_SIGV4_ERROR_ACCESS_DENIED, "AccessDenied", 403);
}

static void
test_presign_wrong_key (void)
{
  g_auto(Presigned) p = { 0 };
  g_autoptr(GDateTime) now = signing_time_plus (10);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) unknown = NULL;
  g_autofree char *query = NULL;

  presign (&p, REGION, "s3", 300);

  g_assert_false (verify ("GET", p.path, p.query, p.host, now, "another-secret", &error));
  assert_sigv4_error (error, TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH,
                      "SignatureDoesNotMatch", 403);

  query = replace (p.query, ACCESS_KEY, "AKIDSTRANGER");
  g_assert_false (verify ("GET", p.path, query, p.host, now, NULL, &unknown));
  assert_sigv4_error (unknown, TESSERA_SIGV4_ERROR_INVALID_ACCESS_KEY_ID,
                      "InvalidAccessKeyId", 403);
}

static void
test_presign_wrong_scope (void)
{
  g_autoptr(GDateTime) now = signing_time_plus (10);

  {
    g_auto(Presigned) p = { 0 };
    g_autoptr(GError) error = NULL;

    presign (&p, "eu-west-3", "s3", 300);
    g_assert_false (verify ("GET", p.path, p.query, p.host, now, NULL, &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                        "AuthorizationQueryParametersError", 400);
    g_assert_nonnull (strstr (error->message, "region 'eu-west-3' is wrong"));
  }
  {
    g_auto(Presigned) p = { 0 };
    g_autoptr(GError) error = NULL;

    presign (&p, REGION, "execute-api", 300);
    g_assert_false (verify ("GET", p.path, p.query, p.host, now, NULL, &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                        "AuthorizationQueryParametersError", 400);
  }
  {
    /* A scope dated the day before X-Amz-Date. */
    g_auto(Presigned) p = { 0 };
    g_autoptr(GError) error = NULL;
    g_autofree char *query = NULL;

    presign (&p, REGION, "s3", 300);
    query = replace (p.query, "%2F20261125%2F", "%2F20261124%2F");
    g_assert_false (verify ("GET", p.path, query, p.host, now, NULL, &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                        "AuthorizationQueryParametersError", 400);
  }
  {
    g_auto(Presigned) p = { 0 };
    g_autoptr(GError) error = NULL;
    g_autofree char *query = NULL;

    presign (&p, REGION, "s3", 300);
    query = replace (p.query, "aws4_request", "aws5_request");
    g_assert_false (verify ("GET", p.path, query, p.host, now, NULL, &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                        "AuthorizationQueryParametersError", 400);
  }
}

static void
test_presign_bad_parameters (void)
{
  g_auto(Presigned) p = { 0 };
  g_autoptr(GDateTime) now = signing_time_plus (10);
  struct {
    const char *from;
    const char *to;
  } edits[] = {
    { "X-Amz-Expires=300", "X-Amz-Expires=604801" },
    { "X-Amz-Expires=300", "X-Amz-Expires=0" },
    { "X-Amz-Expires=300", "X-Amz-Expires=-5" },
    { "X-Amz-Expires=300", "X-Amz-Expires=5m" },
    { "X-Amz-Expires=300", "X-Amz-Expirez=300" },
    { "X-Amz-Signature=", "X-Amz-Signatur=" },
    { "X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1" },
    { "X-Amz-Date=20261125T063000Z", "X-Amz-Date=2026-11-25T06:30:00Z" },
    { "X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=user-agent" },
    { "X-Amz-Credential=" ACCESS_KEY, "X-Amz-Credential=" ACCESS_KEY "%2Fextra" },
    { "X-Amz-Date=", "X-Amz-Date=20261125T063000Z&X-Amz-Date=" },
  };

  presign (&p, REGION, "s3", 300);

  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *query = replace (p.query, edits[i].from, edits[i].to);

      g_test_message ("%s -> %s", edits[i].from, edits[i].to);
      g_assert_false (verify ("GET", p.path, query, p.host, now, NULL, &error));
      assert_sigv4_error (error, TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                          "AuthorizationQueryParametersError", 400);
    }
}

/* A plain URL is split without GUri; the same URL with an empty query
 * ("?") takes the general path. Both must give the same pre-signed URL,
 * and a second call (the cached signing key) the same again. */
static void
test_presign_url_fast_path (void)
{
  g_autoptr(GDateTime) time = signing_time ();
  TesseraSigv4Params params = {
    .access_key_id = ACCESS_KEY,
    .secret_access_key = SECRET_KEY,
    .region = REGION,
    .service = "s3",
    .time = time,
    .flags = TESSERA_SIGV4_S3_URI,
  };
  const char *urls[] = {
    "http://127.0.0.1:8642/" BUCKET "/u/a%20b/%E1%88%B4.jpg",
    "http://localhost:80/b/k.thumb.webp",
    "https://gallery.example:443/s3/" BUCKET "/u/x/y",
    "https://examplebucket.s3.amazonaws.com/test.txt",
  };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *general_url = g_strconcat (urls[i], "?", NULL);
      g_autofree char *fast = tessera_sigv4_presign_url ("GET", urls[i], &params, 3600, &error);
      g_autofree char *again = NULL;
      g_autofree char *general = NULL;

      g_assert_no_error (error);
      again = tessera_sigv4_presign_url ("GET", urls[i], &params, 3600, &error);
      g_assert_no_error (error);
      general = tessera_sigv4_presign_url ("GET", general_url, &params, 3600, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (fast, ==, general);
      g_assert_cmpstr (fast, ==, again);
    }

  /* the default port is not part of the host the client sends */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *url = tessera_sigv4_presign_url ("GET", "http://localhost:80/b/k", &params,
                                                      60, &error);

    g_assert_no_error (error);
    g_assert_true (g_str_has_prefix (url, "http://localhost/b/k?X-Amz-Algorithm="));
  }
}

static void
test_presign_url_edges (void)
{
  g_autoptr(GDateTime) time = signing_time ();
  g_autoptr(GDateTime) now = signing_time_plus (1);
  g_autoptr(GError) expiry_error = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GUri) uri = NULL;
  TesseraSigv4Params params = {
    .access_key_id = ACCESS_KEY,
    .secret_access_key = SECRET_KEY,
    .region = REGION,
    .service = "s3",
    .time = time,
    .flags = TESSERA_SIGV4_S3_URI,
  };
  g_autofree char *too_long = tessera_sigv4_presign_url ("GET", "http://localhost/b/k", &params,
                                                         TESSERA_SIGV4_MAX_EXPIRES + 1,
                                                         &expiry_error);
  g_autofree char *garbage = tessera_sigv4_presign_url ("GET", "not a url", &params, 60,
                                                        &parse_error);
  g_autofree char *ipv6 = tessera_sigv4_presign_url ("GET", "http://[::1]:9000/b/k", &params, 60,
                                                     &error);

  g_assert_null (too_long);
  g_assert_error (expiry_error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (garbage);
  g_assert_error (parse_error, G_URI_ERROR, G_URI_ERROR_FAILED);

  /* Host as a client sends it for an IPv6 literal: bracketed, with the port. */
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (ipv6, "http://[::1]:9000/b/k?X-Amz-Algorithm="));
  uri = g_uri_parse (ipv6, G_URI_FLAGS_ENCODED, &error);
  g_assert_no_error (error);
  g_assert_true (verify ("GET", g_uri_get_path (uri), g_uri_get_query (uri), "[::1]:9000", now,
                         NULL, &error));
  g_assert_no_error (error);
}

static void
test_presign_session_token (void)
{
  g_autoptr(GDateTime) time = signing_time ();
  g_autoptr(GDateTime) now = signing_time_plus (1);
  g_autoptr(TesseraSigv4Request) request = tessera_sigv4_request_new ("GET", "/" BUCKET "/k", NULL);
  g_autoptr(TesseraSigv4Request) received = NULL;
  g_autoptr(TesseraSigv4Result) result = NULL;
  g_autoptr(GError) error = NULL;
  TesseraSigv4Params params = {
    .access_key_id = ACCESS_KEY,
    .secret_access_key = SECRET_KEY,
    .session_token = "FwoGZXIvYXdzE/token+value==",
    .region = REGION,
    .service = "s3",
    .time = time,
    .flags = TESSERA_SIGV4_S3_URI,
  };

  tessera_sigv4_request_add_header (request, "Host", "localhost");
  tessera_sigv4_request_set_payload_hash (request, TESSERA_SIGV4_UNSIGNED_PAYLOAD);
  result = tessera_sigv4_presign (request, &params, 60);
  g_assert_nonnull (strstr (result->query,
                            "&X-Amz-Security-Token=FwoGZXIvYXdzE%2Ftoken%2Bvalue%3D%3D&"));
  g_assert_true (g_str_has_suffix (result->canonical_request, "\nhost\nUNSIGNED-PAYLOAD"));

  received = tessera_sigv4_request_new ("GET", "/" BUCKET "/k", result->query);
  tessera_sigv4_request_add_header (received, "Host", "localhost");
  g_assert_true (tessera_sigv4_verify_presigned (received, REGION, lookup_secret, NULL, now,
                                                 &error));
  g_assert_no_error (error);
}

static void
test_sign_headers (void)
{
  g_autoptr(GDateTime) time = signing_time ();
  g_autoptr(TesseraSigv4Request) request = tessera_sigv4_request_new ("PUT", "/" BUCKET "/a b",
                                                                      "tagging");
  g_autoptr(TesseraSigv4Result) result = NULL;
  TesseraSigv4Params params = {
    .access_key_id = ACCESS_KEY,
    .secret_access_key = SECRET_KEY,
    .region = REGION,
    .service = "s3",
    .time = time,
    .flags = TESSERA_SIGV4_S3_URI | TESSERA_SIGV4_SIGN_BODY,
  };

  tessera_sigv4_request_add_header (request, "Host", "s3.amazonaws.com");
  /* Stale signer headers are replaced, never signed twice. */
  tessera_sigv4_request_add_header (request, "X-Amz-Date", "19990101T000000Z");
  tessera_sigv4_request_add_header (request, "Authorization", "AWS4-HMAC-SHA256 old");
  tessera_sigv4_request_set_payload (request, "hello", 5);
  result = tessera_sigv4_sign (request, &params);

  g_assert_cmpstr (result->amz_date, ==, "20261125T063000Z");
  g_assert_null (result->security_token);
  g_assert_cmpstr (result->content_sha256, ==,
                   "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  g_assert_cmpstr (result->signed_headers, ==, "host;x-amz-content-sha256;x-amz-date");
  g_assert_true (g_str_has_prefix (result->canonical_request, "PUT\n/" BUCKET "/a%20b\ntagging=\n"));
  g_assert_nonnull (strstr (result->canonical_request, "x-amz-date:20261125T063000Z\n"));
  g_assert_null (strstr (result->canonical_request, "19990101"));
  g_assert_true (g_str_has_prefix (result->authorization,
                                   "AWS4-HMAC-SHA256 Credential=" ACCESS_KEY
                                   "/20261125/us-east-1/s3/aws4_request, "
                                   "SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="));
  g_assert_true (g_str_has_suffix (result->authorization, result->signature));
  g_assert_cmpuint (strlen (result->signature), ==, 64);
}

static void
test_secure_equal (void)
{
  g_assert_true (tessera_sigv4_secure_equal ("abc", "abc"));
  g_assert_true (tessera_sigv4_secure_equal ("", ""));
  g_assert_false (tessera_sigv4_secure_equal ("abc", "abd"));
  g_assert_false (tessera_sigv4_secure_equal ("abc", "ab"));
  g_assert_false (tessera_sigv4_secure_equal ("abc", "ABC"));
}

/* POST policy */

#define KEY "u/3f6c1a7e-sub/0b1c2d3e-image"

static TesseraSigv4PostForm *
form_from_fields (JsonObject *fields,
                  const char *bucket)
{
  TesseraSigv4PostForm *form = tessera_sigv4_post_form_new (bucket);
  g_autoptr(GList) members = json_object_get_members (fields);

  for (const GList *l = members; l != NULL; l = l->next)
    tessera_sigv4_post_form_add_field (form, l->data,
                                       json_object_get_string_member (fields, l->data));

  return form;
}

static JsonObject *
sign_policy (char **policy_json)
{
  g_autoptr(GDateTime) time = signing_time ();
  TesseraSigv4PostPolicy policy = {
    .bucket = BUCKET,
    .key = KEY,
    .content_type = "image/jpeg",
    .content_type_prefix = "image/",
    .min_size = 1,
    .max_size = 1000,
    .expires_seconds = 900,
  };
  TesseraSigv4Params params = {
    .access_key_id = ACCESS_KEY,
    .secret_access_key = SECRET_KEY,
    .region = REGION,
    .service = "s3",
    .time = time,
  };

  return tessera_sigv4_post_policy_sign (&policy, &params, policy_json);
}

/* A form made of @fields with @name set to @value (%NULL: left out). */
static TesseraSigv4PostForm *
form_with (JsonObject *fields,
           const char *name,
           const char *value)
{
  TesseraSigv4PostForm *form = tessera_sigv4_post_form_new (BUCKET);
  g_autoptr(GList) members = json_object_get_members (fields);
  gboolean replaced = FALSE;

  for (const GList *l = members; l != NULL; l = l->next)
    {
      if (name != NULL && g_ascii_strcasecmp (l->data, name) == 0)
        {
          replaced = TRUE;
          if (value != NULL)
            tessera_sigv4_post_form_add_field (form, l->data, value);
          continue;
        }
      tessera_sigv4_post_form_add_field (form, l->data,
                                         json_object_get_string_member (fields, l->data));
    }

  if (name != NULL && !replaced && value != NULL)
    tessera_sigv4_post_form_add_field (form, name, value);

  return form;
}

static gboolean
verify_form (TesseraSigv4PostForm  *form,
             int                    seconds_after_signing,
             GError               **error)
{
  g_autoptr(GDateTime) now = signing_time_plus (seconds_after_signing);

  return tessera_sigv4_post_form_verify (form, REGION, lookup_secret, NULL, now, error);
}

static void
test_post_policy_document (void)
{
  g_autofree char *policy_json = NULL;
  g_autoptr(JsonObject) fields = sign_policy (&policy_json);
  g_autoptr(GList) names = json_object_get_members (fields);
  g_autoptr(GString) order = g_string_new (NULL);
  g_autofree guchar *decoded = NULL;
  gsize decoded_length = 0;
  g_autoptr(GBytes) key = NULL;
  g_autofree char *signature = NULL;

  g_assert_cmpstr (policy_json, ==,
                   "{\"expiration\":\"2026-11-25T06:45:00.000Z\",\"conditions\":["
                   "{\"bucket\":\"" BUCKET "\"},"
                   "[\"eq\",\"$key\",\"" KEY "\"],"
                   "[\"starts-with\",\"$Content-Type\",\"image/\"],"
                   "[\"content-length-range\",1,1000],"
                   "{\"x-amz-algorithm\":\"AWS4-HMAC-SHA256\"},"
                   "{\"x-amz-credential\":\"" ACCESS_KEY "/20261125/us-east-1/s3/aws4_request\"},"
                   "{\"x-amz-date\":\"20261125T063000Z\"}]}");

  for (const GList *l = names; l != NULL; l = l->next)
    g_string_append_printf (order, "%s;", (const char *) l->data);
  g_assert_cmpstr (order->str, ==,
                   "key;Content-Type;x-amz-algorithm;x-amz-credential;x-amz-date;policy;"
                   "x-amz-signature;");

  /* policy is the base64 of the document; the signature is over the base64. */
  decoded = g_base64_decode (json_object_get_string_member (fields, "policy"), &decoded_length);
  g_assert_cmpmem (decoded, decoded_length, policy_json, strlen (policy_json));
  key = tessera_sigv4_signing_key (SECRET_KEY, "20261125", REGION, "s3");
  signature = tessera_sigv4_signature (key, json_object_get_string_member (fields, "policy"));
  g_assert_cmpstr (signature, ==, json_object_get_string_member (fields, "x-amz-signature"));
}

static void
test_post_policy_valid (void)
{
  g_autoptr(JsonObject) fields = sign_policy (NULL);
  g_autoptr(TesseraSigv4PostForm) form = form_from_fields (fields, BUCKET);
  g_autoptr(GError) error = NULL;
  gint64 min = -1, max = -1;

  g_assert_true (verify_form (form, 60, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (tessera_sigv4_post_form_get_field (form, "KEY"), ==, KEY);
  g_assert_cmpstr (tessera_sigv4_post_form_get_field (form, "content-type"), ==, "image/jpeg");

  g_assert_true (tessera_sigv4_post_form_get_length_range (form, &min, &max));
  g_assert_cmpint (min, ==, 1);
  g_assert_cmpint (max, ==, 1000);
  g_assert_true (tessera_sigv4_post_form_check_size (form, 1, &error));
  g_assert_true (tessera_sigv4_post_form_check_size (form, 1000, &error));
  g_assert_no_error (error);

  /* Fields that S3 lets through without a condition. */
  {
    g_autoptr(TesseraSigv4PostForm) ignored = form_with (fields, "x-ignore-client", "tessera");
    g_assert_true (verify_form (ignored, 60, &error));
    g_assert_no_error (error);
  }
  /* Another Content-Type that starts with image/, and a list of them. */
  {
    g_autoptr(TesseraSigv4PostForm) png = form_with (fields, "Content-Type", "image/png");
    g_autoptr(TesseraSigv4PostForm) list = form_with (fields, "Content-Type",
                                                      "image/png, image/webp");
    g_assert_true (verify_form (png, 899, &error));
    g_assert_no_error (error);
    g_assert_true (verify_form (list, 60, &error));
    g_assert_no_error (error);
  }
}

static void
test_post_policy_size (void)
{
  g_autoptr(JsonObject) fields = sign_policy (NULL);
  g_autoptr(TesseraSigv4PostForm) form = form_from_fields (fields, BUCKET);
  g_autoptr(GError) large = NULL;
  g_autoptr(GError) small = NULL;

  g_assert_true (verify_form (form, 60, NULL));

  g_assert_false (tessera_sigv4_post_form_check_size (form, 1001, &large));
  assert_sigv4_error (large, TESSERA_SIGV4_ERROR_ENTITY_TOO_LARGE, "EntityTooLarge", 400);

  g_assert_false (tessera_sigv4_post_form_check_size (form, 0, &small));
  assert_sigv4_error (small, TESSERA_SIGV4_ERROR_ENTITY_TOO_SMALL, "EntityTooSmall", 400);
}

static void
test_post_policy_conditions (void)
{
  g_autoptr(JsonObject) fields = sign_policy (NULL);
  struct {
    const char *name;
    const char *value;
    TesseraSigv4Error code;
    const char *s3_code;
    const char *message;
  } cases[] = {
    { "key", "u/someone-else/0b1c2d3e-image", TESSERA_SIGV4_ERROR_ACCESS_DENIED, "AccessDenied",
      "Invalid according to Policy: Policy Condition failed: [\"eq\", \"$key\", \"" KEY "\"]" },
    { "Content-Type", "text/html", TESSERA_SIGV4_ERROR_ACCESS_DENIED, "AccessDenied",
      "Invalid according to Policy: Policy Condition failed: "
      "[\"starts-with\", \"$Content-Type\", \"image/\"]" },
    { "Content-Type", NULL, TESSERA_SIGV4_ERROR_ACCESS_DENIED, "AccessDenied", NULL },
    /* A list is read value by value, as S3 does. */
    { "Content-Type", "image/png,text/html", TESSERA_SIGV4_ERROR_ACCESS_DENIED, "AccessDenied",
      NULL },
    { "x-amz-meta-owner", "mallory", TESSERA_SIGV4_ERROR_ACCESS_DENIED, "AccessDenied",
      "Invalid according to Policy: Extra input fields: x-amz-meta-owner" },
    { "success_action_redirect", "https://evil.example/", TESSERA_SIGV4_ERROR_ACCESS_DENIED,
      "AccessDenied", NULL },
    { "x-amz-signature", "0000000000000000000000000000000000000000000000000000000000000000",
      TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH, "SignatureDoesNotMatch", NULL },
    { "x-amz-credential", "AKIDSTRANGER/20261125/us-east-1/s3/aws4_request",
      TESSERA_SIGV4_ERROR_INVALID_ACCESS_KEY_ID, "InvalidAccessKeyId", NULL },
    { "x-amz-credential", ACCESS_KEY "/20261125/eu-west-3/s3/aws4_request",
      TESSERA_SIGV4_ERROR_INVALID_ARGUMENT, "InvalidArgument", NULL },
    { "x-amz-date", "20261124T063000Z", TESSERA_SIGV4_ERROR_INVALID_ARGUMENT, "InvalidArgument",
      NULL },
    { "x-amz-algorithm", "AWS4-HMAC-SHA1", TESSERA_SIGV4_ERROR_INVALID_ARGUMENT,
      "InvalidArgument", NULL },
    { "key", NULL, TESSERA_SIGV4_ERROR_INVALID_ARGUMENT, "InvalidArgument", NULL },
    { "policy", NULL, TESSERA_SIGV4_ERROR_INVALID_ARGUMENT, "InvalidArgument", NULL },
    { "x-amz-signature", NULL, TESSERA_SIGV4_ERROR_INVALID_ARGUMENT, "InvalidArgument", NULL },
    { "x-amz-credential", NULL, TESSERA_SIGV4_ERROR_INVALID_ARGUMENT, "InvalidArgument", NULL },
    { "x-amz-date", NULL, TESSERA_SIGV4_ERROR_INVALID_ARGUMENT, "InvalidArgument", NULL },
    { "x-amz-algorithm", NULL, TESSERA_SIGV4_ERROR_INVALID_ARGUMENT, "InvalidArgument", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TesseraSigv4PostForm) form = form_with (fields, cases[i].name, cases[i].value);
      g_autoptr(GError) error = NULL;

      g_test_message ("%s = %s", cases[i].name, cases[i].value);
      g_assert_false (verify_form (form, 60, &error));
      assert_sigv4_error (error, cases[i].code, cases[i].s3_code,
                          cases[i].code == TESSERA_SIGV4_ERROR_INVALID_ARGUMENT ? 400 : 403);
      if (cases[i].message != NULL)
        g_assert_cmpstr (error->message, ==, cases[i].message);
    }
}

static void
test_post_policy_expired (void)
{
  g_autoptr(JsonObject) fields = sign_policy (NULL);
  g_autoptr(TesseraSigv4PostForm) form = form_from_fields (fields, BUCKET);
  g_autoptr(GError) error = NULL;

  g_assert_false (verify_form (form, 900, &error));
  assert_sigv4_error (error, TESSERA_SIGV4_ERROR_EXPIRED, "AccessDenied", 403);
  g_assert_cmpstr (error->message, ==, "Invalid according to Policy: Policy expired.");
}

static void
test_post_policy_tampered (void)
{
  g_autofree char *policy_json = NULL;
  g_autoptr(JsonObject) fields = sign_policy (&policy_json);
  g_autoptr(GString) bigger = g_string_new (policy_json);
  g_autofree char *tampered = NULL;
  g_autoptr(TesseraSigv4PostForm) form = NULL;
  g_autoptr(TesseraSigv4PostForm) wrong_bucket = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) bucket_error = NULL;

  /* A policy that allows a gigabyte, sent with the original signature. */
  g_string_replace (bigger, "[\"content-length-range\",1,1000]",
                    "[\"content-length-range\",1,1000000000]", 1);
  tampered = g_base64_encode ((const guchar *) bigger->str, bigger->len);
  form = form_with (fields, "policy", tampered);
  g_assert_false (verify_form (form, 60, &error));
  assert_sigv4_error (error, TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH,
                      "SignatureDoesNotMatch", 403);

  /* The same form posted to another bucket. */
  wrong_bucket = form_from_fields (fields, "other-bucket");
  g_assert_false (verify_form (wrong_bucket, 60, &bucket_error));
  assert_sigv4_error (bucket_error, TESSERA_SIGV4_ERROR_ACCESS_DENIED, "AccessDenied", 403);
  g_assert_cmpstr (bucket_error->message, ==,
                   "Invalid according to Policy: Policy Condition failed: "
                   "[\"eq\", \"$bucket\", \"" BUCKET "\"]");
}

/* A form from another tool: a hand-written policy document, signed with the
 * primitives, using the condition forms Tessera does not write itself. */
static TesseraSigv4PostForm *
foreign_form (const char *policy_json,
              const char *key,
              const char *extra_name,
              const char *extra_value)
{
  g_autoptr(GBytes) signing_key = tessera_sigv4_signing_key (SECRET_KEY, "20261125", REGION, "s3");
  g_autofree char *policy = g_base64_encode ((const guchar *) policy_json, strlen (policy_json));
  g_autofree char *signature = tessera_sigv4_signature (signing_key, policy);
  TesseraSigv4PostForm *form = tessera_sigv4_post_form_new (BUCKET);

  /* Field names in another case than the policy's, as S3 allows. */
  tessera_sigv4_post_form_add_field (form, "Key", key);
  tessera_sigv4_post_form_add_field (form, "content-type", "image/png");
  tessera_sigv4_post_form_add_field (form, "success_action_status", "201");
  tessera_sigv4_post_form_add_field (form, "X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  tessera_sigv4_post_form_add_field (form, "X-Amz-Credential",
                                     ACCESS_KEY "/20261125/us-east-1/s3/aws4_request");
  tessera_sigv4_post_form_add_field (form, "X-Amz-Date", "20261125T063000Z");
  if (extra_name != NULL)
    tessera_sigv4_post_form_add_field (form, extra_name, extra_value);
  tessera_sigv4_post_form_add_field (form, "Policy", policy);
  tessera_sigv4_post_form_add_field (form, "X-Amz-Signature", signature);

  return form;
}

#define FOREIGN_POLICY(extra) \
  "{ \"expiration\": \"2026-11-25T07:30:00Z\",\n" \
  "  \"conditions\": [\n" \
  "    [\"eq\", \"$bucket\", \"" BUCKET "\"],\n" \
  "    [\"starts-with\", \"$key\", \"\"],\n" \
  "    {\"Content-Type\": \"image/png\"},\n" \
  "    {\"success_action_status\": \"201\"},\n" \
  "    [\"content-length-range\", \"10\", \"20\"],\n" \
  "    {\"x-amz-algorithm\": \"AWS4-HMAC-SHA256\"},\n" \
  "    [\"starts-with\", \"$x-amz-credential\", \"" ACCESS_KEY "/\"],\n" \
  "    {\"x-amz-date\": \"20261125T063000Z\"}" extra "\n" \
  "  ]\n" \
  "}"

static void
test_post_policy_foreign (void)
{
  g_autoptr(GDateTime) now = signing_time_plus (60);
  gint64 min = 0, max = 0;

  {
    g_autoptr(TesseraSigv4PostForm) form = foreign_form (FOREIGN_POLICY (""), "any/key.png",
                                                         NULL, NULL);
    g_autoptr(GError) error = NULL;

    g_assert_true (tessera_sigv4_post_form_verify (form, REGION, lookup_secret, NULL, now, &error));
    g_assert_no_error (error);
    g_assert_true (tessera_sigv4_post_form_get_length_range (form, &min, &max));
    g_assert_cmpint (min, ==, 10);
    g_assert_cmpint (max, ==, 20);
    g_assert_false (tessera_sigv4_post_form_check_size (form, 21, NULL));
  }
  {
    /* An extra field the policy does not cover... */
    g_autoptr(TesseraSigv4PostForm) form = foreign_form (FOREIGN_POLICY (""), "k",
                                                         "x-amz-meta-tag", "cat");
    g_autoptr(GError) error = NULL;

    g_assert_false (tessera_sigv4_post_form_verify (form, REGION, lookup_secret, NULL, now,
                                                    &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_ACCESS_DENIED, "AccessDenied", 403);
  }
  {
    /* ...and covered. */
    g_autoptr(TesseraSigv4PostForm) form =
      foreign_form (FOREIGN_POLICY (",\n    [\"starts-with\", \"$x-amz-meta-tag\", \"\"]"), "k",
                    "X-Amz-Meta-Tag", "cat");
    g_autoptr(GError) error = NULL;

    g_assert_true (tessera_sigv4_post_form_verify (form, REGION, lookup_secret, NULL, now, &error));
    g_assert_no_error (error);
  }
  {
    /* A repeated field. */
    g_autoptr(TesseraSigv4PostForm) form = foreign_form (FOREIGN_POLICY (""), "k", "KEY", "k2");
    g_autoptr(GError) error = NULL;

    g_assert_false (tessera_sigv4_post_form_verify (form, REGION, lookup_secret, NULL, now,
                                                    &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_INVALID_ARGUMENT, "InvalidArgument", 400);
  }
  {
    /* Properly signed, but not a policy. */
    g_autoptr(TesseraSigv4PostForm) form = foreign_form ("{\"expiration\": ", "k", NULL, NULL);
    g_autoptr(GError) error = NULL;

    g_assert_false (tessera_sigv4_post_form_verify (form, REGION, lookup_secret, NULL, now,
                                                    &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_INVALID_POLICY_DOCUMENT,
                        "InvalidPolicyDocument", 400);
  }
  {
    g_autoptr(TesseraSigv4PostForm) form =
      foreign_form ("{\"conditions\": []}", "k", NULL, NULL);
    g_autoptr(GError) error = NULL;

    g_assert_false (tessera_sigv4_post_form_verify (form, REGION, lookup_secret, NULL, now,
                                                    &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_INVALID_POLICY_DOCUMENT,
                        "InvalidPolicyDocument", 400);
  }
  {
    g_autoptr(TesseraSigv4PostForm) form =
      foreign_form ("{\"expiration\": \"2026-11-25T07:30:00Z\", \"conditions\": [[\"lt\", \"$key\", \"z\"]]}",
                    "k", NULL, NULL);
    g_autoptr(GError) error = NULL;

    g_assert_false (tessera_sigv4_post_form_verify (form, REGION, lookup_secret, NULL, now,
                                                    &error));
    assert_sigv4_error (error, TESSERA_SIGV4_ERROR_INVALID_POLICY_DOCUMENT,
                        "InvalidPolicyDocument", 400);
  }
}

/* Interop: forms and URLs signed by botocore, the signer of AWS's own Python
 * SDK and CLI, verify here; and our pre-signed URL for the same instant is
 * botocore's, byte for byte. */
static JsonObject *
botocore_sign (const char *endpoint,
               const char *key)
{
  g_autofree char *script = g_build_filename (TEST_UNIT_SRCDIR, "botocore-sign.py", NULL);
  const char *argv[] = { "python3", script, endpoint, BUCKET, key, ACCESS_KEY, SECRET_KEY,
                         REGION, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     &out, &err, &status, &error))
    {
      g_test_skip_printf ("python3 cannot run: %s", error->message);
      return NULL;
    }

  if (WIFEXITED (status) && WEXITSTATUS (status) == 77)
    {
      g_test_skip ("botocore is not installed (Debian: python3-botocore)");
      return NULL;
    }

  if (!g_spawn_check_wait_status (status, &error))
    g_error ("botocore-sign.py failed: %s\n%s", error->message, err);

  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_interop_botocore (void)
{
  const char *key = "u/a b/\xe1\x88\xb4+x.jpg";
  g_autoptr(JsonObject) signed_ = botocore_sign ("http://127.0.0.1:8642", key);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraSigv4Request) request = NULL;
  g_autoptr(TesseraSigv4PostForm) form = NULL;
  g_autoptr(TesseraSigv4PostForm) tampered = NULL;
  g_autoptr(GDateTime) signed_at = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *unsigned_url = NULL;
  g_autofree char *amz_date = NULL;
  g_autofree char *encoded_key = NULL;
  JsonObject *post;
  JsonObject *fields;
  g_autoptr(GList) names = NULL;
  const char *url;
  const char *date;

  if (signed_ == NULL)
    return;

  /* The pre-signed GET. */
  url = json_object_get_string_member (signed_, "url");
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, &error);
  g_assert_no_error (error);
  request = tessera_sigv4_request_new ("GET", g_uri_get_path (uri), g_uri_get_query (uri));
  tessera_sigv4_request_add_header (request, "Host", "127.0.0.1:8642");
  g_assert_true (tessera_sigv4_verify_presigned (request, REGION, lookup_secret, NULL, NULL,
                                                 &error));
  g_assert_no_error (error);

  date = strstr (url, "X-Amz-Date=");
  g_assert_nonnull (date);
  amz_date = g_strndup (date + strlen ("X-Amz-Date="), 16);
  signed_at = tessera_sigv4_parse_amz_date (amz_date);
  g_assert_nonnull (signed_at);
  {
    TesseraSigv4Params params = {
      .access_key_id = ACCESS_KEY,
      .secret_access_key = SECRET_KEY,
      .region = REGION,
      .service = "s3",
      .time = signed_at,
      .flags = TESSERA_SIGV4_S3_URI,
    };

    encoded_key = tessera_sigv4_uri_encode (key, -1, FALSE);
    unsigned_url = g_strdup_printf ("http://127.0.0.1:8642/" BUCKET "/%s", encoded_key);
    ours = tessera_sigv4_presign_url ("GET", unsigned_url, &params, 300, &error);
    g_assert_no_error (error);
    /* botocore writes X-Amz-Expires before X-Amz-SignedHeaders; the
     * signature is what must agree. */
    g_assert_cmpstr (strstr (ours, "X-Amz-Signature="), ==, strstr (url, "X-Amz-Signature="));
  }

  /* The pre-signed POST, fields in botocore's order. */
  post = json_object_get_object_member (signed_, "post");
  g_assert_cmpstr (json_object_get_string_member (post, "url"), ==, "http://127.0.0.1:8642/" BUCKET);
  fields = json_object_get_object_member (post, "fields");
  form = form_from_fields (fields, BUCKET);
  g_assert_true (tessera_sigv4_post_form_verify (form, REGION, lookup_secret, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (tessera_sigv4_post_form_get_field (form, "key"), ==, key);
  g_assert_true (tessera_sigv4_post_form_check_size (form, 1000, &error));
  g_assert_false (tessera_sigv4_post_form_check_size (form, 1001, NULL));

  tampered = tessera_sigv4_post_form_new (BUCKET);
  names = json_object_get_members (fields);
  for (const GList *l = names; l != NULL; l = l->next)
    tessera_sigv4_post_form_add_field (tampered, l->data,
                                       g_str_equal (l->data, "Content-Type")
                                       ? "text/html"
                                       : json_object_get_string_member (fields, l->data));
  g_assert_false (tessera_sigv4_post_form_verify (tampered, REGION, lookup_secret, NULL, NULL,
                                                  &error));
  assert_sigv4_error (error, TESSERA_SIGV4_ERROR_ACCESS_DENIED, "AccessDenied", 403);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sigv4/helpers/amz-date", test_amz_date);
  g_test_add_func ("/sigv4/helpers/uri-encode", test_uri_encode);
  g_test_add_func ("/sigv4/helpers/secure-equal", test_secure_equal);
  g_test_add_func ("/sigv4/canonical/uri", test_canonical_uri);
  g_test_add_func ("/sigv4/canonical/query", test_canonical_query);
  g_test_add_func ("/sigv4/canonical/headers", test_canonical_headers);
  g_test_add_func ("/sigv4/sign/headers", test_sign_headers);
  g_test_add_func ("/sigv4/presign/aws-documented", test_aws_documented_presigned_get);
  g_test_add_func ("/sigv4/presign/round-trip", test_presign_round_trip);
  g_test_add_func ("/sigv4/presign/tampered", test_presign_tampered);
  g_test_add_func ("/sigv4/presign/expired", test_presign_expired);
  g_test_add_func ("/sigv4/presign/wrong-key", test_presign_wrong_key);
  g_test_add_func ("/sigv4/presign/wrong-scope", test_presign_wrong_scope);
  g_test_add_func ("/sigv4/presign/bad-parameters", test_presign_bad_parameters);
  g_test_add_func ("/sigv4/presign/session-token", test_presign_session_token);
  g_test_add_func ("/sigv4/presign/url-edges", test_presign_url_edges);
  g_test_add_func ("/sigv4/post-policy/document", test_post_policy_document);
  g_test_add_func ("/sigv4/post-policy/valid", test_post_policy_valid);
  g_test_add_func ("/sigv4/post-policy/size", test_post_policy_size);
  g_test_add_func ("/sigv4/post-policy/conditions", test_post_policy_conditions);
  g_test_add_func ("/sigv4/post-policy/expired", test_post_policy_expired);
  g_test_add_func ("/sigv4/post-policy/tampered", test_post_policy_tampered);
  g_test_add_func ("/sigv4/post-policy/foreign", test_post_policy_foreign);
  g_test_add_func ("/sigv4/interop/botocore", test_interop_botocore);
  g_test_add_func ("/sigv4/presign/url-fast-path", test_presign_url_fast_path);

  return g_test_run ();
}
