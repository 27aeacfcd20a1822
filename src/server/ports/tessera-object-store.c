/* tessera-object-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-ports"

#include "config.h"

#include "tessera-object-store.h"

G_DEFINE_INTERFACE (TesseraObjectStore, tessera_object_store, G_TYPE_OBJECT)

static void
tessera_object_store_default_init (TesseraObjectStoreInterface *iface)
{
}

#define IFACE(self) TESSERA_OBJECT_STORE_GET_IFACE (self)

void
tessera_presigned_post_free (TesseraPresignedPost *post)
{
  if (post == NULL)
    return;

  g_free (post->upload_url);
  g_clear_pointer (&post->form_fields, json_object_unref);
  g_free (post);
}

TesseraPresignedPost *
tessera_object_store_presign_post (TesseraObjectStore  *self,
                                   const char          *key,
                                   const char          *content_type,
                                   gint64               max_size,
                                   guint                expires_seconds,
                                   GError             **error)
{
  g_return_val_if_fail (TESSERA_IS_OBJECT_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (max_size > 0, NULL);

  return IFACE (self)->presign_post (self, key, content_type, max_size, expires_seconds, error);
}

char *
tessera_object_store_presign_get (TesseraObjectStore  *self,
                                  const char          *key,
                                  guint                expires_seconds,
                                  GError             **error)
{
  g_return_val_if_fail (TESSERA_IS_OBJECT_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  return IFACE (self)->presign_get (self, key, expires_seconds, error);
}

GFile *
tessera_object_store_fetch (TesseraObjectStore  *self,
                            const char          *key,
                            GCancellable        *cancellable,
                            GError             **error)
{
  g_return_val_if_fail (TESSERA_IS_OBJECT_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), NULL);

  return IFACE (self)->fetch (self, key, cancellable, error);
}

void
tessera_object_store_release (TesseraObjectStore *self,
                              GFile              *file)
{
  g_return_if_fail (TESSERA_IS_OBJECT_STORE (self));

  if (file != NULL && IFACE (self)->release != NULL)
    IFACE (self)->release (self, file);
}

gboolean
tessera_object_store_put_file (TesseraObjectStore  *self,
                               const char          *key,
                               GFile               *source,
                               const char          *content_type,
                               GCancellable        *cancellable,
                               GError             **error)
{
  g_return_val_if_fail (TESSERA_IS_OBJECT_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (G_IS_FILE (source), FALSE);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), FALSE);

  return IFACE (self)->put_file (self, key, source, content_type, cancellable, error);
}

gboolean
tessera_object_store_remove (TesseraObjectStore  *self,
                             const char          *key,
                             GError             **error)
{
  g_return_val_if_fail (TESSERA_IS_OBJECT_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  return IFACE (self)->remove (self, key, error);
}
