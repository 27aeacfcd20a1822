/* test-local-db.c: the SQLite database, its migrations and its pool
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "tessera-error.h"
#include "test-local-common.h"

static const char *tables[] = { "users", "refresh_tokens", "images", "image_tags", "jobs" };

static void
insert_user (TesseraLocalConn  *conn,
             const char        *sub,
             const char        *username,
             GError           **error)
{
  sqlite3_stmt *stmt;

  stmt = tessera_local_conn_prepare (conn,
                                     "INSERT INTO users (sub, username, password_hash, created_at) "
                                     "VALUES (?1, ?2, 'x', 1)",
                                     error);
  g_assert_nonnull (stmt);
  sqlite3_bind_text (stmt, 1, sub, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, username, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    tessera_local_conn_set_error (conn, error);
  sqlite3_reset (stmt);
}

static void
test_migrate_fresh (TestDb        *fixture,
                    gconstpointer  user_data)
{
  g_autoptr(TesseraLocalConn) conn = NULL;

  g_assert_cmpint (tessera_local_db_get_version (fixture->db), ==, 1);
  g_assert_cmpint (test_db_query_int (fixture->db, "PRAGMA user_version", NULL), ==, 1);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    g_assert_cmpint (test_db_query_int (fixture->db,
                                        "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1",
                                        tables[i]), ==, 1);

  /* The listing's index and the queue's index exist. */
  g_assert_cmpint (test_db_query_int (fixture->db,
                                      "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?1",
                                      "images_by_owner_time"), ==, 1);
  g_assert_cmpint (test_db_query_int (fixture->db,
                                      "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?1",
                                      "jobs_by_state_due"), ==, 1);

  /* The settings each pooled connection must carry. */
  g_assert_cmpint (test_db_query_int (fixture->db, "PRAGMA foreign_keys", NULL), ==, 1);
  g_assert_cmpint (test_db_query_int (fixture->db, "PRAGMA synchronous", NULL), ==, 2);
  g_assert_cmpint (test_db_query_int (fixture->db, "PRAGMA busy_timeout", NULL), >=, 1000);

  conn = tessera_local_db_acquire (fixture->db);
  {
    sqlite3_stmt *stmt = tessera_local_conn_prepare (conn, "PRAGMA journal_mode", NULL);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "wal");
    sqlite3_reset (stmt);
  }
}

static void
test_reopen_keeps_data (TestDb        *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (fixture->db);
    insert_user (conn, "sub-1", "alice", &error);
    g_assert_no_error (error);
  }

  g_clear_object (&fixture->db);
  fixture->db = tessera_local_db_open (fixture->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (tessera_local_db_get_version (fixture->db), ==, 1);
  g_assert_cmpint (test_db_query_int (fixture->db,
                                      "SELECT count(*) FROM users WHERE username = ?1",
                                      "alice"), ==, 1);
}

static void
test_newer_schema_refused (TestDb        *fixture,
                           gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraLocalDb) db = NULL;

  {
    g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (fixture->db);
    g_assert_cmpint (sqlite3_exec (tessera_local_conn_get_handle (conn),
                                   "PRAGMA user_version = 99", NULL, NULL, NULL), ==, SQLITE_OK);
  }
  g_clear_object (&fixture->db);

  db = tessera_local_db_open (fixture->path, &error);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL);
  g_assert_null (db);
  g_assert_nonnull (strstr (error->message, "newer"));
}

static gpointer
open_thread (gpointer data)
{
  g_autoptr(GError) error = NULL;
  TesseraLocalDb *db = tessera_local_db_open (data, &error);

  g_assert_no_error (error);

  return db;
}

/* Several processes (here threads, each with its own connection) opening a
 * new file at once: one migrates, the others find it done. */
static void
test_concurrent_first_open (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tessera-local-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "tessera.db", NULL);
  GThread *threads[4];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("open", open_thread, path);

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_autoptr(TesseraLocalDb) db = g_thread_join (threads[i]);

      g_assert_nonnull (db);
      g_assert_cmpint (tessera_local_db_get_version (db), ==, 1);
      g_assert_cmpint (test_db_query_int (db,
                                          "SELECT count(*) FROM sqlite_schema WHERE name = ?1",
                                          "images"), ==, 1);
    }

  test_db_remove_files (dir);
}

