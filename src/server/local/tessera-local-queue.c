/* tessera-local-queue.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-local-queue"

#include "config.h"

#include <json-glib/json-glib.h>

#include "tessera-error.h"
#include "tessera-local-queue.h"
#include "tessera-util.h"

/* A job's life: pending -> running -> (deleted | pending again | dead).
 * Every change is one statement, so it is atomic without a transaction. */

struct _TesseraLocalQueue
{
  GObject         parent_instance;

  TesseraLocalDb *db;
};

static void job_queue_iface_init (TesseraJobQueueInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TesseraLocalQueue, tessera_local_queue, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TESSERA_TYPE_JOB_QUEUE, job_queue_iface_init))

enum {
  PROP_0,
  PROP_DB,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

void
tessera_local_job_free (TesseraLocalJob *job)
{
  if (job == NULL)
    return;

  g_free (job->event);
  g_free (job->last_error);
  g_free (job);
}

/* Columns: id, event, attempts, last_error. */
static TesseraLocalJob *
job_from_row (sqlite3_stmt *stmt)
{
  TesseraLocalJob *job = g_new0 (TesseraLocalJob, 1);

  job->id = sqlite3_column_int64 (stmt, 0);
  job->event = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  job->attempts = sqlite3_column_int (stmt, 2);
  job->last_error = g_strdup ((const char *) sqlite3_column_text (stmt, 3));

  return job;
}

/* Steps a statement that writes; how many rows it changed, -1 on error. */
static int
run_update (TesseraLocalConn  *conn,
            sqlite3_stmt      *stmt,
            GError           **error)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      tessera_local_conn_set_error (conn, error);
      sqlite3_reset (stmt);
      return -1;
    }

  sqlite3_reset (stmt);

  return sqlite3_changes (tessera_local_conn_get_handle (conn));
}

static gboolean
job_not_found (gint64   id,
               GError **error)
{
  g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND,
               "No running job %" G_GINT64_FORMAT, id);
  return FALSE;
}

static gboolean
tessera_local_queue_enqueue (TesseraJobQueue  *queue,
                             const char       *event_json,
                             GError          **error)
{
  TesseraLocalQueue *self = TESSERA_LOCAL_QUEUE (queue);
  g_autoptr(TesseraLocalConn) conn = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) parse_error = NULL;
  sqlite3_stmt *stmt;
  gint64 now = tessera_now_ms ();

  /* A job that cannot be parsed would only fail max_attempts times later. */
  if (!json_parser_load_from_data (parser, event_json, -1, &parse_error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "The event is not a JSON object%s%s",
                   parse_error ? ": " : "", parse_error ? parse_error->message : "");
      return FALSE;
    }

  conn = tessera_local_db_acquire (self->db);
  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "INSERT INTO jobs (event, state, attempts, next_run_at, "
                                           "created_at, updated_at) "
                                           "VALUES (?1, 'pending', 0, ?2, ?2, ?2)",
                                           error)))
    return FALSE;

  sqlite3_bind_text (stmt, 1, event_json, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, now);

  /* With synchronous=FULL the row is on disk once the statement is done. */
  if (run_update (conn, stmt, error) < 0)
    return FALSE;

  g_debug ("Enqueued job %" G_GINT64_FORMAT,
           (gint64) sqlite3_last_insert_rowid (tessera_local_conn_get_handle (conn)));

  return TRUE;
}

static void
job_queue_iface_init (TesseraJobQueueInterface *iface)
{
  iface->enqueue = tessera_local_queue_enqueue;
}

/**
 * tessera_local_queue_claim:
 * @self: a #TesseraLocalQueue
 * @now_ms: the time, ms since the epoch
 * @error: return location for a #GError
 *
 * Claims the job that has been due longest. One statement both picks
 * and marks it, so two workers never get the same job.
 *
 * Returns: (transfer full) (nullable): the job, or %NULL when none is due
 *   (@error unset) or on failure (@error set)
 */
