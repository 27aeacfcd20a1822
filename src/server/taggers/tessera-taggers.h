/* tessera-taggers.h: choose a tagger by name
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-tagger.h"

G_BEGIN_DECLS

/* @name is "local" (the default, also for NULL), "none" or "clarifai"
 * ("rekognition" is not written yet: an unknown name is an error);
 * @config is the key file whose [tagger] group configures it (may be NULL
 * for defaults). See docs/tagging.md.
 * Returns (transfer full) (nullable): NULL for "none", or on error. */
TesseraTagger *tessera_tagger_new_by_name (const char  *name,
                                           GKeyFile    *config,
                                           GError     **error);

G_END_DECLS
