/* tessera-sigv4.c: AWS Signature Version 4, signing and verifying as S3 does
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-sigv4"

#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "tessera-sigv4.h"

#define EMPTY_PAYLOAD_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define TERMINATOR           "aws4_request"
/* How far a client's clock may run ahead of ours, as S3 allows. */
#define CLOCK_SKEW_SECONDS   (15 * 60)

#define MSG_SIGNATURE_MISMATCH \
  "The request signature we calculated does not match the signature you provided. " \
  "Check your key and signing method."
#define MSG_UNKNOWN_KEY \
  "The AWS Access Key Id you provided does not exist in our records."

G_DEFINE_QUARK (tessera-sigv4-error-quark, tessera_sigv4_error)

const char *
tessera_sigv4_error_get_s3_code (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != TESSERA_SIGV4_ERROR)
    return "InternalError";

  switch ((TesseraSigv4Error) error->code)
    {
    case TESSERA_SIGV4_ERROR_ACCESS_DENIED:
    case TESSERA_SIGV4_ERROR_EXPIRED:
      return "AccessDenied";
    case TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH:
      return "SignatureDoesNotMatch";
    case TESSERA_SIGV4_ERROR_INVALID_ACCESS_KEY_ID:
      return "InvalidAccessKeyId";
    case TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS:
      return "AuthorizationQueryParametersError";
    case TESSERA_SIGV4_ERROR_INVALID_ARGUMENT:
      return "InvalidArgument";
    case TESSERA_SIGV4_ERROR_INVALID_POLICY_DOCUMENT:
      return "InvalidPolicyDocument";
    case TESSERA_SIGV4_ERROR_ENTITY_TOO_LARGE:
      return "EntityTooLarge";
    case TESSERA_SIGV4_ERROR_ENTITY_TOO_SMALL:
      return "EntityTooSmall";
    default:
      return "InternalError";
    }
}

guint
tessera_sigv4_error_get_http_status (const GError *error)
{
  g_return_val_if_fail (error != NULL, 500);

  if (error->domain != TESSERA_SIGV4_ERROR)
    return 500;

  switch ((TesseraSigv4Error) error->code)
    {
    case TESSERA_SIGV4_ERROR_ACCESS_DENIED:
    case TESSERA_SIGV4_ERROR_EXPIRED:
    case TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH:
    case TESSERA_SIGV4_ERROR_INVALID_ACCESS_KEY_ID:
      return 403;
    case TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS:
    case TESSERA_SIGV4_ERROR_INVALID_ARGUMENT:
    case TESSERA_SIGV4_ERROR_INVALID_POLICY_DOCUMENT:
    case TESSERA_SIGV4_ERROR_ENTITY_TOO_LARGE:
    case TESSERA_SIGV4_ERROR_ENTITY_TOO_SMALL:
      return 400;
    default:
      return 500;
    }
}

/* The request */

typedef struct
{
  char *name;
  char *value;
} Field;

static Field *
field_new (const char *name,
           const char *value)
{
  Field *field = g_new0 (Field, 1);

  field->name = g_strdup (name);
  field->value = g_strdup (value != NULL ? value : "");
  return field;
}

static void
field_free (gpointer data)
{
  Field *field = data;

  g_free (field->name);
  g_free (field->value);
  g_free (field);
}

struct _TesseraSigv4Request
{
  char      *method;
  char      *path;
  char      *query;
  GPtrArray *headers;        /* of Field, in the order added */
  char      *payload_hash;
};

/**
 * tessera_sigv4_request_new:
 * @method: e.g. `GET`
 * @path: the path as sent, e.g. `/bucket/a%20b.jpg`
 * @query: (nullable): the query as sent, without the `?`
 *
 * Returns: (transfer full): a request with no headers and the payload hash of
 *   an empty body
 */
TesseraSigv4Request *
tessera_sigv4_request_new (const char *method,
                           const char *path,
                           const char *query)
{
  TesseraSigv4Request *request;

  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  request = g_new0 (TesseraSigv4Request, 1);
  request->method = g_strdup (method);
  request->path = g_strdup (path);
  request->query = g_strdup (query != NULL ? query : "");
  request->headers = g_ptr_array_new_with_free_func (field_free);
  request->payload_hash = g_strdup (EMPTY_PAYLOAD_SHA256);

  return request;
}

void
tessera_sigv4_request_free (TesseraSigv4Request *request)
{
  if (request == NULL)
    return;

  g_free (request->method);
  g_free (request->path);
  g_free (request->query);
  g_ptr_array_unref (request->headers);
  g_free (request->payload_hash);
  g_free (request);
}

void
tessera_sigv4_request_add_header (TesseraSigv4Request *request,
                                  const char          *name,
                                  const char          *value)
{
  g_return_if_fail (request != NULL);
  g_return_if_fail (name != NULL);

  g_ptr_array_add (request->headers, field_new (name, value));
}

/**
 * tessera_sigv4_request_dup_header:
 *
 * Returns: (transfer full) (nullable): the values of @name joined with commas
 */
char *
tessera_sigv4_request_dup_header (TesseraSigv4Request *request,
                                  const char          *name)
{
  GString *joined = NULL;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < request->headers->len; i++)
    {
      const Field *header = g_ptr_array_index (request->headers, i);

      if (g_ascii_strcasecmp (header->name, name) != 0)
        continue;

      if (joined == NULL)
        joined = g_string_new (header->value);
      else
        g_string_append_printf (joined, ",%s", header->value);
    }

  return joined != NULL ? g_string_free (joined, FALSE) : NULL;
}

void
tessera_sigv4_request_set_payload (TesseraSigv4Request *request,
                                   const void          *data,
                                   gsize                length)
{
  g_return_if_fail (request != NULL);
  g_return_if_fail (data != NULL || length == 0);

  g_free (request->payload_hash);
  request->payload_hash = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                                       data != NULL ? data : (const guchar *) "",
                                                       length);
}

void
tessera_sigv4_request_set_payload_hash (TesseraSigv4Request *request,
                                        const char          *payload_hash)
{
  g_return_if_fail (request != NULL);
  g_return_if_fail (payload_hash != NULL);

  g_free (request->payload_hash);
  request->payload_hash = g_strdup (payload_hash);
}

const char *
tessera_sigv4_request_get_payload_hash (TesseraSigv4Request *request)
{
  g_return_val_if_fail (request != NULL, NULL);

  return request->payload_hash;
}

/* Helpers */

static gboolean
is_unreserved (guchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static void
append_uri_encoded (GString    *out,
                    const char *text,
                    gsize       length,
                    gboolean    encode_slash)
{
  static const char hex[] = "0123456789ABCDEF";

  for (gsize i = 0; i < length; i++)
    {
      guchar c = (guchar) text[i];

      if (is_unreserved (c) || (c == '/' && !encode_slash))
        {
          g_string_append_c (out, (char) c);
        }
      else
        {
          g_string_append_c (out, '%');
          g_string_append_c (out, hex[c >> 4]);
          g_string_append_c (out, hex[c & 0xf]);
        }
    }
}

/**
 * tessera_sigv4_uri_encode:
 *
 * Returns: (transfer full): @text encoded as SigV4 encodes names and values
 */
char *
tessera_sigv4_uri_encode (const char *text,
                          gssize      length,
                          gboolean    encode_slash)
{
  GString *out;

  g_return_val_if_fail (text != NULL, NULL);

  if (length < 0)
    length = strlen (text);

  out = g_string_sized_new (length + 1);
  append_uri_encoded (out, text, length, encode_slash);
  return g_string_free (out, FALSE);
}

/**
 * tessera_sigv4_uri_decode:
 *
 * Returns: (transfer full): @text with its %XX escapes decoded; the result may
 *   hold any byte but NUL-terminates after the last
 */
char *
tessera_sigv4_uri_decode (const char *text,
                          gssize      length)
{
  GString *out;

  g_return_val_if_fail (text != NULL, NULL);

  if (length < 0)
    length = strlen (text);

  out = g_string_sized_new (length + 1);

  for (gssize i = 0; i < length; i++)
    {
      if (text[i] == '%' && i + 2 < length
          && g_ascii_isxdigit (text[i + 1]) && g_ascii_isxdigit (text[i + 2]))
        {
          g_string_append_c (out, (char) ((g_ascii_xdigit_value (text[i + 1]) << 4)
                                          | g_ascii_xdigit_value (text[i + 2])));
          i += 2;
        }
      else
        {
          g_string_append_c (out, text[i]);
        }
    }

  return g_string_free (out, FALSE);
}

char *
tessera_sigv4_amz_date (GDateTime *time)
{
  g_autoptr(GDateTime) utc = NULL;

  g_return_val_if_fail (time != NULL, NULL);

  utc = g_date_time_to_utc (time);
  return g_date_time_format (utc, "%Y%m%dT%H%M%SZ");
}

char *
tessera_sigv4_date_stamp (GDateTime *time)
{
  g_autoptr(GDateTime) utc = NULL;

  g_return_val_if_fail (time != NULL, NULL);

  utc = g_date_time_to_utc (time);
  return g_date_time_format (utc, "%Y%m%d");
}

static int
parse_digits (const char *text,
              guint       n)
{
  int value = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return -1;
      value = value * 10 + (text[i] - '0');
    }

  return value;
}

