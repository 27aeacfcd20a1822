/* tessera-fn-object-created.c: what happens to an upload once it is stored
 *
 * The steps, each a function of its own and each idempotent:
 *   0. step_measure: the stored object's real size and sha256.
 *   1. step_check_image: the bytes are a real image of a format we take,
 *      not larger than max_pixels (read from the header, before any pixel
 *      is decoded), and they decode completely.
 *   2. step_thumbnails: a 1024 px preview and a 256 px grid thumbnail.
 *   3. step_tagging: the configured tagger's labels; the confident ones
 *      become tags.
 * Then the result replaces what the index holds (tags are a union, so a run
 * repeated after a crash ends with the same record).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-api"

#include "config.h"

#include <string.h>

#include <vips/vips.h>

#include "tessera-api-private.h"
#include "tessera-error.h"
#include "tessera-json.h"
#include "tessera-util.h"

#define PREVIEW_SIZE   1024
#define THUMBNAIL_SIZE 256

/* Derived objects live next to the upload; the event handler ignores their
 * keys (they are not `u/<sub>/<uuid>`), so writing them triggers nothing. */
#define PREVIEW_KEY(object_key)   g_strdup_printf ("%s.preview.webp", object_key)
#define THUMBNAIL_KEY(object_key) g_strdup_printf ("%s.thumb.webp", object_key)

/* libvips 8.14 declares no autoptr for VipsImage; an alias of our own
 * cannot clash with one a later libvips or another file declares. */
typedef VipsImage OwnedVipsImage;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwnedVipsImage, g_object_unref)

typedef struct
{
  TesseraApi          *api;
  GCancellable        *cancellable;
  GFile               *file;        /* the object's bytes, from fetch */
  char                *path;
  TesseraImageRecord  *result;      /* what goes to store_result */
  VipsImage           *preview;     /* sRGB, auto-rotated, at most PREVIEW_SIZE */
} Job;

static void
job_clear (Job *job)
{
  if (job->file != NULL)
    tessera_object_store_release (job->api->objects, job->file);
  g_clear_object (&job->file);
  g_clear_pointer (&job->path, g_free);
  g_clear_pointer (&job->result, tessera_image_record_free);
  g_clear_object (&job->preview);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Job, job_clear)

/* The loaders we accept, by class name, and the content type each means.
 * Anything else (SVG, PDF, ImageMagick, raw matrices...) is refused: those
 * loaders are more attack surface than a photo gallery needs. */
static const struct
{
  const char *loader;
  const char *content_type;
} loaders[] = {
  { "VipsForeignLoadJpegFile", "image/jpeg" },
  { "VipsForeignLoadPngFile", "image/png" },
  { "VipsForeignLoadSpngFile", "image/png" },
  { "VipsForeignLoadWebpFile", "image/webp" },
  { "VipsForeignLoadNsgifFile", "image/gif" },
  { "VipsForeignLoadGifFile", "image/gif" },
  { "VipsForeignLoadTiffFile", "image/tiff" },
  { "VipsForeignLoadHeifFile", "image/heif" },
};

static const char *
content_type_for_loader (const char *loader)
{
  for (guint i = 0; i < G_N_ELEMENTS (loaders); i++)
    if (g_strcmp0 (loaders[i].loader, loader) == 0)
      return loaders[i].content_type;

  return NULL;
}

static void
fail_image (Job        *job,
            const char *reason)
{
  job->result->status = TESSERA_IMAGE_STATUS_FAILED;
  g_free (job->result->failure_reason);
  job->result->failure_reason = g_strdup (reason);
}

static gboolean
decoded_by_preview (const char *content_type)
{
  return g_str_equal (content_type, "image/jpeg") ||
         g_str_equal (content_type, "image/png") ||
         g_str_equal (content_type, "image/webp") ||
         g_str_equal (content_type, "image/gif");
}

#define MEASURE_BUFFER_SIZE (256 * 1024)

/* Step 0. What the stored bytes are: their size and sha256, read once,
 * streaming (cheap next to decoding them). The declared sha256 is the
 * client's word, used for duplicate detection before the upload; the real
 * one replaces it, so a wrong or lying client cannot make another file
 * pass for this one. Errors are transient (the object store could not be
 * read). */
