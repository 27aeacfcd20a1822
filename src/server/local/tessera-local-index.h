/* tessera-local-index.h: the image index in the local host's SQLite database
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "tessera-image-index.h"
#include "tessera-local-db.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_LOCAL_INDEX (tessera_local_index_get_type ())

G_DECLARE_FINAL_TYPE (TesseraLocalIndex, tessera_local_index, TESSERA, LOCAL_INDEX, GObject)

TesseraLocalIndex *tessera_local_index_new (TesseraLocalDb *db);

G_END_DECLS