/**
 * tessera_sigv4_parse_amz_date:
 *
 * Returns: (transfer full) (nullable): the UTC time of @text
 */
GDateTime *
tessera_sigv4_parse_amz_date (const char *text)
{
  int year, month, day, hour, minute, second;

  if (text == NULL || strlen (text) != 16 || text[8] != 'T' || text[15] != 'Z')
    return NULL;

  year = parse_digits (text, 4);
  month = parse_digits (text + 4, 2);
  day = parse_digits (text + 6, 2);
  hour = parse_digits (text + 9, 2);
  minute = parse_digits (text + 11, 2);
  second = parse_digits (text + 13, 2);

  if (year < 1 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0)
    return NULL;

  /* g_date_time_new_utc() refuses the 31st of February and friends. */
  return g_date_time_new_utc (year, month, day, hour, minute, second);
}

char *
tessera_sigv4_credential_scope (const char *date_stamp,
                                const char *region,
                                const char *service)
{
  g_return_val_if_fail (date_stamp != NULL, NULL);
  g_return_val_if_fail (region != NULL, NULL);
  g_return_val_if_fail (service != NULL, NULL);

  return g_strconcat (date_stamp, "/", region, "/", service, "/" TERMINATOR, NULL);
}

gboolean
tessera_sigv4_secure_equal (const char *a,
                            const char *b)
{
  gsize length;
  guchar diff = 0;

  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  length = strlen (a);
  if (length != strlen (b))
    return FALSE;

  for (gsize i = 0; i < length; i++)
    diff |= (guchar) a[i] ^ (guchar) b[i];

  return diff == 0;
}

/* Canonical URI */

static char *
canonical_uri_s3 (const char *path)
{
  g_auto(GStrv) segments = NULL;
  GString *out;
  const char *p;

  /* Nothing to decode or encode (an encoded key, as every pre-signed URL
   * of ours has): the path is its own canonical form. */
  for (p = path; *p != '\0' && (*p == '/' || is_unreserved ((guchar) *p)); p++)
    ;
  if (*p == '\0' && path[0] == '/')
    return g_strdup (path);

  segments = g_strsplit (path, "/", -1);
  out = g_string_new (NULL);

  for (guint i = 0; segments[i] != NULL; i++)
    {
      g_autofree char *decoded = tessera_sigv4_uri_decode (segments[i], -1);

      if (i > 0)
        g_string_append_c (out, '/');
      append_uri_encoded (out, decoded, strlen (decoded), TRUE);
    }

  if (out->str[0] != '/')
    g_string_prepend_c (out, '/');

  return g_string_free (out, FALSE);
}

static char *
canonical_uri_normalized (const char *path)
{
  g_auto(GStrv) segments = g_strsplit (path, "/", -1);
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();
  GString *out = g_string_new (NULL);
  gsize path_length = strlen (path);

  for (guint i = 0; segments[i] != NULL; i++)
    {
      const char *segment = segments[i];

      if (segment[0] == '\0' || g_str_equal (segment, "."))
        continue;

      if (g_str_equal (segment, ".."))
        {
          if (kept->len > 0)
            g_ptr_array_remove_index (kept, kept->len - 1);
          continue;
        }

      g_ptr_array_add (kept, (gpointer) segment);
    }

  for (guint i = 0; i < kept->len; i++)
    {
      const char *segment = g_ptr_array_index (kept, i);

      g_string_append_c (out, '/');
      append_uri_encoded (out, segment, strlen (segment), TRUE);
    }

  if (kept->len == 0 || (path_length > 0 && path[path_length - 1] == '/'))
    g_string_append_c (out, '/');

  return g_string_free (out, FALSE);
}

/**
 * tessera_sigv4_canonical_uri:
 * @path: the path as sent
 *
 * Returns: (transfer full): the canonical URI of @path
 */
char *
tessera_sigv4_canonical_uri (const char        *path,
                             TesseraSigv4Flags  flags)
{
  g_return_val_if_fail (path != NULL, NULL);

  if (path[0] == '\0')
    return g_strdup ("/");

  if (flags & TESSERA_SIGV4_S3_URI)
    return canonical_uri_s3 (path);

  return canonical_uri_normalized (path);
}

/* Canonical query */

typedef struct
{
  char *name;   /* both encoded */
  char *value;
} QueryParam;

static void
query_param_clear (gpointer data)
{
  QueryParam *param = data;

  g_free (param->name);
  g_free (param->value);
}

static int
query_param_compare (gconstpointer a,
                     gconstpointer b)
{
  const QueryParam *pa = a;
  const QueryParam *pb = b;
  int cmp = strcmp (pa->name, pb->name);

  return cmp != 0 ? cmp : strcmp (pa->value, pb->value);
}

/* Splits @query into decoded name and value, calling @func on each. */
typedef gboolean (*QueryFunc) (const char *name,
                               const char *value,
                               gpointer    user_data);

static void
query_foreach (const char *query,
               QueryFunc   func,
               gpointer    user_data)
{
  g_auto(GStrv) pieces = NULL;

  if (query == NULL || query[0] == '\0')
    return;

  pieces = g_strsplit (query, "&", -1);

  for (guint i = 0; pieces[i] != NULL; i++)
    {
      const char *piece = pieces[i];
      const char *equals = strchr (piece, '=');
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      if (piece[0] == '\0')
        continue;

      if (equals != NULL)
        {
          name = tessera_sigv4_uri_decode (piece, equals - piece);
          value = tessera_sigv4_uri_decode (equals + 1, -1);
        }
      else
        {
          name = tessera_sigv4_uri_decode (piece, -1);
          value = g_strdup ("");
        }

      if (!func (name, value, user_data))
        break;
    }
}

typedef struct
{
  GArray     *params;
  const char *skip;   /* a parameter to leave out, by decoded name */
} CanonicalQuery;

static gboolean
canonical_query_add (const char *name,
                     const char *value,
                     gpointer    user_data)
{
  CanonicalQuery *state = user_data;
  QueryParam param;

  if (state->skip != NULL && g_str_equal (name, state->skip))
    return TRUE;

  param.name = tessera_sigv4_uri_encode (name, -1, TRUE);
  param.value = tessera_sigv4_uri_encode (value, -1, TRUE);
  g_array_append_val (state->params, param);

  return TRUE;
}

static char *
canonical_query_skipping (const char *query,
                          const char *skip)
{
  g_autoptr(GArray) params = g_array_new (FALSE, FALSE, sizeof (QueryParam));
  CanonicalQuery state = { params, skip };
  GString *out = g_string_new (NULL);

  g_array_set_clear_func (params, query_param_clear);
  query_foreach (query, canonical_query_add, &state);
  g_array_sort (params, query_param_compare);

  for (guint i = 0; i < params->len; i++)
    {
      const QueryParam *param = &g_array_index (params, QueryParam, i);

      if (i > 0)
        g_string_append_c (out, '&');
      g_string_append_printf (out, "%s=%s", param->name, param->value);
    }

  return g_string_free (out, FALSE);
}

/**
 * tessera_sigv4_canonical_query:
 *
 * Returns: (transfer full): the canonical query string of @query
 */
char *
tessera_sigv4_canonical_query (const char *query)
{
  return canonical_query_skipping (query, NULL);
}

/* Canonical headers */

/* Headers a proxy or the HTTP stack may add or rewrite on the way, which
 * AWS's own SDKs never sign either. */
static const char * const unsigned_headers[] = {
  "authorization",
  "connection",
  "expect",
  "keep-alive",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "x-amzn-trace-id",
};

/* The ones the signer writes itself. */
static const char * const signer_headers[] = {
  "x-amz-date",
  "x-amz-security-token",
  "x-amz-content-sha256",
};

static gboolean
name_in (const char         *name,
         const char * const *names,
         gsize               n_names)
{
  for (gsize i = 0; i < n_names; i++)
    if (g_ascii_strcasecmp (name, names[i]) == 0)
      return TRUE;

  return FALSE;
}

/* Trims @value and collapses each run of whitespace, line breaks included
 * (a folded header), to one space. */
static void
append_header_value (GString    *out,
                     const char *value)
{
  gboolean pending_space = FALSE;
  gboolean any = FALSE;

  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        {
          pending_space = any;
          continue;
        }

      if (pending_space)
        g_string_append_c (out, ' ');
      g_string_append_c (out, *p);
      pending_space = FALSE;
      any = TRUE;
    }
}

typedef struct
{
  char    *name;    /* lower case */
  GString *value;   /* canonical, values joined with commas */
} CanonHeader;

static void
canon_header_free (gpointer data)
{
  CanonHeader *header = data;

  g_free (header->name);
  g_string_free (header->value, TRUE);
  g_free (header);
}

