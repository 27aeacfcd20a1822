/* tessera-taggers.h: choose a tagger by name
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-tagger.h"

G_BEGIN_DECLS

/* @name is "local" (the default), "none", "clarifai" or "rekognition";
 * @config is the [tagger] group's key file (may be NULL for defaults).
 * Returns (transfer full) (nullable): NULL for "none". */
TesseraTagger *tessera_tagger_new_by_name (const char  *name,
                                           GKeyFile    *config,
                                           GError     **error);

G_END_DECLS
