/* tessera-local-index.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-local-index"

#include "config.h"

#include <string.h>

#include "tessera-error.h"
#include "tessera-local-index.h"
#include "tessera-util.h"

struct _TesseraLocalIndex
{
  GObject         parent_instance;

  TesseraLocalDb *db;
};

static void image_index_iface_init (TesseraImageIndexInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TesseraLocalIndex, tessera_local_index, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TESSERA_TYPE_IMAGE_INDEX, image_index_iface_init))

enum {
  PROP_0,
  PROP_DB,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Every query that returns records selects these, in this order (see
 * record_from_row()); the last column is the image's tags as a JSON array,
 * computed only for the rows returned. */
#define RECORD_COLUMNS \
  "images.id, images.owner, images.filename, images.content_type, images.size, " \
  "images.sha256, images.width, images.height, images.created_at, images.updated_at, " \
  "images.trashed_at, images.status, images.failure_reason, images.object_key, " \
  "images.thumbnail_key, images.preview_key, images.labels, images.metadata, " \
  "(SELECT json_group_array (tag) FROM image_tags WHERE image_id = images.id)"

enum {
  COL_ID,
  COL_OWNER,
  COL_FILENAME,
  COL_CONTENT_TYPE,
  COL_SIZE,
  COL_SHA256,
  COL_WIDTH,
  COL_HEIGHT,
  COL_CREATED_AT,
  COL_UPDATED_AT,
  COL_TRASHED_AT,
  COL_STATUS,
  COL_FAILURE_REASON,
  COL_OBJECT_KEY,
  COL_THUMBNAIL_KEY,
  COL_PREVIEW_KEY,
  COL_LABELS,
  COL_METADATA,
  COL_TAGS,
};

/* Tags are stored one per row; these add and remove a JSON array of them
 * in one statement, whatever the number. A tag row copies its image's
 * owner and created_at from the images row, so they cannot disagree. */
#define SQL_ADD_TAGS \
  "INSERT OR IGNORE INTO image_tags (image_id, owner, tag, created_at) " \
  "SELECT images.id, images.owner, j.value, images.created_at " \
  "FROM images, json_each (:tags) AS j WHERE images.id = :id"
#define SQL_REMOVE_TAGS \
  "DELETE FROM image_tags WHERE image_id = :id " \
  "AND tag IN (SELECT value FROM json_each (:tags))"

/* Past this many tags, "any" reads the gallery in order instead of
 * merging one ordered range per tag. */
#define MAX_ANY_RANGES 16

/* Binding helpers: by name, so one helper serves every statement; a name
 * the statement does not use is skipped. */

static void
bind_text (sqlite3_stmt *stmt,
           const char   *name,
           const char   *value)
{
  int index = sqlite3_bind_parameter_index (stmt, name);

  if (index > 0)
    {
      if (value != NULL)
        sqlite3_bind_text (stmt, index, value, -1, SQLITE_TRANSIENT);
      else
        sqlite3_bind_null (stmt, index);
    }
}

static void
bind_int64 (sqlite3_stmt *stmt,
            const char   *name,
            gint64        value)
{
  int index = sqlite3_bind_parameter_index (stmt, name);

  if (index > 0)
    sqlite3_bind_int64 (stmt, index, value);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static JsonNode *
parse_json (const char *text)
{
  /* One parser per thread: a listing parses two small documents per row,
   * and making a parser (a GObject) costs more than parsing them. */
  static GPrivate parsers = G_PRIVATE_INIT (g_object_unref);
  JsonParser *parser = g_private_get (&parsers);
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  if (text == NULL)
    return NULL;

  if (parser == NULL)
    {
      parser = json_parser_new_immutable ();
      g_private_set (&parsers, parser);
    }
  if (!json_parser_load_from_data (parser, text, -1, &error))
    {
      g_warning ("Stored JSON is not valid: %s", error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);

  return root ? json_node_copy (root) : NULL;
}

static char *
json_to_text (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);

  return json_generator_to_data (generator, NULL);
}

/* A JSON array of the distinct strings of @strv (NULL is an empty one). */
static char *
strv_to_json (const char * const *strv)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    {
      if (g_hash_table_add (seen, (gpointer) strv[i]))
        json_builder_add_string_value (builder, strv[i]);
    }
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);

  return json_to_text (root);
}

