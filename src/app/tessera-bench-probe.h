/* tessera-bench-probe.h: the gallery measured from inside the app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void tessera_bench_probe_attach (GtkWidget *window);

G_END_DECLS
