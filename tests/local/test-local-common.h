/* test-local-common.h: a fresh database file in a temporary directory
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>
#include <glib/gstdio.h>

#include "tessera-local-db.h"

typedef struct
{
  char           *dir;
  char           *path;
  TesseraLocalDb *db;
} TestDb;

static inline void
test_db_setup (TestDb        *fixture,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("tessera-local-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "tessera.db", NULL);
  fixture->db = tessera_local_db_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->db);
}

static inline void
test_db_remove_files (const char *dir)
{
  g_autoptr(GDir) handle = g_dir_open (dir, 0, NULL);
  const char *name;

  while (handle != NULL && (name = g_dir_read_name (handle)))
    {
      g_autofree char *file = g_build_filename (dir, name, NULL);
      g_unlink (file);
    }
  g_rmdir (dir);
}

static inline void
test_db_teardown (TestDb        *fixture,
                  gconstpointer  user_data)
{
  g_clear_object (&fixture->db);
  test_db_remove_files (fixture->dir);
  g_clear_pointer (&fixture->path, g_free);
  g_clear_pointer (&fixture->dir, g_free);
}

/* Runs one statement that yields a single integer. */
static inline gint64
test_db_query_int (TesseraLocalDb *db,
                   const char     *sql,
                   const char     *text_param)
{
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (db);
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = tessera_local_conn_prepare (conn, sql, &error);
  gint64 value;

  g_assert_no_error (error);
  if (text_param != NULL)
    sqlite3_bind_text (stmt, 1, text_param, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  return value;
}
