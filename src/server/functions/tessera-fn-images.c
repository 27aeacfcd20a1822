/* tessera-fn-images.c: ask for an upload, list, get, tag, trash, restore,
 * and purge the trash
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-api"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tessera-api-private.h"
#include "tessera-error.h"
#include "tessera-json.h"
#include "tessera-util.h"

#define MAX_FILENAME_BYTES   255
#define MAX_FILTER_TAGS      20
#define MAX_PATCH_TAGS       50
#define DEFAULT_LIMIT        50
#define MAX_LIMIT            100
#define PURGE_BATCH          100

/* Cursors */

char *
_tessera_cursor_encode (gint64      created_at,
                        const char *id)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", created_at, id);

  return tessera_base64url_encode ((const guint8 *) text, strlen (text));
}

gboolean
_tessera_cursor_decode (const char  *cursor,
                        gint64      *created_at,
                        char       **id)
{
  g_autofree guint8 *data = NULL;
  g_autofree char *text = NULL;
  const char *colon;
  gsize length = 0;
  guint64 value;

  if (cursor == NULL || strlen (cursor) > 128)
    return FALSE;

  data = tessera_base64url_decode (cursor, &length);
  if (data == NULL || length == 0 || memchr (data, '\0', length) != NULL)
    return FALSE;

  text = g_strndup ((const char *) data, length);
  colon = strchr (text, ':');
  if (colon == NULL)
    return FALSE;

  {
    g_autofree char *number = g_strndup (text, colon - text);

    if (!g_ascii_string_to_unsigned (number, 10, 1, G_MAXINT64, &value, NULL))
      return FALSE;
  }

  if (!tessera_id_is_valid (colon + 1))
    return FALSE;

  *created_at = (gint64) value;
  *id = g_strdup (colon + 1);
  return TRUE;
}

/* Field checks */

/* Reduces a client's file name to a safe base name. */
static char *
clean_filename (const char  *raw,
                GError     **error)
{
  const char *base = raw;

  for (const char *p = raw; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
        {
          g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                               "The file name cannot contain control characters");
          return NULL;
        }
      if (c == '/' || c == '\\')
        base = p + 1;
    }

  if (*base == '\0' || g_str_equal (base, ".") || g_str_equal (base, ".."))
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "The file name is empty");
      return NULL;
    }

  if (strlen (base) > MAX_FILENAME_BYTES)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "The file name is longer than %d bytes", MAX_FILENAME_BYTES);
      return NULL;
    }

  return g_strdup (base);
}

/* The types on-object-created can decode, and the names clients use for
 * them. Anything else would only fail after the upload, and an image type
 * like SVG, served back from our bucket, could run script. */
static const struct
{
  const char *name;
  const char *canonical;
} upload_types[] = {
  { "image/jpeg", "image/jpeg" },
  { "image/jpg", "image/jpeg" },
  { "image/pjpeg", "image/jpeg" },
  { "image/png", "image/png" },
  { "image/x-png", "image/png" },
  { "image/webp", "image/webp" },
  { "image/gif", "image/gif" },
  { "image/tiff", "image/tiff" },
  { "image/heif", "image/heif" },
  { "image/heic", "image/heic" },
  { "image/avif", "image/avif" },
};

static const char *
canonical_upload_type (const char *content_type)
{
  for (guint i = 0; i < G_N_ELEMENTS (upload_types); i++)
    if (g_ascii_strcasecmp (content_type, upload_types[i].name) == 0)
      return upload_types[i].canonical;

  return NULL;
}

