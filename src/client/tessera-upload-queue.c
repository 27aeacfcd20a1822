/* tessera-upload-queue.c
 *
 * The queue is the list a person sees (a GListModel of items) and the
 * batch that must finish after a crash: every change of state is written
 * to a small JSON file, atomically, and a queue created on the same file
 * picks up where the last one stopped. A file is never sent twice: an
 * interrupted upload is retried from the start, and the server's sha256
 * check turns a retry whose bytes had in fact arrived into a no-op.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-upload-queue"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "tessera-upload-item-private.h"
#include "tessera-upload-queue.h"

#define DEFAULT_MAX_JOBS     4
#define DEFAULT_MAX_ATTEMPTS 8
#define RETRY_BASE_MS        500
#define RETRY_CAP_MS         30000
#define SAVE_DELAY_MS        250
#define PROCESSING_POLL_MS   500
#define PROCESSING_TIMEOUT_S 300

/* What the queue knows about an item beyond what the item shows. */
typedef struct
{
  GCancellable *cancellable;
  guint         attempts;
  guint         retry_source;
  gboolean      resumed;
  gint64        processing_deadline;
} Job;

static GQuark job_quark;

struct _TesseraUploadQueue
{
  GObject        parent_instance;

  TesseraClient *client;
  char          *state_path;
  GPtrArray     *items;
  guint          max_jobs;
  guint          max_attempts;
  guint          n_running;
  guint          pump_source;
  guint          save_source;
  gboolean       busy;
  gboolean       wait_for_processing;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TesseraUploadQueue, tessera_upload_queue, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_STATE_PATH,
  PROP_MAX_JOBS,
  PROP_MAX_ATTEMPTS,
  PROP_BUSY,
  PROP_N_ITEMS,
  PROP_WAIT_FOR_PROCESSING,
  N_PROPS
};