static void
test_not_a_database (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tessera-local-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "garbage.db", NULL);
  g_autoptr(TesseraLocalDb) db = NULL;
  g_autofree char *garbage = g_strnfill (8192, 'x');

  g_assert_true (g_file_set_contents (path, garbage, -1, NULL));

  db = tessera_local_db_open (path, &error);
  g_assert_null (db);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL);

  /* Nothing was lost or replaced. */
  {
    g_autofree char *contents = NULL;
    g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
    g_assert_cmpstr (contents, ==, garbage);
  }

  test_db_remove_files (dir);
}

static void
test_prepare_is_cached_and_reset (TestDb        *fixture,
                                  gconstpointer  user_data)
{
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (fixture->db);
  g_autoptr(GError) error = NULL;
  const char *sql = "SELECT ?1 UNION ALL SELECT 2";
  sqlite3_stmt *first;
  sqlite3_stmt *second;

  first = tessera_local_conn_prepare (conn, sql, &error);
  g_assert_no_error (error);
  sqlite3_bind_int (first, 1, 7);
  g_assert_cmpint (sqlite3_step (first), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int (first, 0), ==, 7);
  /* Left in the middle of its rows, with a binding. */

  second = tessera_local_conn_prepare (conn, sql, &error);
  g_assert_no_error (error);
  g_assert_true (first == second);
  g_assert_cmpint (sqlite3_step (second), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_type (second, 0), ==, SQLITE_NULL);
  sqlite3_reset (second);

  /* Bad SQL is an error, not a crash. */
  g_test_expect_message ("tessera-local-db", G_LOG_LEVEL_WARNING, "*Cannot prepare*");
  g_assert_null (tessera_local_conn_prepare (conn, "SELEC nonsense", &error));
  g_test_assert_expected_messages ();
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL);
}

static void
test_constraint_errors (TestDb        *fixture,
                        gconstpointer  user_data)
{
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (fixture->db);
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;

  insert_user (conn, "sub-1", "alice", &error);
  g_assert_no_error (error);

  insert_user (conn, "sub-2", "alice", &error);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_CONFLICT);
  g_clear_error (&error);

  /* foreign_keys=ON: a token for nobody is refused... */
  stmt = tessera_local_conn_prepare (conn,
                                     "INSERT INTO refresh_tokens (token_hash, sub, created_at, expires_at) "
                                     "VALUES (?1, ?2, 1, 2)",
                                     &error);
  sqlite3_bind_text (stmt, 1, "hash-1", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, "nobody", -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), !=, SQLITE_DONE);
  tessera_local_conn_set_error (conn, &error);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_CONFLICT);
  g_clear_error (&error);

  /* ...and a user's tokens go with the user. */
  stmt = tessera_local_conn_prepare (conn,
                                     "INSERT INTO refresh_tokens (token_hash, sub, created_at, expires_at) "
                                     "VALUES (?1, ?2, 1, 2)",
                                     &error);
  sqlite3_bind_text (stmt, 1, "hash-1", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, "sub-1", -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  g_assert_cmpint (sqlite3_exec (tessera_local_conn_get_handle (conn),
                                 "DELETE FROM users WHERE sub = 'sub-1'", NULL, NULL, NULL), ==, SQLITE_OK);
  g_clear_pointer (&conn, tessera_local_db_release);
  g_assert_cmpint (test_db_query_int (fixture->db, "SELECT count(*) FROM refresh_tokens", NULL), ==, 0);
}