static gboolean
step_measure (Job     *job,
              GError **error)
{
  g_autoptr(GFileInputStream) stream = NULL;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guchar *buffer = g_malloc (MEASURE_BUFFER_SIZE);
  goffset size = 0;

  stream = g_file_read (job->file, job->cancellable, error);
  if (stream == NULL)
    return FALSE;

  for (;;)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (stream), buffer, MEASURE_BUFFER_SIZE,
                                      job->cancellable, error);

      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      g_checksum_update (checksum, buffer, n);
      size += n;
    }

  if (job->result->sha256 != NULL &&
      !g_str_equal (job->result->sha256, g_checksum_get_string (checksum)))
    g_debug ("Image %s: the declared sha256 is not the file's; the file's wins",
             job->result->id);

  job->result->size = size;
  g_free (job->result->sha256);
  job->result->sha256 = g_strdup (g_checksum_get_string (checksum));
  return TRUE;
}

/* Step 1. Returns FALSE when the image failed (the reason is on the result). */
static gboolean
step_check_image (Job *job)
{
  g_autoptr(OwnedVipsImage) header = NULL;
  g_autoptr(OwnedVipsImage) sequential = NULL;
  const char *loader;
  const char *content_type;
  gint64 pixels;
  double average;

  loader = vips_foreign_find_load (job->path);
  content_type = content_type_for_loader (loader);
  if (content_type == NULL)
    {
      g_debug ("Image %s: no accepted loader (%s)", job->result->id,
               loader ? loader : vips_error_buffer ());
      vips_error_clear ();
      fail_image (job, "Not an image");
      return FALSE;
    }

  /* Opening reads the header only; pixels come when asked for. */
  header = vips_image_new_from_file (job->path, "fail_on", VIPS_FAIL_ON_ERROR, NULL);
  if (header == NULL)
    {
      g_debug ("Image %s: header: %s", job->result->id, vips_error_buffer ());
      vips_error_clear ();
      fail_image (job, "The image is truncated or corrupt");
      return FALSE;
    }

  /* One loader reads both HEIF and AVIF; the compression tells them apart. */
  if (g_str_equal (content_type, "image/heif"))
    {
      const char *compression = NULL;

      if (vips_image_get_typeof (header, "heif-compression") != 0 &&
          vips_image_get_string (header, "heif-compression", &compression) == 0 &&
          g_strcmp0 (compression, "av1") == 0)
        content_type = "image/avif";
    }

  g_free (job->result->content_type);
  job->result->content_type = g_strdup (content_type);
  job->result->width = vips_image_get_width (header);
  job->result->height = vips_image_get_height (header);

  pixels = (gint64) job->result->width * job->result->height;
  if (pixels > job->api->settings.max_pixels)
    {
      g_autofree char *reason =
        g_strdup_printf ("Image is too large: %d x %d pixels (limit %g megapixels)",
                         job->result->width, job->result->height,
                         job->api->settings.max_pixels / 1e6);
      fail_image (job, reason);
      return FALSE;
    }

  /* Every pixel must decode, so a truncated or corrupt file fails here
   * rather than in a browser. For these formats the preview's decode
   * (step 2) reads every byte of the file anyway, even when it shrinks on
   * load, and fails on the same errors: decoding twice would double the
   * job's cost for nothing. Others (HEIF may have the preview from an
   * embedded thumbnail, TIFF from a pyramid) are decoded once here. */
  if (decoded_by_preview (content_type))
    return TRUE;

  sequential = vips_image_new_from_file (job->path,
                                         "access", VIPS_ACCESS_SEQUENTIAL,
                                         "fail_on", VIPS_FAIL_ON_ERROR,
                                         NULL);
  if (sequential == NULL || vips_avg (sequential, &average, NULL) != 0)
    {
      g_debug ("Image %s: decode: %s", job->result->id, vips_error_buffer ());
      vips_error_clear ();
      fail_image (job, "The image is truncated or corrupt");
      return FALSE;
    }

  return TRUE;
}

/* Writes @image as WebP under @key. */
static gboolean
put_webp (Job         *job,
          VipsImage   *image,
          const char  *key,
          int          effort,
          GError     **error)
{
  g_autoptr(GFileIOStream) stream = NULL;
  g_autoptr(GFile) tmp = NULL;
  g_autofree char *tmp_path = NULL;
  gboolean ok;

  tmp = g_file_new_tmp ("tessera-XXXXXX.webp", &stream, error);
  if (tmp == NULL)
    return FALSE;
  g_io_stream_close (G_IO_STREAM (stream), NULL, NULL);
  tmp_path = g_file_get_path (tmp);

  if (vips_image_write_to_file (image, tmp_path, "Q", 80, "strip", TRUE,
                                "effort", effort, NULL) != 0)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL,
                   "Cannot write %s: %s", key, vips_error_buffer ());
      vips_error_clear ();
      g_file_delete (tmp, NULL, NULL);
      return FALSE;
    }

  ok = tessera_object_store_put_file (job->api->objects, key, tmp, "image/webp",
                                      job->cancellable, error);
  g_file_delete (tmp, NULL, NULL);
  return ok;
}