static char *
tags_to_json (const GPtrArray *tags)
{
  g_autofree const char **strv = g_new0 (const char *, tags->len + 1);

  for (guint i = 0; i < tags->len; i++)
    strv[i] = g_ptr_array_index (tags, i);

  return strv_to_json (strv);
}

static char *
labels_to_json (const GPtrArray *labels)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; labels != NULL && i < labels->len; i++)
    {
      const TesseraLabel *label = g_ptr_array_index (labels, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, label->name);
      json_builder_set_member_name (builder, "confidence");
      json_builder_add_double_value (builder, label->confidence);
      json_builder_set_member_name (builder, "source");
      json_builder_add_string_value (builder, label->source);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);

  return json_to_text (root);
}

static char *
metadata_to_json (JsonObject *metadata)
{
  g_autoptr(JsonNode) root = NULL;

  if (metadata == NULL)
    return NULL;

  root = json_node_init_object (json_node_alloc (), metadata);

  return json_to_text (root);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static TesseraImageRecord *
record_from_row (sqlite3_stmt *stmt)
{
  TesseraImageRecord *record = tessera_image_record_new ();
  g_autoptr(JsonNode) labels = NULL;
  g_autoptr(JsonNode) metadata = NULL;
  g_autoptr(JsonNode) tags = NULL;

  record->id = column_dup (stmt, COL_ID);
  record->owner = column_dup (stmt, COL_OWNER);
  record->filename = column_dup (stmt, COL_FILENAME);
  record->content_type = column_dup (stmt, COL_CONTENT_TYPE);
  record->size = sqlite3_column_int64 (stmt, COL_SIZE);
  record->sha256 = column_dup (stmt, COL_SHA256);
  record->width = sqlite3_column_int (stmt, COL_WIDTH);
  record->height = sqlite3_column_int (stmt, COL_HEIGHT);
  record->created_at = sqlite3_column_int64 (stmt, COL_CREATED_AT);
  record->updated_at = sqlite3_column_int64 (stmt, COL_UPDATED_AT);
  record->trashed_at = sqlite3_column_int64 (stmt, COL_TRASHED_AT);
  if (!tessera_image_status_from_string ((const char *) sqlite3_column_text (stmt, COL_STATUS),
                                         &record->status))
    record->status = TESSERA_IMAGE_STATUS_FAILED;
  record->failure_reason = column_dup (stmt, COL_FAILURE_REASON);
  record->object_key = column_dup (stmt, COL_OBJECT_KEY);
  record->thumbnail_key = column_dup (stmt, COL_THUMBNAIL_KEY);
  record->preview_key = column_dup (stmt, COL_PREVIEW_KEY);

  labels = parse_json ((const char *) sqlite3_column_text (stmt, COL_LABELS));
  if (labels != NULL && JSON_NODE_HOLDS_ARRAY (labels))
    {
      JsonArray *array = json_node_get_array (labels);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          JsonObject *object;

          if (!JSON_NODE_HOLDS_OBJECT (element))
            continue;
          object = json_node_get_object (element);
          tessera_image_record_add_label (record,
                                          json_object_get_string_member_with_default (object, "name", ""),
                                          json_object_get_double_member_with_default (object, "confidence", 0.0),
                                          json_object_get_string_member_with_default (object, "source", NULL));
        }
    }

  metadata = parse_json ((const char *) sqlite3_column_text (stmt, COL_METADATA));
  if (metadata != NULL && JSON_NODE_HOLDS_OBJECT (metadata))
    record->metadata = json_object_ref (json_node_get_object (metadata));

  tags = parse_json ((const char *) sqlite3_column_text (stmt, COL_TAGS));
  if (tags != NULL && JSON_NODE_HOLDS_ARRAY (tags))
    {
      JsonArray *array = json_node_get_array (tags);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          const char *tag = json_array_get_string_element (array, i);

          if (tag != NULL)
            g_ptr_array_add (record->tags, g_strdup (tag));
        }
      /* json_group_array keeps no promised order; BINARY collation is
       * strcmp() order, which is what the listing shows. */
      g_ptr_array_sort (record->tags, compare_strings);
    }

  return record;
}

static gboolean
not_found (GError **error)
{
  g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND, "No such image");
  return FALSE;
}

/* Steps @stmt to its end (a statement that writes); FALSE with @error on
 * failure. */