TesseraLocalJob *
tessera_local_queue_claim (TesseraLocalQueue  *self,
                           gint64              now_ms,
                           GError            **error)
{
  g_autoptr(TesseraLocalConn) conn = NULL;
  g_autoptr(TesseraLocalJob) job = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (TESSERA_IS_LOCAL_QUEUE (self), NULL);

  conn = tessera_local_db_acquire (self->db);
  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "UPDATE jobs SET state = 'running', attempts = attempts + 1, "
                                           "updated_at = ?1 "
                                           "WHERE id = (SELECT id FROM jobs WHERE state = 'pending' "
                                           "AND next_run_at <= ?1 ORDER BY next_run_at, id LIMIT 1) "
                                           "RETURNING id, event, attempts, last_error",
                                           error)))
    return NULL;

  sqlite3_bind_int64 (stmt, 1, now_ms);

  /* RETURNING gives the row first; the statement must still run to its
   * end for the change to be committed. */
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    job = job_from_row (stmt);

  if (rc != SQLITE_DONE)
    {
      tessera_local_conn_set_error (conn, error);
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);

  return g_steal_pointer (&job);
}

gboolean
tessera_local_queue_complete (TesseraLocalQueue  *self,
                              gint64              id,
                              GError            **error)
{
  g_autoptr(TesseraLocalConn) conn = NULL;
  sqlite3_stmt *stmt;
  int changed;

  g_return_val_if_fail (TESSERA_IS_LOCAL_QUEUE (self), FALSE);

  conn = tessera_local_db_acquire (self->db);
  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "DELETE FROM jobs WHERE id = ?1 AND state = 'running'",
                                           error)))
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, id);

  if ((changed = run_update (conn, stmt, error)) < 0)
    return FALSE;

  return changed > 0 ? TRUE : job_not_found (id, error);
}

gboolean
tessera_local_queue_fail (TesseraLocalQueue  *self,
                          gint64              id,
                          const char         *error_message,
                          gint64              next_run_at,
                          guint               max_attempts,
                          GError            **error)
{
  g_autoptr(TesseraLocalConn) conn = NULL;
  sqlite3_stmt *stmt;
  int changed;

  g_return_val_if_fail (TESSERA_IS_LOCAL_QUEUE (self), FALSE);
  g_return_val_if_fail (max_attempts > 0, FALSE);

  conn = tessera_local_db_acquire (self->db);
  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "UPDATE jobs SET "
                                           "state = CASE WHEN attempts >= ?1 THEN 'dead' ELSE 'pending' END, "
                                           "next_run_at = ?2, last_error = ?3, updated_at = ?4 "
                                           "WHERE id = ?5 AND state = 'running'",
                                           error)))
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, max_attempts);
  sqlite3_bind_int64 (stmt, 2, next_run_at);
  sqlite3_bind_text (stmt, 3, error_message, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, tessera_now_ms ());
  sqlite3_bind_int64 (stmt, 5, id);

  if ((changed = run_update (conn, stmt, error)) < 0)
    return FALSE;

  return changed > 0 ? TRUE : job_not_found (id, error);
}

gboolean
tessera_local_queue_release (TesseraLocalQueue  *self,
                             gint64              id,
                             GError            **error)
{
  g_autoptr(TesseraLocalConn) conn = NULL;
  sqlite3_stmt *stmt;
  int changed;

  g_return_val_if_fail (TESSERA_IS_LOCAL_QUEUE (self), FALSE);

  conn = tessera_local_db_acquire (self->db);
  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "UPDATE jobs SET state = 'pending', "
                                           "attempts = max (attempts - 1, 0), updated_at = ?1 "
                                           "WHERE id = ?2 AND state = 'running'",
                                           error)))
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, tessera_now_ms ());
  sqlite3_bind_int64 (stmt, 2, id);

  if ((changed = run_update (conn, stmt, error)) < 0)
    return FALSE;

  return changed > 0 ? TRUE : job_not_found (id, error);
}

guint
tessera_local_queue_recover (TesseraLocalQueue  *self,
                             GError            **error)
{
  g_autoptr(TesseraLocalConn) conn = NULL;
  sqlite3_stmt *stmt;
  int changed;

  g_return_val_if_fail (TESSERA_IS_LOCAL_QUEUE (self), 0);

  conn = tessera_local_db_acquire (self->db);
  /* The interrupted attempt still counts, so a job that kills the server
   * every time it runs still reaches the dead-letter state. */
  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "UPDATE jobs SET state = 'pending', updated_at = ?1 "
                                           "WHERE state = 'running'",
                                           error)))
    return 0;

  sqlite3_bind_int64 (stmt, 1, tessera_now_ms ());

  if ((changed = run_update (conn, stmt, error)) < 0)
    return 0;

  if (changed > 0)
    g_message ("Recovered %d job(s) interrupted by a stop", changed);

  return changed;
}