typedef struct
{
  Job        *job;
  VipsImage  *image;
  const char *key;
  int         effort;
  gboolean    ok;
  GError     *error;
} PutWebp;

static gpointer
put_webp_thread (gpointer data)
{
  PutWebp *put = data;

  put->ok = put_webp (put->job, put->image, put->key, put->effort, &put->error);
  return NULL;
}

/* The preview, lazily: pixels come when it is copied to memory.
 *
 * vips_thumbnail shrinks a JPEG on load only by factors that leave at least
 * 2x for its own resampling, so for 1024 px out of a 4000 px photograph it
 * decodes all 12 megapixels. libjpeg's DCT scaling is a good downsampler:
 * decoding at 1/2 (or 1/4, 1/8) as long as that stays at least the preview's
 * size, then resampling the rest, gives the same preview for a quarter of
 * the decoding. Other formats go through vips_thumbnail as they are. */
static gboolean
make_preview (Job *job)
{
  int longest = MAX (job->result->width, job->result->height);
  int shrink = 1;

  if (g_strcmp0 (job->result->content_type, "image/jpeg") == 0)
    while (shrink < 8 && longest >= PREVIEW_SIZE * shrink * 2)
      shrink *= 2;

  if (shrink > 1)
    {
      g_autoptr(OwnedVipsImage) loaded = NULL;

      loaded = vips_image_new_from_file (job->path,
                                         "shrink", shrink,
                                         "access", VIPS_ACCESS_SEQUENTIAL,
                                         "fail_on", VIPS_FAIL_ON_ERROR,
                                         NULL);
      return loaded != NULL &&
             vips_thumbnail_image (loaded, &job->preview, PREVIEW_SIZE,
                                   "size", VIPS_SIZE_DOWN, NULL) == 0;
    }

  return vips_thumbnail (job->path, &job->preview, PREVIEW_SIZE,
                         "size", VIPS_SIZE_DOWN,
                         "fail_on", VIPS_FAIL_ON_ERROR,
                         NULL) == 0;
}

/* WebP's effort (0..6, libvips' default 4) buys bytes with CPU time: on a
 * 1024 px photograph 2 encodes in half the time of 4 for about 3 % more
 * bytes, at the same quality (bench/README.md, "Tagging"). */
#define PREVIEW_WEBP_EFFORT   2
#define THUMBNAIL_WEBP_EFFORT 4

/* Step 2. The preview doubles as the tagger's input, and its decode is
 * the job's only decode of the file: the preview is made straight from the
 * file, shrinking on load (a JPEG decodes at 1/2, 1/4 or 1/8 of its size),
 * and the thumbnail from the preview in memory. A file that does not
 * decode fails the image (*failed); other errors are transient (disk,
 * object store) and the job is retried. */
