/* tessera-sigv4.h: AWS Signature Version 4, signing and verifying as S3 does
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TESSERA_SIGV4_ALGORITHM        "AWS4-HMAC-SHA256"
#define TESSERA_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* S3 refuses a pre-signed URL that lives longer than a week. */
#define TESSERA_SIGV4_MAX_EXPIRES      604800

#define TESSERA_SIGV4_ERROR (tessera_sigv4_error_quark ())

/**
 * TesseraSigv4Error:
 *
 * Why a pre-signed URL or a POST form was refused, one code per S3 error
 * code (tessera_sigv4_error_get_s3_code()) so the HTTP layer can write S3's
 * XML error with tessera_sigv4_error_get_http_status(). The GError message is
 * S3's message.
 */
typedef enum
{
  TESSERA_SIGV4_ERROR_ACCESS_DENIED,                   /* 403 AccessDenied */
  TESSERA_SIGV4_ERROR_EXPIRED,                         /* 403 AccessDenied, "Request has expired" / "Policy expired." */
  TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH,        /* 403 SignatureDoesNotMatch */
  TESSERA_SIGV4_ERROR_INVALID_ACCESS_KEY_ID,           /* 403 InvalidAccessKeyId */
  TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,  /* 400 AuthorizationQueryParametersError */
  TESSERA_SIGV4_ERROR_INVALID_ARGUMENT,                /* 400 InvalidArgument */
  TESSERA_SIGV4_ERROR_INVALID_POLICY_DOCUMENT,         /* 400 InvalidPolicyDocument */
  TESSERA_SIGV4_ERROR_ENTITY_TOO_LARGE,                /* 400 EntityTooLarge */
  TESSERA_SIGV4_ERROR_ENTITY_TOO_SMALL,                /* 400 EntityTooSmall */
} TesseraSigv4Error;

GQuark      tessera_sigv4_error_quark           (void);
/* "AccessDenied", "SignatureDoesNotMatch", ...; "InternalError" for an error
 * of another domain. */
const char *tessera_sigv4_error_get_s3_code     (const GError *error);
guint       tessera_sigv4_error_get_http_status (const GError *error);

/**
 * TesseraSigv4Flags:
 * @TESSERA_SIGV4_FLAGS_NONE: the rules of every service but S3: the path is
 *   normalised (`.`, `..` and empty segments removed) and URI-encoded as it
 *   stands, so an already-encoded path is encoded a second time
 * @TESSERA_SIGV4_S3_URI: S3's rules: the path is not normalised, and each
 *   segment is decoded and encoded exactly once
 * @TESSERA_SIGV4_SIGN_BODY: when signing with headers, add and sign
 *   `x-amz-content-sha256` (S3 requires it)
 * @TESSERA_SIGV4_OMIT_SESSION_TOKEN: add the session token after signing
 *   instead of signing it (IoT's rule)
 */
typedef enum
{
  TESSERA_SIGV4_FLAGS_NONE         = 0,
  TESSERA_SIGV4_S3_URI             = 1 << 0,
  TESSERA_SIGV4_SIGN_BODY          = 1 << 1,
  TESSERA_SIGV4_OMIT_SESSION_TOKEN = 1 << 2,
} TesseraSigv4Flags;

/**
 * TesseraSigv4Params:
 * @access_key_id: the access key
 * @secret_access_key: its secret
 * @session_token: (nullable): the session token of temporary credentials
 * @region: e.g. `us-east-1`
 * @service: e.g. `s3`
 * @time: (nullable): the signing time; %NULL for now
 * @flags: #TesseraSigv4Flags
 *
 * Everything a signature depends on besides the request. Meant to be filled
 * on the stack with designated initialisers; nothing in it is copied or
 * freed.
 */
typedef struct
{
  const char        *access_key_id;
  const char        *secret_access_key;
  const char        *session_token;
  const char        *region;
  const char        *service;
  GDateTime         *time;
  TesseraSigv4Flags  flags;
} TesseraSigv4Params;

/**
 * TesseraSigv4Request:
 *
 * The parts of an HTTP request that SigV4 signs: method, path and query as
 * sent on the wire (percent-encoded; a literal character that should have
 * been encoded is encoded), headers in the order received (a name may repeat;
 * a value may span lines), and the payload's hash.
 */