static void
test_transactions (TestDb        *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;

  {
    g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (fixture->db);

    g_assert_true (tessera_local_conn_begin (conn, &error));
    insert_user (conn, "sub-1", "rolled-back", &error);
    g_assert_no_error (error);
    tessera_local_conn_rollback (conn);

    g_assert_true (tessera_local_conn_begin (conn, &error));
    insert_user (conn, "sub-2", "committed", &error);
    g_assert_no_error (error);
    g_assert_true (tessera_local_conn_commit (conn, &error));

    /* Given back mid-transaction: rolled back, and said so. */
    g_assert_true (tessera_local_conn_begin (conn, &error));
    insert_user (conn, "sub-3", "abandoned", &error);
    g_assert_no_error (error);
    g_test_expect_message ("tessera-local-db", G_LOG_LEVEL_WARNING, "*inside a transaction*");
  }
  g_test_assert_expected_messages ();

  g_assert_cmpint (test_db_query_int (fixture->db, "SELECT count(*) FROM users WHERE sub = ?1", "sub-1"), ==, 0);
  g_assert_cmpint (test_db_query_int (fixture->db, "SELECT count(*) FROM users WHERE sub = ?1", "sub-2"), ==, 1);
  g_assert_cmpint (test_db_query_int (fixture->db, "SELECT count(*) FROM users WHERE sub = ?1", "sub-3"), ==, 0);
}

#define N_THREADS 12
#define N_INCREMENTS 40

static gpointer
increment_thread (gpointer data)
{
  TesseraLocalDb *db = data;

  for (guint i = 0; i < N_INCREMENTS; i++)
    {
      g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (db);
      g_autoptr(GError) error = NULL;
      sqlite3_stmt *stmt;
      gint64 value;

      /* Read, then write from what was read: lost updates would show if
       * two transactions interleaved. */
      g_assert_true (tessera_local_conn_begin (conn, &error));
      g_assert_no_error (error);
      stmt = tessera_local_conn_prepare (conn, "SELECT created_at FROM users WHERE sub = 'counter'", &error);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      value = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);

      stmt = tessera_local_conn_prepare (conn, "UPDATE users SET created_at = ?1 WHERE sub = 'counter'", &error);
      sqlite3_bind_int64 (stmt, 1, value + 1);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
      g_assert_true (tessera_local_conn_commit (conn, &error));
      g_assert_no_error (error);
    }

  return NULL;
}

static void
test_pool_many_threads (TestDb        *fixture,
                        gconstpointer  user_data)
{
  GThread *threads[N_THREADS];

  {
    g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (fixture->db);
    g_assert_cmpint (sqlite3_exec (tessera_local_conn_get_handle (conn),
                                   "INSERT INTO users VALUES ('counter', 'counter', 'x', 0)",
                                   NULL, NULL, NULL), ==, SQLITE_OK);
  }

  for (guint i = 0; i < N_THREADS; i++)
    threads[i] = g_thread_new ("increment", increment_thread, fixture->db);
  for (guint i = 0; i < N_THREADS; i++)
    g_thread_join (threads[i]);

  g_assert_cmpint (test_db_query_int (fixture->db,
                                      "SELECT created_at FROM users WHERE sub = ?1", "counter"),
                   ==, N_THREADS * N_INCREMENTS);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/local-db/migrate-fresh", TestDb, NULL, test_db_setup, test_migrate_fresh, test_db_teardown);
  g_test_add ("/local-db/reopen-keeps-data", TestDb, NULL, test_db_setup, test_reopen_keeps_data, test_db_teardown);
  g_test_add ("/local-db/newer-schema-refused", TestDb, NULL, test_db_setup, test_newer_schema_refused, test_db_teardown);
  g_test_add_func ("/local-db/concurrent-first-open", test_concurrent_first_open);
  g_test_add_func ("/local-db/not-a-database", test_not_a_database);
  g_test_add ("/local-db/prepare-cached", TestDb, NULL, test_db_setup, test_prepare_is_cached_and_reset, test_db_teardown);
  g_test_add ("/local-db/constraint-errors", TestDb, NULL, test_db_setup, test_constraint_errors, test_db_teardown);
  g_test_add ("/local-db/transactions", TestDb, NULL, test_db_setup, test_transactions, test_db_teardown);
  g_test_add ("/local-db/pool-many-threads", TestDb, NULL, test_db_setup, test_pool_many_threads, test_db_teardown);

  return g_test_run ();
}