static int
canon_header_compare (gconstpointer a,
                      gconstpointer b)
{
  const CanonHeader *ha = *(const CanonHeader * const *) a;
  const CanonHeader *hb = *(const CanonHeader * const *) b;

  return strcmp (ha->name, hb->name);
}

static void
canon_headers_add (GPtrArray  *headers,
                   const char *name,
                   const char *value)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  CanonHeader *header = NULL;

  for (guint i = 0; i < headers->len; i++)
    {
      CanonHeader *existing = g_ptr_array_index (headers, i);

      if (g_str_equal (existing->name, lower))
        {
          header = existing;
          g_string_append_c (header->value, ',');
          break;
        }
    }

  if (header == NULL)
    {
      header = g_new0 (CanonHeader, 1);
      header->name = g_steal_pointer (&lower);
      header->value = g_string_new (NULL);
      g_ptr_array_add (headers, header);
    }

  append_header_value (header->value, value != NULL ? value : "");
}

/* The request's headers, less those SigV4 never signs and, when
 * @skip_signer_headers, those the signer writes. */
static GPtrArray *
canon_headers_from_request (TesseraSigv4Request *request,
                            gboolean             skip_signer_headers)
{
  GPtrArray *headers = g_ptr_array_new_with_free_func (canon_header_free);

  for (guint i = 0; i < request->headers->len; i++)
    {
      const Field *header = g_ptr_array_index (request->headers, i);

      if (name_in (header->name, unsigned_headers, G_N_ELEMENTS (unsigned_headers)))
        continue;
      if (skip_signer_headers
          && name_in (header->name, signer_headers, G_N_ELEMENTS (signer_headers)))
        continue;

      canon_headers_add (headers, header->name, header->value);
    }

  return headers;
}

/* Sorts @headers and writes the canonical headers block (each line ending in
 * a newline) and the signed headers list. */
static void
canon_headers_format (GPtrArray  *headers,
                      char      **canonical,
                      char      **signed_headers)
{
  GString *block = g_string_new (NULL);
  GString *names = g_string_new (NULL);

  g_ptr_array_sort (headers, canon_header_compare);

  for (guint i = 0; i < headers->len; i++)
    {
      const CanonHeader *header = g_ptr_array_index (headers, i);

      g_string_append_printf (block, "%s:%s\n", header->name, header->value->str);
      if (i > 0)
        g_string_append_c (names, ';');
      g_string_append (names, header->name);
    }

  *canonical = g_string_free (block, FALSE);
  if (signed_headers != NULL)
    *signed_headers = g_string_free (names, FALSE);
  else
    g_string_free (names, TRUE);
}

/**
 * tessera_sigv4_canonical_headers:
 *
 * Returns: (transfer full): the canonical headers block, each line ending in
 *   a newline
 */
char *
tessera_sigv4_canonical_headers (TesseraSigv4Request  *request,
                                 char                **signed_headers)
{
  g_autoptr(GPtrArray) headers = NULL;
  char *canonical = NULL;

  g_return_val_if_fail (request != NULL, NULL);

  headers = canon_headers_from_request (request, FALSE);
  canon_headers_format (headers, &canonical, signed_headers);
  return canonical;
}

static char *
join_canonical_request (const char *method,
                        const char *canonical_uri,
                        const char *canonical_query,
                        const char *canonical_headers,
                        const char *signed_headers,
                        const char *payload_hash)
{
  return g_strconcat (method, "\n", canonical_uri, "\n", canonical_query, "\n",
                      canonical_headers, "\n", signed_headers, "\n", payload_hash, NULL);
}

/**
 * tessera_sigv4_canonical_request:
 *
 * Returns: (transfer full): the canonical request of @request, signing all
 *   its headers (less those never signed)
 */
char *
tessera_sigv4_canonical_request (TesseraSigv4Request  *request,
                                 TesseraSigv4Flags     flags,
                                 char                **signed_headers)
{
  g_autofree char *uri = NULL;
  g_autofree char *query = NULL;
  g_autofree char *headers = NULL;
  g_autofree char *names = NULL;
  char *canonical;

  g_return_val_if_fail (request != NULL, NULL);

  uri = tessera_sigv4_canonical_uri (request->path, flags);
  query = tessera_sigv4_canonical_query (request->query);
  headers = tessera_sigv4_canonical_headers (request, &names);
  canonical = join_canonical_request (request->method, uri, query, headers, names,
                                      request->payload_hash);

  if (signed_headers != NULL)
    *signed_headers = g_steal_pointer (&names);

  return canonical;
}

/**
 * tessera_sigv4_string_to_sign:
 *
 * Returns: (transfer full): the string to sign
 */
char *
tessera_sigv4_string_to_sign (const char *amz_date,
                              const char *credential_scope,
                              const char *canonical_request)
{
  g_autofree char *hash = NULL;

  g_return_val_if_fail (amz_date != NULL, NULL);
  g_return_val_if_fail (credential_scope != NULL, NULL);
  g_return_val_if_fail (canonical_request != NULL, NULL);

  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical_request, -1);
  return g_strconcat (TESSERA_SIGV4_ALGORITHM "\n", amz_date, "\n", credential_scope, "\n",
                      hash, NULL);
}

static GBytes *
hmac_sha256 (const guchar *key,
             gsize         key_length,
             const char   *data)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_length);
  guint8 digest[32];
  gsize digest_length = sizeof digest;

  g_hmac_update (hmac, (const guchar *) data, strlen (data));
  g_hmac_get_digest (hmac, digest, &digest_length);
  g_assert (digest_length == sizeof digest);

  return g_bytes_new (digest, digest_length);
}

static GBytes *
hmac_sha256_bytes (GBytes     *key,
                   const char *data)
{
  gsize length;
  const guchar *bytes = g_bytes_get_data (key, &length);

  return hmac_sha256 (bytes, length, data);
}

/**
 * tessera_sigv4_signing_key:
 *
 * Returns: (transfer full): the 32-byte signing key (secret: never log it)
 */
GBytes *
tessera_sigv4_signing_key (const char *secret_access_key,
                           const char *date_stamp,
                           const char *region,
                           const char *service)
{
  g_autofree char *k_secret = NULL;
  g_autoptr(GBytes) k_date = NULL;
  g_autoptr(GBytes) k_region = NULL;
  g_autoptr(GBytes) k_service = NULL;
  GBytes *k_signing;

  g_return_val_if_fail (secret_access_key != NULL, NULL);
  g_return_val_if_fail (date_stamp != NULL, NULL);
  g_return_val_if_fail (region != NULL, NULL);
  g_return_val_if_fail (service != NULL, NULL);

  k_secret = g_strconcat ("AWS4", secret_access_key, NULL);
  k_date = hmac_sha256 ((const guchar *) k_secret, strlen (k_secret), date_stamp);
  k_region = hmac_sha256_bytes (k_date, region);
  k_service = hmac_sha256_bytes (k_region, service);
  k_signing = hmac_sha256_bytes (k_service, TERMINATOR);

  memset (k_secret, 0, strlen (k_secret));

  return k_signing;
}

static char *
hex_encode (GBytes *bytes)
{
  static const char hex[] = "0123456789abcdef";
  gsize length;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  char *out = g_malloc (length * 2 + 1);

  for (gsize i = 0; i < length; i++)
    {
      out[2 * i] = hex[data[i] >> 4];
      out[2 * i + 1] = hex[data[i] & 0xf];
    }
  out[length * 2] = '\0';

  return out;
}

/**
 * tessera_sigv4_signature:
 *
 * Returns: (transfer full): the lower-case hex signature
 */
char *
tessera_sigv4_signature (GBytes     *signing_key,
                         const char *string_to_sign)
{
  g_autoptr(GBytes) digest = NULL;

  g_return_val_if_fail (signing_key != NULL, NULL);
  g_return_val_if_fail (string_to_sign != NULL, NULL);

  digest = hmac_sha256_bytes (signing_key, string_to_sign);
  return hex_encode (digest);
}

/* Signing */

void
tessera_sigv4_result_free (TesseraSigv4Result *result)
{
  if (result == NULL)
    return;

  g_free (result->authorization);
  g_free (result->amz_date);
  g_free (result->security_token);
  g_free (result->content_sha256);
  g_free (result->query);
  g_free (result->signed_headers);
  g_free (result->signature);
  g_free (result->canonical_request);
  g_free (result->string_to_sign);
  g_free (result);
}

static gboolean
params_are_valid (const TesseraSigv4Params *params)
{
  return params != NULL
         && params->access_key_id != NULL
         && params->secret_access_key != NULL
         && params->region != NULL
         && params->service != NULL;
}

static GDateTime *
params_dup_time (const TesseraSigv4Params *params)
{
  if (params->time != NULL)
    return g_date_time_to_utc (params->time);

  return g_date_time_new_now_utc ();
}

/* The signing key depends only on the secret, the day, the region and the
 * service, and costs four HMACs: a listing page pre-signs ~150 URLs with
 * the same one. Each thread keeps the last key it derived. */