static char *
clean_content_type (const char  *raw,
                    const char  *filename,
                    GError     **error)
{
  const char *canonical;

  if (raw == NULL)
    {
      g_autofree char *guessed = NULL;
      g_autofree char *mime = NULL;

      if (filename != NULL)
        {
          guessed = g_content_type_guess (filename, NULL, 0, NULL);
          mime = g_content_type_get_mime_type (guessed);
        }
      canonical = mime ? canonical_upload_type (mime) : NULL;

      return g_strdup (canonical ? canonical : "image/jpeg");
    }

  if (g_ascii_strncasecmp (raw, "image/", 6) != 0)
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_UNSUPPORTED_MEDIA,
                           "Only images can be uploaded: the content type must start with image/");
      return NULL;
    }

  canonical = canonical_upload_type (raw);
  if (canonical == NULL)
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_UNSUPPORTED_MEDIA,
                           "This image type is not supported; "
                           "upload JPEG, PNG, WebP, GIF, TIFF, HEIF or AVIF");
      return NULL;
    }

  return g_strdup (canonical);
}

static char *
clean_sha256 (const char  *raw,
              GError     **error)
{
  if (strlen (raw) != 64)
    goto invalid;

  for (guint i = 0; i < 64; i++)
    if (!g_ascii_isxdigit (raw[i]))
      goto invalid;

  return g_ascii_strdown (raw, -1);

invalid:
  g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Field “sha256” must be 64 hexadecimal characters");
  return NULL;
}

static gboolean
check_image_id (const char  *id,
                GError     **error)
{
  if (tessera_id_is_valid (id))
    return TRUE;

  g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND, "Image not found");
  return FALSE;
}

static TesseraResponse *
image_response (TesseraApi                *api,
                guint                      status,
                const TesseraImageRecord  *record,
                GError                   **error)
{
  g_autoptr(JsonObject) object = _tessera_image_to_json (api, record, error);

  if (object == NULL)
    return NULL;

  return _tessera_response_new_object (status, object);
}

/* POST /images */

/* 201 {"imageId","formConfig"}: a form that uploads @record's object. */
static TesseraResponse *
upload_response (TesseraApi                *api,
                 const TesseraImageRecord  *record,
                 GError                   **error)
{
  g_autoptr(TesseraPresignedPost) post = NULL;
  g_autoptr(JsonObject) form = NULL;
  g_autoptr(JsonObject) answer = NULL;

  post = tessera_object_store_presign_post (api->objects, record->object_key,
                                            record->content_type,
                                            api->settings.max_upload_size,
                                            api->settings.upload_expires, error);
  if (post == NULL)
    return NULL;

  form = json_object_new ();
  json_object_set_string_member (form, "uploadUrl", post->upload_url);
  json_object_set_object_member (form, "formFields", json_object_ref (post->form_fields));

  answer = json_object_new ();
  json_object_set_string_member (answer, "imageId", record->id);
  json_object_set_object_member (answer, "formConfig", g_steal_pointer (&form));

  return _tessera_response_new_object (201, answer);
}

