/* test-image.c: TesseraImage from and to the API's JSON
 *
 * An image keeps its labels and metadata as text until asked for them (a
 * gallery of 100 000 images asks for none); what it gives back must still be
 * what the server sent, fields this version does not know included, and it
 * must notify what changed and nothing else.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <json-glib/json-glib.h>

#include "tessera-image.h"

static const char *image_json =
  "{\"id\":\"0b4f6c9e-5d1a-4c1b-9f3e-7a2d8c6b1e00\","
  "\"filename\":\"beach.jpg\",\"contentType\":\"image/jpeg\","
  "\"size\":2000000,\"width\":1600,\"height\":1200,"
  "\"createdAt\":\"2026-11-25T08:00:00.000Z\",\"status\":\"ready\","
  "\"tags\":[\"beach\",\"sunset\"],"
  "\"labels\":[{\"name\":\"outdoor\",\"confidence\":0.9,\"source\":\"local\"}],"
  "\"metadata\":{\"camera\":\"Pentax K-1\",\"takenAt\":\"2026-08-01T18:00:00Z\"},"
  "\"failureReason\":null,"
  "\"thumbnailUrl\":\"http://127.0.0.1:1/t?X-Amz-Signature=abc\","
  "\"futureField\":{\"x\":[1,2,3]}}";

static JsonObject *
object_from (const char *text)
{
  g_autoptr(JsonNode) root = json_from_string (text, NULL);

  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));

  return json_object_ref (json_node_get_object (root));
}

static gboolean
objects_equal (JsonObject *a,
               JsonObject *b)
{
  g_autoptr(JsonNode) na = json_node_init_object (json_node_alloc (), a);
  g_autoptr(JsonNode) nb = json_node_init_object (json_node_alloc (), b);

  return json_node_equal (na, nb);
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              GPtrArray  *names)
{
  (void) object;
  g_ptr_array_add (names, g_strdup (pspec->name));
}

static void
test_round_trip (void)
{
  g_autoptr(JsonObject) sent = object_from (image_json);
  g_autoptr(TesseraImage) image = tessera_image_new_from_json (sent);
  g_autoptr(JsonObject) back = NULL;
  JsonArray *labels;
  JsonObject *metadata;

  g_assert_nonnull (image);
  g_assert_cmpstr (tessera_image_get_id (image), ==, "0b4f6c9e-5d1a-4c1b-9f3e-7a2d8c6b1e00");
  g_assert_cmpstr (tessera_image_get_filename (image), ==, "beach.jpg");
  g_assert_cmpint (tessera_image_get_size (image), ==, 2000000);
  g_assert_cmpint (tessera_image_get_width (image), ==, 1600);
  g_assert_null (tessera_image_get_failure_reason (image));
  g_assert_true (tessera_image_has_tag (image, "sunset"));

  /* The labels and metadata, parsed when asked for. */
  labels = tessera_image_get_labels (image);
  g_assert_nonnull (labels);
  g_assert_cmpuint (json_array_get_length (labels), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (labels, 0), "name"),
                   ==, "outdoor");
  metadata = tessera_image_get_metadata (image);
  g_assert_nonnull (metadata);
  g_assert_cmpstr (json_object_get_string_member (metadata, "camera"), ==, "Pentax K-1");
  /* The same objects the second time. */
  g_assert_true (tessera_image_get_labels (image) == labels);

  /* What the server sent, unknown members and explicit nulls included. */
  back = tessera_image_to_json (image);
  g_assert_true (objects_equal (sent, back));
  g_assert_true (json_object_has_member (back, "futureField"));
  g_assert_true (json_object_get_null_member (back, "failureReason"));

  /* Without the original's and preview's URLs, only those go. */
  tessera_image_forget_full_urls (image);
  g_clear_pointer (&back, json_object_unref);
  back = tessera_image_to_json (image);
  g_assert_true (objects_equal (sent, back));
}

static void
test_no_id (void)
{
  g_autoptr(JsonObject) object = object_from ("{\"filename\":\"x.jpg\"}");

  g_assert_null (tessera_image_new_from_json (object));
}

/* @read_first: whether the labels were asked for before the update. */
static void
check_updates (gboolean read_first)
{
  g_autoptr(JsonObject) sent = object_from (image_json);
  g_autoptr(TesseraImage) image = tessera_image_new_from_json (sent);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonObject) same = object_from (image_json);
  g_autoptr(JsonObject) ready = NULL;
  g_autoptr(JsonObject) relabelled = NULL;
  JsonArray *labels;

  if (read_first)
    g_assert_nonnull (tessera_image_get_labels (image));
  g_signal_connect (image, "notify", G_CALLBACK (count_notify), names);

  /* The same answer again: nothing changed, nothing said. */
  g_assert_false (tessera_image_update_from_json (image, same));
  g_assert_cmpuint (names->len, ==, 0);

  /* Only the status. */
  ready = object_from (image_json);
  json_object_set_string_member (ready, "status", "processing");
  g_assert_true (tessera_image_update_from_json (image, ready));
  g_assert_cmpuint (names->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, "status");
  g_ptr_array_set_size (names, 0);

  /* New labels: read back as sent, whether or not the old ones were read. */
  relabelled = object_from (image_json);
  json_object_set_string_member (relabelled, "status", "processing");
  {
    g_autoptr(JsonNode) node = json_from_string ("[{\"name\":\"sea\",\"confidence\":0.8,"
                                                 "\"source\":\"clarifai\"}]", NULL);
    json_object_set_array_member (relabelled, "labels", json_array_ref (json_node_get_array (node)));
  }
  g_assert_true (tessera_image_update_from_json (image, relabelled));
  g_assert_true (g_ptr_array_find_with_equal_func (names, "labels", g_str_equal, NULL));
  if (read_first)
    {
      /* Parsed already, so compared: the metadata did not change. */
      g_assert_cmpuint (names->len, ==, 1);
    }
  labels = tessera_image_get_labels (image);
  g_assert_cmpuint (json_array_get_length (labels), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (labels, 0), "name"),
                   ==, "sea");
  g_assert_cmpstr (json_object_get_string_member (tessera_image_get_metadata (image), "camera"),
                   ==, "Pentax K-1");
}

static void
test_updates_unread (void)
{
  check_updates (FALSE);
}

static void
test_updates_read (void)
{
  check_updates (TRUE);
}

static void
test_malformed_members (void)
{
  /* Wrong types where objects and arrays belong: no labels, no crash, and
   * the answer still round-trips. */
  g_autoptr(JsonObject) sent = object_from ("{\"id\":\"a\",\"labels\":\"none\",\"metadata\":[1],"
                                            "\"tags\":{\"x\":1},\"size\":\"big\",\"status\":7}");
  g_autoptr(TesseraImage) image = tessera_image_new_from_json (sent);
  g_autoptr(JsonObject) back = NULL;

  g_assert_nonnull (image);
  g_assert_null (tessera_image_get_labels (image));
  g_assert_null (tessera_image_get_metadata (image));
  g_assert_null (tessera_image_get_status (image));
  g_assert_cmpint (tessera_image_get_size (image), ==, 0);
  g_assert_null (tessera_image_get_tags (image)[0]);
  back = tessera_image_to_json (image);
  g_assert_true (objects_equal (sent, back));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/image/round-trip", test_round_trip);
  g_test_add_func ("/image/no-id", test_no_id);
  g_test_add_func ("/image/updates/unread", test_updates_unread);
  g_test_add_func ("/image/updates/read", test_updates_read);
  g_test_add_func ("/image/malformed-members", test_malformed_members);

  return g_test_run ();
}