static gboolean
step_thumbnails (Job       *job,
                 gboolean  *failed,
                 GError   **error)
{
  g_autoptr(OwnedVipsImage) thumbnail = NULL;
  g_autofree char *preview_key = PREVIEW_KEY (job->result->object_key);
  g_autofree char *thumbnail_key = THUMBNAIL_KEY (job->result->object_key);

  *failed = FALSE;
  if (!make_preview (job))
    {
      g_debug ("Image %s: preview: %s", job->result->id, vips_error_buffer ());
      vips_error_clear ();
      fail_image (job, "The image is truncated or corrupt");
      *failed = TRUE;
      return TRUE;
    }

  if (vips_image_get_interpretation (job->preview) != VIPS_INTERPRETATION_sRGB)
    {
      VipsImage *srgb = NULL;

      if (vips_colourspace (job->preview, &srgb, VIPS_INTERPRETATION_sRGB, NULL) != 0)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL,
                       "Cannot convert to sRGB: %s", vips_error_buffer ());
          vips_error_clear ();
          return FALSE;
        }
      g_object_unref (job->preview);
      job->preview = srgb;
    }

  /* Decode here, once, into memory (3 MB at 1024 px) for the thumbnail,
   * the WebP and the tagger. libvips is lazy: the file is read now. */
  {
    VipsImage *memory = vips_image_copy_memory (job->preview);

    if (memory == NULL)
      {
        g_debug ("Image %s: decode: %s", job->result->id, vips_error_buffer ());
        vips_error_clear ();
        fail_image (job, "The image is truncated or corrupt");
        *failed = TRUE;
        return TRUE;
      }
    g_object_unref (job->preview);
    job->preview = memory;
  }

  if (vips_thumbnail_image (job->preview, &thumbnail, THUMBNAIL_SIZE,
                            "size", VIPS_SIZE_DOWN, NULL) != 0)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL,
                   "Cannot make a thumbnail: %s", vips_error_buffer ());
      vips_error_clear ();
      return FALSE;
    }

  /* The two WebPs share nothing but the preview in memory (read-only): with
   * a second core, the thumbnail is encoded and stored beside the preview,
   * so the step waits for the slower of the two rather than both. */
  {
    PutWebp put = { job, thumbnail, thumbnail_key, THUMBNAIL_WEBP_EFFORT, FALSE, NULL };
    GThread *thread = NULL;
    gboolean preview_ok;

    if (g_get_num_processors () > 1)
      thread = g_thread_try_new ("tessera-thumbnail", put_webp_thread, &put, NULL);
    if (thread == NULL)
      put_webp_thread (&put);

    preview_ok = put_webp (job, job->preview, preview_key, PREVIEW_WEBP_EFFORT, error);
    if (thread != NULL)
      g_thread_join (thread);

    if (!preview_ok)
      {
        g_clear_error (&put.error);
        return FALSE;
      }
    if (!put.ok)
      {
        g_propagate_error (error, g_steal_pointer (&put.error));
        return FALSE;
      }
  }

  g_free (job->result->preview_key);
  job->result->preview_key = g_steal_pointer (&preview_key);
  g_free (job->result->thumbnail_key);
  job->result->thumbnail_key = g_steal_pointer (&thumbnail_key);
  return TRUE;
}

/* Step 3. A tagger's failure is recorded in the metadata and never fails
 * the image. */
static void
step_tagging (Job *job)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) seen = NULL;

  if (job->api->tagger == NULL)
    return;

  if (!tessera_tagger_tag (job->api->tagger, job->file, job->preview, job->result,
                           job->cancellable, &error))
    {
      g_warning ("Image %s: the tagger failed: %s", job->result->id, error->message);
      if (job->result->metadata == NULL)
        job->result->metadata = json_object_new ();
      json_object_set_string_member (job->result->metadata, "taggerError", error->message);
    }

  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < job->result->tags->len; i++)
    g_hash_table_add (seen, g_strdup (g_ptr_array_index (job->result->tags, i)));

  for (guint i = 0; i < job->result->labels->len; i++)
    {
      const TesseraLabel *label = g_ptr_array_index (job->result->labels, i);
      g_autofree char *tag = NULL;

      if (label->confidence < job->api->settings.tag_threshold)
        continue;

      tag = tessera_tag_normalize (label->name, NULL);
      if (tag == NULL || g_hash_table_contains (seen, tag))
        continue;

      g_ptr_array_add (job->result->tags, g_strdup (tag));
      g_hash_table_add (seen, g_steal_pointer (&tag));
    }
}

/* Splits `u/<owner>/<id>`; anything else is not an upload. */
static gboolean
parse_upload_key (const char  *key,
                  char       **owner,
                  char       **id)
{
  g_auto(GStrv) parts = g_strsplit (key, "/", -1);

  if (g_strv_length (parts) != 3 || !g_str_equal (parts[0], "u") ||
      *parts[1] == '\0' || !tessera_id_is_valid (parts[2]))
    return FALSE;

  *owner = g_strdup (parts[1]);
  *id = g_strdup (parts[2]);
  return TRUE;
}

