/* tessera-taggers-private.h: helpers the tagger stages share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <vips/vips.h>

G_BEGIN_DECLS

/* libvips 8.14 declares no g_autoptr cleanup for VipsImage; an alias keeps
 * ours from clashing with one a newer libvips (or another file) may add. */
typedef VipsImage TesseraVipsImage;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraVipsImage, g_object_unref)

G_END_DECLS
