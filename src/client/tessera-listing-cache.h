/* tessera-listing-cache.h: the last listing of the user's images, on disk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-image.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_LISTING_CACHE (tessera_listing_cache_get_type ())

G_DECLARE_FINAL_TYPE (TesseraListingCache, tessera_listing_cache, TESSERA, LISTING_CACHE, GObject)

typedef struct _TesseraListingSnapshot TesseraListingSnapshot;

TesseraListingSnapshot *tessera_listing_snapshot_new  (void);
void                    tessera_listing_snapshot_add  (TesseraListingSnapshot *snapshot,
                                                       TesseraImage           *image);
void                    tessera_listing_snapshot_free (TesseraListingSnapshot *snapshot);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraListingSnapshot, tessera_listing_snapshot_free)

TesseraListingCache *tessera_listing_cache_new                 (const char          *path);
TesseraListingCache *tessera_listing_cache_new_for_account     (const char          *server_url,
                                                                const char          *username);
const char          *tessera_listing_cache_get_path            (TesseraListingCache *self);
const char          *tessera_listing_cache_get_thumbnail_dir   (TesseraListingCache *self);
void                 tessera_listing_cache_set_thumbnail_dir   (TesseraListingCache *self,
                                                                const char          *thumbnail_dir);
guint                tessera_listing_cache_get_n_images        (TesseraListingCache *self);
gboolean             tessera_listing_cache_load                (TesseraListingCache *self,
                                                                GError             **error);
gboolean             tessera_listing_cache_save                (TesseraListingCache *self,
                                                                GError             **error);
void                 tessera_listing_cache_merge               (TesseraListingCache *self,
                                                                GPtrArray           *images,
                                                                gboolean             complete);
void                 tessera_listing_cache_merge_snapshot      (TesseraListingCache *self,
                                                                TesseraListingSnapshot *snapshot,
                                                                gboolean             complete);
void                 tessera_listing_cache_merge_save_async    (TesseraListingCache *self,
                                                                TesseraListingSnapshot *snapshot,
                                                                gboolean             complete,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
gboolean             tessera_listing_cache_merge_save_finish   (TesseraListingCache *self,
                                                                GAsyncResult        *result,
                                                                GError             **error);
gboolean             tessera_listing_cache_remove              (TesseraListingCache *self,
                                                                const char          *image_id);
gboolean             tessera_listing_cache_lookup              (TesseraListingCache *self,
                                                                const char          *image_id,
                                                                const char         **filename,
                                                                const char * const **tags);
char                *tessera_listing_cache_dup_thumbnail_path  (TesseraListingCache *self,
                                                                const char          *image_id);
GStrv                tessera_listing_cache_search              (TesseraListingCache *self,
                                                                const char * const  *terms,
                                                                guint                max_results);
GStrv                tessera_listing_cache_filter              (TesseraListingCache *self,
                                                                const char * const  *image_ids,
                                                                const char * const  *terms,
                                                                guint                max_results);
GStrv                tessera_listing_cache_dup_ids             (TesseraListingCache *self,
                                                                guint                max_results);

G_END_DECLS