static gboolean
step_done (TesseraLocalConn  *conn,
           sqlite3_stmt      *stmt,
           GError           **error)
{
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      tessera_local_conn_set_error (conn, error);
      sqlite3_reset (stmt);
      return FALSE;
    }

  sqlite3_reset (stmt);

  return TRUE;
}

/* Runs a query and collects its rows as records. */
static GPtrArray *
collect_records (TesseraLocalConn  *conn,
                 sqlite3_stmt      *stmt,
                 GError           **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_image_record_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (records, record_from_row (stmt));

  if (rc != SQLITE_DONE)
    {
      tessera_local_conn_set_error (conn, error);
      sqlite3_reset (stmt);
      return NULL;
    }

  sqlite3_reset (stmt);

  return g_steal_pointer (&records);
}

/* One record, NULL without error when there is none. */
static TesseraImageRecord *
fetch_one (TesseraLocalConn  *conn,
           sqlite3_stmt      *stmt,
           GError           **error)
{
  TesseraImageRecord *record = NULL;

  switch (sqlite3_step (stmt))
    {
    case SQLITE_ROW:
      record = record_from_row (stmt);
      break;

    case SQLITE_DONE:
      break;

    default:
      tessera_local_conn_set_error (conn, error);
      break;
    }

  sqlite3_reset (stmt);

  return record;
}

/* Adds or removes @tags_json on an image known to exist, inside the
 * caller's transaction. */
static gboolean
change_tags (TesseraLocalConn  *conn,
             const char        *sql,
             const char        *id,
             const char        *tags_json,
             GError           **error)
{
  sqlite3_stmt *stmt;

  if (!(stmt = tessera_local_conn_prepare (conn, sql, error)))
    return FALSE;

  bind_text (stmt, ":id", id);
  bind_text (stmt, ":tags", tags_json);

  return step_done (conn, stmt, error);
}

static gboolean
tessera_local_index_insert (TesseraImageIndex         *index,
                            const TesseraImageRecord  *record,
                            GError                   **error)
{
  TesseraLocalIndex *self = TESSERA_LOCAL_INDEX (index);
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (self->db);
  g_autofree char *labels = labels_to_json (record->labels);
  g_autofree char *metadata = metadata_to_json (record->metadata);
  g_autofree char *tags = tags_to_json (record->tags);
  g_autofree char *object_key = NULL;
  sqlite3_stmt *stmt;

  if (record->object_key == NULL)
    object_key = g_strdup_printf ("u/%s/%s", record->owner, record->id);

  if (!tessera_local_conn_begin (conn, error))
    return FALSE;

  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "INSERT INTO images (id, owner, filename, content_type, size, "
                                           "sha256, width, height, created_at, updated_at, trashed_at, "
                                           "status, failure_reason, object_key, thumbnail_key, "
                                           "preview_key, labels, metadata) "
                                           "VALUES (:id, :owner, :filename, :content_type, :size, "
                                           ":sha256, :width, :height, :created_at, :updated_at, "
                                           ":trashed_at, :status, :failure_reason, :object_key, "
                                           ":thumbnail_key, :preview_key, :labels, :metadata)",
                                           error)))
    goto failed;

  bind_text (stmt, ":id", record->id);
  bind_text (stmt, ":owner", record->owner);
  bind_text (stmt, ":filename", record->filename);
  bind_text (stmt, ":content_type", record->content_type);
  bind_int64 (stmt, ":size", record->size);
  bind_text (stmt, ":sha256", record->sha256);
  bind_int64 (stmt, ":width", record->width);
  bind_int64 (stmt, ":height", record->height);
  bind_int64 (stmt, ":created_at", record->created_at);
  bind_int64 (stmt, ":updated_at", record->updated_at ? record->updated_at : record->created_at);
  bind_int64 (stmt, ":trashed_at", MAX (record->trashed_at, 0));
  bind_text (stmt, ":status", tessera_image_status_to_string (record->status));
  bind_text (stmt, ":failure_reason", record->failure_reason);
  bind_text (stmt, ":object_key", object_key ? object_key : record->object_key);
  bind_text (stmt, ":thumbnail_key", record->thumbnail_key);
  bind_text (stmt, ":preview_key", record->preview_key);
  bind_text (stmt, ":labels", labels);
  bind_text (stmt, ":metadata", metadata);

  if (!step_done (conn, stmt, error))
    goto failed;

  if (record->tags->len > 0 &&
      !change_tags (conn, SQL_ADD_TAGS, record->id, tags, error))
    goto failed;

  return tessera_local_conn_commit (conn, error);

