/* tessera-image-json.c: an image record as the API shows it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-api"

#include "config.h"

#include "tessera-api-private.h"
#include "tessera-util.h"

/* A pre-signed GET of @key, or null when there is no such object yet. */
static gboolean
set_url_member (TesseraApi  *api,
                JsonObject  *object,
                const char  *member,
                const char  *key,
                GError     **error)
{
  g_autofree char *url = NULL;

  if (key == NULL)
    {
      json_object_set_null_member (object, member);
      return TRUE;
    }

  url = tessera_object_store_presign_get (api->objects, key, api->settings.url_expires, error);
  if (url == NULL)
    return FALSE;

  json_object_set_string_member (object, member, url);
  return TRUE;
}

JsonObject *
_tessera_image_to_json (TesseraApi                *api,
                        const TesseraImageRecord  *record,
                        GError                   **error)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonArray) tags = json_array_new ();
  g_autoptr(JsonArray) labels = json_array_new ();
  g_autofree char *created_at = tessera_time_to_iso8601 (record->created_at);

  g_assert (record != NULL);

  for (guint i = 0; i < record->tags->len; i++)
    json_array_add_string_element (tags, g_ptr_array_index (record->tags, i));

  for (guint i = 0; i < record->labels->len; i++)
    {
      const TesseraLabel *label = g_ptr_array_index (record->labels, i);
      g_autoptr(JsonObject) item = json_object_new ();

      json_object_set_string_member (item, "name", label->name);
      json_object_set_double_member (item, "confidence", label->confidence);
      json_object_set_string_member (item, "source", label->source);
      json_array_add_object_element (labels, g_steal_pointer (&item));
    }

  json_object_set_string_member (object, "id", record->id);
  json_object_set_string_member (object, "filename", record->filename);
  json_object_set_string_member (object, "contentType", record->content_type);
  json_object_set_int_member (object, "size", record->size);
  json_object_set_int_member (object, "width", record->width);
  json_object_set_int_member (object, "height", record->height);
  json_object_set_string_member (object, "createdAt", created_at);
  json_object_set_string_member (object, "status", tessera_image_status_to_string (record->status));
  json_object_set_array_member (object, "tags", g_steal_pointer (&tags));
  json_object_set_array_member (object, "labels", g_steal_pointer (&labels));

  if (!set_url_member (api, object, "fileUrl", record->object_key, error) ||
      !set_url_member (api, object, "thumbnailUrl", record->thumbnail_key, error) ||
      !set_url_member (api, object, "previewUrl", record->preview_key, error))
    return NULL;

  if (record->status == TESSERA_IMAGE_STATUS_FAILED)
    json_object_set_string_member (object, "failureReason",
                                   record->failure_reason ? record->failure_reason
                                                          : "Processing failed");

  if (record->trashed_at != 0)
    {
      g_autofree char *trashed_at = tessera_time_to_iso8601 (record->trashed_at);
      json_object_set_string_member (object, "trashedAt", trashed_at);
    }

  if (record->sha256 != NULL)
    json_object_set_string_member (object, "sha256", record->sha256);

  if (record->metadata != NULL)
    json_object_set_object_member (object, "metadata", json_object_ref (record->metadata));

  return g_steal_pointer (&object);
}
