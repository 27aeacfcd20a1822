/* client-test-util.h: waiting on the main loop, and signed-in clients
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "tessera-client.h"
#include "tessera-test-server.h"

G_BEGIN_DECLS

void           client_test_store_result_cb (GObject        *object,
                                            GAsyncResult   *result,
                                            gpointer        user_data);
GAsyncResult  *client_test_wait            (GAsyncResult  **slot);

/* Calls FN_async (ARGS..., callback, &slot) and iterates the main context
 * until it completes; evaluates to the GAsyncResult (owned by the slot). */
#define CLIENT_TEST_WAIT(slot, fn, ...) \
  (fn (__VA_ARGS__, client_test_store_result_cb, &(slot)), client_test_wait (&(slot)))

/* Iterates the main context until @condition returns TRUE or @timeout_s
 * passes; returns the last value of @condition. */
gboolean       client_test_run_until       (gboolean      (*condition) (gpointer),
                                            gpointer        data,
                                            guint           timeout_s);

/* Signs up and in through the library itself. */
TesseraClient *client_test_new_user        (TesseraTestServer *server,
                                            const char        *username,
                                            const char        *password);
/* A file in a fresh temporary directory (removed by the caller). */
GFile         *client_test_write_file      (const char        *dir,
                                            const char        *name,
                                            GBytes            *contents);
/* A file of @size bytes with a JPEG header, made without holding it in memory. */
GFile         *client_test_write_big_file  (const char        *dir,
                                            const char        *name,
                                            goffset            size);
void           client_test_rm_rf           (const char        *path);
/* The path of a built binary ($TESSERA_CLI or the meson path). */
const char    *client_test_cli_path        (void);

G_END_DECLS