typedef struct
{
  char   *secret;
  char   *date_stamp;
  char   *region;
  char   *service;
  GBytes *key;
  GHmac  *hmac;      /* keyed with key, nothing hashed: copied per signature */
} SigningKeyCache;

static void
signing_key_cache_clear (SigningKeyCache *cache)
{
  if (cache->secret != NULL)
    memset (cache->secret, 0, strlen (cache->secret));
  g_clear_pointer (&cache->secret, g_free);
  g_clear_pointer (&cache->date_stamp, g_free);
  g_clear_pointer (&cache->region, g_free);
  g_clear_pointer (&cache->service, g_free);
  g_clear_pointer (&cache->key, g_bytes_unref);
  g_clear_pointer (&cache->hmac, g_hmac_unref);
}

static void
signing_key_cache_free (gpointer data)
{
  signing_key_cache_clear (data);
  g_free (data);
}

static GPrivate signing_key_cache = G_PRIVATE_INIT (signing_key_cache_free);

/* (transfer full): an HMAC keyed with the signing key, to update with the
 * string to sign; the key's pads are hashed once per key, not per URL. */
static GHmac *
signing_hmac_cached (const char *secret_access_key,
                     const char *date_stamp,
                     const char *region,
                     const char *service)
{
  SigningKeyCache *cache = g_private_get (&signing_key_cache);

  if (cache == NULL)
    {
      cache = g_new0 (SigningKeyCache, 1);
      g_private_set (&signing_key_cache, cache);
    }

  if (cache->key == NULL
      || strcmp (cache->date_stamp, date_stamp) != 0
      || strcmp (cache->region, region) != 0
      || strcmp (cache->service, service) != 0
      || strcmp (cache->secret, secret_access_key) != 0)
    {
      signing_key_cache_clear (cache);
      gconstpointer key_data;
      gsize key_length;

      cache->key = tessera_sigv4_signing_key (secret_access_key, date_stamp, region, service);
      key_data = g_bytes_get_data (cache->key, &key_length);
      cache->hmac = g_hmac_new (G_CHECKSUM_SHA256, key_data, key_length);
      cache->secret = g_strdup (secret_access_key);
      cache->date_stamp = g_strdup (date_stamp);
      cache->region = g_strdup (region);
      cache->service = g_strdup (service);
    }

  return g_hmac_copy (cache->hmac);
}

/* "Now" as X-Amz-Date and its date stamp, formatted once a second per
 * thread rather than through a GDateTime for every URL. */
typedef struct
{
  gint64 second;
  char   amz_date[17];    /* 20261125T061500Z */
  char   date_stamp[9];   /* 20261125 */
} NowCache;

static GPrivate now_cache = G_PRIVATE_INIT (g_free);

static void
params_dup_stamps (const TesseraSigv4Params  *params,
                   char                     **amz_date,
                   char                     **date_stamp)
{
  NowCache *cache;
  gint64 second;

  if (params->time != NULL)
    {
      *amz_date = tessera_sigv4_amz_date (params->time);
      *date_stamp = tessera_sigv4_date_stamp (params->time);
      return;
    }

  cache = g_private_get (&now_cache);
  if (cache == NULL)
    {
      cache = g_new0 (NowCache, 1);
      cache->second = -1;
      g_private_set (&now_cache, cache);
    }

  second = g_get_real_time () / G_USEC_PER_SEC;
  if (second != cache->second)
    {
      g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (second);
      g_autofree char *amz = tessera_sigv4_amz_date (time);
      g_autofree char *stamp = tessera_sigv4_date_stamp (time);

      g_strlcpy (cache->amz_date, amz, sizeof cache->amz_date);
      g_strlcpy (cache->date_stamp, stamp, sizeof cache->date_stamp);
      cache->second = second;
    }

  *amz_date = g_strdup (cache->amz_date);
  *date_stamp = g_strdup (cache->date_stamp);
}

/* Fills in string_to_sign and signature of @result. */
static void
sign_canonical_request (TesseraSigv4Result       *result,
                        const TesseraSigv4Params *params,
                        const char               *date_stamp,
                        const char               *scope)
{
  g_autoptr(GHmac) hmac = NULL;
  g_autoptr(GBytes) digest = NULL;
  guint8 bytes[32];
  gsize length = sizeof bytes;

  result->string_to_sign = tessera_sigv4_string_to_sign (result->amz_date, scope,
                                                         result->canonical_request);
  hmac = signing_hmac_cached (params->secret_access_key, date_stamp,
                              params->region, params->service);
  g_hmac_update (hmac, (const guchar *) result->string_to_sign, strlen (result->string_to_sign));
  g_hmac_get_digest (hmac, bytes, &length);
  g_assert (length == sizeof bytes);
  digest = g_bytes_new (bytes, length);
  result->signature = hex_encode (digest);
}

/**
 * tessera_sigv4_sign:
 *
 * Returns: (transfer full): the headers to add
 */
TesseraSigv4Result *
tessera_sigv4_sign (TesseraSigv4Request      *request,
                    const TesseraSigv4Params *params)
{
  g_autoptr(TesseraSigv4Result) result = NULL;
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GPtrArray) headers = NULL;
  g_autofree char *date_stamp = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *query = NULL;
  g_autofree char *canonical_headers = NULL;
  gboolean sign_token;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (params_are_valid (params), NULL);

  result = g_new0 (TesseraSigv4Result, 1);
  time = params_dup_time (params);
  result->amz_date = tessera_sigv4_amz_date (time);
  date_stamp = tessera_sigv4_date_stamp (time);
  scope = tessera_sigv4_credential_scope (date_stamp, params->region, params->service);

  if (params->session_token != NULL)
    result->security_token = g_strdup (params->session_token);
  if (params->flags & TESSERA_SIGV4_SIGN_BODY)
    result->content_sha256 = g_strdup (request->payload_hash);
  sign_token = result->security_token != NULL
               && !(params->flags & TESSERA_SIGV4_OMIT_SESSION_TOKEN);

  headers = canon_headers_from_request (request, TRUE);
  canon_headers_add (headers, "x-amz-date", result->amz_date);
  if (sign_token)
    canon_headers_add (headers, "x-amz-security-token", result->security_token);
  if (result->content_sha256 != NULL)
    canon_headers_add (headers, "x-amz-content-sha256", result->content_sha256);
  canon_headers_format (headers, &canonical_headers, &result->signed_headers);

  uri = tessera_sigv4_canonical_uri (request->path, params->flags);
  query = tessera_sigv4_canonical_query (request->query);
  result->canonical_request = join_canonical_request (request->method, uri, query,
                                                      canonical_headers,
                                                      result->signed_headers,
                                                      request->payload_hash);
  sign_canonical_request (result, params, date_stamp, scope);

  result->authorization = g_strdup_printf (TESSERA_SIGV4_ALGORITHM
                                           " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                                           params->access_key_id, scope,
                                           result->signed_headers, result->signature);

  return g_steal_pointer (&result);
}

static void
append_query_param (GString    *query,
                    const char *name,
                    const char *value)
{
  if (query->len > 0)
    g_string_append_c (query, '&');
  g_string_append (query, name);
  g_string_append_c (query, '=');
  append_uri_encoded (query, value, strlen (value), TRUE);
}

/**
 * tessera_sigv4_presign:
 *
 * Returns: (transfer full): the signed query in @query
 */
