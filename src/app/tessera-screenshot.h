/* tessera-screenshot.h: a widget as its user sees it, to PNG
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

gboolean tessera_screenshot_save (GtkWidget   *widget,
                                  const char  *path,
                                  GError     **error);

G_END_DECLS