TesseraResponse *
_tessera_fn_create_image (TesseraApi      *api,
                          TesseraRequest  *request,
                          const char      *unused,
                          GError         **error)
{
  g_autoptr(JsonObject) body = _tessera_api_parse_body (api, request, error);
  g_autoptr(TesseraImageRecord) record = NULL;
  g_autoptr(JsonObject) answer = NULL;
  TesseraResponse *response;
  g_autofree char *filename = NULL;
  g_autofree char *content_type = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *id = NULL;
  const char *raw_filename = NULL;
  const char *raw_content_type = NULL;
  const char *raw_sha256 = NULL;
  gint64 size = 0;

  if (body == NULL ||
      !tessera_json_get_string (body, "filename", FALSE, &raw_filename, error) ||
      !tessera_json_get_string (body, "contentType", FALSE, &raw_content_type, error) ||
      !tessera_json_get_int (body, "size", FALSE, &size, error) ||
      !tessera_json_get_string (body, "sha256", FALSE, &raw_sha256, error))
    return NULL;

  if (raw_filename != NULL && (filename = clean_filename (raw_filename, error)) == NULL)
    return NULL;

  if ((content_type = clean_content_type (raw_content_type, filename, error)) == NULL)
    return NULL;

  if (json_object_has_member (body, "size") &&
      !json_object_get_null_member (body, "size") && size < 1)
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "Field “size” must be at least 1 byte");
      return NULL;
    }
  if (size > api->settings.max_upload_size)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_TOO_LARGE,
                   "The image is larger than the limit of %" G_GINT64_FORMAT " bytes",
                   api->settings.max_upload_size);
      return NULL;
    }

  if (raw_sha256 != NULL && (sha256 = clean_sha256 (raw_sha256, error)) == NULL)
    return NULL;

  if (sha256 != NULL)
    {
      g_autoptr(TesseraImageRecord) existing = NULL;
      g_autoptr(GError) local_error = NULL;

      existing = tessera_image_index_find_by_sha256 (api->index, request->sub, sha256, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }

      /* An upload that never arrived (a closed laptop, an expired form) is
       * no duplicate: sign a fresh form for the same image, so a retry
       * completes it instead of leaving it `uploading` for ever. */
      if (existing != NULL && existing->status == TESSERA_IMAGE_STATUS_UPLOADING)
        return upload_response (api, existing, error);

      if (existing != NULL)
        {
          g_autoptr(JsonObject) image = _tessera_image_to_json (api, existing, error);

          if (image == NULL)
            return NULL;

          answer = json_object_new ();
          json_object_set_string_member (answer, "duplicateOf", existing->id);
          json_object_set_object_member (answer, "image", g_steal_pointer (&image));
          return _tessera_response_new_object (200, answer);
        }
    }

  id = tessera_id_new ();
  record = tessera_image_record_new ();
  record->id = g_strdup (id);
  record->owner = g_strdup (request->sub);
  record->filename = g_steal_pointer (&filename);
  record->content_type = g_strdup (content_type);
  record->size = size;
  record->sha256 = g_steal_pointer (&sha256);
  record->created_at = record->updated_at = tessera_now_ms ();
  record->status = TESSERA_IMAGE_STATUS_UPLOADING;
  record->object_key = g_strdup_printf ("u/%s/%s", request->sub, id);

  /* Sign first: a failure here must not leave a record behind. */
  response = upload_response (api, record, error);
  if (response == NULL)
    return NULL;

  if (!tessera_image_index_insert (api->index, record, error))
    {
      tessera_response_free (response);
      return NULL;
    }

  g_debug ("Image %s of %s: upload asked", id, request->sub);

  return response;
}

/* GET /images */

static GStrv
parse_filter_tags (const char  *text,
                   GError     **error)
{
  g_auto(GStrv) items = NULL;

  if (text == NULL || *text == '\0')
    return NULL;

  items = g_strsplit (text, ",", -1);
  if (g_strv_length (items) > MAX_FILTER_TAGS)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "At most %d tags can be asked for at once", MAX_FILTER_TAGS);
      return NULL;
    }

  return tessera_tags_normalize ((const char * const *) items, error);
}