enum {
  ITEM_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
job_free (Job *job)
{
  if (job->cancellable != NULL)
    g_cancellable_cancel (job->cancellable);
  g_clear_object (&job->cancellable);
  g_clear_handle_id (&job->retry_source, g_source_remove);
  g_free (job);
}

static Job *
get_job (TesseraUploadItem *item)
{
  Job *job = g_object_get_qdata (G_OBJECT (item), job_quark);

  if (job == NULL)
    {
      job = g_new0 (Job, 1);
      g_object_set_qdata_full (G_OBJECT (item), job_quark, job, (GDestroyNotify) job_free);
    }

  return job;
}

static GType
list_model_get_item_type (GListModel *model)
{
  return TESSERA_TYPE_UPLOAD_ITEM;
}

static guint
list_model_get_n_items (GListModel *model)
{
  return TESSERA_UPLOAD_QUEUE (model)->items->len;
}

static gpointer
list_model_get_item (GListModel *model,
                     guint       position)
{
  TesseraUploadQueue *self = TESSERA_UPLOAD_QUEUE (model);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = list_model_get_item_type;
  iface->get_n_items = list_model_get_n_items;
  iface->get_item = list_model_get_item;
}

/* Persistence ---------------------------------------------------------------- */

static void
write_state (TesseraUploadQueue *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *data = NULL;
  gsize length;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, 1);
  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->items->len; i++)
    {
      TesseraUploadItem *item = g_ptr_array_index (self->items, i);
      g_autofree char *uri = g_file_get_uri (tessera_upload_item_get_file (item));
      Job *job = get_job (item);
      TesseraUploadState state = tessera_upload_item_get_state (item);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "uri");
      json_builder_add_string_value (builder, uri);
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, tessera_upload_state_to_string (state));
      json_builder_set_member_name (builder, "size");
      json_builder_add_int_value (builder, tessera_upload_item_get_size (item));
      json_builder_set_member_name (builder, "attempts");
      json_builder_add_int_value (builder, job->attempts);
      /* An item that was on its way when we stopped may have reached the
       * server: say so, so that the next run counts a duplicate as done. */
      json_builder_set_member_name (builder, "resumed");
      json_builder_add_boolean_value (builder, job->resumed ||
                                      state == TESSERA_UPLOAD_STATE_HASHING ||
                                      state == TESSERA_UPLOAD_STATE_UPLOADING ||
                                      state == TESSERA_UPLOAD_STATE_PROCESSING);
      if (tessera_upload_item_get_image_id (item) != NULL)
        {
          json_builder_set_member_name (builder, "imageId");
          json_builder_add_string_value (builder, tessera_upload_item_get_image_id (item));
        }
      if (tessera_upload_item_get_error_message (item) != NULL)
        {
          json_builder_set_member_name (builder, "error");
          json_builder_add_string_value (builder, tessera_upload_item_get_error_message (item));
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  data = json_generator_to_data (generator, &length);

  dir = g_path_get_dirname (self->state_path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_warning ("Could not create %s: %s", dir, g_strerror (errno));
      return;
    }
  if (!g_file_set_contents_full (self->state_path, data, length,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_warning ("Could not save the upload queue: %s", error->message);
}

static void
load_state (TesseraUploadQueue *self)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  JsonArray *items;

  if (!g_file_test (self->state_path, G_FILE_TEST_EXISTS))
    return;

  if (!json_parser_load_from_mapped_file (parser, self->state_path, &error))
    {
      g_warning ("Ignoring the unreadable upload queue %s: %s", self->state_path, error->message);
      return;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      !json_object_has_member (json_node_get_object (root), "items") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (json_node_get_object (root), "items")))
    return;

  items = json_object_get_array_member (json_node_get_object (root), "items");
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      g_autoptr(TesseraUploadItem) item = NULL;
      g_autoptr(GFile) file = NULL;
      GEnumValue *value;
      JsonObject *object;
      const char *uri, *state;
      Job *job;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      object = json_node_get_object (node);
      uri = json_object_get_string_member_with_default (object, "uri", NULL);
      state = json_object_get_string_member_with_default (object, "state", "queued");
      if (uri == NULL)
        continue;

      file = g_file_new_for_uri (uri);
      item = _tessera_upload_item_new (file);
      job = get_job (item);
      job->attempts = (guint) json_object_get_int_member_with_default (object, "attempts", 0);
      job->resumed = json_object_get_boolean_member_with_default (object, "resumed", FALSE);

      value = g_enum_get_value_by_nick (g_type_class_peek (TESSERA_TYPE_UPLOAD_STATE), state);
      if (value != NULL && tessera_upload_state_is_finished (value->value))
        {
          _tessera_upload_item_set_state (item, value->value);
          _tessera_upload_item_set_progress (item,
                                             value->value == TESSERA_UPLOAD_STATE_DONE ? 1 : 0, 1);
        }
      else
        {
          /* Whatever was under way starts again from the beginning. */
          _tessera_upload_item_set_state (item, TESSERA_UPLOAD_STATE_QUEUED);
          if (value != NULL && value->value != TESSERA_UPLOAD_STATE_QUEUED)
            job->resumed = TRUE;
        }
      _tessera_upload_item_set_image_id (item, json_object_get_string_member_with_default (object, "imageId", NULL));
      _tessera_upload_item_set_error_message (item, json_object_get_string_member_with_default (object, "error", NULL));

      g_ptr_array_add (self->items, g_steal_pointer (&item));
    }
}

static gboolean
save_cb (gpointer user_data)
{
  TesseraUploadQueue *self = user_data;

  self->save_source = 0;
  write_state (self);

  return G_SOURCE_REMOVE;
}

/* Every change is saved, but a burst of changes (a batch of small files
 * finishing) is written once: each write is an fsync. A crash loses at
 * most the last moments, which the server's sha256 check makes harmless. */
static void
save_state (TesseraUploadQueue *self)
{
  if (self->save_source == 0)
    self->save_source = g_timeout_add (SAVE_DELAY_MS, save_cb, self);
}

/* Running -------------------------------------------------------------------- */

static void schedule_pump (TesseraUploadQueue *self);

static void
update_busy (TesseraUploadQueue *self)
{
  gboolean busy = FALSE;

  for (guint i = 0; i < self->items->len && !busy; i++)
    busy = !tessera_upload_state_is_finished (tessera_upload_item_get_state (g_ptr_array_index (self->items, i)));

  if (busy != self->busy)
    {
      self->busy = busy;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }
}

/* Work in flight holds the queue weakly: dropping the queue cancels it. */
typedef struct
{
  GWeakRef           queue;
  TesseraUploadItem *item;
} Run;

