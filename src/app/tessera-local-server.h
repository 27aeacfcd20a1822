/* tessera-local-server.h: the bundled tessera-server, for "This computer"
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_LOCAL_SERVER (tessera_local_server_get_type ())

G_DECLARE_FINAL_TYPE (TesseraLocalServer, tessera_local_server, TESSERA, LOCAL_SERVER, GObject)

TesseraLocalServer *tessera_local_server_new          (const char           *data_dir);
const char         *tessera_local_server_get_url      (TesseraLocalServer   *self);
void                tessera_local_server_start_async  (TesseraLocalServer   *self,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
char               *tessera_local_server_start_finish (TesseraLocalServer   *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);
void                tessera_local_server_stop         (TesseraLocalServer   *self);
char               *tessera_local_server_find_binary  (void);

G_END_DECLS
