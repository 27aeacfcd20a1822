/* tessera-local-db.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-local-db"

#include "config.h"

#include "tessera-error.h"
#include "tessera-local-db.h"

/* Enough for the HTTP thread pool and the workers to read side by side
 * (WAL lets readers run beside the one writer); more would only queue on
 * SQLite's write lock. */
#define MAX_CONNECTIONS 8
#define BUSY_TIMEOUT_MS 5000

struct _TesseraLocalConn
{
  TesseraLocalDb *db;          /* a reference while borrowed, NULL while idle */
  sqlite3        *handle;
  GHashTable     *statements;  /* SQL text -> sqlite3_stmt */
};

struct _TesseraLocalDb
{
  GObject  parent_instance;

  char    *path;
  int      version;

  GMutex   mutex;
  GCond    cond;
  GQueue   idle;         /* TesseraLocalConn, ready to hand out */
  guint    n_open;       /* idle + borrowed + being opened */
  guint    max_open;
};

G_DEFINE_FINAL_TYPE (TesseraLocalDb, tessera_local_db, G_TYPE_OBJECT)

/* Each script runs in one transaction with the user_version bump, so a
 * database is always at a version and never half-way through one. Append
 * new migrations; never edit one that has shipped. */
static const char * const migrations[] = {
  /* 1: everything */
  "CREATE TABLE users ("
  "  sub TEXT PRIMARY KEY,"
  "  username TEXT NOT NULL UNIQUE,"
  "  password_hash TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL"
  ");"
  "CREATE TABLE refresh_tokens ("
  "  token_hash TEXT PRIMARY KEY,"
  "  sub TEXT NOT NULL REFERENCES users(sub) ON DELETE CASCADE,"
  "  created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX refresh_tokens_by_sub ON refresh_tokens (sub);"
  "CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);"
  "CREATE TABLE images ("
  "  id TEXT PRIMARY KEY,"
  "  owner TEXT NOT NULL,"
  "  filename TEXT,"
  "  content_type TEXT,"
  "  size INTEGER NOT NULL DEFAULT 0,"
  "  sha256 TEXT,"
  "  width INTEGER NOT NULL DEFAULT 0,"
  "  height INTEGER NOT NULL DEFAULT 0,"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  trashed_at INTEGER NOT NULL DEFAULT 0,"
  "  status TEXT NOT NULL,"
  "  failure_reason TEXT,"
  "  object_key TEXT NOT NULL,"
  "  thumbnail_key TEXT,"
  "  preview_key TEXT,"
  "  labels TEXT NOT NULL DEFAULT '[]',"
  "  metadata TEXT,"
  "  n_tags INTEGER NOT NULL DEFAULT 0"  /* rows in image_tags, kept by triggers */
  ");"
  /* The gallery and the trash, newest first, and the keyset cursor. */
  "CREATE INDEX images_by_owner_time ON images (owner, trashed_at, created_at DESC, id DESC);"
  "CREATE INDEX images_by_owner_sha256 ON images (owner, sha256);"
  /* "Untagged" is rare once a tagger has run: find those directly. */
  "CREATE INDEX images_untagged ON images (owner, created_at DESC, id DESC)"
  "  WHERE n_tags = 0 AND trashed_at = 0;"
  /* The trash purge looks across owners at the few trashed rows only. */
  "CREATE INDEX images_trashed ON images (trashed_at) WHERE trashed_at != 0;"
  /* owner and created_at are the image's (set on insert from the images
   * row; neither ever changes), so a tag's images can be read newest
   * first straight from the index below, without sorting. */
  "CREATE TABLE image_tags ("
  "  image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,"
  "  owner TEXT NOT NULL,"
  "  tag TEXT NOT NULL,"
  "  created_at INTEGER NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (image_id, tag)"
  ");"
  /* Tag filters (a page of a tag is a range of it) and tag counts. */
  "CREATE INDEX image_tags_by_owner_tag ON image_tags (owner, tag, created_at DESC, image_id DESC);"
  /* How many gallery (untrashed) images of a user carry each tag, kept by
   * the triggers below in the same transaction as the change, so GET /tags
   * reads a few rows instead of counting every tag row of the user. */
  "CREATE TABLE tag_counts ("
  "  owner TEXT NOT NULL,"
  "  tag TEXT NOT NULL,"
  "  count INTEGER NOT NULL,"
  "  PRIMARY KEY (owner, tag)"
  ") WITHOUT ROWID;"
  "CREATE TRIGGER image_tags_counted AFTER INSERT ON image_tags"
  "  WHEN (SELECT trashed_at FROM images WHERE id = NEW.image_id) = 0 "
  "BEGIN"
  "  INSERT INTO tag_counts (owner, tag, count) VALUES (NEW.owner, NEW.tag, 1)"
  "  ON CONFLICT (owner, tag) DO UPDATE SET count = count + 1;"
  "END;"
  "CREATE TRIGGER image_tags_uncounted AFTER DELETE ON image_tags"
  "  WHEN (SELECT trashed_at FROM images WHERE id = OLD.image_id) = 0 "
  "BEGIN"
  "  UPDATE tag_counts SET count = count - 1 WHERE owner = OLD.owner AND tag = OLD.tag;"
  "END;"
  "CREATE TRIGGER images_trashed_counted AFTER UPDATE OF trashed_at ON images"
  "  WHEN (OLD.trashed_at = 0) != (NEW.trashed_at = 0) "
  "BEGIN"
  "  INSERT INTO tag_counts (owner, tag, count)"
  "    SELECT owner, tag, CASE WHEN NEW.trashed_at = 0 THEN 1 ELSE -1 END"
  "    FROM image_tags WHERE image_id = NEW.id"
  "  ON CONFLICT (owner, tag) DO UPDATE SET count = count + excluded.count;"
  "END;"
  "CREATE TRIGGER image_tags_added AFTER INSERT ON image_tags "
  "BEGIN"
  "  UPDATE images SET n_tags = n_tags + 1 WHERE id = NEW.image_id;"
  "END;"
  "CREATE TRIGGER image_tags_removed AFTER DELETE ON image_tags "
  "BEGIN"
  "  UPDATE images SET n_tags = n_tags - 1 WHERE id = OLD.image_id;"
  "END;"
  /* NB: delete an image's tags before the image, as
   * tessera_local_index_remove() does: the foreign key's cascade runs once
   * the image row is gone, when the triggers can no longer tell whether
   * its tags were counted. */
  "CREATE TABLE jobs ("
  "  id INTEGER PRIMARY KEY,"
  "  event TEXT NOT NULL,"
  "  state TEXT NOT NULL,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_run_at INTEGER NOT NULL,"
  "  last_error TEXT,"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL"
  ");"
  "CREATE INDEX jobs_by_state_due ON jobs (state, next_run_at);",
};