gint64
tessera_local_queue_next_due (TesseraLocalQueue  *self,
                              GError            **error)
{
  g_autoptr(TesseraLocalConn) conn = NULL;
  sqlite3_stmt *stmt;
  gint64 due = -1;

  g_return_val_if_fail (TESSERA_IS_LOCAL_QUEUE (self), -1);

  conn = tessera_local_db_acquire (self->db);
  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "SELECT min (next_run_at) FROM jobs WHERE state = 'pending'",
                                           error)))
    return -1;

  if (sqlite3_step (stmt) == SQLITE_ROW)
    {
      if (sqlite3_column_type (stmt, 0) != SQLITE_NULL)
        due = sqlite3_column_int64 (stmt, 0);
    }
  else
    {
      tessera_local_conn_set_error (conn, error);
    }
  sqlite3_reset (stmt);

  return due;
}

GPtrArray *
tessera_local_queue_list_dead (TesseraLocalQueue  *self,
                               GError            **error)
{
  g_autoptr(TesseraLocalConn) conn = NULL;
  g_autoptr(GPtrArray) jobs = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (TESSERA_IS_LOCAL_QUEUE (self), NULL);

  conn = tessera_local_db_acquire (self->db);
  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "SELECT id, event, attempts, last_error FROM jobs "
                                           "WHERE state = 'dead' ORDER BY id",
                                           error)))
    return NULL;

  jobs = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_local_job_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (jobs, job_from_row (stmt));

  if (rc != SQLITE_DONE)
    {
      tessera_local_conn_set_error (conn, error);
      sqlite3_reset (stmt);
      return NULL;
    }
  sqlite3_reset (stmt);

  return g_steal_pointer (&jobs);
}

guint
tessera_local_queue_count (TesseraLocalQueue  *self,
                           const char         *state,
                           GError            **error)
{
  g_autoptr(TesseraLocalConn) conn = NULL;
  sqlite3_stmt *stmt;
  guint count = 0;

  g_return_val_if_fail (TESSERA_IS_LOCAL_QUEUE (self), 0);
  g_return_val_if_fail (state != NULL, 0);

  conn = tessera_local_db_acquire (self->db);
  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "SELECT count(*) FROM jobs WHERE state = ?1",
                                           error)))
    return 0;

  sqlite3_bind_text (stmt, 1, state, -1, SQLITE_TRANSIENT);

  if (sqlite3_step (stmt) == SQLITE_ROW)
    count = sqlite3_column_int (stmt, 0);
  else
    tessera_local_conn_set_error (conn, error);
  sqlite3_reset (stmt);

  return count;
}

static void
tessera_local_queue_dispose (GObject *object)
{
  TesseraLocalQueue *self = (TesseraLocalQueue *)object;

  g_clear_object (&self->db);

  G_OBJECT_CLASS (tessera_local_queue_parent_class)->dispose (object);
}

static void
tessera_local_queue_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TesseraLocalQueue *self = TESSERA_LOCAL_QUEUE (object);

  switch (prop_id)
    {
    case PROP_DB:
      g_value_set_object (value, self->db);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_local_queue_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  TesseraLocalQueue *self = TESSERA_LOCAL_QUEUE (object);

  switch (prop_id)
    {
    case PROP_DB:
      self->db = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_local_queue_class_init (TesseraLocalQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_local_queue_dispose;
  object_class->get_property = tessera_local_queue_get_property;
  object_class->set_property = tessera_local_queue_set_property;

  properties[PROP_DB] =
    g_param_spec_object ("db", NULL, NULL,
                         TESSERA_TYPE_LOCAL_DB,
                         (G_PARAM_READWRITE |
                          G_PARAM_CONSTRUCT_ONLY |
                          G_PARAM_EXPLICIT_NOTIFY |
                          G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
tessera_local_queue_init (TesseraLocalQueue *self)
{
}

/**
 * tessera_local_queue_new:
 * @db: the database
 *
 * Returns: (transfer full): a durable job queue over @db
 */
TesseraLocalQueue *
tessera_local_queue_new (TesseraLocalDb *db)
{
  g_return_val_if_fail (TESSERA_IS_LOCAL_DB (db), NULL);

  return g_object_new (TESSERA_TYPE_LOCAL_QUEUE,
                       "db", db,
                       NULL);
}