static Run *
run_new (TesseraUploadQueue *queue,
         TesseraUploadItem  *item)
{
  Run *run = g_new0 (Run, 1);

  g_weak_ref_init (&run->queue, queue);
  run->item = g_object_ref (item);

  return run;
}

static void
run_free (Run *run)
{
  g_weak_ref_clear (&run->queue);
  g_clear_object (&run->item);
  g_free (run);
}

static void
progress_cb (goffset  sent,
             goffset  total,
             gpointer user_data)
{
  TesseraUploadItem *item = user_data;

  if (tessera_upload_item_get_state (item) == TESSERA_UPLOAD_STATE_HASHING)
    _tessera_upload_item_set_state (item, TESSERA_UPLOAD_STATE_UPLOADING);
  _tessera_upload_item_set_progress (item, sent, total);
}

static gboolean
retry_cb (gpointer user_data)
{
  Run *run = user_data;
  g_autoptr(TesseraUploadQueue) self = g_weak_ref_get (&run->queue);
  Job *job = get_job (run->item);

  job->retry_source = 0;
  if (self != NULL)
    schedule_pump (self);

  return G_SOURCE_REMOVE;
}

static gboolean
is_transient (const GError *error)
{
  return g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_OFFLINE) ||
         g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_SERVER) ||
         g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_RATE_LIMITED);
}

static void poll_processing (TesseraUploadQueue *self,
                             TesseraUploadItem  *item);

static gboolean
poll_again_cb (gpointer user_data)
{
  Run *run = user_data;
  g_autoptr(TesseraUploadQueue) self = g_weak_ref_get (&run->queue);

  get_job (run->item)->retry_source = 0;
  if (self != NULL && self->items != NULL)
    poll_processing (self, run->item);

  return G_SOURCE_REMOVE;
}

static void
processed_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(TesseraUploadQueue) self = g_weak_ref_get (&run->queue);
  TesseraUploadItem *item = run->item;
  g_autoptr(TesseraImage) image = NULL;
  g_autoptr(GError) error = NULL;
  const char *status;
  Job *job;

  image = tessera_client_get_image_finish (TESSERA_CLIENT (object), result, &error);
  if (self == NULL || self->items == NULL ||
      tessera_upload_item_get_state (item) != TESSERA_UPLOAD_STATE_PROCESSING)
    {
      run_free (run);
      return;
    }

  job = get_job (item);
  g_clear_object (&job->cancellable);
  status = image != NULL ? tessera_image_get_status (image) : NULL;

  if (g_strcmp0 (status, "failed") == 0)
    {
      const char *reason = tessera_image_get_failure_reason (image);

      _tessera_upload_item_set_error_message (item, reason ? reason : "The server could not process this image");
      _tessera_upload_item_set_state (item, TESSERA_UPLOAD_STATE_FAILED);
      g_signal_emit (self, signals[ITEM_FINISHED], 0, item);
    }
  else if (g_strcmp0 (status, "ready") == 0 ||
           (image == NULL && !is_transient (error)) ||
           g_get_monotonic_time () > job->processing_deadline)
    {
      /* Ready, or gone (deleted meanwhile), or slow: the upload itself
       * is done either way. */
      _tessera_upload_item_set_state (item, TESSERA_UPLOAD_STATE_DONE);
      g_signal_emit (self, signals[ITEM_FINISHED], 0, item);
    }
  else
    job->retry_source = g_timeout_add_full (G_PRIORITY_DEFAULT, PROCESSING_POLL_MS, poll_again_cb,
                                            run_new (self, item), (GDestroyNotify) run_free);

  save_state (self);
  update_busy (self);
  run_free (run);
}

static void
poll_processing (TesseraUploadQueue *self,
                 TesseraUploadItem  *item)
{
  Job *job = get_job (item);

  g_clear_object (&job->cancellable);
  job->cancellable = g_cancellable_new ();
  tessera_client_get_image_async (self->client, tessera_upload_item_get_image_id (item),
                                  job->cancellable, processed_cb, run_new (self, item));
}