typedef struct _TesseraSigv4Request TesseraSigv4Request;

TesseraSigv4Request *tessera_sigv4_request_new              (const char          *method,
                                                             const char          *path,
                                                             const char          *query);
void                 tessera_sigv4_request_free             (TesseraSigv4Request *request);
void                 tessera_sigv4_request_add_header       (TesseraSigv4Request *request,
                                                             const char          *name,
                                                             const char          *value);
/* All the values of @name (case-insensitive) joined with commas, or %NULL. */
char                *tessera_sigv4_request_dup_header       (TesseraSigv4Request *request,
                                                             const char          *name);
/* Sets the payload hash to the SHA-256 of @data; the default is the hash of
 * an empty payload. */
void                 tessera_sigv4_request_set_payload      (TesseraSigv4Request *request,
                                                             const void          *data,
                                                             gsize                length);
/* A lower-case hex SHA-256, or TESSERA_SIGV4_UNSIGNED_PAYLOAD. */
void                 tessera_sigv4_request_set_payload_hash (TesseraSigv4Request *request,
                                                             const char          *payload_hash);
const char          *tessera_sigv4_request_get_payload_hash (TesseraSigv4Request *request);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraSigv4Request, tessera_sigv4_request_free)

/* Helpers. */

/* RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - . _ ~
 * becomes %XX (upper-case hex); '/' is kept unless @encode_slash. */
char      *tessera_sigv4_uri_encode        (const char *text,
                                            gssize      length,
                                            gboolean    encode_slash);
/* Decodes %XX (and nothing else: '+' stays '+'); a malformed escape is kept
 * as it stands. */
char      *tessera_sigv4_uri_decode        (const char *text,
                                            gssize      length);
/* `20150830T123600Z` (the time is taken in UTC). */
char      *tessera_sigv4_amz_date          (GDateTime  *time);
/* `20150830` */
char      *tessera_sigv4_date_stamp        (GDateTime  *time);
/* Parses `YYYYMMDD'T'HHMMSS'Z'`; %NULL when @text is not exactly that. */
GDateTime *tessera_sigv4_parse_amz_date    (const char *text);
/* `20150830/us-east-1/s3/aws4_request` */
char      *tessera_sigv4_credential_scope  (const char *date_stamp,
                                            const char *region,
                                            const char *service);
/* Compares two strings in time that depends only on their lengths. */
gboolean   tessera_sigv4_secure_equal      (const char *a,
                                            const char *b);

/* The primitives, step by step as AWS documents them. */

char   *tessera_sigv4_canonical_uri            (const char                *path,
                                                TesseraSigv4Flags          flags);
/* @query as sent, without the '?'; may be %NULL. Names and values are decoded,
 * re-encoded and sorted; a name without '=' gets an empty value. */
char   *tessera_sigv4_canonical_query          (const char                *query);
/* Lower-case names, sorted; values trimmed with inner whitespace runs
 * (line breaks included) collapsed to one space; a repeated name's values
 * joined with commas in the order received. @signed_headers: (out) (optional):
 * the `host;x-amz-date` list. Headers that proxies rewrite (User-Agent,
 * Authorization, Expect, ...) are left out. */
char   *tessera_sigv4_canonical_headers        (TesseraSigv4Request       *request,
                                                char                     **signed_headers);
/* method \n canonical URI \n canonical query \n canonical headers \n
 * signed headers \n payload hash, over every header of @request. */
char   *tessera_sigv4_canonical_request        (TesseraSigv4Request       *request,
                                                TesseraSigv4Flags          flags,
                                                char                     **signed_headers);
char   *tessera_sigv4_string_to_sign           (const char                *amz_date,
                                                const char                *credential_scope,
                                                const char                *canonical_request);
/* HMAC chain `AWS4`+secret, date, region, service, `aws4_request`: 32 bytes. */
GBytes *tessera_sigv4_signing_key              (const char                *secret_access_key,
                                                const char                *date_stamp,
                                                const char                *region,
                                                const char                *service);
/* Lower-case hex HMAC-SHA256 of @string_to_sign under @signing_key. */
char   *tessera_sigv4_signature                (GBytes                    *signing_key,
                                                const char                *string_to_sign);

