/* tessera-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-json"

#include "config.h"

#include "tessera-error.h"
#include "tessera-json.h"

/**
 * tessera_json_parse_object:
 * @data: the text
 * @length: its length, or -1 when nul-terminated
 * @error: a #GError
 *
 * Returns: (transfer full): the object, or %NULL with %TESSERA_ERROR_INVALID
 *   when @data is not a JSON object.
 */
JsonObject *
tessera_json_parse_object (const char  *data,
                           gssize       length,
                           GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (data == NULL || length == 0)
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "The request body must be a JSON object");
      return NULL;
    }

  if (!json_parser_load_from_data (parser, data, length, &local_error))
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "The request body is not valid JSON: %s", local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "The request body must be a JSON object");
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

static JsonNode *
get_member (JsonObject  *object,
            const char  *member,
            gboolean     required,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if ((node == NULL || JSON_NODE_HOLDS_NULL (node)) && required)
    g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                 "Missing field “%s”", member);

  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    return NULL;

  return node;
}

gboolean
tessera_json_get_string (JsonObject  *object,
                         const char  *member,
                         gboolean     required,
                         const char **value,
                         GError     **error)
{
  JsonNode *node;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  *value = NULL;
  node = get_member (object, member, required, error);
  if (node == NULL)
    return !required;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "Field “%s” must be a string", member);
      return FALSE;
    }

  *value = json_node_get_string (node);
  return TRUE;
}

gboolean
tessera_json_get_int (JsonObject  *object,
                      const char  *member,
                      gboolean     required,
                      gint64      *value,
                      GError     **error)
{
  JsonNode *node;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  node = get_member (object, member, required, error);
  if (node == NULL)
    return !required;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "Field “%s” must be an integer", member);
      return FALSE;
    }

  *value = json_node_get_int (node);
  return TRUE;
}

gboolean
tessera_json_get_string_array (JsonObject  *object,
                               const char  *member,
                               gboolean     required,
                               GStrv       *value,
                               GError     **error)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;
  JsonNode *node;
  guint n;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (value != NULL, FALSE);

  *value = NULL;
  node = get_member (object, member, required, error);
  if (node == NULL)
    return !required;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "Field “%s” must be an array of strings", member);
      return FALSE;
    }

  builder = g_strv_builder_new ();
  array = json_node_get_array (node);
  n = json_array_get_length (array);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) ||
          json_node_get_value_type (element) != G_TYPE_STRING)
        {
          g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                       "Field “%s” must be an array of strings", member);
          return FALSE;
        }
      g_strv_builder_add (builder, json_node_get_string (element));
    }

  *value = g_strv_builder_end (builder);
  return TRUE;
}

/**
 * tessera_json_object_to_string:
 *
 * Returns: (transfer full): @object as compact JSON text
 */
char *
tessera_json_object_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return json_to_string (node, FALSE);
}

/**
 * tessera_json_message:
 *
 * Returns: (transfer full): `{"message": message}`, the body of every error
 *   and of the plain successes.
 */
char *
tessera_json_message (const char *message)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, "message", message);
  return tessera_json_object_to_string (object);
}
