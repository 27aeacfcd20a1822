/* tessera-json.h: typed access to request bodies, with errors fit for a 400
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

JsonObject *tessera_json_parse_object       (const char   *data,
                                             gssize        length,
                                             GError      **error);
gboolean    tessera_json_get_string         (JsonObject   *object,
                                             const char   *member,
                                             gboolean      required,
                                             const char  **value,
                                             GError      **error);
gboolean    tessera_json_get_int            (JsonObject   *object,
                                             const char   *member,
                                             gboolean      required,
                                             gint64       *value,
                                             GError      **error);
gboolean    tessera_json_get_string_array   (JsonObject   *object,
                                             const char   *member,
                                             gboolean      required,
                                             GStrv        *value,
                                             GError      **error);
char       *tessera_json_object_to_string   (JsonObject   *object);
char       *tessera_json_message            (const char   *message);

G_END_DECLS
