/* tessera-client.h: the Tessera API over libsoup, one async pair per route
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "tessera-image.h"

G_BEGIN_DECLS

#define TESSERA_CLIENT_ERROR (tessera_client_error_quark ())

/**
 * TesseraClientError:
 * @TESSERA_CLIENT_ERROR_OFFLINE: the server could not be reached
 * @TESSERA_CLIENT_ERROR_UNAUTHORIZED: not signed in, wrong password, or the
 *   session expired and could not be renewed
 * @TESSERA_CLIENT_ERROR_FORBIDDEN: the server refused the request (403)
 * @TESSERA_CLIENT_ERROR_NOT_FOUND: no such image (or not yours)
 * @TESSERA_CLIENT_ERROR_CONFLICT: the name or object already exists
 * @TESSERA_CLIENT_ERROR_TOO_LARGE: the file is larger than the server accepts
 * @TESSERA_CLIENT_ERROR_UNSUPPORTED: not an image the server accepts
 * @TESSERA_CLIENT_ERROR_RATE_LIMITED: too many requests; see
 *   tessera_client_error_get_retry_after()
 * @TESSERA_CLIENT_ERROR_INVALID: the server rejected the input (400/422)
 * @TESSERA_CLIENT_ERROR_SERVER: the server failed (5xx) or answered nonsense
 * @TESSERA_CLIENT_ERROR_CANCELLED: the operation was cancelled
 * @TESSERA_CLIENT_ERROR_LOCAL: a local file could not be read or written
 *
 * Every error of the library is in this domain, with a message fit to show
 * a person.
 */
typedef enum
{
  TESSERA_CLIENT_ERROR_OFFLINE,
  TESSERA_CLIENT_ERROR_UNAUTHORIZED,
  TESSERA_CLIENT_ERROR_FORBIDDEN,
  TESSERA_CLIENT_ERROR_NOT_FOUND,
  TESSERA_CLIENT_ERROR_CONFLICT,
  TESSERA_CLIENT_ERROR_TOO_LARGE,
  TESSERA_CLIENT_ERROR_UNSUPPORTED,
  TESSERA_CLIENT_ERROR_RATE_LIMITED,
  TESSERA_CLIENT_ERROR_INVALID,
  TESSERA_CLIENT_ERROR_SERVER,
  TESSERA_CLIENT_ERROR_CANCELLED,
  TESSERA_CLIENT_ERROR_LOCAL,
} TesseraClientError;

GQuark tessera_client_error_quark            (void);
guint  tessera_client_error_get_retry_after  (const GError *error);
guint  tessera_client_error_get_http_status  (const GError *error);

/**
 * TesseraTagCount:
 * @name: the normalised tag name
 * @count: how many of the user's images carry it
 */
typedef struct
{
  char  *name;
  guint  count;
} TesseraTagCount;

#define TESSERA_TYPE_TAG_COUNT (tessera_tag_count_get_type ())
GType            tessera_tag_count_get_type (void) G_GNUC_CONST;
TesseraTagCount *tessera_tag_count_copy     (const TesseraTagCount *self);
void             tessera_tag_count_free     (TesseraTagCount       *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraTagCount, tessera_tag_count_free)

/**
 * TesseraImageQuery:
 * @tags: (nullable): tags to filter by
 * @match_any: %TRUE for images with any of @tags, %FALSE for all of them
 * @untagged: only images without tags
 * @trashed: list the trash instead
 * @limit: page size, 0 for the server's default
 * @cursor: (nullable): the page to continue from
 */
typedef struct
{
  const char * const *tags;
  gboolean            match_any;
  gboolean            untagged;
  gboolean            trashed;
  guint               limit;
  const char         *cursor;
} TesseraImageQuery;

/**
 * TesseraUploadProgressFunc:
 * @sent: bytes of the file sent so far
 * @total: the size of the file
 * @user_data: closure
 *
 * Called on the thread-default main context of the upload while the
 * file is being sent.
 */
