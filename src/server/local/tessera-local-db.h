/* tessera-local-db.h: the local host's SQLite database (WAL mode, prepared
 * statements only, schema versioned with migrations)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>
#include <sqlite3.h>

G_BEGIN_DECLS

#define TESSERA_TYPE_LOCAL_DB (tessera_local_db_get_type ())

G_DECLARE_FINAL_TYPE (TesseraLocalDb, tessera_local_db, TESSERA, LOCAL_DB, GObject)

/* A connection borrowed from the database's pool; one thread at a time. */
typedef struct _TesseraLocalConn TesseraLocalConn;

/* Opens (creating if needed) and migrates the database at @path. */
TesseraLocalDb   *tessera_local_db_open        (const char        *path,
                                                GError           **error);
int               tessera_local_db_get_version (TesseraLocalDb    *self);
TesseraLocalConn *tessera_local_db_acquire     (TesseraLocalDb    *self);
void              tessera_local_db_release     (TesseraLocalConn  *conn);

/* A prepared statement cached on @conn, reset and with its bindings cleared;
 * valid until the next tessera_local_conn_prepare() of the same SQL. */
sqlite3_stmt     *tessera_local_conn_prepare   (TesseraLocalConn  *conn,
                                                const char        *sql,
                                                GError           **error);
sqlite3          *tessera_local_conn_get_handle (TesseraLocalConn *conn);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK */
gboolean          tessera_local_conn_begin     (TesseraLocalConn  *conn,
                                                GError           **error);
gboolean          tessera_local_conn_commit    (TesseraLocalConn  *conn,
                                                GError           **error);
void              tessera_local_conn_rollback  (TesseraLocalConn  *conn);
/* Sets @error from the connection's last SQLite error: SQLITE_BUSY and
 * SQLITE_LOCKED as TESSERA_ERROR_UNAVAILABLE, constraint violations as
 * TESSERA_ERROR_CONFLICT, the rest as TESSERA_ERROR_INTERNAL. */
void              tessera_local_conn_set_error (TesseraLocalConn  *conn,
                                                GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraLocalConn, tessera_local_db_release)

G_END_DECLS
