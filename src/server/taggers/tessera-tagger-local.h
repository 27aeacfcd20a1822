/* tessera-tagger-local.h: the offline tagger (faces, text, colour, EXIF)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-tagger.h"

G_BEGIN_DECLS

#define TESSERA_TYPE_TAGGER_LOCAL (tessera_tagger_local_get_type ())

G_DECLARE_FINAL_TYPE (TesseraTaggerLocal, tessera_tagger_local, TESSERA, TAGGER_LOCAL, GObject)

/* @config: the [tagger] group (may be NULL): "cascade-dir" (default
 * Debian's haarcascades), "text" (boolean, default true: the Tesseract
 * stage). Fails when the cascades cannot be read; a missing Tesseract only
 * turns the text stage off, with a warning.
 * Returns: (transfer full) */
TesseraTagger *tessera_tagger_local_new (GKeyFile  *config,
                                         GError   **error);

G_END_DECLS
