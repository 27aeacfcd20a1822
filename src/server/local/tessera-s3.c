/* tessera-s3.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-s3"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include "tessera-gateway.h"
#include "tessera-s3.h"
#include "tessera-sigv4.h"
#include "tessera-util.h"

/* Fields before the file: a policy is a few KiB; S3 allows 20 KiB. */
#define MAX_FORM_FIELDS_SIZE (20 * 1024)
/* Room for the fields and multipart framing around the file. */
#define FORM_OVERHEAD (64 * 1024)
#define POST_BUFFER_SIZE (64 * 1024)

struct _TesseraS3
{
  GObject                     parent_instance;

  TesseraLocalObjectStore    *store;
  TesseraJobQueue            *queue;
  char                       *bucket;
  char                       *region;
  char                       *access_key_id;
  char                       *secret_access_key;
  char                       *public_url;
  gint64                      max_upload_size;
  guint                       url_expires;

  TesseraS3ObjectCreatedFunc  object_created_func;
  gpointer                    object_created_data;
};

struct _TesseraS3Request
{
  TesseraS3                *s3;
  char                     *source_ip;

  /* POST */
  struct MHD_PostProcessor *post;
  TesseraSigv4PostForm     *form;
  gsize                     fields_size;
  char                     *field_name;
  GString                  *field_value;
  gboolean                  file_started;
  gboolean                  file_ended;
  char                     *key;
  char                     *content_type;
  gint64                    max_size;
  TesseraObjectWriter      *writer;
  GPtrArray                *meta_names;

  /* The first error wins; it is answered once the body is consumed. */
  guint                     error_status;
  char                     *error_code;
  char                     *error_message;
};

G_DEFINE_FINAL_TYPE (TesseraS3, tessera_s3, G_TYPE_OBJECT)

void
tessera_s3_request_free (TesseraS3Request *state)
{
  if (state == NULL)
    return;

  if (state->post != NULL)
    MHD_destroy_post_processor (state->post);
  g_clear_pointer (&state->form, tessera_sigv4_post_form_free);
  g_clear_pointer (&state->writer, tessera_object_writer_free);
  g_clear_pointer (&state->meta_names, g_ptr_array_unref);
  if (state->field_value != NULL)
    g_string_free (state->field_value, TRUE);
  g_free (state->field_name);
  g_free (state->key);
  g_free (state->content_type);
  g_free (state->error_code);
  g_free (state->error_message);
  g_free (state->source_ip);
  g_free (state);
}

static void
set_error (TesseraS3Request *state,
           guint             status,
           const char       *code,
           const char       *message)
{
  if (state->error_code != NULL)
    return;

  state->error_status = status;
  state->error_code = g_strdup (code);
  state->error_message = g_strdup (message);
  /* An aborted upload leaves nothing behind. */
  g_clear_pointer (&state->writer, tessera_object_writer_free);
}

static void
set_error_from_gerror (TesseraS3Request *state,
                       const GError     *error)
{
  if (error->domain == TESSERA_SIGV4_ERROR)
    set_error (state, tessera_sigv4_error_get_http_status (error),
               tessera_sigv4_error_get_s3_code (error), error->message);
  else
    set_error (state, 500, "InternalError",
               "We encountered an internal error. Please try again.");
}

static void
add_cors_headers (struct MHD_Response *response)
{
  MHD_add_response_header (response, "Access-Control-Allow-Origin", "*");
  MHD_add_response_header (response, "Access-Control-Expose-Headers",
                           "ETag, Content-Length, Content-Range, Location");
}

static enum MHD_Result
queue_and_destroy (struct MHD_Connection *connection,
                   guint                  status,
                   struct MHD_Response   *response)
{
  enum MHD_Result ret;

  add_cors_headers (response);
  ret = MHD_queue_response (connection, status, response);
  MHD_destroy_response (response);

  return ret;
}

