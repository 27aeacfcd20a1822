/* tessera-image-index.h: where images and their tags are recorded
 * (SQLite locally, DynamoDB on AWS)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "tessera-image-record.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_IMAGE_INDEX (tessera_image_index_get_type ())

G_DECLARE_INTERFACE (TesseraImageIndex, tessera_image_index, TESSERA, IMAGE_INDEX, GObject)

typedef enum
{
  TESSERA_TAG_MATCH_ALL,
  TESSERA_TAG_MATCH_ANY,
} TesseraTagMatch;

/* One page of a listing, newest first. The cursor of the next page is the
 * (created_at, id) of the last image of this one. */
typedef struct
{
  const char          *owner;
  const char * const  *tags;        /* normalised; NULL or empty for no filter */
  TesseraTagMatch      match;
  gboolean             untagged;    /* only images with no tag at all */
  gboolean             trashed;     /* the trash instead of the gallery */
  guint                limit;       /* 1 .. 100 */
  gint64               after_created_at;  /* 0 for the first page */
  const char          *after_id;
} TesseraImageQuery;

struct _TesseraImageIndexInterface
{
  GTypeInterface parent_iface;

  gboolean             (*insert)             (TesseraImageIndex         *self,
                                              const TesseraImageRecord  *record,
                                              GError                   **error);
  TesseraImageRecord  *(*get)                (TesseraImageIndex         *self,
                                              const char                *owner,
                                              const char                *id,
                                              GError                   **error);
  TesseraImageRecord  *(*find_by_sha256)     (TesseraImageIndex         *self,
                                              const char                *owner,
                                              const char                *sha256,
                                              GError                   **error);
  GPtrArray           *(*list)               (TesseraImageIndex         *self,
                                              const TesseraImageQuery   *query,
                                              gboolean                  *more,
                                              GError                   **error);
  gboolean             (*update_tags)        (TesseraImageIndex         *self,
                                              const char                *owner,
                                              const char                *id,
                                              const char * const        *add,
                                              const char * const        *remove,
                                              GError                   **error);
  gboolean             (*set_status)         (TesseraImageIndex         *self,
                                              const char                *owner,
                                              const char                *id,
                                              TesseraImageStatus         status,
                                              const char                *failure_reason,
                                              GError                   **error);
  gboolean             (*store_result)       (TesseraImageIndex         *self,
                                              const TesseraImageRecord  *record,
                                              GError                   **error);
  gboolean             (*set_trashed)        (TesseraImageIndex         *self,
                                              const char                *owner,
                                              const char                *id,
                                              gint64                     trashed_at,
                                              GError                   **error);
  gboolean             (*remove)             (TesseraImageIndex         *self,
                                              const char                *owner,
                                              const char                *id,
                                              GError                   **error);
  GPtrArray           *(*list_expired_trash) (TesseraImageIndex         *self,
                                              gint64                     trashed_before,
                                              guint                      limit,
                                              GError                   **error);
  GPtrArray           *(*tag_counts)         (TesseraImageIndex         *self,
                                              const char                *owner,
                                              GError                   **error);
};

/* Every call fails with TESSERA_ERROR_NOT_FOUND for an id that @owner does
 * not own, exactly as for one that does not exist. */
gboolean            tessera_image_index_insert             (TesseraImageIndex         *self,
                                                            const TesseraImageRecord  *record,
                                                            GError                   **error);
TesseraImageRecord *tessera_image_index_get                (TesseraImageIndex         *self,
                                                            const char                *owner,
                                                            const char                *id,
                                                            GError                   **error);
/* Returns NULL and no error when @owner has no live (untrashed, not failed)
 * image with that checksum. */
TesseraImageRecord *tessera_image_index_find_by_sha256     (TesseraImageIndex         *self,
                                                            const char                *owner,
                                                            const char                *sha256,
                                                            GError                   **error);
/* Returns (element-type TesseraImageRecord); @more tells if a next page exists. */
GPtrArray          *tessera_image_index_list               (TesseraImageIndex         *self,
                                                            const TesseraImageQuery   *query,
                                                            gboolean                  *more,
                                                            GError                   **error);
gboolean            tessera_image_index_update_tags        (TesseraImageIndex         *self,
                                                            const char                *owner,
                                                            const char                *id,
                                                            const char * const        *add,
                                                            const char * const        *remove,
                                                            GError                   **error);
gboolean            tessera_image_index_set_status         (TesseraImageIndex         *self,
                                                            const char                *owner,
                                                            const char                *id,
                                                            TesseraImageStatus         status,
                                                            const char                *failure_reason,
                                                            GError                   **error);
/* Writes what processing found: content_type, size, sha256, width, height,
 * status, failure_reason, thumbnail_key, preview_key, labels and metadata replace the
 * stored ones; record->tags are added to the stored tags (a union, so a
 * retried job gives the same result and a person's own tags stay). */
gboolean            tessera_image_index_store_result       (TesseraImageIndex         *self,
                                                            const TesseraImageRecord  *record,
                                                            GError                   **error);
/* @trashed_at 0 restores. */
gboolean            tessera_image_index_set_trashed        (TesseraImageIndex         *self,
                                                            const char                *owner,
                                                            const char                *id,
                                                            gint64                     trashed_at,
                                                            GError                   **error);
gboolean            tessera_image_index_remove             (TesseraImageIndex         *self,
                                                            const char                *owner,
                                                            const char                *id,
                                                            GError                   **error);
/* Returns (element-type TesseraImageRecord): trashed images of any owner
 * whose trashed_at is before @trashed_before. */
GPtrArray          *tessera_image_index_list_expired_trash (TesseraImageIndex         *self,
                                                            gint64                     trashed_before,
                                                            guint                      limit,
                                                            GError                   **error);
/* Returns (element-type TesseraTagCount): tags of @owner's untrashed images,
 * by name. */
GPtrArray          *tessera_image_index_tag_counts         (TesseraImageIndex         *self,
                                                            const char                *owner,
                                                            GError                   **error);

G_END_DECLS