/**
 * TesseraSigv4Result:
 * @authorization: (nullable): the `Authorization` header value (header signing)
 * @amz_date: the `X-Amz-Date` header value (header signing) or parameter
 * @security_token: (nullable): the `X-Amz-Security-Token` header to add
 *   (header signing), when the credentials have one
 * @content_sha256: (nullable): the `x-amz-content-sha256` header to add, with
 *   %TESSERA_SIGV4_SIGN_BODY
 * @query: (nullable): the request's query with the X-Amz-* parameters
 *   appended, X-Amz-Signature last (pre-signing)
 * @signed_headers: e.g. `host;x-amz-date`
 * @signature: lower-case hex
 * @canonical_request: what was signed, for logs and tests (not secret)
 * @string_to_sign: likewise
 *
 * With header signing, add the headers in this order: X-Amz-Security-Token,
 * X-Amz-Date, x-amz-content-sha256, Authorization.
 */
typedef struct
{
  char *authorization;
  char *amz_date;
  char *security_token;
  char *content_sha256;
  char *query;
  char *signed_headers;
  char *signature;
  char *canonical_request;
  char *string_to_sign;
} TesseraSigv4Result;

void tessera_sigv4_result_free (TesseraSigv4Result *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraSigv4Result, tessera_sigv4_result_free)

/* Signs @request with headers. Any X-Amz-Date, X-Amz-Security-Token,
 * x-amz-content-sha256 or Authorization already in @request is ignored (the
 * result replaces them). @request must have a Host header. */
TesseraSigv4Result *tessera_sigv4_sign         (TesseraSigv4Request       *request,
                                                const TesseraSigv4Params  *params);
/* Pre-signs @request (query signing) for @expires_seconds (1 ..
 * TESSERA_SIGV4_MAX_EXPIRES). The payload hash is the request's: set
 * TESSERA_SIGV4_UNSIGNED_PAYLOAD for S3. Only @request's own headers are
 * signed (Host at least). */
TesseraSigv4Result *tessera_sigv4_presign      (TesseraSigv4Request       *request,
                                                const TesseraSigv4Params  *params,
                                                guint                      expires_seconds);
/* Convenience for S3-style GET links: pre-signs @method on @url (absolute,
 * percent-encoded, e.g. `http://127.0.0.1:9000/bucket/u/a%20b.jpg`), signing
 * only Host, with UNSIGNED-PAYLOAD when @params has TESSERA_SIGV4_S3_URI.
 * An IPv6 host is bracketed in Host as clients send it. Returns (transfer
 * full): the URL with the X-Amz-* parameters, or %NULL with @error: G_URI_ERROR
 * when @url does not parse, G_IO_ERROR_INVALID_ARGUMENT when @expires_seconds
 * is not 1 .. TESSERA_SIGV4_MAX_EXPIRES. */
char               *tessera_sigv4_presign_url  (const char                *method,
                                                const char                *url,
                                                const TesseraSigv4Params  *params,
                                                guint                      expires_seconds,
                                                GError                   **error);

/**
 * TesseraSigv4SecretLookup:
 * @access_key_id: the access key a request claims
 * @user_data: closure
 *
 * Returns: (nullable) (transfer none): the secret of @access_key_id, or %NULL
 *   when the key is unknown (InvalidAccessKeyId)
 */
typedef const char *(*TesseraSigv4SecretLookup) (const char *access_key_id,
                                                 gpointer    user_data);

/* Verifies a pre-signed request as S3 does: X-Amz-Algorithm, a credential
 * `key/date/@region/s3/aws4_request` whose date is X-Amz-Date's, Expires
 * 1..604800 and X-Amz-Date + Expires not before @now (%NULL: now), the access
 * key known, X-Amz-SignedHeaders including host, then the signature
 * (UNSIGNED-PAYLOAD, S3 URI rules) compared in constant time. @request is the
 * request as received (path and query as on the wire, its headers). */
gboolean tessera_sigv4_verify_presigned (TesseraSigv4Request       *request,
                                         const char                *region,
                                         TesseraSigv4SecretLookup   lookup,
                                         gpointer                   user_data,
                                         GDateTime                 *now,
                                         GError                   **error);