TesseraSigv4Result *
tessera_sigv4_presign (TesseraSigv4Request      *request,
                       const TesseraSigv4Params *params,
                       guint                     expires_seconds)
{
  g_autoptr(TesseraSigv4Result) result = NULL;
  g_autoptr(GPtrArray) headers = NULL;
  g_autoptr(GString) query = NULL;
  g_autofree char *date_stamp = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *credential = NULL;
  g_autofree char *expires = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *canonical_query = NULL;
  g_autofree char *canonical_headers = NULL;
  gboolean sign_token;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (params_are_valid (params), NULL);
  g_return_val_if_fail (expires_seconds >= 1 && expires_seconds <= TESSERA_SIGV4_MAX_EXPIRES, NULL);

  result = g_new0 (TesseraSigv4Result, 1);
  params_dup_stamps (params, &result->amz_date, &date_stamp);
  scope = tessera_sigv4_credential_scope (date_stamp, params->region, params->service);
  credential = g_strconcat (params->access_key_id, "/", scope, NULL);
  expires = g_strdup_printf ("%u", expires_seconds);
  sign_token = params->session_token != NULL
               && !(params->flags & TESSERA_SIGV4_OMIT_SESSION_TOKEN);

  headers = canon_headers_from_request (request, FALSE);
  canon_headers_format (headers, &canonical_headers, &result->signed_headers);

  /* The order AWS's SDKs write them in; the canonical query sorts anyway. */
  query = g_string_new (request->query);
  append_query_param (query, "X-Amz-Algorithm", TESSERA_SIGV4_ALGORITHM);
  append_query_param (query, "X-Amz-Credential", credential);
  append_query_param (query, "X-Amz-Date", result->amz_date);
  append_query_param (query, "X-Amz-SignedHeaders", result->signed_headers);
  append_query_param (query, "X-Amz-Expires", expires);
  if (sign_token)
    append_query_param (query, "X-Amz-Security-Token", params->session_token);

  uri = tessera_sigv4_canonical_uri (request->path, params->flags);
  if (request->query[0] == '\0')
    {
      /* Only our parameters, already encoded as the canonical query
       * encodes them: it is them in name order, without a parse and sort. */
      GString *sorted = g_string_sized_new (query->len);

      append_query_param (sorted, "X-Amz-Algorithm", TESSERA_SIGV4_ALGORITHM);
      append_query_param (sorted, "X-Amz-Credential", credential);
      append_query_param (sorted, "X-Amz-Date", result->amz_date);
      append_query_param (sorted, "X-Amz-Expires", expires);
      if (sign_token)
        append_query_param (sorted, "X-Amz-Security-Token", params->session_token);
      append_query_param (sorted, "X-Amz-SignedHeaders", result->signed_headers);
      canonical_query = g_string_free (sorted, FALSE);
    }
  else
    canonical_query = tessera_sigv4_canonical_query (query->str);
  result->canonical_request = join_canonical_request (request->method, uri, canonical_query,
                                                      canonical_headers,
                                                      result->signed_headers,
                                                      request->payload_hash);
  sign_canonical_request (result, params, date_stamp, scope);

  if (params->session_token != NULL && !sign_token)
    append_query_param (query, "X-Amz-Security-Token", params->session_token);
  append_query_param (query, "X-Amz-Signature", result->signature);
  result->query = g_string_free (g_steal_pointer (&query), FALSE);

  return g_steal_pointer (&result);
}

/* The common case without a URI parser: `http[s]://name[:port]/path` with
 * a lower-case host name or IPv4 address, a port without leading zeros and
 * a path of unreserved characters, `/` and `%XX` (an encoded key), no
 * query. Anything else (IPv6, user info, upper case...) goes through GUri.
 * Sets @scheme_length, @host (as the client sends it: no default port) and
 * @path (in @url). */
static gboolean
split_simple_url (const char  *url,
                  gsize       *scheme_length,
                  char       **host,
                  const char **path)
{
  const char *authority;
  const char *colon = NULL;
  const char *p;
  gboolean https;

  if (g_str_has_prefix (url, "http://"))
    https = FALSE;
  else if (g_str_has_prefix (url, "https://"))
    https = TRUE;
  else
    return FALSE;

  authority = url + (https ? strlen ("https://") : strlen ("http://"));
  for (p = authority; *p != '/'; p++)
    {
      if (*p == ':' && colon == NULL && p > authority)
        colon = p;
      else if (colon != NULL ? !g_ascii_isdigit (*p)
                             : !(g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '.' || *p == '-'))
        return FALSE;
    }
  if (p == authority || (colon != NULL && (p - colon < 2 || colon[1] == '0')))
    return FALSE;

  *path = p;
  for (; *p != '\0'; p++)
    if (!(is_unreserved ((guchar) *p) || *p == '/' ||
          (*p == '%' && g_ascii_isxdigit (p[1]) && g_ascii_isxdigit (p[2]))))
      return FALSE;

  *scheme_length = https ? strlen ("https") : strlen ("http");
  if (colon != NULL &&
      ((!https && *path - colon == 3 && strncmp (colon, ":80", 3) == 0) ||
       (https && *path - colon == 4 && strncmp (colon, ":443", 4) == 0)))
    *host = g_strndup (authority, colon - authority);
  else
    *host = g_strndup (authority, *path - authority);

  return TRUE;
}

/**
 * tessera_sigv4_presign_url:
 *
 * Returns: (transfer full) (nullable): the pre-signed URL
 */
char *
tessera_sigv4_presign_url (const char                *method,
                           const char                *url,
                           const TesseraSigv4Params  *params,
                           guint                      expires_seconds,
                           GError                   **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(TesseraSigv4Request) request = NULL;
  g_autoptr(TesseraSigv4Result) result = NULL;
  g_autofree char *name = NULL;
  g_autofree char *host = NULL;
  const char *scheme;
  const char *path;
  int port;

  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (params_are_valid (params), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (expires_seconds < 1 || expires_seconds > TESSERA_SIGV4_MAX_EXPIRES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "A pre-signed URL lives 1 to %d seconds, not %u",
                   TESSERA_SIGV4_MAX_EXPIRES, expires_seconds);
      return NULL;
    }

  {
    gsize scheme_length;
    const char *simple_path;

    /* Every URL of a listing takes this path: ~150 per page. */
    if (split_simple_url (url, &scheme_length, &host, &simple_path))
      {
        request = tessera_sigv4_request_new (method, simple_path, NULL);
        tessera_sigv4_request_add_header (request, "Host", host);
        if (params->flags & TESSERA_SIGV4_S3_URI)
          tessera_sigv4_request_set_payload_hash (request, TESSERA_SIGV4_UNSIGNED_PAYLOAD);
        result = tessera_sigv4_presign (request, params, expires_seconds);

        return g_strdup_printf ("%.*s://%s%s?%s", (int) scheme_length, url, host,
                                request->path, result->query);
      }
  }

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, error);
  if (uri == NULL)
    return NULL;

  if (g_uri_get_host (uri) == NULL)
    {
      g_set_error (error, G_URI_ERROR, G_URI_ERROR_BAD_HOST, "No host in %s", url);
      return NULL;
    }

  /* Host as the client will send it: the port only when not the default. */
  scheme = g_uri_get_scheme (uri);
  port = g_uri_get_port (uri);
  name = strchr (g_uri_get_host (uri), ':') != NULL
         ? g_strdup_printf ("[%s]", g_uri_get_host (uri))
         : g_strdup (g_uri_get_host (uri));
  if (port < 0
      || (g_ascii_strcasecmp (scheme, "http") == 0 && port == 80)
      || (g_ascii_strcasecmp (scheme, "https") == 0 && port == 443))
    host = g_steal_pointer (&name);
  else
    host = g_strdup_printf ("%s:%d", name, port);

  path = g_uri_get_path (uri);
  request = tessera_sigv4_request_new (method, path[0] != '\0' ? path : "/", g_uri_get_query (uri));
  tessera_sigv4_request_add_header (request, "Host", host);
  if (params->flags & TESSERA_SIGV4_S3_URI)
    tessera_sigv4_request_set_payload_hash (request, TESSERA_SIGV4_UNSIGNED_PAYLOAD);

  result = tessera_sigv4_presign (request, params, expires_seconds);

  return g_strdup_printf ("%s://%s%s?%s", scheme, host, request->path, result->query);
}

/* Verifying a pre-signed request */

typedef struct
{
  const char *names[6];
  char       *values[6];
  gboolean    repeated;
} AuthParams;

enum {
  AUTH_ALGORITHM,
  AUTH_CREDENTIAL,
  AUTH_DATE,
  AUTH_EXPIRES,
  AUTH_SIGNED_HEADERS,
  AUTH_SIGNATURE,
};

static gboolean
auth_params_collect (const char *name,
                     const char *value,
                     gpointer    user_data)
{
  AuthParams *auth = user_data;

  for (guint i = 0; i < G_N_ELEMENTS (auth->names); i++)
    {
      if (!g_str_equal (name, auth->names[i]))
        continue;

      if (auth->values[i] != NULL)
        auth->repeated = TRUE;
      else
        auth->values[i] = g_strdup (value);
    }

  return TRUE;
}

static void
auth_params_clear (AuthParams *auth)
{
  for (guint i = 0; i < G_N_ELEMENTS (auth->values); i++)
    g_clear_pointer (&auth->values[i], g_free);
}

/* Parses `key/date/region/service/aws4_request` and checks the scope against
 * what this endpoint expects; the messages are S3's. */