static void
upload_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  TesseraClient *client = TESSERA_CLIENT (object);
  Run *run = user_data;
  g_autoptr(TesseraUploadQueue) self = g_weak_ref_get (&run->queue);
  TesseraUploadItem *item = run->item;
  g_autoptr(GError) error = NULL;
  g_autofree char *image_id = NULL;
  gboolean duplicate = FALSE;
  Job *job;

  image_id = tessera_client_upload_file_finish (client, result, &duplicate, &error);
  if (self == NULL || self->items == NULL)
    {
      run_free (run);
      return;
    }

  job = get_job (item);
  self->n_running--;
  g_clear_object (&job->cancellable);

  if (tessera_upload_item_get_state (item) == TESSERA_UPLOAD_STATE_CANCELLED)
    {
      /* Cancelled by the user while it ran; the state is already right. */
    }
  else if (image_id != NULL)
    {
      _tessera_upload_item_set_image_id (item, image_id);
      _tessera_upload_item_set_error_message (item, NULL);
      _tessera_upload_item_set_progress (item, tessera_upload_item_get_size (item),
                                         tessera_upload_item_get_size (item));
      /* A duplicate of our own interrupted attempt is this very upload.
       * Two copies of one file sent at once both complete the same image
       * (the server hands out one form per sha256): the later is the
       * duplicate. */
      if (!duplicate || job->resumed)
        duplicate = FALSE;
      for (guint i = 0; i < self->items->len && !duplicate; i++)
        {
          TesseraUploadItem *other = g_ptr_array_index (self->items, i);

          duplicate = other != item &&
                      tessera_upload_item_get_state (other) == TESSERA_UPLOAD_STATE_DONE &&
                      g_strcmp0 (tessera_upload_item_get_image_id (other), image_id) == 0;
        }
      if (!duplicate && self->wait_for_processing)
        {
          _tessera_upload_item_set_state (item, TESSERA_UPLOAD_STATE_PROCESSING);
          job->processing_deadline = g_get_monotonic_time () + PROCESSING_TIMEOUT_S * G_USEC_PER_SEC;
          poll_processing (self, item);
        }
      else
        {
          _tessera_upload_item_set_state (item, duplicate
                                                ? TESSERA_UPLOAD_STATE_DUPLICATE
                                                : TESSERA_UPLOAD_STATE_DONE);
          g_signal_emit (self, signals[ITEM_FINISHED], 0, item);
        }
    }
  else if (is_transient (error) && job->attempts < self->max_attempts)
    {
      guint delay = tessera_client_error_get_retry_after (error) * 1000;

      if (delay == 0)
        {
          delay = MIN (RETRY_BASE_MS << MIN (job->attempts, 10), RETRY_CAP_MS);
          delay = delay / 2 + g_random_int_range (0, (int) (delay / 2) + 1);
        }
      job->attempts++;
      job->resumed = TRUE;
      g_debug ("Retrying an upload in %u ms: %s", delay, error->message);
      _tessera_upload_item_set_error_message (item, error->message);
      _tessera_upload_item_set_state (item, TESSERA_UPLOAD_STATE_QUEUED);
      job->retry_source = g_timeout_add_full (G_PRIORITY_DEFAULT, delay, retry_cb,
                                              run_new (self, item), (GDestroyNotify) run_free);
    }
  else
    {
      _tessera_upload_item_set_error_message (item, error->message);
      _tessera_upload_item_set_state (item, g_error_matches (error, TESSERA_CLIENT_ERROR,
                                                             TESSERA_CLIENT_ERROR_CANCELLED)
                                            ? TESSERA_UPLOAD_STATE_CANCELLED
                                            : TESSERA_UPLOAD_STATE_FAILED);
      g_signal_emit (self, signals[ITEM_FINISHED], 0, item);
    }

  save_state (self);
  schedule_pump (self);
  update_busy (self);
  run_free (run);
}

static void
start_item (TesseraUploadQueue *self,
            TesseraUploadItem  *item)
{
  Job *job = get_job (item);
  Run *run;

  g_assert (job->cancellable == NULL);

  job->cancellable = g_cancellable_new ();
  self->n_running++;
  _tessera_upload_item_set_state (item, TESSERA_UPLOAD_STATE_HASHING);
  _tessera_upload_item_set_progress (item, 0, tessera_upload_item_get_size (item));

  run = run_new (self, item);

  tessera_client_upload_file_async (self->client, tessera_upload_item_get_file (item),
                                    progress_cb, g_object_ref (item), g_object_unref,
                                    job->cancellable, upload_done_cb, run);
}

