/* tessera-fn-tags.c: the tags of a person's images, with counts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-api"

#include "config.h"

#include "tessera-api-private.h"

TesseraResponse *
_tessera_fn_list_tags (TesseraApi      *api,
                       TesseraRequest  *request,
                       const char      *unused,
                       GError         **error)
{
  g_autoptr(GPtrArray) counts = NULL;
  g_autoptr(JsonArray) tags = NULL;
  g_autoptr(JsonObject) answer = NULL;

  counts = tessera_image_index_tag_counts (api->index, request->sub, error);
  if (counts == NULL)
    return NULL;

  tags = json_array_new ();
  for (guint i = 0; i < counts->len; i++)
    {
      const TesseraTagCount *count = g_ptr_array_index (counts, i);
      g_autoptr(JsonObject) item = json_object_new ();

      json_object_set_string_member (item, "name", count->name);
      json_object_set_int_member (item, "count", count->count);
      json_array_add_object_element (tags, g_steal_pointer (&item));
    }

  answer = json_object_new ();
  json_object_set_array_member (answer, "tags", g_steal_pointer (&tags));
  return _tessera_response_new_object (200, answer);
}
