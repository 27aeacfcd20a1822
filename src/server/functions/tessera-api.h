/* tessera-api.h: the API's functions, as any host calls them
 *
 * A host (tessera-server's gateway, or the Lambda runtime loop) turns what it
 * receives into a TesseraRequest, verifies the bearer token itself (as API
 * Gateway's Cognito authorizer does) and fills in the claims, then calls
 * tessera_api_handle(). Nothing here knows which host runs it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "tessera-image-index.h"
#include "tessera-object-store.h"
#include "tessera-tagger.h"
#include "tessera-user-pool.h"

G_BEGIN_DECLS

typedef struct
{
  char       *method;        /* "GET", ... */
  char       *path;          /* decoded, without the query: "/images/<id>" */
  GHashTable *query;         /* utf8 -> utf8, decoded */
  GHashTable *headers;       /* lower-case name -> value */
  GBytes     *body;          /* may be NULL */
  char       *source_ip;
  /* Set by the host's authorizer when the token verified; NULL otherwise. */
  char       *sub;
  char       *username;
  /* Why the token did not verify, for the 401's message; NULL if there was
   * no token at all. */
  char       *auth_error;
} TesseraRequest;

typedef struct
{
  guint      status;
  GPtrArray *headers;        /* alternating name, value (utf8) */
  char      *body;           /* JSON text, or NULL for no body (204) */
} TesseraResponse;

/* The settings a function reads; a host fills them from its configuration. */
typedef struct
{
  gint64  max_upload_size;      /* bytes, 50 MiB by default */
  guint   upload_expires;       /* seconds a form stays valid, 900 */
  guint   url_expires;          /* seconds a fileUrl/thumbnailUrl stays valid, 3600 */
  gint64  max_pixels;           /* decompression-bomb limit, 100 000 000 */
  gint64  trash_retention_ms;   /* 30 days */
  gsize   max_body_size;        /* a JSON request body, 64 KiB */
  double  tag_threshold;        /* labels at or above become tags */
  guint   debug_delay_ms;       /* test-only: on-object-created sleeps this long
                                 * once the image is `processing`, so a test can
                                 * kill the host mid-job; 0 */
} TesseraApiSettings;

typedef struct
{
  TesseraUserPool    *user_pool;
  TesseraImageIndex  *index;
  TesseraObjectStore *objects;
  TesseraTagger      *tagger;      /* may be NULL: no tagging */
  TesseraApiSettings  settings;
} TesseraApi;

void             tessera_api_settings_init_defaults (TesseraApiSettings *settings);

TesseraRequest  *tessera_request_new         (const char       *method,
                                              const char       *path);
void             tessera_request_free        (TesseraRequest   *request);
const char      *tessera_request_get_header  (TesseraRequest   *request,
                                              const char       *name);
TesseraResponse *tessera_response_new        (guint             status,
                                              char             *body);
TesseraResponse *tessera_response_new_error  (const GError     *error);
void             tessera_response_add_header (TesseraResponse  *response,
                                              const char       *name,
                                              const char       *value);
void             tessera_response_free       (TesseraResponse  *response);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraRequest, tessera_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraResponse, tessera_response_free)

/* Routes @request to its function. Always returns a response: errors become
 * `{"message"}` with their status; every response carries CORS headers. */
TesseraResponse *tessera_api_handle          (TesseraApi       *api,
                                              TesseraRequest   *request);

/* The ObjectCreated handler. @event_json is an S3 event (`{"Records":[...]}`).
 * Returns TRUE when the job is done, including when the image was found bad
 * and marked failed (that is not worth retrying); FALSE with an error when
 * the job should be retried (G_IO_ERROR_CANCELLED when @cancellable was
 * cancelled). Safe to call from several threads at once. The host must have
 * called VIPS_INIT() and should turn off libvips' operation cache
 * (vips_cache_set_max (0)): a re-uploaded object is re-read by the same
 * path, and must not be answered from the cache. */
gboolean         tessera_api_on_object_created (TesseraApi     *api,
                                                const char     *event_json,
                                                GCancellable   *cancellable,
                                                GError        **error);

/* For a host that stops retrying an ObjectCreated job (its dead-letter
 * state): marks the event's images still `uploading` or `processing` as
 * `failed` with a generic reason, so none stays `processing` for ever. */
gboolean         tessera_api_on_object_created_gave_up (TesseraApi   *api,
                                                        const char   *event_json,
                                                        GError      **error);

/* Removes images that have been in the trash longer than the retention,
 * with their objects. Returns how many went. */
guint            tessera_api_purge_trash     (TesseraApi       *api,
                                              gint64            now_ms);

G_END_DECLS