static gboolean
pump_cb (gpointer user_data)
{
  TesseraUploadQueue *self = user_data;
  gboolean started = FALSE;

  self->pump_source = 0;

  for (guint i = 0; i < self->items->len && self->n_running < self->max_jobs; i++)
    {
      TesseraUploadItem *item = g_ptr_array_index (self->items, i);
      Job *job = get_job (item);

      if (tessera_upload_item_get_state (item) == TESSERA_UPLOAD_STATE_QUEUED &&
          job->retry_source == 0 && job->cancellable == NULL)
        {
          start_item (self, item);
          started = TRUE;
        }
    }

  if (started)
    save_state (self);
  update_busy (self);

  return G_SOURCE_REMOVE;
}

static void
schedule_pump (TesseraUploadQueue *self)
{
  if (self->pump_source == 0)
    self->pump_source = g_idle_add (pump_cb, self);
}

/* Object --------------------------------------------------------------------- */

static void
tessera_upload_queue_dispose (GObject *object)
{
  TesseraUploadQueue *self = (TesseraUploadQueue *)object;

  g_clear_handle_id (&self->pump_source, g_source_remove);
  if (self->save_source != 0)
    {
      g_clear_handle_id (&self->save_source, g_source_remove);
      write_state (self);
    }

  /* Dropping the jobs cancels what runs; the saved state keeps it queued. */
  if (self->items != NULL)
    for (guint i = 0; i < self->items->len; i++)
      g_object_set_qdata (g_ptr_array_index (self->items, i), job_quark, NULL);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (tessera_upload_queue_parent_class)->dispose (object);
}

static void
tessera_upload_queue_finalize (GObject *object)
{
  TesseraUploadQueue *self = (TesseraUploadQueue *)object;

  g_clear_pointer (&self->state_path, g_free);

  G_OBJECT_CLASS (tessera_upload_queue_parent_class)->finalize (object);
}