static gboolean
is_transient (const GError *error)
{
  return !g_error_matches (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
}

/* Test-only: a window in which the image is `processing` and the job is in
 * hand, for tests that kill the host mid-job. */
static gboolean
debug_delay (TesseraApi    *api,
             GCancellable  *cancellable,
             GError       **error)
{
  gint64 until = g_get_monotonic_time () + (gint64) api->settings.debug_delay_ms * 1000;

  for (;;)
    {
      gint64 left = until - g_get_monotonic_time ();

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      if (left <= 0)
        break;
      g_usleep (MIN (50 * 1000, left));
    }

  return TRUE;
}

/* An object whose record is gone: the image was deleted for good while its
 * form was still valid, or while it was being processed. (A record is
 * always inserted before its form is handed out, so this is no race with
 * POST /images.) Nothing would ever remove these objects otherwise. */
static gboolean
remove_orphan (TesseraApi  *api,
               const char  *owner,
               const char  *id,
               GError     **error)
{
  g_autofree char *key = g_strdup_printf ("u/%s/%s", owner, id);
  g_autofree char *preview_key = PREVIEW_KEY (key);
  g_autofree char *thumbnail_key = THUMBNAIL_KEY (key);

  g_debug ("Image %s of %s: no record, removing its objects", id, owner);

  return tessera_object_store_remove (api->objects, key, error) &&
         tessera_object_store_remove (api->objects, preview_key, error) &&
         tessera_object_store_remove (api->objects, thumbnail_key, error);
}

static gboolean
process_upload (TesseraApi    *api,
                const char    *owner,
                const char    *id,
                GCancellable  *cancellable,
                GError       **error)
{
  g_auto(Job) job = { api, cancellable };
  g_autoptr(TesseraImageRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 t0, t1, t2, t3;

  record = tessera_image_index_get (api->index, owner, id, &local_error);
  if (record == NULL)
    {
      if (is_transient (local_error))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      return remove_orphan (api, owner, id, error);
    }

  if (record->trashed_at != 0)
    {
      g_debug ("Image %s: in the trash, nothing to do", id);
      return TRUE;
    }

  if (!tessera_image_index_set_status (api->index, owner, id,
                                       TESSERA_IMAGE_STATUS_PROCESSING, NULL, error))
    return FALSE;

  if (api->settings.debug_delay_ms > 0 && !debug_delay (api, cancellable, error))
    return FALSE;

  job.file = tessera_object_store_fetch (api->objects, record->object_key, cancellable, error);
  if (job.file == NULL)
    return FALSE;
  job.path = g_file_get_path (job.file);

  /* Start from the record, drop what a previous run found. */
  job.result = tessera_image_record_copy (record);
  job.result->status = TESSERA_IMAGE_STATUS_READY;
  g_clear_pointer (&job.result->failure_reason, g_free);
  g_ptr_array_set_size (job.result->tags, 0);
  g_ptr_array_set_size (job.result->labels, 0);
  g_clear_pointer (&job.result->metadata, json_object_unref);

  /* The size is the stored object's, not the one declared at POST /images
   * (optional, and a replayed form may have stored another file). */
  if (!step_measure (&job, error))
    return FALSE;

  t0 = g_get_monotonic_time ();
  if (step_check_image (&job))
    {
      gboolean failed;

      t1 = g_get_monotonic_time ();
      if (!step_thumbnails (&job, &failed, error))
        return FALSE;
      t2 = g_get_monotonic_time ();
      if (!failed)
        step_tagging (&job);
      t3 = g_get_monotonic_time ();
      g_debug ("Image %s: Job steps in ms: check %.1f, thumbnails %.1f, tagging %.1f", id,
               (t1 - t0) / 1000., (t2 - t1) / 1000., (t3 - t2) / 1000.);
    }

  job.result->updated_at = tessera_now_ms ();
  if (!tessera_image_index_store_result (api->index, job.result, error))
    return FALSE;

  g_debug ("Image %s: %s%s%s", id,
           tessera_image_status_to_string (job.result->status),
           job.result->failure_reason ? ": " : "",
           job.result->failure_reason ? job.result->failure_reason : "");
  return TRUE;
}

/* TRUE unless the record names another kind of event (ObjectRemoved:*,
 * a test event...); a record without eventName is taken as ObjectCreated. */
static gboolean
is_object_created (JsonNode *record)
{
  JsonNode *node;

  if (!JSON_NODE_HOLDS_OBJECT (record))
    return FALSE;

  node = json_object_get_member (json_node_get_object (record), "eventName");
  if (node == NULL)
    return TRUE;

  return JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING &&
         g_str_has_prefix (json_node_get_string (node), "ObjectCreated:");
}

static const char *
get_object_key (JsonNode *record)
{
  JsonObject *object;
  JsonNode *node;

  if (!JSON_NODE_HOLDS_OBJECT (record))
    return NULL;
  object = json_node_get_object (record);
  node = json_object_get_member (object, "s3");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  object = json_node_get_object (node);
  node = json_object_get_member (object, "object");
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  object = json_node_get_object (node);
  node = json_object_get_member (object, "key");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

/* S3 event keys are URL-encoded with `+` for a space. */
static char *
decode_key (const char *encoded)
{
  g_autofree char *plus = g_strdup (encoded);

  g_strdelimit (plus, "+", ' ');
  return g_uri_unescape_string (plus, NULL);
}

/* The uploads an event names, as alternating owner, id. Junk is logged and
 * left out: a malformed event will not get better by retrying. */
static GPtrArray *
list_uploads (const char *event_json)
{
  g_autoptr(GPtrArray) uploads = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *records;
  JsonArray *array;

  event = tessera_json_parse_object (event_json, -1, &error);
  if (event == NULL)
    {
      g_warning ("Ignoring an ObjectCreated event that is not JSON: %s", error->message);
      return g_steal_pointer (&uploads);
    }

  records = json_object_get_member (event, "Records");
  if (records == NULL || !JSON_NODE_HOLDS_ARRAY (records))
    {
      g_warning ("Ignoring an ObjectCreated event without Records");
      return g_steal_pointer (&uploads);
    }

  array = json_node_get_array (records);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *record = json_array_get_element (array, i);
      const char *encoded = get_object_key (record);
      g_autofree char *key = NULL;
      char *owner = NULL;
      char *id = NULL;

      if (encoded == NULL)
        {
          g_warning ("Ignoring an event record without s3.object.key");
          continue;
        }

      if (!is_object_created (record))
        {
          g_debug ("Ignoring an event that is not ObjectCreated for %s", encoded);
          continue;
        }

      key = decode_key (encoded);
      if (key == NULL || !parse_upload_key (key, &owner, &id))
        {
          g_debug ("Ignoring ObjectCreated for %s: not an upload", encoded);
          continue;
        }

      g_ptr_array_add (uploads, owner);
      g_ptr_array_add (uploads, id);
    }

  return g_steal_pointer (&uploads);
}

/**
 * tessera_api_on_object_created:
 * @api: the API
 * @event_json: an S3 event, `{"Records":[...]}`
 * @cancellable: (nullable): a #GCancellable
 * @error: a #GError
 *
 * Processes each upload the event names. Keys other than `u/<sub>/<id>`
 * (thumbnails, previews) and events other than ObjectCreated are ignored.
 *
 * Returns: %TRUE when done, including when an image was found bad and
 *   marked failed; %FALSE with an error when the job should be retried
 */
gboolean
tessera_api_on_object_created (TesseraApi    *api,
                               const char    *event_json,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autoptr(GPtrArray) uploads = NULL;

  g_return_val_if_fail (api != NULL, FALSE);
  g_return_val_if_fail (event_json != NULL, FALSE);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), FALSE);

  uploads = list_uploads (event_json);
  for (guint i = 0; i + 1 < uploads->len; i += 2)
    if (!process_upload (api, g_ptr_array_index (uploads, i), g_ptr_array_index (uploads, i + 1),
                         cancellable, error))
      return FALSE;

  return TRUE;
}