static gboolean
check_credential (const char         *credential,
                  const char         *amz_date,
                  const char         *region,
                  GStrv              *parts_out,
                  TesseraSigv4Error   code,
                  GError            **error)
{
  g_auto(GStrv) parts = g_strsplit (credential, "/", -1);

  if (g_strv_length (parts) != 5 || parts[0][0] == '\0')
    {
      g_set_error (error, TESSERA_SIGV4_ERROR, code,
                   "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
                   "expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
      return FALSE;
    }

  if (strlen (amz_date) < 8 || strncmp (parts[1], amz_date, 8) != 0 || strlen (parts[1]) != 8)
    {
      g_set_error (error, TESSERA_SIGV4_ERROR, code,
                   "Invalid credential date \"%s\". This date is not the same as X-Amz-Date: \"%.8s\".",
                   parts[1], amz_date);
      return FALSE;
    }

  if (!g_str_equal (parts[2], region))
    {
      g_set_error (error, TESSERA_SIGV4_ERROR, code,
                   "Error parsing the X-Amz-Credential parameter; the region '%s' is wrong; "
                   "expecting '%s'", parts[2], region);
      return FALSE;
    }

  if (!g_str_equal (parts[3], "s3"))
    {
      g_set_error (error, TESSERA_SIGV4_ERROR, code,
                   "Error parsing the X-Amz-Credential parameter; incorrect service \"%s\". "
                   "This endpoint belongs to \"s3\".", parts[3]);
      return FALSE;
    }

  if (!g_str_equal (parts[4], TERMINATOR))
    {
      g_set_error (error, TESSERA_SIGV4_ERROR, code,
                   "Error parsing the X-Amz-Credential parameter; incorrect terminal \"%s\". "
                   "This endpoint uses \"" TERMINATOR "\".", parts[4]);
      return FALSE;
    }

  *parts_out = g_steal_pointer (&parts);
  return TRUE;
}

static gboolean
parse_expires (const char *text,
               gint64     *expires)
{
  guint64 value;

  if (text[0] == '\0' || strlen (text) > 10)
    return FALSE;

  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;

  value = g_ascii_strtoull (text, NULL, 10);
  *expires = (gint64) value;
  return TRUE;
}

/* The canonical headers block of exactly the headers a signer listed, in its
 * order. A listed header the request lacks signs as empty, so cannot match. */
static char *
canonical_headers_listed (TesseraSigv4Request *request,
                          const char * const  *names)
{
  GString *block = g_string_new (NULL);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *value = tessera_sigv4_request_dup_header (request, names[i]);

      g_string_append_printf (block, "%s:", names[i]);
      if (value != NULL)
        append_header_value (block, value);
      g_string_append_c (block, '\n');
    }

  return g_string_free (block, FALSE);
}

/**
 * tessera_sigv4_verify_presigned:
 *
 * Returns: %TRUE when @request carries a valid, unexpired S3 query signature
 */
gboolean
tessera_sigv4_verify_presigned (TesseraSigv4Request       *request,
                                const char                *region,
                                TesseraSigv4SecretLookup   lookup,
                                gpointer                   user_data,
                                GDateTime                 *now,
                                GError                   **error)
{
  AuthParams auth = {
    .names = { "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
               "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature" },
  };
  g_auto(GStrv) scope_parts = NULL;
  g_auto(GStrv) signed_names = NULL;
  g_autoptr(GDateTime) signed_at = NULL;
  g_autoptr(GDateTime) current = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *canonical_query = NULL;
  g_autofree char *canonical_headers = NULL;
  g_autofree char *canonical_request = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *string_to_sign = NULL;
  g_autofree char *signature = NULL;
  const char *secret;
  gboolean has_host = FALSE;
  gint64 expires = 0;
  gint64 age;
  gboolean ok = FALSE;

  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (region != NULL, FALSE);
  g_return_val_if_fail (lookup != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  query_foreach (request->query, auth_params_collect, &auth);

  for (guint i = 0; i < G_N_ELEMENTS (auth.values); i++)
    {
      if (auth.values[i] == NULL)
        {
          g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                               TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                               "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                               "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                               "and X-Amz-Expires parameters.");
          goto out;
        }
    }

  if (auth.repeated)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                           TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                           "Query-string authentication parameters must appear only once.");
      goto out;
    }

  if (!g_str_equal (auth.values[AUTH_ALGORITHM], TESSERA_SIGV4_ALGORITHM))
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                           TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                           "X-Amz-Algorithm only supports \"" TESSERA_SIGV4_ALGORITHM "\"");
      goto out;
    }

  signed_at = tessera_sigv4_parse_amz_date (auth.values[AUTH_DATE]);
  if (signed_at == NULL)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                           TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                           "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
      goto out;
    }

  if (!parse_expires (auth.values[AUTH_EXPIRES], &expires))
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                           TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                           "X-Amz-Expires should be a number");
      goto out;
    }

  if (expires < 1)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                           TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                           "X-Amz-Expires must be greater than 0");
      goto out;
    }

  if (expires > TESSERA_SIGV4_MAX_EXPIRES)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                           TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                           "X-Amz-Expires must be less than a week (in seconds) that is 604800");
      goto out;
    }

  if (!check_credential (auth.values[AUTH_CREDENTIAL], auth.values[AUTH_DATE], region,
                         &scope_parts, TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                         error))
    goto out;

  signed_names = g_strsplit (auth.values[AUTH_SIGNED_HEADERS], ";", -1);
  for (guint i = 0; signed_names[i] != NULL; i++)
    has_host |= g_str_equal (signed_names[i], "host");
  if (!has_host)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                           TESSERA_SIGV4_ERROR_AUTHORIZATION_QUERY_PARAMETERS,
                           "Query-string authentication requires the host header to be signed.");
      goto out;
    }

  secret = lookup (scope_parts[0], user_data);
  if (secret == NULL)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                           TESSERA_SIGV4_ERROR_INVALID_ACCESS_KEY_ID, MSG_UNKNOWN_KEY);
      goto out;
    }

  current = now != NULL ? g_date_time_ref (now) : g_date_time_new_now_utc ();
  age = g_date_time_difference (current, signed_at) / G_TIME_SPAN_SECOND;
  if (age > expires)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                           TESSERA_SIGV4_ERROR_EXPIRED, "Request has expired");
      goto out;
    }
  if (age < -CLOCK_SKEW_SECONDS)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                           TESSERA_SIGV4_ERROR_ACCESS_DENIED, "Request is not valid yet");
      goto out;
    }

  canonical_headers = canonical_headers_listed (request, (const char * const *) signed_names);
  uri = tessera_sigv4_canonical_uri (request->path, TESSERA_SIGV4_S3_URI);
  canonical_query = canonical_query_skipping (request->query, "X-Amz-Signature");
  canonical_request = join_canonical_request (request->method, uri, canonical_query,
                                              canonical_headers,
                                              auth.values[AUTH_SIGNED_HEADERS],
                                              TESSERA_SIGV4_UNSIGNED_PAYLOAD);
  scope = tessera_sigv4_credential_scope (scope_parts[1], scope_parts[2], scope_parts[3]);
  string_to_sign = tessera_sigv4_string_to_sign (auth.values[AUTH_DATE], scope, canonical_request);
  key = tessera_sigv4_signing_key (secret, scope_parts[1], scope_parts[2], scope_parts[3]);
  signature = tessera_sigv4_signature (key, string_to_sign);

  if (!tessera_sigv4_secure_equal (signature, auth.values[AUTH_SIGNATURE]))
    {
      g_debug ("Pre-signed signature mismatch; canonical request was:\n%s", canonical_request);
      g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                           TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH, MSG_SIGNATURE_MISMATCH);
      goto out;
    }

  ok = TRUE;

out:
  auth_params_clear (&auth);
  return ok;
}

/* POST policy: signing */

static char *
format_policy_expiration (GDateTime *time)
{
  g_autofree char *seconds = g_date_time_format (time, "%Y-%m-%dT%H:%M:%S");

  return g_strdup_printf ("%s.%03dZ", seconds, g_date_time_get_microsecond (time) / 1000);
}

static char *
hmac_hex (GBytes     *key,
          const char *data)
{
  g_autoptr(GBytes) digest = hmac_sha256_bytes (key, data);

  return hex_encode (digest);
}

/**
 * tessera_sigv4_post_policy_sign:
 *
 * Returns: (transfer full): the form fields, `file` excepted
 */
JsonObject *
tessera_sigv4_post_policy_sign (const TesseraSigv4PostPolicy  *policy,
                                const TesseraSigv4Params      *params,
                                char                         **policy_json)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GDateTime) expiration = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autofree char *amz_date = NULL;
  g_autofree char *date_stamp = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *credential = NULL;
  g_autofree char *expiration_text = NULL;
  g_autofree char *json = NULL;
  g_autofree char *encoded = NULL;
  g_autofree char *signature = NULL;
  JsonObject *fields;

  g_return_val_if_fail (policy != NULL, NULL);
  g_return_val_if_fail (policy->bucket != NULL, NULL);
  g_return_val_if_fail (policy->key != NULL, NULL);
  g_return_val_if_fail (policy->min_size >= 0, NULL);
  g_return_val_if_fail (policy->max_size == 0 || policy->max_size >= policy->min_size, NULL);
  g_return_val_if_fail (params_are_valid (params), NULL);

  time = params_dup_time (params);
  expiration = g_date_time_add_seconds (time, policy->expires_seconds);
  expiration_text = format_policy_expiration (expiration);
  amz_date = tessera_sigv4_amz_date (time);
  date_stamp = tessera_sigv4_date_stamp (time);
  scope = tessera_sigv4_credential_scope (date_stamp, params->region, params->service);
  credential = g_strdup_printf ("%s/%s", params->access_key_id, scope);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "expiration");
  json_builder_add_string_value (builder, expiration_text);
  json_builder_set_member_name (builder, "conditions");
  json_builder_begin_array (builder);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "bucket");
  json_builder_add_string_value (builder, policy->bucket);
  json_builder_end_object (builder);

  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "eq");
  json_builder_add_string_value (builder, "$key");
  json_builder_add_string_value (builder, policy->key);
  json_builder_end_array (builder);

  /* A Content-Type in the form needs a condition, or S3 refuses the field. */
  if (policy->content_type_prefix != NULL || policy->content_type != NULL)
    {
      json_builder_begin_array (builder);
      if (policy->content_type_prefix != NULL)
        {
          json_builder_add_string_value (builder, "starts-with");
          json_builder_add_string_value (builder, "$Content-Type");
          json_builder_add_string_value (builder, policy->content_type_prefix);
        }
      else
        {
          json_builder_add_string_value (builder, "eq");
          json_builder_add_string_value (builder, "$Content-Type");
          json_builder_add_string_value (builder, policy->content_type);
        }
      json_builder_end_array (builder);
    }

  if (policy->max_size > 0)
    {
      json_builder_begin_array (builder);
      json_builder_add_string_value (builder, "content-length-range");
      json_builder_add_int_value (builder, policy->min_size);
      json_builder_add_int_value (builder, policy->max_size);
      json_builder_end_array (builder);
    }