failed:
  tessera_local_conn_rollback (conn);
  return FALSE;
}

static TesseraImageRecord *
tessera_local_index_get (TesseraImageIndex  *index,
                         const char         *owner,
                         const char         *id,
                         GError            **error)
{
  TesseraLocalIndex *self = TESSERA_LOCAL_INDEX (index);
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (self->db);
  g_autoptr(GError) local_error = NULL;
  TesseraImageRecord *record;
  sqlite3_stmt *stmt;

  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "SELECT " RECORD_COLUMNS " FROM images "
                                           "WHERE id = :id AND owner = :owner",
                                           error)))
    return NULL;

  bind_text (stmt, ":id", id);
  bind_text (stmt, ":owner", owner);

  if (!(record = fetch_one (conn, stmt, &local_error)))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        not_found (error);
    }

  return record;
}

static TesseraImageRecord *
tessera_local_index_find_by_sha256 (TesseraImageIndex  *index,
                                    const char         *owner,
                                    const char         *sha256,
                                    GError            **error)
{
  TesseraLocalIndex *self = TESSERA_LOCAL_INDEX (index);
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (self->db);
  sqlite3_stmt *stmt;

  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "SELECT " RECORD_COLUMNS " FROM images "
                                           "WHERE owner = :owner AND sha256 = :sha256 "
                                           /* "+": look up by checksum, never walk
                                            * the gallery index instead. */
                                           "AND +trashed_at = 0 AND status != 'failed' "
                                           "ORDER BY created_at, id LIMIT 1",
                                           error)))
    return NULL;

  bind_text (stmt, ":owner", owner);
  bind_text (stmt, ":sha256", sha256);

  return fetch_one (conn, stmt, error);
}

/* The filter of a listing read from the images table (in created_at
 * order for the gallery, or the trash, which is small). */
static void
append_image_filter (GString                 *sql,
                     const TesseraImageQuery *query,
                     guint                    n_tags)
{
  if (query->untagged)
    g_string_append (sql, " AND images.n_tags = 0");
  else if (n_tags > 0 && query->match == TESSERA_TAG_MATCH_ANY)
    g_string_append (sql,
                     " AND EXISTS (SELECT 1 FROM image_tags x WHERE x.image_id = images.id"
                     " AND x.tag IN (SELECT value FROM json_each (:tags)))");
  else if (n_tags > 0)
    /* An image has a tag at most once (the primary key), so as many
     * matching rows as tags asked means all of them. */
    g_string_append (sql,
                     " AND (SELECT count(*) FROM image_tags x WHERE x.image_id = images.id"
                     " AND x.tag IN (SELECT value FROM json_each (:tags))) = :n_tags");
}

/* The rows of one tag's range in image_tags (alias d) that are in the
 * gallery, after the cursor, newest first. */
static void
append_tag_range (GString    *sql,
                  const char *tag_expression,
                  gboolean    after)
{
  g_string_append_printf (sql,
                          "image_tags d CROSS JOIN images ON images.id = d.image_id"
                          " WHERE d.owner = :owner AND d.tag = %s AND images.trashed_at = 0",
                          tag_expression);
  if (after)
    g_string_append (sql, " AND (d.created_at, d.image_id) < (:after_created_at, :after_id)");
}

/* A listing's SQL is made of a few fixed pieces chosen by the shape of
 * the query (never by its values, which are all bound), so each shape is
 * one cached statement. The plan is spelled out with CROSS JOIN rather
 * than left to statistics: a page costs about `limit` index steps, not a
 * pass over the user's images.
 *
 * - no tag filter, or "any" of very many tags: the images index (owner,
 *   trashed_at, created_at DESC, id DESC);
 * - untagged: the partial index of untagged gallery images;
 * - the trash (small): its range of that index, sorted;
 * - "all": walk the range of the rarest of the tags in image_tags (owner,
 *   tag, created_at DESC, image_id DESC), checking the others by primary
 *   key;
 * - "any": the first `limit` of each tag's range, merged. */