static void
tessera_upload_queue_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  TesseraUploadQueue *self = TESSERA_UPLOAD_QUEUE (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_STATE_PATH: g_value_set_string (value, self->state_path); break;
    case PROP_MAX_JOBS: g_value_set_uint (value, self->max_jobs); break;
    case PROP_MAX_ATTEMPTS: g_value_set_uint (value, self->max_attempts); break;
    case PROP_BUSY: g_value_set_boolean (value, self->busy); break;
    case PROP_N_ITEMS: g_value_set_uint (value, self->items->len); break;
    case PROP_WAIT_FOR_PROCESSING: g_value_set_boolean (value, self->wait_for_processing); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_upload_queue_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  TesseraUploadQueue *self = TESSERA_UPLOAD_QUEUE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_STATE_PATH:
      self->state_path = g_value_dup_string (value);
      break;
    case PROP_MAX_JOBS:
      tessera_upload_queue_set_max_jobs (self, g_value_get_uint (value));
      break;
    case PROP_MAX_ATTEMPTS:
      tessera_upload_queue_set_max_attempts (self, g_value_get_uint (value));
      break;
    case PROP_WAIT_FOR_PROCESSING:
      tessera_upload_queue_set_wait_for_processing (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_upload_queue_constructed (GObject *object)
{
  TesseraUploadQueue *self = (TesseraUploadQueue *)object;

  G_OBJECT_CLASS (tessera_upload_queue_parent_class)->constructed (object);

  if (self->state_path == NULL)
    self->state_path = g_build_filename (g_get_user_data_dir (), "tessera", "uploads.json", NULL);

  load_state (self);
  update_busy (self);
  if (self->busy)
    schedule_pump (self);
}

static void
tessera_upload_queue_class_init (TesseraUploadQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = tessera_upload_queue_constructed;
  object_class->dispose = tessera_upload_queue_dispose;
  object_class->finalize = tessera_upload_queue_finalize;
  object_class->get_property = tessera_upload_queue_get_property;
  object_class->set_property = tessera_upload_queue_set_property;

  job_quark = g_quark_from_static_string ("tessera-upload-queue-job");

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, TESSERA_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE_PATH] =
    g_param_spec_string ("state-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_JOBS] =
    g_param_spec_uint ("max-jobs", NULL, NULL, 1, 64, DEFAULT_MAX_JOBS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAX_ATTEMPTS] =
    g_param_spec_uint ("max-attempts", NULL, NULL, 0, 100, DEFAULT_MAX_ATTEMPTS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * TesseraUploadQueue:busy:
   *
   * Whether some item is still queued or under way.
   */
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * TesseraUploadQueue:wait-for-processing:
   *
   * When %TRUE, an uploaded item stays in
   * %TESSERA_UPLOAD_STATE_PROCESSING until the server has made its
   * thumbnails (polling the image, without holding an upload slot), and
   * ends failed with the server's reason if the file was no usable image.
   * When %FALSE (the default) it is done as soon as the bytes arrived.
   */
  properties[PROP_WAIT_FOR_PROCESSING] =
    g_param_spec_boolean ("wait-for-processing", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TesseraUploadQueue::item-finished:
   * @item: the item, now done, duplicate, failed or cancelled
   */
  signals[ITEM_FINISHED] =
    g_signal_new ("item-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, TESSERA_TYPE_UPLOAD_ITEM);
}

static void
tessera_upload_queue_init (TesseraUploadQueue *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->max_jobs = DEFAULT_MAX_JOBS;
  self->max_attempts = DEFAULT_MAX_ATTEMPTS;
}

/**
 * tessera_upload_queue_new:
 * @client: the client to upload with
 * @state_path: (nullable): where to keep the queue's state, by default
 *   `$XDG_DATA_HOME/tessera/uploads.json`
 *
 * Creates a queue and resumes what a previous queue on the same state file
 * left unfinished.
 *
 * Returns: (transfer full): a new queue
 */
TesseraUploadQueue *
tessera_upload_queue_new (TesseraClient *client,
                          const char    *state_path)
{
  g_return_val_if_fail (TESSERA_IS_CLIENT (client), NULL);

  return g_object_new (TESSERA_TYPE_UPLOAD_QUEUE,
                       "client", client,
                       "state-path", state_path,
                       NULL);
}

/**
 * tessera_upload_queue_get_client:
 *
 * Returns: (transfer none): the client
 */
TesseraClient *
tessera_upload_queue_get_client (TesseraUploadQueue *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_QUEUE (self), NULL);

  return self->client;
}

const char *
tessera_upload_queue_get_state_path (TesseraUploadQueue *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_QUEUE (self), NULL);

  return self->state_path;
}

guint
tessera_upload_queue_get_max_jobs (TesseraUploadQueue *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_QUEUE (self), 0);

  return self->max_jobs;
}

void
tessera_upload_queue_set_max_jobs (TesseraUploadQueue *self,
                                   guint               max_jobs)
{
  g_return_if_fail (TESSERA_IS_UPLOAD_QUEUE (self));

  max_jobs = CLAMP (max_jobs, 1, 64);
  if (max_jobs != self->max_jobs)
    {
      self->max_jobs = max_jobs;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_JOBS]);
      schedule_pump (self);
    }
}

guint
tessera_upload_queue_get_max_attempts (TesseraUploadQueue *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_QUEUE (self), 0);

  return self->max_attempts;
}

void
tessera_upload_queue_set_max_attempts (TesseraUploadQueue *self,
                                       guint               max_attempts)
{
  g_return_if_fail (TESSERA_IS_UPLOAD_QUEUE (self));

  if (max_attempts != self->max_attempts)
    {
      self->max_attempts = max_attempts;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_ATTEMPTS]);
    }
}

gboolean
tessera_upload_queue_get_busy (TesseraUploadQueue *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_QUEUE (self), FALSE);

  return self->busy;
}

/**
 * tessera_upload_queue_add_file:
 * @self: a #TesseraUploadQueue
 * @file: a file to upload
 *
 * Queues @file, unless it is already queued and unfinished.
 *
 * Returns: (transfer none): the item for @file
 */
