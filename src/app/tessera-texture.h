/* tessera-texture.h: image bytes from the server to a GdkTexture
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

GdkTexture *tessera_texture_new_from_bytes (GBytes               *bytes,
                                            GError              **error);
void        tessera_texture_decode_async   (GBytes               *bytes,
                                            int                   width,
                                            int                   height,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
GdkTexture *tessera_texture_decode_finish  (GAsyncResult         *result,
                                            GError              **error);
void          tessera_texture_decode_paintable_async  (GBytes              *bytes,
                                                       int                  width,
                                                       int                  height,
                                                       GtkWidget           *widget,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
GdkPaintable *tessera_texture_decode_paintable_finish (GAsyncResult        *result,
                                                       GError             **error);

G_END_DECLS