static char *
list_sql (const TesseraImageQuery *query,
          guint                    n_tags)
{
  gboolean after = query->after_created_at != 0 || query->after_id != NULL;
  GString *sql = g_string_new ("SELECT " RECORD_COLUMNS " FROM ");

  if (query->trashed)
    {
      /* The trash is not in created_at order in the index: sort just the
       * ids ("> 0" so the index range holds only the trash), then read the
       * page's rows. */
      g_string_append (sql,
                       "(SELECT images.id AS pid FROM images"
                       " WHERE images.owner = :owner AND images.trashed_at > 0");
      if (after)
        g_string_append (sql, " AND (images.created_at, images.id) < (:after_created_at, :after_id)");
      append_image_filter (sql, query, n_tags);
      g_string_append (sql,
                       " ORDER BY images.created_at DESC, images.id DESC LIMIT :limit)"
                       " AS p CROSS JOIN images ON images.id = p.pid"
                       " ORDER BY images.created_at DESC, images.id DESC");
    }
  else if (query->untagged || n_tags == 0 ||
           (query->match == TESSERA_TAG_MATCH_ANY && n_tags > MAX_ANY_RANGES))
    {
      g_string_append (sql, query->untagged ? "images INDEXED BY images_untagged" : "images");
      g_string_append (sql, " WHERE images.owner = :owner AND images.trashed_at = 0");
      if (after)
        g_string_append (sql, " AND (images.created_at, images.id) < (:after_created_at, :after_id)");
      append_image_filter (sql, query, n_tags);
      g_string_append (sql, " ORDER BY images.created_at DESC, images.id DESC LIMIT :limit");
    }
  else if (n_tags == 1 || query->match == TESSERA_TAG_MATCH_ALL)
    {
      /* The rarest tag drives; counting at most a few thousand rows of
       * each is enough to tell a rare tag from a common one. */
      append_tag_range (sql,
                        n_tags == 1
                        ? "json_extract (:tags, '$[0]')"
                        : "(SELECT value FROM json_each (:tags) ORDER BY"
                          " (SELECT count(*) FROM (SELECT 1 FROM image_tags c"
                          " WHERE c.owner = :owner AND c.tag = value LIMIT 2000)), key LIMIT 1)",
                        after);
      if (n_tags > 1)
        g_string_append (sql,
                         " AND (SELECT count(*) FROM image_tags x WHERE x.image_id = d.image_id"
                         " AND x.tag IN (SELECT value FROM json_each (:tags))) = :n_tags");
      g_string_append (sql, " ORDER BY d.created_at DESC, d.image_id DESC LIMIT :limit");
    }
  else
    {
      /* The next page is among the first `limit` of some tag's range. */
      g_string_append (sql, "(SELECT DISTINCT image_id AS cid FROM (");
      for (guint i = 0; i < n_tags; i++)
        {
          g_autofree char *tag_expression = g_strdup_printf ("json_extract (:tags, '$[%u]')", i);

          if (i > 0)
            g_string_append (sql, " UNION ALL ");
          g_string_append (sql, "SELECT * FROM (SELECT d.image_id FROM ");
          append_tag_range (sql, tag_expression, after);
          g_string_append (sql, " ORDER BY d.created_at DESC, d.image_id DESC LIMIT :limit)");
        }
      g_string_append (sql,
                       ")) AS c CROSS JOIN images ON images.id = c.cid"
                       " ORDER BY images.created_at DESC, images.id DESC LIMIT :limit");
    }

  return g_string_free (sql, FALSE);
}