/**
 * tessera_api_on_object_created_gave_up:
 * @api: the API
 * @event_json: the event of a job the host will not retry any more
 * @error: a #GError
 *
 * Marks the images of @event_json that are still `uploading` or
 * `processing` as `failed`, so a person sees the upload did not make it
 * instead of an image processing for ever. The reason shown is generic:
 * the job's own error is for the host's log.
 *
 * Returns: %FALSE with an error when the index could not be written
 */
gboolean
tessera_api_on_object_created_gave_up (TesseraApi  *api,
                                       const char  *event_json,
                                       GError     **error)
{
  g_autoptr(GPtrArray) uploads = NULL;

  g_return_val_if_fail (api != NULL, FALSE);
  g_return_val_if_fail (event_json != NULL, FALSE);

  uploads = list_uploads (event_json);
  for (guint i = 0; i + 1 < uploads->len; i += 2)
    {
      const char *owner = g_ptr_array_index (uploads, i);
      const char *id = g_ptr_array_index (uploads, i + 1);
      g_autoptr(TesseraImageRecord) record = NULL;
      g_autoptr(GError) local_error = NULL;

      record = tessera_image_index_get (api->index, owner, id, &local_error);
      if (record == NULL)
        {
          if (!is_transient (local_error))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      if (record->status != TESSERA_IMAGE_STATUS_UPLOADING &&
          record->status != TESSERA_IMAGE_STATUS_PROCESSING)
        continue;

      if (!tessera_image_index_set_status (api->index, owner, id, TESSERA_IMAGE_STATUS_FAILED,
                                           "The image could not be processed; upload it again",
                                           error))
        return FALSE;
    }

  return TRUE;
}