TesseraResponse *
_tessera_fn_list_images (TesseraApi      *api,
                         TesseraRequest  *request,
                         const char      *unused,
                         GError         **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(JsonArray) images = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_auto(GStrv) tags = NULL;
  g_autofree char *after_id = NULL;
  TesseraImageQuery query = { 0 };
  const char *text;
  gboolean untagged;
  gboolean trashed;
  gboolean more = FALSE;

  query.owner = request->sub;
  query.limit = DEFAULT_LIMIT;
  query.match = TESSERA_TAG_MATCH_ALL;

  text = _tessera_request_get_query (request, "limit");
  if (text != NULL)
    {
      guint64 limit;

      if (!g_ascii_string_to_unsigned (text, 10, 1, MAX_LIMIT, &limit, NULL))
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Parameter “limit” must be a number from 1 to %d", MAX_LIMIT);
          return NULL;
        }
      query.limit = limit;
    }

  text = _tessera_request_get_query (request, "match");
  if (g_strcmp0 (text, "any") == 0)
    query.match = TESSERA_TAG_MATCH_ANY;
  else if (text != NULL && !g_str_equal (text, "all"))
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "Parameter “match” must be all or any");
      return NULL;
    }

  tags = parse_filter_tags (_tessera_request_get_query (request, "tags"), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  query.tags = (const char * const *) tags;

  if (!_tessera_request_get_boolean (request, "untagged", FALSE, &untagged, error) ||
      !_tessera_request_get_boolean (request, "trashed", FALSE, &trashed, error))
    return NULL;

  if (untagged && tags != NULL && tags[0] != NULL)
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "Parameters “untagged” and “tags” cannot be used together");
      return NULL;
    }
  query.untagged = untagged;
  query.trashed = trashed;

  text = _tessera_request_get_query (request, "cursor");
  if (text != NULL && *text != '\0')
    {
      if (!_tessera_cursor_decode (text, &query.after_created_at, &after_id))
        {
          g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                               "Parameter “cursor” is not a cursor this API gave");
          return NULL;
        }
      query.after_id = after_id;
    }

  records = tessera_image_index_list (api->index, &query, &more, error);
  if (records == NULL)
    return NULL;

  images = json_array_new ();
  for (guint i = 0; i < records->len; i++)
    {
      JsonObject *image = _tessera_image_to_json (api, g_ptr_array_index (records, i), error);

      if (image == NULL)
        return NULL;
      json_array_add_object_element (images, image);
    }

  answer = json_object_new ();
  json_object_set_array_member (answer, "images", g_steal_pointer (&images));
  if (more && records->len > 0)
    {
      const TesseraImageRecord *last = g_ptr_array_index (records, records->len - 1);
      g_autofree char *cursor = _tessera_cursor_encode (last->created_at, last->id);

      json_object_set_string_member (answer, "nextCursor", cursor);
    }
  else
    json_object_set_null_member (answer, "nextCursor");

  return _tessera_response_new_object (200, answer);
}

/* GET /images/{id} */

TesseraResponse *
_tessera_fn_get_image (TesseraApi      *api,
                       TesseraRequest  *request,
                       const char      *id,
                       GError         **error)
{
  g_autoptr(TesseraImageRecord) record = NULL;

  if (!check_image_id (id, error))
    return NULL;

  record = tessera_image_index_get (api->index, request->sub, id, error);
  if (record == NULL)
    return NULL;

  return image_response (api, 200, record, error);
}

/* PATCH /images/{id} */

static gboolean
get_patch_tags (JsonObject   *body,
                const char   *member,
                GStrv        *tags,
                GError      **error)
{
  g_auto(GStrv) raw = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!tessera_json_get_string_array (body, member, FALSE, &raw, error))
    return FALSE;

  if (raw != NULL && g_strv_length (raw) > MAX_PATCH_TAGS)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "Field “%s” can hold at most %d tags", member, MAX_PATCH_TAGS);
      return FALSE;
    }

  *tags = tessera_tags_normalize ((const char * const *) raw, &local_error);
  if (*tags == NULL)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "Field “%s”: %s", member, local_error->message);
      return FALSE;
    }

  return TRUE;
}

TesseraResponse *
_tessera_fn_patch_image (TesseraApi      *api,
                         TesseraRequest  *request,
                         const char      *id,
                         GError         **error)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(TesseraImageRecord) record = NULL;
  g_auto(GStrv) add = NULL;
  g_auto(GStrv) remove = NULL;

  if (!check_image_id (id, error))
    return NULL;

  body = _tessera_api_parse_body (api, request, error);
  if (body == NULL ||
      !get_patch_tags (body, "addTags", &add, error) ||
      !get_patch_tags (body, "removeTags", &remove, error))
    return NULL;

  if (g_strv_length (add) + g_strv_length (remove) > MAX_PATCH_TAGS)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "A request can change at most %d tags", MAX_PATCH_TAGS);
      return NULL;
    }

  record = tessera_image_index_get (api->index, request->sub, id, error);
  if (record == NULL)
    return NULL;

  if (record->trashed_at != 0)
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND,
                           "Image not found (it is in the trash)");
      return NULL;
    }

  if (add[0] != NULL || remove[0] != NULL)
    {
      if (!tessera_image_index_update_tags (api->index, request->sub, id,
                                            (const char * const *) add,
                                            (const char * const *) remove, error))
        return NULL;

      g_clear_pointer (&record, tessera_image_record_free);
      record = tessera_image_index_get (api->index, request->sub, id, error);
      if (record == NULL)
        return NULL;
    }

  return image_response (api, 200, record, error);
}