static GPtrArray *
tessera_local_index_list (TesseraImageIndex        *index,
                          const TesseraImageQuery  *query,
                          gboolean                 *more,
                          GError                  **error)
{
  TesseraLocalIndex *self = TESSERA_LOCAL_INDEX (index);
  g_autoptr(TesseraLocalConn) conn = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) tags = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *sql = NULL;
  g_autofree char *tags_json = NULL;
  sqlite3_stmt *stmt;

  if (more != NULL)
    *more = FALSE;

  /* Each tag once: "all" counts matches against the number of tags. */
  for (guint i = 0; query->tags != NULL && query->tags[i] != NULL; i++)
    if (g_hash_table_add (seen, (gpointer) query->tags[i]))
      g_ptr_array_add (tags, (gpointer) query->tags[i]);

  /* Untagged images carry none of the tags asked for. */
  if (query->untagged && tags->len > 0)
    return g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_image_record_free);

  if (tags->len > 0)
    {
      g_ptr_array_add (tags, NULL);
      tags_json = strv_to_json ((const char * const *) tags->pdata);
      g_ptr_array_set_size (tags, tags->len - 1);
    }

  sql = list_sql (query, tags->len);
  conn = tessera_local_db_acquire (self->db);
  if (!(stmt = tessera_local_conn_prepare (conn, sql, error)))
    return NULL;

  bind_text (stmt, ":owner", query->owner);
  bind_int64 (stmt, ":after_created_at", query->after_created_at);
  bind_text (stmt, ":after_id", query->after_id ? query->after_id : "");
  bind_text (stmt, ":tags", tags_json);
  bind_int64 (stmt, ":n_tags", tags->len);
  /* One more than asked: its presence says whether a next page exists. */
  bind_int64 (stmt, ":limit", (gint64) query->limit + 1);

  if (!(records = collect_records (conn, stmt, error)))
    return NULL;

  if (records->len > query->limit)
    {
      g_ptr_array_set_size (records, query->limit);
      if (more != NULL)
        *more = TRUE;
    }

  return g_steal_pointer (&records);
}

/* Does @owner have image @id (in the gallery when @live_only)? */
static gboolean
check_image (TesseraLocalConn  *conn,
             const char        *owner,
             const char        *id,
             gboolean           live_only,
             GError           **error)
{
  sqlite3_stmt *stmt;
  int rc;

  if (!(stmt = tessera_local_conn_prepare (conn,
                                           live_only
                                           ? "SELECT 1 FROM images WHERE id = :id AND owner = :owner AND trashed_at = 0"
                                           : "SELECT 1 FROM images WHERE id = :id AND owner = :owner",
                                           error)))
    return FALSE;

  bind_text (stmt, ":id", id);
  bind_text (stmt, ":owner", owner);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    {
      sqlite3_reset (stmt);
      return rc == SQLITE_ROW ? TRUE : not_found (error);
    }

  tessera_local_conn_set_error (conn, error);
  sqlite3_reset (stmt);

  return FALSE;
}

static gboolean
touch_image (TesseraLocalConn  *conn,
             const char        *id,
             GError           **error)
{
  sqlite3_stmt *stmt;

  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "UPDATE images SET updated_at = :now WHERE id = :id",
                                           error)))
    return FALSE;

  bind_int64 (stmt, ":now", tessera_now_ms ());
  bind_text (stmt, ":id", id);

  return step_done (conn, stmt, error);
}

/* Removes first, then adds: a tag in both lists ends up on the image. */
static gboolean
tessera_local_index_update_tags (TesseraImageIndex   *index,
                                 const char          *owner,
                                 const char          *id,
                                 const char * const  *add,
                                 const char * const  *remove,
                                 GError             **error)
{
  TesseraLocalIndex *self = TESSERA_LOCAL_INDEX (index);
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (self->db);
  g_autofree char *add_json = strv_to_json (add);
  g_autofree char *remove_json = strv_to_json (remove);

  if (!tessera_local_conn_begin (conn, error))
    return FALSE;

  /* Trashed images keep their tags frozen: they are not in the gallery. */
  if (!check_image (conn, owner, id, TRUE, error))
    goto failed;

  if (remove != NULL && remove[0] != NULL &&
      !change_tags (conn, SQL_REMOVE_TAGS, id, remove_json, error))
    goto failed;

  if (add != NULL && add[0] != NULL &&
      !change_tags (conn, SQL_ADD_TAGS, id, add_json, error))
    goto failed;

  if (!touch_image (conn, id, error))
    goto failed;

  return tessera_local_conn_commit (conn, error);

failed:
  tessera_local_conn_rollback (conn);
  return FALSE;
}

/* Runs an UPDATE or DELETE of one image of @owner: NOT_FOUND when it
 * touched nothing. */
static gboolean
change_one (TesseraLocalConn  *conn,
            sqlite3_stmt      *stmt,
            GError           **error)
{
  if (!step_done (conn, stmt, error))
    return FALSE;

  if (sqlite3_changes (tessera_local_conn_get_handle (conn)) == 0)
    return not_found (error);

  return TRUE;
}