#define ADD_EQ_OBJECT(name, value) \
  G_STMT_START { \
    json_builder_begin_object (builder); \
    json_builder_set_member_name (builder, name); \
    json_builder_add_string_value (builder, value); \
    json_builder_end_object (builder); \
  } G_STMT_END

  ADD_EQ_OBJECT ("x-amz-algorithm", TESSERA_SIGV4_ALGORITHM);
  ADD_EQ_OBJECT ("x-amz-credential", credential);
  ADD_EQ_OBJECT ("x-amz-date", amz_date);
  if (params->session_token != NULL)
    ADD_EQ_OBJECT ("x-amz-security-token", params->session_token);

#undef ADD_EQ_OBJECT

  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, NULL);
  encoded = g_base64_encode ((const guchar *) json, strlen (json));

  key = tessera_sigv4_signing_key (params->secret_access_key, date_stamp,
                                   params->region, params->service);
  signature = hmac_hex (key, encoded);

  fields = json_object_new ();
  json_object_set_string_member (fields, "key", policy->key);
  if (policy->content_type != NULL)
    json_object_set_string_member (fields, "Content-Type", policy->content_type);
  json_object_set_string_member (fields, "x-amz-algorithm", TESSERA_SIGV4_ALGORITHM);
  json_object_set_string_member (fields, "x-amz-credential", credential);
  json_object_set_string_member (fields, "x-amz-date", amz_date);
  if (params->session_token != NULL)
    json_object_set_string_member (fields, "x-amz-security-token", params->session_token);
  json_object_set_string_member (fields, "policy", encoded);
  json_object_set_string_member (fields, "x-amz-signature", signature);

  if (policy_json != NULL)
    *policy_json = g_steal_pointer (&json);

  return fields;
}

/* POST policy: verifying */

struct _TesseraSigv4PostForm
{
  char      *bucket;
  GPtrArray *fields;          /* of Field, as submitted */
  gboolean   verified;
  gboolean   has_range;
  gint64     min_size;
  gint64     max_size;
};

/**
 * tessera_sigv4_post_form_new:
 *
 * Returns: (transfer full): an empty form for an upload to @bucket
 */
TesseraSigv4PostForm *
tessera_sigv4_post_form_new (const char *bucket)
{
  TesseraSigv4PostForm *form;

  g_return_val_if_fail (bucket != NULL, NULL);

  form = g_new0 (TesseraSigv4PostForm, 1);
  form->bucket = g_strdup (bucket);
  form->fields = g_ptr_array_new_with_free_func (field_free);
  return form;
}

void
tessera_sigv4_post_form_free (TesseraSigv4PostForm *form)
{
  if (form == NULL)
    return;

  g_free (form->bucket);
  g_ptr_array_unref (form->fields);
  g_free (form);
}

void
tessera_sigv4_post_form_add_field (TesseraSigv4PostForm *form,
                                   const char           *name,
                                   const char           *value)
{
  g_return_if_fail (form != NULL);
  g_return_if_fail (name != NULL);

  g_ptr_array_add (form->fields, field_new (name, value));
  form->verified = FALSE;
}

const char *
tessera_sigv4_post_form_get_field (TesseraSigv4PostForm *form,
                                   const char           *name)
{
  g_return_val_if_fail (form != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < form->fields->len; i++)
    {
      const Field *field = g_ptr_array_index (form->fields, i);

      if (g_ascii_strcasecmp (field->name, name) == 0)
        return field->value;
    }

  return NULL;
}

static gboolean
is_base64 (const char *text)
{
  gsize length = strlen (text);

  if (length == 0 || length % 4 != 0)
    return FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (g_ascii_isalnum (c) || c == '+' || c == '/')
        continue;
      /* Padding, only at the end. */
      if (c == '=' && (i >= length - 2) && (i == length - 1 || text[length - 1] == '='))
        continue;
      return FALSE;
    }

  return TRUE;
}

/* S3 quotes a failed condition in its own layout. */
static char *
format_condition (const char *op,
                  const char *field,
                  const char *value)
{
  return g_strdup_printf ("[\"%s\", \"$%s\", \"%s\"]", op, field, value);
}

static gboolean
fail_condition (const char  *op,
                const char  *field,
                const char  *value,
                GError     **error)
{
  g_autofree char *condition = format_condition (op, field, value);

  g_set_error (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_ACCESS_DENIED,
               "Invalid according to Policy: Policy Condition failed: %s", condition);
  return FALSE;
}

static gboolean
invalid_condition (JsonNode  *node,
                   GError   **error)
{
  g_autofree char *text = json_to_string (node, FALSE);

  g_set_error (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_INVALID_POLICY_DOCUMENT,
               "Invalid Policy: Invalid Condition: %s", text);
  return FALSE;
}

/* The value a condition on @field is checked against: the URL's bucket for
 * `bucket`, else the form field ("" when absent, as S3 does). */
static const char *
condition_subject (TesseraSigv4PostForm *form,
                   const char           *field)
{
  const char *value;

  if (g_ascii_strcasecmp (field, "bucket") == 0)
    return form->bucket;

  value = tessera_sigv4_post_form_get_field (form, field);
  return value != NULL ? value : "";
}

static const char *
string_element (JsonArray *array,
                guint      index)
{
  JsonNode *node = json_array_get_element (array, index);

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static gboolean
int_element (JsonArray *array,
             guint      index,
             gint64    *value)
{
  JsonNode *node = json_array_get_element (array, index);
  const char *text;
  char *end = NULL;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;

  if (json_node_get_value_type (node) == G_TYPE_INT64)
    {
      *value = json_node_get_int (node);
      return TRUE;
    }

  /* S3 takes numbers written as strings too. */
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    return FALSE;

  text = json_node_get_string (node);
  if (text[0] == '\0')
    return FALSE;
  *value = g_ascii_strtoll (text, &end, 10);
  return *end == '\0';
}

/* S3 reads a Content-Type holding commas as a list, each of whose values
 * must match: otherwise `image/png,text/html` would pass `image/`, and a
 * browser takes the last type of such a header. */
static gboolean
starts_with (const char *field,
             const char *value,
             const char *prefix)
{
  g_auto(GStrv) values = NULL;

  if (g_ascii_strcasecmp (field, "Content-Type") != 0 || strchr (value, ',') == NULL)
    return g_str_has_prefix (value, prefix);

  values = g_strsplit (value, ",", -1);
  for (guint i = 0; values[i] != NULL; i++)
    if (!g_str_has_prefix (g_strstrip (values[i]), prefix))
      return FALSE;

  return TRUE;
}

static gboolean
check_condition (TesseraSigv4PostForm  *form,
                 JsonNode              *node,
                 GHashTable            *covered,
                 GError               **error)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (object);

      if (members == NULL)
        return invalid_condition (node, error);

      for (const GList *l = members; l != NULL; l = l->next)
        {
          const char *name = l->data;
          JsonNode *value = json_object_get_member (object, name);
          const char *expected;

          if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
            return invalid_condition (node, error);

          expected = json_node_get_string (value);
          g_hash_table_add (covered, g_ascii_strdown (name, -1));
          if (!g_str_equal (condition_subject (form, name), expected))
            return fail_condition ("eq", name, expected, error);
        }

      return TRUE;
    }

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      const char *op;
      const char *field;
      const char *expected;

      if (json_array_get_length (array) != 3 || (op = string_element (array, 0)) == NULL)
        return invalid_condition (node, error);

      if (g_ascii_strcasecmp (op, "content-length-range") == 0)
        {
          gint64 min, max;

          if (!int_element (array, 1, &min) || !int_element (array, 2, &max)
              || min < 0 || max < min)
            return invalid_condition (node, error);

          /* Several ranges all apply. */
          form->min_size = form->has_range ? MAX (form->min_size, min) : min;
          form->max_size = form->has_range ? MIN (form->max_size, max) : max;
          form->has_range = TRUE;
          return TRUE;
        }

      field = string_element (array, 1);
      expected = string_element (array, 2);
      if (field == NULL || expected == NULL || field[0] != '$' || field[1] == '\0')
        return invalid_condition (node, error);
      field++;

      if (g_ascii_strcasecmp (op, "eq") == 0)
        {
          g_hash_table_add (covered, g_ascii_strdown (field, -1));
          if (!g_str_equal (condition_subject (form, field), expected))
            return fail_condition ("eq", field, expected, error);
          return TRUE;
        }

      if (g_ascii_strcasecmp (op, "starts-with") == 0)
        {
          g_hash_table_add (covered, g_ascii_strdown (field, -1));
          if (!starts_with (field, condition_subject (form, field), expected))
            return fail_condition ("starts-with", field, expected, error);
          return TRUE;
        }

      return invalid_condition (node, error);
    }

  return invalid_condition (node, error);
}