static void
statement_finalize (gpointer data)
{
  sqlite3_finalize (data);
}

static void
conn_free (TesseraLocalConn *conn)
{
  g_assert (conn->db == NULL);

  /* Statements first: sqlite3_close() refuses while any is alive. */
  g_clear_pointer (&conn->statements, g_hash_table_unref);
  sqlite3_close (conn->handle);
  g_free (conn);
}

static gboolean
exec_sql (sqlite3     *handle,
          const char  *sql,
          GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (handle, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      int code = sqlite3_extended_errcode (handle) & 0xff;

      g_set_error (error, TESSERA_ERROR,
                   code == SQLITE_BUSY || code == SQLITE_LOCKED
                     ? TESSERA_ERROR_UNAVAILABLE : TESSERA_ERROR_INTERNAL,
                   "SQLite: %s", message ? message : sqlite3_errstr (code));
      sqlite3_free (message);
      return FALSE;
    }

  return TRUE;
}

static TesseraLocalConn *
conn_open (const char  *path,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  sqlite3 *handle = NULL;
  sqlite3_stmt *stmt = NULL;
  TesseraLocalConn *conn;
  int rc;

  /* Each connection is used by one thread at a time, so SQLite's own
   * per-connection mutex is not needed. */
  rc = sqlite3_open_v2 (path, &handle,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL,
                   "Cannot open database %s: %s", path,
                   handle ? sqlite3_errmsg (handle) : sqlite3_errstr (rc));
      sqlite3_close (handle);
      return NULL;
    }

  sqlite3_extended_result_codes (handle, 1);
  sqlite3_busy_timeout (handle, BUSY_TIMEOUT_MS);

  /* WAL: readers never wait for the writer. synchronous=FULL: a commit
   * that returned survives a power cut too, which the queue's promise
   * ("recorded before enqueue returns") needs. */
  if (sqlite3_prepare_v2 (handle, "PRAGMA journal_mode=WAL", -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_ROW ||
      g_ascii_strcasecmp ((const char *) sqlite3_column_text (stmt, 0), "wal") != 0)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL,
                   "Cannot put database %s in WAL mode: %s", path, sqlite3_errmsg (handle));
      sqlite3_finalize (stmt);
      sqlite3_close (handle);
      return NULL;
    }
  sqlite3_finalize (stmt);

  if (!exec_sql (handle,
                 "PRAGMA synchronous=FULL;"
                 "PRAGMA foreign_keys=ON;",
                 &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "Cannot configure database %s: ", path);
      sqlite3_close (handle);
      return NULL;
    }

  conn = g_new0 (TesseraLocalConn, 1);
  conn->handle = handle;
  conn->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, statement_finalize);

  return conn;
}