static gboolean
tessera_local_index_set_status (TesseraImageIndex   *index,
                                const char          *owner,
                                const char          *id,
                                TesseraImageStatus   status,
                                const char          *failure_reason,
                                GError             **error)
{
  TesseraLocalIndex *self = TESSERA_LOCAL_INDEX (index);
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (self->db);
  sqlite3_stmt *stmt;

  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "UPDATE images SET status = :status, "
                                           "failure_reason = :failure_reason, updated_at = :now "
                                           "WHERE id = :id AND owner = :owner",
                                           error)))
    return FALSE;

  bind_text (stmt, ":status", tessera_image_status_to_string (status));
  bind_text (stmt, ":failure_reason", failure_reason);
  bind_int64 (stmt, ":now", tessera_now_ms ());
  bind_text (stmt, ":id", id);
  bind_text (stmt, ":owner", owner);

  return change_one (conn, stmt, error);
}

static gboolean
tessera_local_index_store_result (TesseraImageIndex         *index,
                                  const TesseraImageRecord  *record,
                                  GError                   **error)
{
  TesseraLocalIndex *self = TESSERA_LOCAL_INDEX (index);
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (self->db);
  g_autofree char *labels = labels_to_json (record->labels);
  g_autofree char *metadata = metadata_to_json (record->metadata);
  g_autofree char *tags = tags_to_json (record->tags);
  sqlite3_stmt *stmt;

  if (!tessera_local_conn_begin (conn, error))
    return FALSE;

  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "UPDATE images SET content_type = :content_type, "
                                           "size = :size, sha256 = :sha256, "
                                           "width = :width, height = :height, status = :status, "
                                           "failure_reason = :failure_reason, "
                                           "thumbnail_key = :thumbnail_key, preview_key = :preview_key, "
                                           "labels = :labels, metadata = :metadata, updated_at = :now "
                                           "WHERE id = :id AND owner = :owner",
                                           error)))
    goto failed;

  bind_text (stmt, ":content_type", record->content_type);
  bind_int64 (stmt, ":size", record->size);
  bind_text (stmt, ":sha256", record->sha256);
  bind_int64 (stmt, ":width", record->width);
  bind_int64 (stmt, ":height", record->height);
  bind_text (stmt, ":status", tessera_image_status_to_string (record->status));
  bind_text (stmt, ":failure_reason", record->failure_reason);
  bind_text (stmt, ":thumbnail_key", record->thumbnail_key);
  bind_text (stmt, ":preview_key", record->preview_key);
  bind_text (stmt, ":labels", labels);
  bind_text (stmt, ":metadata", metadata);
  bind_int64 (stmt, ":now", tessera_now_ms ());
  bind_text (stmt, ":id", record->id);
  bind_text (stmt, ":owner", record->owner);

  if (!change_one (conn, stmt, error))
    goto failed;

  if (record->tags->len > 0 &&
      !change_tags (conn, SQL_ADD_TAGS, record->id, tags, error))
    goto failed;

  return tessera_local_conn_commit (conn, error);

failed:
  tessera_local_conn_rollback (conn);
  return FALSE;
}

static gboolean
tessera_local_index_set_trashed (TesseraImageIndex  *index,
                                 const char         *owner,
                                 const char         *id,
                                 gint64              trashed_at,
                                 GError            **error)
{
  TesseraLocalIndex *self = TESSERA_LOCAL_INDEX (index);
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (self->db);
  sqlite3_stmt *stmt;

  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "UPDATE images SET trashed_at = :trashed_at, updated_at = :now "
                                           "WHERE id = :id AND owner = :owner",
                                           error)))
    return FALSE;

  bind_int64 (stmt, ":trashed_at", MAX (trashed_at, 0));
  bind_int64 (stmt, ":now", tessera_now_ms ());
  bind_text (stmt, ":id", id);
  bind_text (stmt, ":owner", owner);

  return change_one (conn, stmt, error);
}

static gboolean
tessera_local_index_remove (TesseraImageIndex  *index,
                            const char         *owner,
                            const char         *id,
                            GError            **error)
{
  TesseraLocalIndex *self = TESSERA_LOCAL_INDEX (index);
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (self->db);
  sqlite3_stmt *stmt;

  if (!tessera_local_conn_begin (conn, error))
    return FALSE;

  /* The tags first, while the image row still tells the tag_counts
   * triggers whether they counted (see the schema). */
  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "DELETE FROM image_tags WHERE image_id = :id AND owner = :owner",
                                           error)))
    goto failed;

  bind_text (stmt, ":id", id);
  bind_text (stmt, ":owner", owner);

  if (!step_done (conn, stmt, error))
    goto failed;

  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "DELETE FROM images WHERE id = :id AND owner = :owner",
                                           error)))
    goto failed;

  bind_text (stmt, ":id", id);
  bind_text (stmt, ":owner", owner);

  if (!change_one (conn, stmt, error))
    goto failed;

  return tessera_local_conn_commit (conn, error);