static gboolean
is_exempt_field (const char *name)
{
  return g_ascii_strcasecmp (name, "policy") == 0
         || g_ascii_strcasecmp (name, "x-amz-signature") == 0
         || g_ascii_strcasecmp (name, "file") == 0
         || g_ascii_strncasecmp (name, "x-ignore-", strlen ("x-ignore-")) == 0;
}

static gboolean
check_fields_once (TesseraSigv4PostForm  *form,
                   GError               **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < form->fields->len; i++)
    {
      const Field *field = g_ptr_array_index (form->fields, i);
      char *lower = g_ascii_strdown (field->name, -1);

      if (!g_hash_table_add (seen, lower))
        {
          g_set_error (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_INVALID_ARGUMENT,
                       "POST requires exactly one '%s' field per request.", field->name);
          return FALSE;
        }
    }

  return TRUE;
}

static const char *
require_field (TesseraSigv4PostForm  *form,
               const char            *name,
               GError               **error)
{
  const char *value = tessera_sigv4_post_form_get_field (form, name);

  if (value == NULL || value[0] == '\0')
    g_set_error (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_INVALID_ARGUMENT,
                 "Bucket POST must contain a field named '%s'.  "
                 "If it is specified, please check the order of the fields.", name);

  return value != NULL && value[0] != '\0' ? value : NULL;
}

gboolean
tessera_sigv4_post_form_verify (TesseraSigv4PostForm      *form,
                                const char                *region,
                                TesseraSigv4SecretLookup   lookup,
                                gpointer                   user_data,
                                GDateTime                 *now,
                                GError                   **error)
{
  static const char * const required[] = {
    "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "policy", "key",
  };
  const char *values[G_N_ELEMENTS (required)];
  const char *algorithm, *credential, *amz_date, *signature_sent, *policy;
  g_auto(GStrv) scope_parts = NULL;
  g_autoptr(GDateTime) signed_at = NULL;
  g_autoptr(GDateTime) current = NULL;
  g_autoptr(GDateTime) expiration = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GHashTable) covered = NULL;
  g_autofree guchar *json = NULL;
  g_autofree char *signature = NULL;
  JsonObject *document;
  JsonNode *root;
  JsonNode *conditions;
  JsonNode *expiration_node;
  const char *expiration_text;
  const char *secret;
  gsize json_length = 0;

  g_return_val_if_fail (form != NULL, FALSE);
  g_return_val_if_fail (region != NULL, FALSE);
  g_return_val_if_fail (lookup != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  form->verified = FALSE;
  form->has_range = FALSE;
  form->min_size = form->max_size = 0;

  if (!check_fields_once (form, error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (required); i++)
    if ((values[i] = require_field (form, required[i], error)) == NULL)
      return FALSE;

  algorithm = values[0];
  credential = values[1];
  amz_date = values[2];
  signature_sent = values[3];
  policy = values[4];

  if (!g_str_equal (algorithm, TESSERA_SIGV4_ALGORITHM))
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_INVALID_ARGUMENT,
                           "X-Amz-Algorithm only supports \"" TESSERA_SIGV4_ALGORITHM "\"");
      return FALSE;
    }

  signed_at = tessera_sigv4_parse_amz_date (amz_date);
  if (signed_at == NULL)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_INVALID_ARGUMENT,
                           "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
      return FALSE;
    }

  if (!check_credential (credential, amz_date, region, &scope_parts,
                         TESSERA_SIGV4_ERROR_INVALID_ARGUMENT, error))
    return FALSE;

  secret = lookup (scope_parts[0], user_data);
  if (secret == NULL)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                           TESSERA_SIGV4_ERROR_INVALID_ACCESS_KEY_ID, MSG_UNKNOWN_KEY);
      return FALSE;
    }

  /* The signature covers the policy exactly as sent, before any decoding. */
  key = tessera_sigv4_signing_key (secret, scope_parts[1], scope_parts[2], scope_parts[3]);
  signature = hmac_hex (key, policy);
  if (!tessera_sigv4_secure_equal (signature, signature_sent))
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR,
                           TESSERA_SIGV4_ERROR_SIGNATURE_DOES_NOT_MATCH, MSG_SIGNATURE_MISMATCH);
      return FALSE;
    }

  if (!is_base64 (policy))
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_INVALID_POLICY_DOCUMENT,
                           "Invalid Policy: Invalid Base64 Encoding.");
      return FALSE;
    }

  json = g_base64_decode (policy, &json_length);
  parser = json_parser_new ();
  if (!g_utf8_validate ((const char *) json, json_length, NULL)
      || !json_parser_load_from_data (parser, (const char *) json, json_length, NULL)
      || (root = json_parser_get_root (parser)) == NULL
      || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_INVALID_POLICY_DOCUMENT,
                           "Invalid Policy: Invalid JSON.");
      return FALSE;
    }

  document = json_node_get_object (root);

  expiration_node = json_object_get_member (document, "expiration");
  if (expiration_node == NULL || !JSON_NODE_HOLDS_VALUE (expiration_node)
      || json_node_get_value_type (expiration_node) != G_TYPE_STRING)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_INVALID_POLICY_DOCUMENT,
                           "Invalid Policy: Policy missing expiration.");
      return FALSE;
    }

  expiration_text = json_node_get_string (expiration_node);
  expiration = g_date_time_new_from_iso8601 (expiration_text, NULL);
  if (expiration == NULL)
    {
      g_set_error (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_INVALID_POLICY_DOCUMENT,
                   "Invalid Policy: Invalid 'expiration' value: '%s'", expiration_text);
      return FALSE;
    }

  conditions = json_object_get_member (document, "conditions");
  if (conditions == NULL || !JSON_NODE_HOLDS_ARRAY (conditions))
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_INVALID_POLICY_DOCUMENT,
                           "Invalid Policy: Policy missing conditions.");
      return FALSE;
    }

  current = now != NULL ? g_date_time_ref (now) : g_date_time_new_now_utc ();
  if (g_date_time_compare (current, expiration) >= 0)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_EXPIRED,
                           "Invalid according to Policy: Policy expired.");
      return FALSE;
    }

  covered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  {
    JsonArray *array = json_node_get_array (conditions);

    for (guint i = 0; i < json_array_get_length (array); i++)
      if (!check_condition (form, json_array_get_element (array, i), covered, error))
        return FALSE;
  }

  /* S3 refuses any field the policy does not speak of. */
  for (guint i = 0; i < form->fields->len; i++)
    {
      const Field *field = g_ptr_array_index (form->fields, i);
      g_autofree char *lower = g_ascii_strdown (field->name, -1);

      if (is_exempt_field (field->name) || g_hash_table_contains (covered, lower))
        continue;

      g_set_error (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_ACCESS_DENIED,
                   "Invalid according to Policy: Extra input fields: %s", field->name);
      return FALSE;
    }

  form->verified = TRUE;
  return TRUE;
}

gboolean
tessera_sigv4_post_form_get_length_range (TesseraSigv4PostForm *form,
                                          gint64               *min_size,
                                          gint64               *max_size)
{
  g_return_val_if_fail (form != NULL, FALSE);
  g_return_val_if_fail (form->verified, FALSE);

  if (min_size != NULL)
    *min_size = form->min_size;
  if (max_size != NULL)
    *max_size = form->max_size;

  return form->has_range;
}

gboolean
tessera_sigv4_post_form_check_size (TesseraSigv4PostForm  *form,
                                    gint64                 size,
                                    GError               **error)
{
  g_return_val_if_fail (form != NULL, FALSE);
  g_return_val_if_fail (form->verified, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!form->has_range)
    return TRUE;

  if (size > form->max_size)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_ENTITY_TOO_LARGE,
                           "Your proposed upload exceeds the maximum allowed size");
      return FALSE;
    }

  if (size < form->min_size)
    {
      g_set_error_literal (error, TESSERA_SIGV4_ERROR, TESSERA_SIGV4_ERROR_ENTITY_TOO_SMALL,
                           "Your proposed upload is smaller than the minimum allowed size");
      return FALSE;
    }

  return TRUE;
}
