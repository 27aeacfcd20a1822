/* tessera-image-index.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-ports"

#include "config.h"

#include "tessera-image-index.h"

G_DEFINE_INTERFACE (TesseraImageIndex, tessera_image_index, G_TYPE_OBJECT)

static void
tessera_image_index_default_init (TesseraImageIndexInterface *iface)
{
}

#define IFACE(self) TESSERA_IMAGE_INDEX_GET_IFACE (self)

gboolean
tessera_image_index_insert (TesseraImageIndex         *self,
                            const TesseraImageRecord  *record,
                            GError                   **error)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_INDEX (self), FALSE);
  g_return_val_if_fail (record != NULL && record->id != NULL && record->owner != NULL, FALSE);

  return IFACE (self)->insert (self, record, error);
}

TesseraImageRecord *
tessera_image_index_get (TesseraImageIndex  *self,
                         const char         *owner,
                         const char         *id,
                         GError            **error)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_INDEX (self), NULL);
  g_return_val_if_fail (owner != NULL && id != NULL, NULL);

  return IFACE (self)->get (self, owner, id, error);
}

TesseraImageRecord *
tessera_image_index_find_by_sha256 (TesseraImageIndex  *self,
                                    const char         *owner,
                                    const char         *sha256,
                                    GError            **error)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_INDEX (self), NULL);
  g_return_val_if_fail (owner != NULL && sha256 != NULL, NULL);

  return IFACE (self)->find_by_sha256 (self, owner, sha256, error);
}

GPtrArray *
tessera_image_index_list (TesseraImageIndex        *self,
                          const TesseraImageQuery  *query,
                          gboolean                 *more,
                          GError                  **error)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_INDEX (self), NULL);
  g_return_val_if_fail (query != NULL && query->owner != NULL, NULL);
  g_return_val_if_fail (query->limit > 0, NULL);

  return IFACE (self)->list (self, query, more, error);
}

gboolean
tessera_image_index_update_tags (TesseraImageIndex   *self,
                                 const char          *owner,
                                 const char          *id,
                                 const char * const  *add,
                                 const char * const  *remove,
                                 GError             **error)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_INDEX (self), FALSE);
  g_return_val_if_fail (owner != NULL && id != NULL, FALSE);

  return IFACE (self)->update_tags (self, owner, id, add, remove, error);
}

gboolean
tessera_image_index_set_status (TesseraImageIndex   *self,
                                const char          *owner,
                                const char          *id,
                                TesseraImageStatus   status,
                                const char          *failure_reason,
                                GError             **error)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_INDEX (self), FALSE);
  g_return_val_if_fail (owner != NULL && id != NULL, FALSE);

  return IFACE (self)->set_status (self, owner, id, status, failure_reason, error);
}

gboolean
tessera_image_index_store_result (TesseraImageIndex         *self,
                                  const TesseraImageRecord  *record,
                                  GError                   **error)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_INDEX (self), FALSE);
  g_return_val_if_fail (record != NULL && record->id != NULL && record->owner != NULL, FALSE);

  return IFACE (self)->store_result (self, record, error);
}

gboolean
tessera_image_index_set_trashed (TesseraImageIndex  *self,
                                 const char         *owner,
                                 const char         *id,
                                 gint64              trashed_at,
                                 GError            **error)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_INDEX (self), FALSE);
  g_return_val_if_fail (owner != NULL && id != NULL, FALSE);

  return IFACE (self)->set_trashed (self, owner, id, trashed_at, error);
}

gboolean
tessera_image_index_remove (TesseraImageIndex  *self,
                            const char         *owner,
                            const char         *id,
                            GError            **error)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_INDEX (self), FALSE);
  g_return_val_if_fail (owner != NULL && id != NULL, FALSE);

  return IFACE (self)->remove (self, owner, id, error);
}

GPtrArray *
tessera_image_index_list_expired_trash (TesseraImageIndex  *self,
                                        gint64              trashed_before,
                                        guint               limit,
                                        GError            **error)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_INDEX (self), NULL);

  return IFACE (self)->list_expired_trash (self, trashed_before, limit, error);
}

GPtrArray *
tessera_image_index_tag_counts (TesseraImageIndex  *self,
                                const char         *owner,
                                GError            **error)
{
  g_return_val_if_fail (TESSERA_IS_IMAGE_INDEX (self), NULL);
  g_return_val_if_fail (owner != NULL, NULL);

  return IFACE (self)->tag_counts (self, owner, error);
}