failed:
  tessera_local_conn_rollback (conn);
  return FALSE;
}

static GPtrArray *
tessera_local_index_list_expired_trash (TesseraImageIndex  *index,
                                        gint64              trashed_before,
                                        guint               limit,
                                        GError            **error)
{
  TesseraLocalIndex *self = TESSERA_LOCAL_INDEX (index);
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (self->db);
  sqlite3_stmt *stmt;

  /* "trashed_at != 0" word for word, so the partial index applies. */
  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "SELECT " RECORD_COLUMNS " FROM images "
                                           "WHERE trashed_at != 0 AND trashed_at < :before "
                                           "ORDER BY trashed_at, id LIMIT :limit",
                                           error)))
    return NULL;

  bind_int64 (stmt, ":before", trashed_before);
  bind_int64 (stmt, ":limit", limit);

  return collect_records (conn, stmt, error);
}

static GPtrArray *
tessera_local_index_tag_counts (TesseraImageIndex  *index,
                                const char         *owner,
                                GError            **error)
{
  TesseraLocalIndex *self = TESSERA_LOCAL_INDEX (index);
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (self->db);
  g_autoptr(GPtrArray) counts = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_tag_count_free);
  sqlite3_stmt *stmt;
  int rc;

  /* Kept up to date by triggers (see the schema). */
  if (!(stmt = tessera_local_conn_prepare (conn,
                                           "SELECT tag, count FROM tag_counts "
                                           "WHERE owner = :owner AND count > 0 ORDER BY tag",
                                           error)))
    return NULL;

  bind_text (stmt, ":owner", owner);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      TesseraTagCount *count = g_new0 (TesseraTagCount, 1);

      count->name = column_dup (stmt, 0);
      count->count = sqlite3_column_int64 (stmt, 1);
      g_ptr_array_add (counts, count);
    }

  if (rc != SQLITE_DONE)
    {
      tessera_local_conn_set_error (conn, error);
      sqlite3_reset (stmt);
      return NULL;
    }

  sqlite3_reset (stmt);

  return g_steal_pointer (&counts);
}

static void
image_index_iface_init (TesseraImageIndexInterface *iface)
{
  iface->insert = tessera_local_index_insert;
  iface->get = tessera_local_index_get;
  iface->find_by_sha256 = tessera_local_index_find_by_sha256;
  iface->list = tessera_local_index_list;
  iface->update_tags = tessera_local_index_update_tags;
  iface->set_status = tessera_local_index_set_status;
  iface->store_result = tessera_local_index_store_result;
  iface->set_trashed = tessera_local_index_set_trashed;
  iface->remove = tessera_local_index_remove;
  iface->list_expired_trash = tessera_local_index_list_expired_trash;
  iface->tag_counts = tessera_local_index_tag_counts;
}

static void
tessera_local_index_dispose (GObject *object)
{
  TesseraLocalIndex *self = (TesseraLocalIndex *)object;

  g_clear_object (&self->db);

  G_OBJECT_CLASS (tessera_local_index_parent_class)->dispose (object);
}

static void
tessera_local_index_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TesseraLocalIndex *self = TESSERA_LOCAL_INDEX (object);

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
tessera_local_index_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  TesseraLocalIndex *self = TESSERA_LOCAL_INDEX (object);

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
tessera_local_index_class_init (TesseraLocalIndexClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_local_index_dispose;
  object_class->get_property = tessera_local_index_get_property;
  object_class->set_property = tessera_local_index_set_property;

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
tessera_local_index_init (TesseraLocalIndex *self)
{
}

/**
 * tessera_local_index_new:
 * @db: the database
 *
 * Returns: (transfer full): an image index over @db
 */
TesseraLocalIndex *
tessera_local_index_new (TesseraLocalDb *db)
{
  g_return_val_if_fail (TESSERA_IS_LOCAL_DB (db), NULL);

  return g_object_new (TESSERA_TYPE_LOCAL_INDEX,
                       "db", db,
                       NULL);
}