static int
read_user_version (sqlite3  *handle,
                   GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  int version = -1;

  if (sqlite3_prepare_v2 (handle, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  else
    g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL,
                 "Cannot read the schema version: %s", sqlite3_errmsg (handle));
  sqlite3_finalize (stmt);

  return version;
}

/* Brings the schema to the last migration, one transaction per step.
 * BEGIN IMMEDIATE before reading the version, so two processes opening
 * the same file never apply a step twice. */
static int
migrate (sqlite3  *handle,
         GError  **error)
{
  for (;;)
    {
      g_autofree char *bump = NULL;
      int version;

      if (!exec_sql (handle, "BEGIN IMMEDIATE", error))
        return -1;

      if ((version = read_user_version (handle, error)) < 0)
        goto failed;

      if (version > (int) G_N_ELEMENTS (migrations))
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL,
                       "The database's schema (version %d) is newer than this "
                       "server knows (version %d)",
                       version, (int) G_N_ELEMENTS (migrations));
          goto failed;
        }

      if (version == (int) G_N_ELEMENTS (migrations))
        {
          if (!exec_sql (handle, "COMMIT", error))
            goto failed;
          return version;
        }

      g_debug ("Migrating the database schema from version %d to %d",
               version, version + 1);

      /* PRAGMA takes no parameters; the number is ours, not data. */
      bump = g_strdup_printf ("PRAGMA user_version = %d", version + 1);
      if (!exec_sql (handle, migrations[version], error) ||
          !exec_sql (handle, bump, error) ||
          !exec_sql (handle, "COMMIT", error))
        goto failed;
    }

failed:
  sqlite3_exec (handle, "ROLLBACK", NULL, NULL, NULL);
  return -1;
}

static void
tessera_local_db_finalize (GObject *object)
{
  TesseraLocalDb *self = (TesseraLocalDb *)object;
  TesseraLocalConn *conn;

  /* Borrowed connections hold a reference, so all are idle by now. */
  g_assert (self->n_open == self->idle.length);

  while ((conn = g_queue_pop_head (&self->idle)))
    conn_free (conn);

  g_clear_pointer (&self->path, g_free);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (tessera_local_db_parent_class)->finalize (object);
}