typedef void (*TesseraUploadProgressFunc) (goffset  sent,
                                           goffset  total,
                                           gpointer user_data);

#define TESSERA_TYPE_CLIENT (tessera_client_get_type ())

G_DECLARE_FINAL_TYPE (TesseraClient, tessera_client, TESSERA, CLIENT, GObject)

TesseraClient *tessera_client_new                   (const char           *server_url);
const char    *tessera_client_get_server_url        (TesseraClient        *self);
SoupSession   *tessera_client_get_session           (TesseraClient        *self);
gboolean       tessera_client_get_signed_in         (TesseraClient        *self);
const char    *tessera_client_get_username          (TesseraClient        *self);
char          *tessera_client_dup_refresh_token     (TesseraClient        *self);
void           tessera_client_set_session           (TesseraClient        *self,
                                                     const char           *username,
                                                     const char           *refresh_token);
void           tessera_client_forget_session        (TesseraClient        *self);
guint          tessera_client_get_max_retries       (TesseraClient        *self);
void           tessera_client_set_max_retries       (TesseraClient        *self,
                                                     guint                 max_retries);

void           tessera_client_sign_up_async         (TesseraClient        *self,
                                                     const char           *username,
                                                     const char           *password,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean       tessera_client_sign_up_finish        (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);
void           tessera_client_sign_in_async         (TesseraClient        *self,
                                                     const char           *username,
                                                     const char           *password,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean       tessera_client_sign_in_finish        (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);
void           tessera_client_refresh_async         (TesseraClient        *self,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean       tessera_client_refresh_finish        (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);
void           tessera_client_sign_out_async        (TesseraClient        *self,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean       tessera_client_sign_out_finish       (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

void           tessera_client_create_upload_async   (TesseraClient        *self,
                                                     const char           *filename,
                                                     const char           *content_type,
                                                     goffset               size,
                                                     const char           *sha256,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
JsonObject    *tessera_client_create_upload_finish  (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     gboolean             *duplicate,
                                                     GError              **error);
void           tessera_client_list_images_async     (TesseraClient        *self,
                                                     const TesseraImageQuery *query,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
GPtrArray     *tessera_client_list_images_finish    (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     char                **next_cursor,
                                                     GError              **error);
void           tessera_client_get_image_async       (TesseraClient        *self,
                                                     const char           *image_id,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
TesseraImage  *tessera_client_get_image_finish      (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);
void           tessera_client_update_tags_async     (TesseraClient        *self,
                                                     const char           *image_id,
                                                     const char * const   *add_tags,
                                                     const char * const   *remove_tags,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
TesseraImage  *tessera_client_update_tags_finish    (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);
void           tessera_client_delete_image_async    (TesseraClient        *self,
                                                     const char           *image_id,
                                                     gboolean              permanent,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean       tessera_client_delete_image_finish   (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);
void           tessera_client_restore_image_async   (TesseraClient        *self,
                                                     const char           *image_id,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
TesseraImage  *tessera_client_restore_image_finish  (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);
void           tessera_client_list_tags_async       (TesseraClient        *self,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
GPtrArray     *tessera_client_list_tags_finish      (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

void           tessera_client_fetch_async           (TesseraClient        *self,
                                                     const char           *url,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
void           tessera_client_fetch_full_async      (TesseraClient        *self,
                                                     const char           *url,
                                                     int                   io_priority,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
GBytes        *tessera_client_fetch_finish          (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);
void           tessera_client_download_async        (TesseraClient        *self,
                                                     const char           *url,
                                                     GFile                *destination,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean       tessera_client_download_finish       (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

void           tessera_client_upload_file_async     (TesseraClient        *self,
                                                     GFile                *file,
                                                     TesseraUploadProgressFunc progress,
                                                     gpointer              progress_data,
                                                     GDestroyNotify        progress_notify,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
char          *tessera_client_upload_file_finish    (TesseraClient        *self,
                                                     GAsyncResult         *result,
                                                     gboolean             *duplicate,
                                                     GError              **error);

G_END_DECLS