static enum MHD_Result
respond_error (struct MHD_Connection *connection,
               guint                  status,
               const char            *code,
               const char            *message,
               const char            *key)
{
  g_autofree char *request_id = g_uuid_string_random ();
  g_autofree char *escaped_message = g_markup_escape_text (message, -1);
  g_autofree char *escaped_key = key ? g_markup_escape_text (key, -1) : NULL;
  g_autoptr(GString) body = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  struct MHD_Response *response;

  g_debug ("S3 error %u %s: %s", status, code, message);

  g_string_append_printf (body, "<Error><Code>%s</Code><Message>%s</Message>",
                          code, escaped_message);
  if (escaped_key != NULL)
    g_string_append_printf (body, "<Key>%s</Key>", escaped_key);
  g_string_append_printf (body, "<RequestId>%s</RequestId></Error>", request_id);

  response = MHD_create_response_from_buffer (body->len, body->str, MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header (response, "Content-Type", "application/xml");
  MHD_add_response_header (response, "x-amz-request-id", request_id);

  return queue_and_destroy (connection, status, response);
}

/* Events */

char *
tessera_s3_build_event (const char *region,
                        const char *bucket,
                        const char *key,
                        gint64      size,
                        const char *etag,
                        const char *source_ip,
                        gint64      time_ms)
{
  static GMutex sequencer_lock;
  static gint64 last_sequencer;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GString) encoded_key = NULL;
  g_autofree char *uri_key = NULL;
  g_autofree char *event_time = NULL;
  g_autofree char *arn = NULL;
  g_autofree char *sequencer = NULL;
  g_autofree char *request_id = NULL;
  gint64 seq;

  g_return_val_if_fail (region != NULL, NULL);
  g_return_val_if_fail (bucket != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  /* S3 form-encodes the key: spaces as '+', so a literal '+' is %2B. */
  uri_key = tessera_sigv4_uri_encode (key, -1, FALSE);
  encoded_key = g_string_new (uri_key);
  g_string_replace (encoded_key, "%20", "+", 0);

  /* Sequencers only grow, as S3's do for one key. */
  g_mutex_lock (&sequencer_lock);
  seq = last_sequencer = MAX (g_get_real_time (), last_sequencer + 1);
  g_mutex_unlock (&sequencer_lock);
  sequencer = g_strdup_printf ("%016" G_GINT64_MODIFIER "X", seq);

  event_time = tessera_time_to_iso8601 (time_ms);
  arn = g_strconcat ("arn:aws:s3:::", bucket, NULL);
  request_id = g_uuid_string_random ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "Records");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "eventVersion");
  json_builder_add_string_value (builder, "2.1");
  json_builder_set_member_name (builder, "eventSource");
  json_builder_add_string_value (builder, "aws:s3");
  json_builder_set_member_name (builder, "awsRegion");
  json_builder_add_string_value (builder, region);
  json_builder_set_member_name (builder, "eventTime");
  json_builder_add_string_value (builder, event_time);
  json_builder_set_member_name (builder, "eventName");
  json_builder_add_string_value (builder, "ObjectCreated:Post");

  json_builder_set_member_name (builder, "userIdentity");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "principalId");
  json_builder_add_string_value (builder, "tessera-server");
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "requestParameters");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sourceIPAddress");
  json_builder_add_string_value (builder, source_ip ? source_ip : "");
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "responseElements");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "x-amz-request-id");
  json_builder_add_string_value (builder, request_id);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "s3");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "s3SchemaVersion");
  json_builder_add_string_value (builder, "1.0");
  json_builder_set_member_name (builder, "configurationId");
  json_builder_add_string_value (builder, "tessera-object-created");
  json_builder_set_member_name (builder, "bucket");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, bucket);
  json_builder_set_member_name (builder, "ownerIdentity");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "principalId");
  json_builder_add_string_value (builder, "tessera-server");
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "arn");
  json_builder_add_string_value (builder, arn);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "object");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "key");
  json_builder_add_string_value (builder, encoded_key->str);
  json_builder_set_member_name (builder, "size");
  json_builder_add_int_value (builder, size);
  json_builder_set_member_name (builder, "eTag");
  json_builder_add_string_value (builder, etag ? etag : "");
  json_builder_set_member_name (builder, "sequencer");
  json_builder_add_string_value (builder, sequencer);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* Credentials */

static const char *
lookup_secret (const char *access_key_id,
               gpointer    user_data)
{
  TesseraS3 *self = user_data;

  if (g_strcmp0 (access_key_id, self->access_key_id) == 0)
    return self->secret_access_key;
  return NULL;
}

/* POST uploads */