static void
tessera_local_db_class_init (TesseraLocalDbClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tessera_local_db_finalize;
}

static void
tessera_local_db_init (TesseraLocalDb *self)
{
  g_mutex_init (&self->mutex);
  g_cond_init (&self->cond);
  g_queue_init (&self->idle);
  self->max_open = MAX_CONNECTIONS;
}

/**
 * tessera_local_db_open:
 * @path: the database file
 * @error: return location for a #GError
 *
 * Opens (creating if needed) the database at @path and brings its schema
 * to the current version.
 *
 * Returns: (transfer full): the database, or %NULL with @error set
 */
TesseraLocalDb *
tessera_local_db_open (const char  *path,
                       GError     **error)
{
  g_autoptr(TesseraLocalDb) self = NULL;
  TesseraLocalConn *conn;
  int version;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!(conn = conn_open (path, error)))
    return NULL;

  if ((version = migrate (conn->handle, error)) < 0)
    {
      g_prefix_error (error, "Cannot migrate database %s: ", path);
      conn_free (conn);
      return NULL;
    }

  self = g_object_new (TESSERA_TYPE_LOCAL_DB, NULL);
  self->path = g_strdup (path);
  self->version = version;

  /* The first connection stays in the pool, so the pool is never empty. */
  g_queue_push_head (&self->idle, conn);
  self->n_open = 1;

  return g_steal_pointer (&self);
}

int
tessera_local_db_get_version (TesseraLocalDb *self)
{
  g_return_val_if_fail (TESSERA_IS_LOCAL_DB (self), -1);

  return self->version;
}

/**
 * tessera_local_db_acquire:
 * @self: a #TesseraLocalDb
 *
 * Borrows a connection, opening one if all are in use and the pool is not
 * full, else waiting for one to come back. Do not acquire a second
 * connection while holding one: with a full pool that can wait forever.
 *
 * Returns: (transfer full): a connection for this thread, to give back
 *   with tessera_local_db_release()
 */
TesseraLocalConn *
tessera_local_db_acquire (TesseraLocalDb *self)
{
  TesseraLocalConn *conn = NULL;

  g_return_val_if_fail (TESSERA_IS_LOCAL_DB (self), NULL);

  g_mutex_lock (&self->mutex);
  while (conn == NULL)
    {
      g_autoptr(GError) error = NULL;

      if ((conn = g_queue_pop_head (&self->idle)))
        break;

      if (self->n_open >= self->max_open)
        {
          g_cond_wait (&self->cond, &self->mutex);
          continue;
        }

      /* Open outside the lock: it touches the disk. */
      self->n_open++;
      g_mutex_unlock (&self->mutex);
      conn = conn_open (self->path, &error);
      g_mutex_lock (&self->mutex);

      if (conn == NULL)
        {
          /* Make do with the ones open (there is at least the first). */
          g_warning ("Cannot open another database connection: %s", error->message);
          self->n_open--;
          self->max_open = MAX (1, self->n_open);
        }
    }
  g_mutex_unlock (&self->mutex);

  conn->db = g_object_ref (self);

  return conn;
}

/**
 * tessera_local_db_release:
 * @conn: (transfer full): a connection from tessera_local_db_acquire()
 *
 * Gives @conn back to its pool. A transaction left open is rolled back.
 */
void
tessera_local_db_release (TesseraLocalConn *conn)
{
  TesseraLocalDb *db;
  sqlite3_stmt *stmt = NULL;

  g_return_if_fail (conn != NULL);
  g_return_if_fail (conn->db != NULL);

  /* A statement stepped but not reset keeps a read snapshot open, which
   * would stop WAL checkpoints and show stale data next time. */
  while ((stmt = sqlite3_next_stmt (conn->handle, stmt)))
    if (sqlite3_stmt_busy (stmt))
      sqlite3_reset (stmt);

  if (!sqlite3_get_autocommit (conn->handle))
    {
      g_warning ("A database connection came back inside a transaction; rolling back");
      sqlite3_exec (conn->handle, "ROLLBACK", NULL, NULL, NULL);
    }

  db = g_steal_pointer (&conn->db);

  g_mutex_lock (&db->mutex);
  g_queue_push_head (&db->idle, conn);
  g_cond_signal (&db->cond);
  g_mutex_unlock (&db->mutex);

  g_object_unref (db);
}