/* Removes the objects of @record, then the record. */
static gboolean
delete_image_now (TesseraApi                *api,
                  const TesseraImageRecord  *record,
                  GError                   **error)
{
  const char *keys[] = { record->object_key, record->thumbnail_key, record->preview_key };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (keys[i] != NULL && !tessera_object_store_remove (api->objects, keys[i], error))
      return FALSE;

  return tessera_image_index_remove (api->index, record->owner, record->id, error);
}

/* DELETE /images/{id} */

TesseraResponse *
_tessera_fn_delete_image (TesseraApi      *api,
                          TesseraRequest  *request,
                          const char      *id,
                          GError         **error)
{
  g_autoptr(TesseraImageRecord) record = NULL;
  gboolean permanent;

  if (!check_image_id (id, error) ||
      !_tessera_request_get_boolean (request, "permanent", FALSE, &permanent, error))
    return NULL;

  record = tessera_image_index_get (api->index, request->sub, id, error);
  if (record == NULL)
    return NULL;

  if (permanent)
    {
      if (!delete_image_now (api, record, error))
        return NULL;
      return _tessera_response_new_message (200, "Image deleted");
    }

  if (record->trashed_at == 0 &&
      !tessera_image_index_set_trashed (api->index, request->sub, id, tessera_now_ms (), error))
    return NULL;

  return _tessera_response_new_message (200, "Image moved to the trash");
}

/* POST /images/{id}/restore */

TesseraResponse *
_tessera_fn_restore_image (TesseraApi      *api,
                           TesseraRequest  *request,
                           const char      *id,
                           GError         **error)
{
  g_autoptr(TesseraImageRecord) record = NULL;

  if (!check_image_id (id, error))
    return NULL;

  record = tessera_image_index_get (api->index, request->sub, id, error);
  if (record == NULL)
    return NULL;

  if (record->trashed_at != 0)
    {
      if (!tessera_image_index_set_trashed (api->index, request->sub, id, 0, error))
        return NULL;

      g_clear_pointer (&record, tessera_image_record_free);
      record = tessera_image_index_get (api->index, request->sub, id, error);
      if (record == NULL)
        return NULL;
    }

  return image_response (api, 200, record, error);
}

/**
 * tessera_api_purge_trash:
 * @api: the API
 * @now_ms: the time now, ms since the epoch
 *
 * Deletes, objects first, every image that has been in the trash longer
 * than settings.trash_retention_ms. An image whose objects cannot be removed
 * stays for the next purge.
 *
 * Returns: how many images went
 */
guint
tessera_api_purge_trash (TesseraApi *api,
                         gint64      now_ms)
{
  gint64 before;
  guint purged = 0;

  g_return_val_if_fail (api != NULL, 0);

  before = now_ms - api->settings.trash_retention_ms;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) records = NULL;
      guint purged_now = 0;

      records = tessera_image_index_list_expired_trash (api->index, before, PURGE_BATCH, &error);
      if (records == NULL)
        {
          g_warning ("Cannot list the expired trash: %s", error->message);
          break;
        }

      for (guint i = 0; i < records->len; i++)
        {
          const TesseraImageRecord *record = g_ptr_array_index (records, i);
          g_autoptr(GError) local_error = NULL;

          if (delete_image_now (api, record, &local_error))
            purged_now++;
          else
            g_warning ("Cannot purge image %s: %s", record->id, local_error->message);
        }

      purged += purged_now;

      /* A short batch was the last; a batch that purged nothing would come
       * back the same, so stop until the next purge. */
      if (records->len < PURGE_BATCH || purged_now == 0)
        break;
    }

  if (purged > 0)
    g_message ("Purged %u image(s) from the trash", purged);

  return purged;
}