/* S3 browser-based uploads (POST policy). */

/**
 * TesseraSigv4PostPolicy:
 * @bucket: the bucket, bound with `{"bucket": ...}`
 * @key: the exact object key, bound with `["eq","$key",...]`
 * @content_type: (nullable): a Content-Type to put in the form (it must start
 *   with @content_type_prefix)
 * @content_type_prefix: (nullable): bound with
 *   `["starts-with","$Content-Type",...]`, e.g. `image/`
 * @min_size: with @max_size, `["content-length-range",min,max]`
 * @max_size: 0 for no range condition
 * @expires_seconds: the policy's `expiration`, from the params' time
 *
 * What a policy binds; filled on the stack, nothing is copied or freed.
 */
typedef struct
{
  const char *bucket;
  const char *key;
  const char *content_type;
  const char *content_type_prefix;
  gint64      min_size;
  gint64      max_size;
  guint       expires_seconds;
} TesseraSigv4PostPolicy;

/* Builds the policy document (conditions in the order listed above, then
 * x-amz-algorithm, x-amz-credential, x-amz-date and x-amz-security-token),
 * base64s and signs it. Returns (transfer full): the form fields in the order
 * a form sends them (key, Content-Type, x-amz-algorithm, x-amz-credential,
 * x-amz-date, x-amz-security-token, policy, x-amz-signature), all strings;
 * the `file` field goes last. @policy_json: (out) (optional): the document. */
JsonObject *tessera_sigv4_post_policy_sign (const TesseraSigv4PostPolicy  *policy,
                                            const TesseraSigv4Params      *params,
                                            char                         **policy_json);

/**
 * TesseraSigv4PostForm:
 *
 * A submitted POST form under verification, in two phases so that nothing is
 * written for a bad form: add every field that comes before `file`, call
 * tessera_sigv4_post_form_verify() when the file part starts, stream the
 * file, then tessera_sigv4_post_form_check_size() with its size. To stop a
 * too-large stream early, compare the running size with the maximum of
 * tessera_sigv4_post_form_get_length_range().
 */
typedef struct _TesseraSigv4PostForm TesseraSigv4PostForm;

/* @bucket: the bucket of the upload URL. */
TesseraSigv4PostForm *tessera_sigv4_post_form_new        (const char               *bucket);
void                  tessera_sigv4_post_form_free       (TesseraSigv4PostForm     *form);
/* Field names are case-insensitive. A repeated field is refused by verify. */
void                  tessera_sigv4_post_form_add_field  (TesseraSigv4PostForm     *form,
                                                          const char               *name,
                                                          const char               *value);
/* Returns (nullable) (transfer none): a field's value, e.g. "key" or
 * "Content-Type". */
const char           *tessera_sigv4_post_form_get_field  (TesseraSigv4PostForm     *form,
                                                          const char               *name);
/* Phase one, as S3: required fields (key, policy, x-amz-algorithm,
 * x-amz-credential, x-amz-date, x-amz-signature), the access key known, the
 * signature over the base64 policy as sent, the credential scope (@region,
 * s3), the policy JSON, its expiration against @now (%NULL: now), every
 * condition but content-length-range, and every field (other than policy,
 * x-amz-signature, file and x-ignore-*) covered by a condition. */
gboolean              tessera_sigv4_post_form_verify     (TesseraSigv4PostForm     *form,
                                                          const char               *region,
                                                          TesseraSigv4SecretLookup  lookup,
                                                          gpointer                  user_data,
                                                          GDateTime                *now,
                                                          GError                  **error);
/* The policy's content-length-range after a successful verify; FALSE when it
 * has none. */
gboolean              tessera_sigv4_post_form_get_length_range (TesseraSigv4PostForm *form,
                                                                gint64               *min_size,
                                                                gint64               *max_size);
/* Phase two: EntityTooLarge / EntityTooSmall against content-length-range. */
gboolean              tessera_sigv4_post_form_check_size (TesseraSigv4PostForm     *form,
                                                          gint64                    size,
                                                          GError                  **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraSigv4PostForm, tessera_sigv4_post_form_free)

G_END_DECLS
