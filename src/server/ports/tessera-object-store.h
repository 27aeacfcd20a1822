/* tessera-object-store.h: where the bytes live (the local S3 emulation, or S3)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_OBJECT_STORE (tessera_object_store_get_type ())

G_DECLARE_INTERFACE (TesseraObjectStore, tessera_object_store, TESSERA, OBJECT_STORE, GObject)

/* A SigV4 pre-signed POST, the article's `formConfig`. */
typedef struct
{
  char       *upload_url;
  JsonObject *form_fields;   /* in the order a form should send them */
} TesseraPresignedPost;

void tessera_presigned_post_free (TesseraPresignedPost *post);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraPresignedPost, tessera_presigned_post_free)

struct _TesseraObjectStoreInterface
{
  GTypeInterface parent_iface;

  TesseraPresignedPost *(*presign_post) (TesseraObjectStore  *self,
                                         const char          *key,
                                         const char          *content_type,
                                         gint64               max_size,
                                         guint                expires_seconds,
                                         GError             **error);
  char                 *(*presign_get)  (TesseraObjectStore  *self,
                                         const char          *key,
                                         guint                expires_seconds,
                                         GError             **error);
  GFile                *(*fetch)        (TesseraObjectStore  *self,
                                         const char          *key,
                                         GCancellable        *cancellable,
                                         GError             **error);
  void                  (*release)      (TesseraObjectStore  *self,
                                         GFile               *file);
  gboolean              (*put_file)     (TesseraObjectStore  *self,
                                         const char          *key,
                                         GFile               *source,
                                         const char          *content_type,
                                         GCancellable        *cancellable,
                                         GError             **error);
  gboolean              (*remove)       (TesseraObjectStore  *self,
                                         const char          *key,
                                         GError             **error);
};

/* A form bound to exactly @key, 1 byte .. @max_size, a Content-Type that
 * starts with image/ and an expiry @expires_seconds from now. */
TesseraPresignedPost *tessera_object_store_presign_post (TesseraObjectStore  *self,
                                                         const char          *key,
                                                         const char          *content_type,
                                                         gint64               max_size,
                                                         guint                expires_seconds,
                                                         GError             **error);
/* Returns (transfer full): a pre-signed GET URL of @key. */
char                 *tessera_object_store_presign_get  (TesseraObjectStore  *self,
                                                         const char          *key,
                                                         guint                expires_seconds,
                                                         GError             **error);
/* Returns (transfer full): a local file holding the object's bytes, to read
 * and then hand back to tessera_object_store_release() (a host may have had to
 * download it). G_IO_ERROR_NOT_FOUND when there is no such object. */
GFile                *tessera_object_store_fetch        (TesseraObjectStore  *self,
                                                         const char          *key,
                                                         GCancellable        *cancellable,
                                                         GError             **error);
void                  tessera_object_store_release      (TesseraObjectStore  *self,
                                                         GFile               *file);
/* Stores a copy of @source under @key, atomically. */
gboolean              tessera_object_store_put_file     (TesseraObjectStore  *self,
                                                         const char          *key,
                                                         GFile               *source,
                                                         const char          *content_type,
                                                         GCancellable        *cancellable,
                                                         GError             **error);
/* Removing a missing object succeeds, as on S3. */
gboolean              tessera_object_store_remove       (TesseraObjectStore  *self,
                                                         const char          *key,
                                                         GError             **error);

G_END_DECLS