static gboolean
is_user_metadata (const char *name)
{
  gsize len = strlen ("x-amz-meta-");

  /* Header-safe names only: they come back as response headers. */
  if (g_ascii_strncasecmp (name, "x-amz-meta-", len) != 0 || name[len] == '\0')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static gboolean
is_header_safe (const char *value)
{
  for (const char *p = value; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return FALSE;
  return TRUE;
}

static void
flush_field (TesseraS3Request *state)
{
  if (state->field_name == NULL)
    return;

  if (is_user_metadata (state->field_name))
    {
      if (state->meta_names == NULL)
        state->meta_names = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (state->meta_names, g_strdup (state->field_name));
    }
  tessera_sigv4_post_form_add_field (state->form, state->field_name, state->field_value->str);
  g_clear_pointer (&state->field_name, g_free);
  g_string_truncate (state->field_value, 0);
}

static char *
substitute_filename (const char *key,
                     const char *filename)
{
  g_autoptr(GString) s = g_string_new (key);

  /* S3 replaces ${filename} with the name of the file part. */
  g_string_replace (s, "${filename}", filename ? filename : "", 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gboolean
start_file (TesseraS3Request *state,
            const char       *filename)
{
  TesseraS3 *self = state->s3;
  g_autoptr(GError) error = NULL;
  const char *key;
  const char *content_type;
  gint64 min_size, max_size;

  flush_field (state);

  /* Nothing is written before the form is known to be good. */
  if (!tessera_sigv4_post_form_verify (state->form, self->region, lookup_secret, self, NULL, &error))
    {
      set_error_from_gerror (state, error);
      return FALSE;
    }

  key = tessera_sigv4_post_form_get_field (state->form, "key");
  state->key = substitute_filename (key, filename);
  if (strlen (state->key) > TESSERA_LOCAL_OBJECT_MAX_KEY)
    {
      set_error (state, 400, "KeyTooLongError", "Your key is too long");
      return FALSE;
    }
  if (!tessera_local_object_key_is_valid (state->key))
    {
      set_error (state, 400, "InvalidArgument",
                 "This server does not store objects under such a key");
      return FALSE;
    }

  content_type = tessera_sigv4_post_form_get_field (state->form, "Content-Type");
  state->content_type = g_strdup (content_type ? content_type : "binary/octet-stream");

  state->max_size = self->max_upload_size;
  if (tessera_sigv4_post_form_get_length_range (state->form, &min_size, &max_size))
    state->max_size = MIN (state->max_size, max_size);

  state->writer = tessera_local_object_store_begin_write (self->store, state->key, &error);
  if (state->writer == NULL)
    {
      g_warning ("Cannot start an upload: %s", error->message);
      set_error_from_gerror (state, error);
      return FALSE;
    }

  /* The policy covered every field: x-amz-meta-* are the uploader's
   * metadata, returned on GET as S3 does. */
  for (guint i = 0; state->meta_names != NULL && i < state->meta_names->len; i++)
    {
      const char *name = g_ptr_array_index (state->meta_names, i);
      const char *value = tessera_sigv4_post_form_get_field (state->form, name);

      if (value != NULL && is_header_safe (value))
        tessera_object_writer_add_metadata (state->writer, name, value);
    }

  return TRUE;
}

static enum MHD_Result
post_iterator (void       *cls,
               enum MHD_ValueKind kind,
               const char *name,
               const char *filename,
               const char *content_type,
               const char *transfer_encoding,
               const char *data,
               uint64_t    off,
               size_t      size)
{
  TesseraS3Request *state = cls;
  g_autoptr(GError) error = NULL;

  g_assert (state != NULL);

  if (state->error_code != NULL)
    return MHD_NO;
  if (name == NULL || state->file_ended)
    return MHD_YES;

  if (state->file_started)
    {
      if (g_ascii_strcasecmp (name, "file") != 0)
        {
          /* S3 ignores what follows the file. */
          state->file_ended = TRUE;
          return MHD_YES;
        }
      if (off == 0 && tessera_object_writer_get_size (state->writer) > 0)
        {
          /* A second file part: like any field after the file, ignored. */
          state->file_ended = TRUE;
          return MHD_YES;
        }
      if (size == 0)
        return MHD_YES;
      if (tessera_object_writer_get_size (state->writer) + (gint64) size > state->max_size)
        {
          set_error (state, 400, "EntityTooLarge",
                     "Your proposed upload exceeds the maximum allowed size");
          return MHD_NO;
        }
      if (!tessera_object_writer_write (state->writer, data, size, &error))
        {
          g_warning ("Cannot write an upload: %s", error->message);
          set_error (state, 500, "InternalError",
                     "We encountered an internal error. Please try again.");
          return MHD_NO;
        }
      return MHD_YES;
    }

  if (g_ascii_strcasecmp (name, "file") == 0)
    {
      state->file_started = TRUE;
      if (!start_file (state, filename))
        return MHD_NO;
      return post_iterator (cls, kind, name, filename, content_type, transfer_encoding, data, off, size);
    }

  state->fields_size += strlen (name) + size;
  if (state->fields_size > MAX_FORM_FIELDS_SIZE)
    {
      set_error (state, 400, "MaxPostPreDataLengthExceeded",
                 "Your POST request fields preceding the upload file were too large.");
      return MHD_NO;
    }

  /* A long value arrives in pieces with growing offsets. */
  if (off == 0 || state->field_name == NULL || g_strcmp0 (state->field_name, name) != 0)
    {
      flush_field (state);
      state->field_name = g_strdup (name);
    }
  g_string_append_len (state->field_value, data, size);

  return MHD_YES;
}

static enum MHD_Result
finish_post (TesseraS3             *self,
             struct MHD_Connection *connection,
             TesseraS3Request      *state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *quoted_etag = NULL;
  g_autofree char *event = NULL;
  g_autofree char *location = NULL;
  g_autofree char *encoded_key = NULL;
  const char *status_field;
  gint64 size;
  guint status = 204;
  struct MHD_Response *response;

  /* Hands over what the processor still held (the end of the file). */
  if (state->post != NULL)
    {
      /* A body cut short of its closing boundary may have lost the end of
       * the file: nothing is stored from it. */
      if (MHD_destroy_post_processor (state->post) != MHD_YES)
        set_error (state, 400, "MalformedPOSTRequest",
                   "The body of your POST request is not well-formed multipart/form-data.");
      state->post = NULL;
    }

  if (state->error_code == NULL && !state->file_started)
    set_error (state, 400, "InvalidArgument",
               "POST requires exactly one file upload per request.");

  if (state->error_code != NULL)
    return respond_error (connection, state->error_status, state->error_code,
                          state->error_message, state->key);

  size = tessera_object_writer_get_size (state->writer);
  if (!tessera_sigv4_post_form_check_size (state->form, size, &error))
    {
      set_error_from_gerror (state, error);
      return respond_error (connection, state->error_status, state->error_code,
                            state->error_message, state->key);
    }
  if (size == 0 || size > self->max_upload_size)
    return respond_error (connection, 400, size == 0 ? "EntityTooSmall" : "EntityTooLarge",
                          size == 0 ? "Your proposed upload is smaller than the minimum allowed size"
                                    : "Your proposed upload exceeds the maximum allowed size",
                          state->key);

  if (!tessera_object_writer_commit (state->writer, state->content_type, &etag, &error))
    {
      g_warning ("Cannot store %s: %s", state->key, error->message);
      g_clear_pointer (&state->writer, tessera_object_writer_free);
      return respond_error (connection, 500, "InternalError",
                            "We encountered an internal error. Please try again.", state->key);
    }
  g_clear_pointer (&state->writer, tessera_object_writer_free);

  /* The event is durable before the client hears that the upload worked. */
  event = tessera_s3_build_event (self->region, self->bucket, state->key, size, etag,
                                  state->source_ip, tessera_now_ms ());
  if (!tessera_job_queue_enqueue (self->queue, event, &error))
    {
      g_warning ("Cannot queue the event of %s: %s", state->key, error->message);
      return respond_error (connection, 503, "ServiceUnavailable",
                            "Please reduce your request rate.", state->key);
    }
  g_message ("Stored %s (%" G_GINT64_FORMAT " bytes, %s)", state->key, size, state->content_type);

  if (self->object_created_func != NULL)
    self->object_created_func (self->object_created_data);

  quoted_etag = g_strdup_printf ("\"%s\"", etag);
  encoded_key = tessera_sigv4_uri_encode (state->key, -1, FALSE);
  location = g_strdup_printf ("%s/%s/%s", self->public_url, self->bucket, encoded_key);

  status_field = tessera_sigv4_post_form_get_field (state->form, "success_action_status");
  if (g_strcmp0 (status_field, "200") == 0)
    status = 200;
  else if (g_strcmp0 (status_field, "201") == 0)
    status = 201;

  if (status == 201)
    {
      g_autofree char *l = g_markup_escape_text (location, -1);
      g_autofree char *b = g_markup_escape_text (self->bucket, -1);
      g_autofree char *k = g_markup_escape_text (state->key, -1);
      g_autofree char *body = g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                               "<PostResponse><Location>%s</Location>"
                                               "<Bucket>%s</Bucket><Key>%s</Key>"
                                               "<ETag>%s</ETag></PostResponse>",
                                               l, b, k, quoted_etag);

      response = MHD_create_response_from_buffer (strlen (body), body, MHD_RESPMEM_MUST_COPY);
      MHD_add_response_header (response, "Content-Type", "application/xml");
    }
  else
    response = MHD_create_response_from_buffer (0, NULL, MHD_RESPMEM_PERSISTENT);

  MHD_add_response_header (response, "ETag", quoted_etag);
  MHD_add_response_header (response, "Location", location);

  return queue_and_destroy (connection, status, response);
}

static enum MHD_Result
handle_post (TesseraS3              *self,
             struct MHD_Connection  *connection,
             const char             *upload_data,
             size_t                 *upload_data_size,
             TesseraS3Request       *state,
             gboolean                first)
{
  if (first)
    {
      if (tessera_gateway_refuse_body_early (connection, self->max_upload_size + FORM_OVERHEAD))
        return respond_error (connection, 400, "EntityTooLarge",
                              "Your proposed upload exceeds the maximum allowed size", NULL);

      state->form = tessera_sigv4_post_form_new (self->bucket);
      state->field_value = g_string_new (NULL);
      state->post = MHD_create_post_processor (connection, POST_BUFFER_SIZE, post_iterator, state);
      if (state->post == NULL)
        set_error (state, 400, "InvalidArgument",
                   "Bucket POST must be of the enclosure-type multipart/form-data");
      return MHD_YES;
    }

  if (*upload_data_size > 0)
    {
      /* After an error the rest is read and dropped: MHD answers only once
       * the body is in. */
      if (state->error_code == NULL && state->post != NULL &&
          MHD_post_process (state->post, upload_data, *upload_data_size) != MHD_YES &&
          state->error_code == NULL)
        set_error (state, 400, "MalformedPOSTRequest",
                   "The body of your POST request is not well-formed multipart/form-data.");
      *upload_data_size = 0;
      return MHD_YES;
    }

  return finish_post (self, connection, state);
}

/* GET and HEAD */

static gboolean
parse_range (const char *header,
             gint64      size,
             gint64     *start,
             gint64     *length)
{
  const char *spec;
  const char *dash;
  guint64 a = 0, b = 0;
  g_autofree char *first = NULL;

  if (!g_str_has_prefix (header, "bytes="))
    return FALSE;
  spec = header + strlen ("bytes=");
  if (strchr (spec, ',') != NULL || (dash = strchr (spec, '-')) == NULL)
    return FALSE;

  first = g_strndup (spec, dash - spec);
  if (*first == '\0')
    {
      /* bytes=-N: the last N bytes */
      if (!g_ascii_string_to_unsigned (dash + 1, 10, 1, G_MAXINT64, &b, NULL) || size == 0)
        return FALSE;
      *start = size - MIN ((gint64) b, size);
      *length = size - *start;
      return TRUE;
    }

  if (!g_ascii_string_to_unsigned (first, 10, 0, G_MAXINT64, &a, NULL) || (gint64) a >= size)
    return FALSE;
  if (dash[1] == '\0')
    b = size - 1;
  else if (!g_ascii_string_to_unsigned (dash + 1, 10, a, G_MAXINT64, &b, NULL))
    return FALSE;

  *start = a;
  *length = MIN ((gint64) b, size - 1) - (gint64) a + 1;
  return TRUE;
}

static enum MHD_Result
collect_header (void              *cls,
                enum MHD_ValueKind kind,
                const char        *name,
                const char        *value)
{
  TesseraSigv4Request *request = cls;

  tessera_sigv4_request_add_header (request, name, value ? value : "");
  return MHD_YES;
}

static enum MHD_Result
handle_get (TesseraS3             *self,
            struct MHD_Connection *connection,
            const char            *method,
            const char            *raw_path,
            const char            *raw_query,
            const char            *raw_key)
{
  g_autoptr(TesseraSigv4Request) request = NULL;
  g_autoptr(TesseraObjectInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  g_autofree char *etag = NULL;
  g_autofree char *cache_control = NULL;
  g_autofree char *last_modified = NULL;
  g_autoptr(GDateTime) modified = NULL;
  const char *range;
  const char *if_none_match;
  struct MHD_Response *response;
  gint64 start = 0, length;
  guint status = 200;

  key = tessera_sigv4_uri_decode (raw_key, -1);

  /* No X-Amz-* at all is an anonymous request, which a private bucket
   * refuses outright. */
  if (raw_query == NULL || strstr (raw_query, "X-Amz-") == NULL)
    return respond_error (connection, 403, "AccessDenied", "Access Denied", NULL);

  request = tessera_sigv4_request_new (method, raw_path, raw_query);
  MHD_get_connection_values (connection, MHD_HEADER_KIND, collect_header, request);
  if (!tessera_sigv4_verify_presigned (request, self->region, lookup_secret, self, NULL, &error))
    return respond_error (connection, tessera_sigv4_error_get_http_status (error),
                          tessera_sigv4_error_get_s3_code (error), error->message, NULL);

  info = tessera_local_object_store_open (self->store, key, &error);
  if (info == NULL)
    return respond_error (connection, 404, "NoSuchKey",
                          "The specified key does not exist.", key);

  etag = g_strdup_printf ("\"%s\"", info->etag);
  modified = g_date_time_new_from_unix_utc (info->modified_ms / 1000);
  last_modified = g_date_time_format (modified, "%a, %d %b %Y %H:%M:%S GMT");
  cache_control = g_strdup_printf ("private, max-age=%u", self->url_expires);

  if_none_match = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "If-None-Match");
  if (if_none_match != NULL && g_strcmp0 (if_none_match, etag) == 0)
    {
      response = MHD_create_response_from_buffer (0, NULL, MHD_RESPMEM_PERSISTENT);
      MHD_add_response_header (response, "ETag", etag);
      MHD_add_response_header (response, "Cache-Control", cache_control);
      return queue_and_destroy (connection, 304, response);
    }

  length = info->size;
  range = MHD_lookup_connection_value (connection, MHD_HEADER_KIND, "Range");
  if (range != NULL)
    {
      if (!parse_range (range, info->size, &start, &length))
        {
          g_autofree char *content_range = g_strdup_printf ("bytes */%" G_GINT64_FORMAT, info->size);
          g_autofree char *request_id = g_uuid_string_random ();
          static const char body[] =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>";

          response = MHD_create_response_from_buffer (strlen (body), (void *) body, MHD_RESPMEM_PERSISTENT);
          MHD_add_response_header (response, "Content-Type", "application/xml");
          MHD_add_response_header (response, "Content-Range", content_range);
          return queue_and_destroy (connection, 416, response);
        }
      status = 206;
    }

  /* MHD owns the descriptor from here on. */
  response = MHD_create_response_from_fd_at_offset64 (length, info->fd, start);
  if (response == NULL)
    return respond_error (connection, 500, "InternalError",
                          "We encountered an internal error. Please try again.", key);
  info->fd = -1;

  MHD_add_response_header (response, "Content-Type", info->content_type);
  MHD_add_response_header (response, "ETag", etag);
  MHD_add_response_header (response, "Last-Modified", last_modified);
  MHD_add_response_header (response, "Cache-Control", cache_control);
  MHD_add_response_header (response, "Accept-Ranges", "bytes");
  for (guint i = 0; info->metadata != NULL && info->metadata[i] && info->metadata[i + 1]; i += 2)
    MHD_add_response_header (response, info->metadata[i], info->metadata[i + 1]);
  if (status == 206)
    {
      g_autofree char *content_range = NULL;

      content_range = g_strdup_printf ("bytes %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
                                       start, start + length - 1, info->size);
      MHD_add_response_header (response, "Content-Range", content_range);
    }

  return queue_and_destroy (connection, status, response);
}

static enum MHD_Result
respond_preflight (struct MHD_Connection *connection)
{
  struct MHD_Response *response = MHD_create_response_from_buffer (0, NULL, MHD_RESPMEM_PERSISTENT);
  const char *requested = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                       "Access-Control-Request-Headers");

  MHD_add_response_header (response, "Access-Control-Allow-Methods", "GET, HEAD, POST");
  MHD_add_response_header (response, "Access-Control-Allow-Headers", requested ? requested : "*");
  MHD_add_response_header (response, "Access-Control-Max-Age", "3600");

  return queue_and_destroy (connection, 200, response);
}

enum MHD_Result
tessera_s3_handle (TesseraS3              *self,
                   struct MHD_Connection  *connection,
                   const char             *method,
                   const char             *raw_path,
                   const char             *raw_query,
                   const char             *upload_data,
                   size_t                 *upload_data_size,
                   TesseraS3Request      **state)
{
  const char *rest;
  gboolean first = FALSE;

  g_return_val_if_fail (TESSERA_IS_S3 (self), MHD_NO);
  g_return_val_if_fail (raw_path != NULL && raw_path[0] == '/', MHD_NO);
  g_return_val_if_fail (state != NULL, MHD_NO);

  if (*state == NULL)
    {
      *state = g_new0 (TesseraS3Request, 1);
      (*state)->s3 = self;
      (*state)->source_ip = tessera_gateway_dup_source_ip (connection);
      first = TRUE;
    }

  /* raw_path is "/<bucket>" or "/<bucket>/<key>"; the gateway checked the
   * bucket. */
  rest = strchr (raw_path + 1, '/');

  if (g_str_equal (method, "POST") && (rest == NULL || rest[1] == '\0'))
    return handle_post (self, connection, upload_data, upload_data_size, *state, first);

  /* Anything else has no body worth reading; it is answered once the
   * request is in, so the connection stays open for the next one. */
  if (first || *upload_data_size > 0)
    {
      *upload_data_size = 0;
      return MHD_YES;
    }

  if (g_str_equal (method, "OPTIONS"))
    return respond_preflight (connection);

  if (rest == NULL || rest[1] == '\0')
    {
      if (g_str_equal (method, "GET") || g_str_equal (method, "HEAD"))
        return respond_error (connection, 403, "AccessDenied", "Access Denied", NULL);
      return respond_error (connection, 405, "MethodNotAllowed",
                            "The specified method is not allowed against this resource.", NULL);
    }

  if (g_str_equal (method, "GET") || g_str_equal (method, "HEAD"))
    return handle_get (self, connection, method, raw_path, raw_query, rest + 1);

  return respond_error (connection, 405, "MethodNotAllowed",
                        "The specified method is not allowed against this resource.", NULL);
}

/* Object */

static void
tessera_s3_finalize (GObject *object)
{
  TesseraS3 *self = (TesseraS3 *) object;

  g_clear_object (&self->store);
  g_clear_object (&self->queue);
  g_free (self->bucket);
  g_free (self->region);
  g_free (self->access_key_id);
  g_free (self->secret_access_key);
  g_free (self->public_url);

  G_OBJECT_CLASS (tessera_s3_parent_class)->finalize (object);
}

static void
tessera_s3_class_init (TesseraS3Class *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = tessera_s3_finalize;
}

static void
tessera_s3_init (TesseraS3 *self)
{
}

TesseraS3 *
tessera_s3_new (TesseraLocalObjectStore    *store,
                TesseraJobQueue            *queue,
                const TesseraServerConfig  *config,
                const char                 *public_url)
{
  TesseraS3 *self;

  g_return_val_if_fail (TESSERA_IS_LOCAL_OBJECT_STORE (store), NULL);
  g_return_val_if_fail (TESSERA_IS_JOB_QUEUE (queue), NULL);
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (public_url != NULL, NULL);

  self = g_object_new (TESSERA_TYPE_S3, NULL);
  self->store = g_object_ref (store);
  self->queue = g_object_ref (queue);
  self->bucket = g_strdup (config->bucket);
  self->region = g_strdup (config->region);
  self->access_key_id = g_strdup (config->access_key_id);
  self->secret_access_key = g_strdup (config->secret_access_key);
  self->public_url = g_strdup (public_url);
  self->max_upload_size = config->max_upload_size;
  self->url_expires = config->url_expires;

  return self;
}

const char *
tessera_s3_get_bucket (TesseraS3 *self)
{
  g_return_val_if_fail (TESSERA_IS_S3 (self), NULL);

  return self->bucket;
}

void
tessera_s3_set_object_created_func (TesseraS3                  *self,
                                    TesseraS3ObjectCreatedFunc  func,
                                    gpointer                    user_data)
{
  g_return_if_fail (TESSERA_IS_S3 (self));

  self->object_created_func = func;
  self->object_created_data = user_data;
}