TesseraUploadItem *
tessera_upload_queue_add_file (TesseraUploadQueue *self,
                               GFile              *file)
{
  TesseraUploadItem *item;

  g_return_val_if_fail (TESSERA_IS_UPLOAD_QUEUE (self), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  for (guint i = 0; i < self->items->len; i++)
    {
      item = g_ptr_array_index (self->items, i);
      if (!tessera_upload_state_is_finished (tessera_upload_item_get_state (item)) &&
          g_file_equal (tessera_upload_item_get_file (item), file))
        return item;
    }

  item = _tessera_upload_item_new (file);
  g_ptr_array_add (self->items, item);
  g_list_model_items_changed (G_LIST_MODEL (self), self->items->len - 1, 0, 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);

  save_state (self);
  update_busy (self);
  schedule_pump (self);

  return item;
}

/**
 * tessera_upload_queue_cancel:
 *
 * Stops @item wherever it is; a running upload is aborted at once.
 */
void
tessera_upload_queue_cancel (TesseraUploadQueue *self,
                             TesseraUploadItem  *item)
{
  Job *job;

  g_return_if_fail (TESSERA_IS_UPLOAD_QUEUE (self));
  g_return_if_fail (TESSERA_IS_UPLOAD_ITEM (item));

  if (tessera_upload_state_is_finished (tessera_upload_item_get_state (item)))
    return;

  job = get_job (item);
  _tessera_upload_item_set_state (item, TESSERA_UPLOAD_STATE_CANCELLED);
  g_clear_handle_id (&job->retry_source, g_source_remove);
  if (job->cancellable != NULL)
    g_cancellable_cancel (job->cancellable);
  g_signal_emit (self, signals[ITEM_FINISHED], 0, item);

  save_state (self);
  update_busy (self);
}

void
tessera_upload_queue_cancel_all (TesseraUploadQueue *self)
{
  g_return_if_fail (TESSERA_IS_UPLOAD_QUEUE (self));

  for (guint i = 0; i < self->items->len; i++)
    tessera_upload_queue_cancel (self, g_ptr_array_index (self->items, i));
}

/**
 * tessera_upload_queue_retry:
 *
 * Queues a failed or cancelled item again.
 */
void
tessera_upload_queue_retry (TesseraUploadQueue *self,
                            TesseraUploadItem  *item)
{
  TesseraUploadState state;
  Job *job;

  g_return_if_fail (TESSERA_IS_UPLOAD_QUEUE (self));
  g_return_if_fail (TESSERA_IS_UPLOAD_ITEM (item));

  state = tessera_upload_item_get_state (item);
  if (state != TESSERA_UPLOAD_STATE_FAILED && state != TESSERA_UPLOAD_STATE_CANCELLED)
    return;

  job = get_job (item);
  job->attempts = 0;
  job->resumed = TRUE;
  _tessera_upload_item_set_error_message (item, NULL);
  _tessera_upload_item_set_progress (item, 0, tessera_upload_item_get_size (item));
  _tessera_upload_item_set_state (item, TESSERA_UPLOAD_STATE_QUEUED);

  save_state (self);
  update_busy (self);
  schedule_pump (self);
}

/**
 * tessera_upload_queue_clear_finished:
 *
 * Removes the items that are done, duplicates or cancelled; failed items
 * stay until retried or cancelled.
 */
void
tessera_upload_queue_clear_finished (TesseraUploadQueue *self)
{
  g_return_if_fail (TESSERA_IS_UPLOAD_QUEUE (self));

  for (guint i = self->items->len; i > 0; i--)
    {
      TesseraUploadState state = tessera_upload_item_get_state (g_ptr_array_index (self->items, i - 1));

      if (state == TESSERA_UPLOAD_STATE_DONE || state == TESSERA_UPLOAD_STATE_DUPLICATE ||
          state == TESSERA_UPLOAD_STATE_CANCELLED)
        {
          g_ptr_array_remove_index (self->items, i - 1);
          g_list_model_items_changed (G_LIST_MODEL (self), i - 1, 1, 0);
        }
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  save_state (self);
}

gboolean
tessera_upload_queue_get_wait_for_processing (TesseraUploadQueue *self)
{
  g_return_val_if_fail (TESSERA_IS_UPLOAD_QUEUE (self), FALSE);

  return self->wait_for_processing;
}

void
tessera_upload_queue_set_wait_for_processing (TesseraUploadQueue *self,
                                              gboolean            wait_for_processing)
{
  g_return_if_fail (TESSERA_IS_UPLOAD_QUEUE (self));

  wait_for_processing = !!wait_for_processing;
  if (wait_for_processing != self->wait_for_processing)
    {
      self->wait_for_processing = wait_for_processing;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WAIT_FOR_PROCESSING]);
    }
}
