/* tessera-multipart-stream.c
 *
 * The body of an S3-style form POST is the form fields, then the file, then
 * a closing boundary. Only the file is large, so this stream serves the small
 * prefix and suffix from memory and reads the file through, which lets
 * libsoup send a known Content-Length without ever holding the file.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-multipart"

#include "config.h"

#include <string.h>

#include "tessera-multipart-stream.h"

struct _TesseraMultipartStream
{
  GInputStream  parent_instance;

  GBytes       *prefix;
  GBytes       *suffix;
  GInputStream *file_stream;
  goffset       file_size;
  char         *content_type;

  guint         stage;
  gsize         offset;
};

G_DEFINE_FINAL_TYPE (TesseraMultipartStream, tessera_multipart_stream, G_TYPE_INPUT_STREAM)

static gssize
copy_from_bytes (GBytes *bytes,
                 gsize  *offset,
                 void   *buffer,
                 gsize   count)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  gsize n = MIN (count, length - *offset);

  memcpy (buffer, data + *offset, n);
  *offset += n;

  return n;
}

static gssize
tessera_multipart_stream_read (GInputStream  *stream,
                               void          *buffer,
                               gsize          count,
                               GCancellable  *cancellable,
                               GError       **error)
{
  TesseraMultipartStream *self = TESSERA_MULTIPART_STREAM (stream);

  while (self->stage < 3)
    {
      gssize n;

      switch (self->stage)
        {
        case 0:
        case 2:
          {
            GBytes *bytes = self->stage == 0 ? self->prefix : self->suffix;

            if (self->offset < g_bytes_get_size (bytes))
              return copy_from_bytes (bytes, &self->offset, buffer, count);
            self->stage++;
            self->offset = 0;
          }
          break;

        case 1:
          n = g_input_stream_read (self->file_stream, buffer, count, cancellable, error);
          if (n < 0)
            return -1;
          if (n > 0)
            {
              self->offset += n;
              if ((goffset) self->offset > self->file_size)
                {
                  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                                       "The file grew while it was being uploaded");
                  return -1;
                }
              return n;
            }
          if ((goffset) self->offset != self->file_size)
            {
              g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                                   "The file shrank while it was being uploaded");
              return -1;
            }
          self->stage++;
          self->offset = 0;
          break;

        default:
          g_assert_not_reached ();
        }
    }

  return 0;
}

static gboolean
tessera_multipart_stream_close (GInputStream  *stream,
                                GCancellable  *cancellable,
                                GError       **error)
{
  TesseraMultipartStream *self = TESSERA_MULTIPART_STREAM (stream);

  return g_input_stream_close (self->file_stream, cancellable, error);
}

static void
tessera_multipart_stream_finalize (GObject *object)
{
  TesseraMultipartStream *self = (TesseraMultipartStream *)object;

  g_clear_pointer (&self->prefix, g_bytes_unref);
  g_clear_pointer (&self->suffix, g_bytes_unref);
  g_clear_object (&self->file_stream);
  g_clear_pointer (&self->content_type, g_free);

  G_OBJECT_CLASS (tessera_multipart_stream_parent_class)->finalize (object);
}

static void
tessera_multipart_stream_class_init (TesseraMultipartStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GInputStreamClass *stream_class = G_INPUT_STREAM_CLASS (klass);

  object_class->finalize = tessera_multipart_stream_finalize;
  stream_class->read_fn = tessera_multipart_stream_read;
  stream_class->close_fn = tessera_multipart_stream_close;
}

static void
tessera_multipart_stream_init (TesseraMultipartStream *self)
{
}

static char *
quote_name (const char *name)
{
  GString *str = g_string_new (NULL);

  /* Quotes and line breaks cannot appear inside a quoted header parameter. */
  for (const char *p = name; *p; p++)
    {
      if (*p == '"' || *p == '\r' || *p == '\n' || *p == '\\')
        g_string_append_c (str, '_');
      else
        g_string_append_c (str, *p);
    }

  return g_string_free (str, FALSE);
}

/**
 * tessera_multipart_stream_new:
 * @fields: the form fields, sent in their order
 * @filename: the file's name, for the file part's disposition
 * @content_type: the file's type
 * @file_stream: the file's contents, exactly @file_size bytes
 * @file_size: the file's size
 *
 * Returns: (transfer full): a stream of the whole form body
 */
GInputStream *
tessera_multipart_stream_new (JsonObject   *fields,
                              const char   *filename,
                              const char   *content_type,
                              GInputStream *file_stream,
                              goffset       file_size)
{
  TesseraMultipartStream *self;
  g_autofree char *boundary = NULL;
  g_autofree char *quoted = NULL;
  g_autoptr(GList) members = NULL;
  GString *prefix;

  g_return_val_if_fail (fields != NULL, NULL);
  g_return_val_if_fail (G_IS_INPUT_STREAM (file_stream), NULL);

  boundary = g_strdup_printf ("tessera-%08x%08x%08x",
                              g_random_int (), g_random_int (), g_random_int ());
  prefix = g_string_new (NULL);

  members = json_object_get_members (fields);
  for (const GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (fields, name);
      g_autofree char *qname = quote_name (name);

      if (!JSON_NODE_HOLDS_VALUE (node))
        continue;

      g_string_append_printf (prefix,
                              "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n",
                              boundary, qname);
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        g_string_append (prefix, json_node_get_string (node));
      else if (json_node_get_value_type (node) == G_TYPE_INT64)
        g_string_append_printf (prefix, "%" G_GINT64_FORMAT, json_node_get_int (node));
      g_string_append (prefix, "\r\n");
    }

  quoted = quote_name (filename ? filename : "file");
  g_string_append_printf (prefix,
                          "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n"
                          "Content-Type: %s\r\n\r\n",
                          boundary, quoted,
                          content_type ? content_type : "application/octet-stream");

  self = g_object_new (TESSERA_TYPE_MULTIPART_STREAM, NULL);
  self->prefix = g_string_free_to_bytes (prefix);
  self->suffix = g_bytes_new_take (g_strdup_printf ("\r\n--%s--\r\n", boundary),
                                   strlen (boundary) + 8);
  self->file_stream = g_object_ref (file_stream);
  self->file_size = file_size;
  self->content_type = g_strdup_printf ("multipart/form-data; boundary=%s", boundary);

  return G_INPUT_STREAM (self);
}

const char *
tessera_multipart_stream_get_content_type (TesseraMultipartStream *self)
{
  g_return_val_if_fail (TESSERA_IS_MULTIPART_STREAM (self), NULL);

  return self->content_type;
}

goffset
tessera_multipart_stream_get_length (TesseraMultipartStream *self)
{
  g_return_val_if_fail (TESSERA_IS_MULTIPART_STREAM (self), 0);

  return g_bytes_get_size (self->prefix) + self->file_size + g_bytes_get_size (self->suffix);
}

goffset
tessera_multipart_stream_get_prefix_length (TesseraMultipartStream *self)
{
  g_return_val_if_fail (TESSERA_IS_MULTIPART_STREAM (self), 0);

  return g_bytes_get_size (self->prefix);
}