/**
 * tessera_local_conn_prepare:
 * @conn: a borrowed connection
 * @sql: one SQL statement, with `?` parameters for every value
 * @error: return location for a #GError
 *
 * Returns: (transfer none): the statement, prepared once per connection,
 *   reset and with its bindings cleared
 */
sqlite3_stmt *
tessera_local_conn_prepare (TesseraLocalConn  *conn,
                            const char        *sql,
                            GError           **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (conn != NULL && conn->db != NULL, NULL);
  g_return_val_if_fail (sql != NULL, NULL);

  if ((stmt = g_hash_table_lookup (conn->statements, sql)))
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  if (sqlite3_prepare_v3 (conn->handle, sql, -1, SQLITE_PREPARE_PERSISTENT,
                          &stmt, NULL) != SQLITE_OK)
    {
      tessera_local_conn_set_error (conn, error);
      g_warning ("Cannot prepare SQL: %s: %s", sqlite3_errmsg (conn->handle), sql);
      return NULL;
    }

  g_hash_table_insert (conn->statements, g_strdup (sql), stmt);

  return stmt;
}

sqlite3 *
tessera_local_conn_get_handle (TesseraLocalConn *conn)
{
  g_return_val_if_fail (conn != NULL, NULL);

  return conn->handle;
}

static gboolean
conn_exec_cached (TesseraLocalConn  *conn,
                  const char        *sql,
                  GError           **error)
{
  sqlite3_stmt *stmt;
  int rc;

  if (!(stmt = tessera_local_conn_prepare (conn, sql, error)))
    return FALSE;

  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      tessera_local_conn_set_error (conn, error);
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);

  return TRUE;
}

/* IMMEDIATE takes the write lock up front (waiting up to the busy timeout),
 * so a transaction that reads then writes never fails half-way with
 * SQLITE_BUSY_SNAPSHOT. */
gboolean
tessera_local_conn_begin (TesseraLocalConn  *conn,
                          GError           **error)
{
  g_return_val_if_fail (conn != NULL && conn->db != NULL, FALSE);

  return conn_exec_cached (conn, "BEGIN IMMEDIATE", error);
}

gboolean
tessera_local_conn_commit (TesseraLocalConn  *conn,
                           GError           **error)
{
  g_return_val_if_fail (conn != NULL && conn->db != NULL, FALSE);

  if (!conn_exec_cached (conn, "COMMIT", error))
    {
      /* A failed COMMIT can leave the transaction open; end it. */
      tessera_local_conn_rollback (conn);
      return FALSE;
    }

  return TRUE;
}

void
tessera_local_conn_rollback (TesseraLocalConn *conn)
{
  g_return_if_fail (conn != NULL && conn->db != NULL);

  if (!sqlite3_get_autocommit (conn->handle))
    conn_exec_cached (conn, "ROLLBACK", NULL);
}

void
tessera_local_conn_set_error (TesseraLocalConn  *conn,
                              GError           **error)
{
  int code;
  TesseraErrorCode tessera_code;

  g_return_if_fail (conn != NULL);

  code = sqlite3_extended_errcode (conn->handle) & 0xff;
  switch (code)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      tessera_code = TESSERA_ERROR_UNAVAILABLE;
      break;

    case SQLITE_CONSTRAINT:
      tessera_code = TESSERA_ERROR_CONFLICT;
      break;

    default:
      tessera_code = TESSERA_ERROR_INTERNAL;
      break;
    }

  g_set_error (error, TESSERA_ERROR, tessera_code, "SQLite: %s",
               sqlite3_errmsg (conn->handle));
}
