/* tessera-search-provider.h: the user's images in the GNOME Shell overview
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "tessera-listing-cache.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_SEARCH_PROVIDER (tessera_search_provider_get_type ())

G_DECLARE_FINAL_TYPE (TesseraSearchProvider, tessera_search_provider, TESSERA, SEARCH_PROVIDER, GObject)

TesseraSearchProvider *tessera_search_provider_new        (GApplication          *application);
TesseraListingCache   *tessera_search_provider_get_cache  (TesseraSearchProvider *self);
gboolean               tessera_search_provider_register   (TesseraSearchProvider *self,
                                                           GDBusConnection       *connection,
                                                           const char            *object_path,
                                                           GError               **error);
void                   tessera_search_provider_unregister (TesseraSearchProvider *self);

G_END_DECLS
