/* tessera-surface-paintable.h: decoded pixels drawn the cairo renderer's way
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_SURFACE_PAINTABLE (tessera_surface_paintable_get_type ())

G_DECLARE_FINAL_TYPE (TesseraSurfacePaintable, tessera_surface_paintable, TESSERA, SURFACE_PAINTABLE, GObject)

GdkPaintable *tessera_surface_paintable_new (GBytes *pixels,
                                             int     width,
                                             int     height,
                                             gsize   stride);

G_END_DECLS
