/* test-local-index.c: the image index over SQLite
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "tessera-error.h"
#include "tessera-local-index.h"
#include "test-local-common.h"

#define ALICE "sub-alice"
#define BOB "sub-bob"

typedef struct
{
  TestDb             db;
  TesseraImageIndex *index;
} IndexFixture;

static void
index_setup (IndexFixture  *fixture,
             gconstpointer  user_data)
{
  test_db_setup (&fixture->db, user_data);
  fixture->index = TESSERA_IMAGE_INDEX (tessera_local_index_new (fixture->db.db));
}

static void
index_teardown (IndexFixture  *fixture,
                gconstpointer  user_data)
{
  g_clear_object (&fixture->index);
  test_db_teardown (&fixture->db, user_data);
}

static TesseraImageRecord *
make_record (const char  *owner,
             const char  *id,
             gint64       created_at,
             const char  *tags)
{
  TesseraImageRecord *record = tessera_image_record_new ();
  g_auto(GStrv) split = tags ? g_strsplit (tags, ",", -1) : NULL;

  record->id = g_strdup (id);
  record->owner = g_strdup (owner);
  record->filename = g_strdup_printf ("%s.jpg", id);
  record->content_type = g_strdup ("image/jpeg");
  record->size = 1234;
  record->sha256 = g_strdup_printf ("sha-%s", id);
  record->created_at = created_at;
  record->updated_at = created_at;
  record->status = TESSERA_IMAGE_STATUS_UPLOADING;
  record->object_key = g_strdup_printf ("u/%s/%s", owner, id);
  for (guint i = 0; split != NULL && split[i] != NULL; i++)
    g_ptr_array_add (record->tags, g_strdup (split[i]));

  return record;
}

static void
add_image (IndexFixture *fixture,
           const char   *owner,
           const char   *id,
           gint64        created_at,
           const char   *tags)
{
  g_autoptr(TesseraImageRecord) record = make_record (owner, id, created_at, tags);
  g_autoptr(GError) error = NULL;

  g_assert_true (tessera_image_index_insert (fixture->index, record, &error));
  g_assert_no_error (error);
}

static char *
joined_tags (const TesseraImageRecord *record)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < record->tags->len; i++)
    g_string_append_printf (s, "%s%s", i ? "," : "", (char *) g_ptr_array_index (record->tags, i));

  return g_string_free (s, FALSE);
}

static void
assert_tags (TesseraImageIndex *index,
             const char        *owner,
             const char        *id,
             const char        *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImageRecord) record = tessera_image_index_get (index, owner, id, &error);
  g_autofree char *tags = NULL;

  g_assert_no_error (error);
  tags = joined_tags (record);
  g_assert_cmpstr (tags, ==, expected);
}

/* The ids of one listing, all pages, joined with ",". */
static char *
list_ids (TesseraImageIndex *index,
          TesseraImageQuery *query)
{
  GString *ids = g_string_new (NULL);
  g_autofree char *after_id = NULL;
  gboolean more = TRUE;

  query->after_created_at = 0;
  query->after_id = NULL;

  while (more)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) page = tessera_image_index_list (index, query, &more, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (page->len, <=, query->limit);
      /* A page says "more" only when it is full. */
      if (more)
        g_assert_cmpuint (page->len, ==, query->limit);

      for (guint i = 0; i < page->len; i++)
        {
          const TesseraImageRecord *record = g_ptr_array_index (page, i);
          g_assert_cmpstr (record->owner, ==, query->owner);
          g_string_append_printf (ids, "%s%s", ids->len ? "," : "", record->id);
        }

      if (page->len > 0)
        {
          const TesseraImageRecord *last = g_ptr_array_index (page, page->len - 1);

          g_free (after_id);
          after_id = g_strdup (last->id);
          query->after_created_at = last->created_at;
          query->after_id = after_id;
        }
    }

  query->after_id = NULL;

  return g_string_free (ids, FALSE);
}

static void
test_insert_get (IndexFixture  *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(TesseraImageRecord) record = make_record (ALICE, "img-1", 1000, "zebra,apple,mango");
  g_autoptr(TesseraImageRecord) got = NULL;
  g_autoptr(GError) error = NULL;
  const TesseraLabel *label;

  record->width = 640;
  record->height = 480;
  record->thumbnail_key = g_strdup ("t/img-1");
  tessera_image_record_add_label (record, "cat", 0.93, "local/cats");
  record->metadata = json_object_new ();
  json_object_set_string_member (record->metadata, "camera", "Pentax");

  g_assert_true (tessera_image_index_insert (fixture->index, record, &error));
  g_assert_no_error (error);

  got = tessera_image_index_get (fixture->index, ALICE, "img-1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (got->id, ==, "img-1");
  g_assert_cmpstr (got->owner, ==, ALICE);
  g_assert_cmpstr (got->filename, ==, "img-1.jpg");
  g_assert_cmpstr (got->content_type, ==, "image/jpeg");
  g_assert_cmpint (got->size, ==, 1234);
  g_assert_cmpstr (got->sha256, ==, "sha-img-1");
  g_assert_cmpint (got->width, ==, 640);
  g_assert_cmpint (got->height, ==, 480);
  g_assert_cmpint (got->created_at, ==, 1000);
  g_assert_cmpint (got->trashed_at, ==, 0);
  g_assert_cmpint (got->status, ==, TESSERA_IMAGE_STATUS_UPLOADING);
  g_assert_cmpstr (got->object_key, ==, "u/sub-alice/img-1");
  g_assert_cmpstr (got->thumbnail_key, ==, "t/img-1");
  g_assert_null (got->preview_key);
  g_assert_null (got->failure_reason);
  assert_tags (fixture->index, ALICE, "img-1", "apple,mango,zebra");
  g_assert_cmpuint (got->labels->len, ==, 1);
  label = g_ptr_array_index (got->labels, 0);
  g_assert_cmpstr (label->name, ==, "cat");
  g_assert_cmpfloat_with_epsilon (label->confidence, 0.93, 1e-9);
  g_assert_cmpstr (label->source, ==, "local/cats");
  g_assert_nonnull (got->metadata);
  g_assert_cmpstr (json_object_get_string_member (got->metadata, "camera"), ==, "Pentax");

  /* The same id twice is a conflict, and the first one is untouched. */
  g_assert_false (tessera_image_index_insert (fixture->index, record, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_CONFLICT);
  g_clear_error (&error);
  assert_tags (fixture->index, ALICE, "img-1", "apple,mango,zebra");
}

static void
test_owner_isolation (IndexFixture  *fixture,
                      gconstpointer  user_data)
{
  const char *none[] = { NULL };
  const char *add[] = { "stolen", NULL };
  g_autoptr(TesseraImageRecord) result = make_record (BOB, "img-a", 1, "stolen");
  g_autoptr(TesseraImageRecord) missing = NULL;
  g_autoptr(TesseraImageRecord) dup = NULL;
  g_autoptr(GPtrArray) bobs = NULL;
  g_autoptr(GPtrArray) counts = NULL;
  g_autoptr(GError) error = NULL;
  TesseraImageQuery query = { .owner = BOB, .limit = 10 };
  gboolean more;

  add_image (fixture, ALICE, "img-a", 1000, "dog");

  missing = tessera_image_index_get (fixture->index, BOB, "img-a", &error);
  g_assert_null (missing);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Exactly as for an id that does not exist at all. */
  missing = tessera_image_index_get (fixture->index, ALICE, "img-nope", &error);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_false (tessera_image_index_update_tags (fixture->index, BOB, "img-a", add, none, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (tessera_image_index_set_status (fixture->index, BOB, "img-a",
                                                  TESSERA_IMAGE_STATUS_FAILED, "no", &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (tessera_image_index_store_result (fixture->index, result, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (tessera_image_index_set_trashed (fixture->index, BOB, "img-a", 5, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (tessera_image_index_remove (fixture->index, BOB, "img-a", &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
  g_clear_error (&error);

  dup = tessera_image_index_find_by_sha256 (fixture->index, BOB, "sha-img-a", &error);
  g_assert_no_error (error);
  g_assert_null (dup);

  bobs = tessera_image_index_list (fixture->index, &query, &more, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bobs->len, ==, 0);
  g_assert_false (more);

  counts = tessera_image_index_tag_counts (fixture->index, BOB, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (counts->len, ==, 0);

  /* Alice's image came through all that unchanged. */
  {
    g_autoptr(TesseraImageRecord) alices = tessera_image_index_get (fixture->index, ALICE, "img-a", &error);
    g_assert_no_error (error);
    g_assert_cmpint (alices->status, ==, TESSERA_IMAGE_STATUS_UPLOADING);
    g_assert_cmpint (alices->trashed_at, ==, 0);
    assert_tags (fixture->index, ALICE, "img-a", "dog");
  }
}

static void
add_filter_images (IndexFixture *fixture)
{
  add_image (fixture, ALICE, "i1", 100, "cat,dog");
  add_image (fixture, ALICE, "i2", 200, "cat");
  add_image (fixture, ALICE, "i3", 300, "dog");
  add_image (fixture, ALICE, "i4", 400, NULL);
  add_image (fixture, ALICE, "i5", 500, "bird,cat,dog");
  add_image (fixture, ALICE, "i6", 600, NULL);
  add_image (fixture, ALICE, "i7", 700, "cat,dog");   /* trashed below */
  add_image (fixture, BOB, "b1", 800, "cat,dog");
}

static void
test_list_filters (IndexFixture  *fixture,
                   gconstpointer  user_data)
{
  const char *cat_dog[] = { "cat", "dog", NULL };
  const char *cat_cat[] = { "cat", "cat", NULL };
  const char *bird_dog[] = { "bird", "dog", NULL };
  const char *fish[] = { "fish", NULL };
  const char *empty[] = { NULL };
  TesseraImageQuery query = { .owner = ALICE, .limit = 3 };
  g_autoptr(GError) error = NULL;
  char *ids;

  add_filter_images (fixture);
  g_assert_true (tessera_image_index_set_trashed (fixture->index, ALICE, "i7", 900, &error));

#define CHECK(expected) \
  ids = list_ids (fixture->index, &query); \
  g_assert_cmpstr (ids, ==, expected); \
  g_free (ids)

  CHECK ("i6,i5,i4,i3,i2,i1");

  query.tags = empty;
  CHECK ("i6,i5,i4,i3,i2,i1");

  query.tags = cat_dog;
  query.match = TESSERA_TAG_MATCH_ALL;
  CHECK ("i5,i1");
  query.match = TESSERA_TAG_MATCH_ANY;
  CHECK ("i5,i3,i2,i1");

  /* A tag asked twice is asked once. */
  query.tags = cat_cat;
  query.match = TESSERA_TAG_MATCH_ALL;
  CHECK ("i5,i2,i1");

  query.tags = bird_dog;
  CHECK ("i5");
  query.match = TESSERA_TAG_MATCH_ANY;
  CHECK ("i5,i3,i1");

  query.tags = fish;
  CHECK ("");

  /* "any" of more tags than it merges ranges for reads the gallery. */
  {
    const char *many[] = { "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9", "t10",
                           "t11", "t12", "t13", "t14", "t15", "t16", "t17", "bird", "dog", NULL };

    query.tags = many;
    query.match = TESSERA_TAG_MATCH_ANY;
    CHECK ("i5,i3,i1");
    query.match = TESSERA_TAG_MATCH_ALL;
    CHECK ("");
    query.tags = many + 17;
    CHECK ("i5");
  }

  query.tags = NULL;
  query.untagged = TRUE;
  CHECK ("i6,i4");
  query.tags = fish;
  CHECK ("");
  query.tags = NULL;
  query.untagged = FALSE;

  query.trashed = TRUE;
  CHECK ("i7");
  query.tags = cat_dog;
  query.match = TESSERA_TAG_MATCH_ALL;
  CHECK ("i7");
  query.tags = bird_dog;
  CHECK ("");
  query.match = TESSERA_TAG_MATCH_ANY;
  CHECK ("i7");
  query.tags = fish;
  CHECK ("");
  query.tags = NULL;
  query.untagged = TRUE;
  CHECK ("");
  query.untagged = FALSE;

  query.owner = BOB;
  query.trashed = FALSE;
  query.tags = cat_dog;
  CHECK ("b1");

#undef CHECK
}

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const TesseraImageRecord *ra = *(const TesseraImageRecord * const *) a;
  const TesseraImageRecord *rb = *(const TesseraImageRecord * const *) b;

  if (ra->created_at != rb->created_at)
    return ra->created_at < rb->created_at ? 1 : -1;

  return -strcmp (ra->id, rb->id);
}

static void
test_pagination (IndexFixture  *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func ((GDestroyNotify) tessera_image_record_free);
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  const char *even[] = { "even", NULL };
  const char *even_or_five[] = { "even", "five", NULL };
  const char *even_and_five[] = { "even", "five", NULL };
  const guint limits[] = { 1, 2, 7, 10, 100 };
  GString *expected = g_string_new (NULL);
  GString *expected_even = g_string_new (NULL);
  GString *expected_any = g_string_new (NULL);
  GString *expected_all = g_string_new (NULL);

  /* 230 images in clumps that share a created_at, ids in no order. */
  for (guint i = 0; i < 230; i++)
    {
      g_autofree char *id = g_strdup_printf ("p%08x", g_rand_int (rand));
      GString *tags = g_string_new (NULL);
      TesseraImageRecord *record;

      if (i % 2 == 0)
        g_string_append (tags, "even,");
      if (i % 5 == 0)
        g_string_append (tags, "five,");
      if (tags->len)
        g_string_truncate (tags, tags->len - 1);

      record = make_record (ALICE, id, 10000 + (i / 6) * 10, tags->len ? tags->str : NULL);
      g_assert_true (tessera_image_index_insert (fixture->index, record, NULL));
      g_ptr_array_add (all, record);
      g_string_free (tags, TRUE);
    }

  g_ptr_array_sort (all, compare_newest_first);
  for (guint i = 0; i < all->len; i++)
    {
      const TesseraImageRecord *record = g_ptr_array_index (all, i);
      g_autofree char *tags = joined_tags (record);
      gboolean is_even = strstr (tags, "even") != NULL;
      gboolean is_five = strstr (tags, "five") != NULL;

#define APPEND(s) g_string_append_printf (s, "%s%s", s->len ? "," : "", record->id)
      APPEND (expected);
      if (is_even)
        APPEND (expected_even);
      if (is_even || is_five)
        APPEND (expected_any);
      if (is_even && is_five)
        APPEND (expected_all);
#undef APPEND
    }

  /* Every image exactly once, in order, whatever the page size. */
  for (guint l = 0; l < G_N_ELEMENTS (limits); l++)
    {
      TesseraImageQuery query = { .owner = ALICE, .limit = limits[l] };
      char *ids;

      ids = list_ids (fixture->index, &query);
      g_assert_cmpstr (ids, ==, expected->str);
      g_free (ids);

      query.tags = even;
      ids = list_ids (fixture->index, &query);
      g_assert_cmpstr (ids, ==, expected_even->str);
      g_free (ids);

      query.tags = even_or_five;
      query.match = TESSERA_TAG_MATCH_ANY;
      ids = list_ids (fixture->index, &query);
      g_assert_cmpstr (ids, ==, expected_any->str);
      g_free (ids);

      query.tags = even_and_five;
      query.match = TESSERA_TAG_MATCH_ALL;
      ids = list_ids (fixture->index, &query);
      g_assert_cmpstr (ids, ==, expected_all->str);
      g_free (ids);
    }

  /* The last page is exactly full: no phantom "more". */
  {
    TesseraImageQuery query = { .owner = ALICE, .limit = 100 };
    const TesseraImageRecord *cut = g_ptr_array_index (all, all->len - 31);
    g_autoptr(GPtrArray) page = NULL;
    gboolean more = TRUE;

    query.after_created_at = cut->created_at;
    query.after_id = cut->id;
    page = tessera_image_index_list (fixture->index, &query, &more, NULL);
    g_assert_cmpuint (page->len, ==, 30);
    g_assert_false (more);
  }

  g_string_free (expected, TRUE);
  g_string_free (expected_even, TRUE);
  g_string_free (expected_any, TRUE);
  g_string_free (expected_all, TRUE);
}

static void
test_update_tags (IndexFixture  *fixture,
                  gconstpointer  user_data)
{
  const char *add[] = { "sunset", "beach", "beach", NULL };
  const char *remove[] = { "dog", "never-there", NULL };
  const char *both[] = { "sunset", NULL };
  const char *none[] = { NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImageRecord) before = NULL;
  g_autoptr(TesseraImageRecord) after = NULL;

  add_image (fixture, ALICE, "img", 1000, "dog,cat");
  before = tessera_image_index_get (fixture->index, ALICE, "img", NULL);

  g_assert_true (tessera_image_index_update_tags (fixture->index, ALICE, "img", add, remove, &error));
  g_assert_no_error (error);
  assert_tags (fixture->index, ALICE, "img", "beach,cat,sunset");
  after = tessera_image_index_get (fixture->index, ALICE, "img", NULL);
  g_assert_cmpint (after->updated_at, >, before->updated_at);

  /* Idempotent. */
  g_assert_true (tessera_image_index_update_tags (fixture->index, ALICE, "img", add, remove, &error));
  assert_tags (fixture->index, ALICE, "img", "beach,cat,sunset");

  /* In both lists: removed, then added, so it stays. */
  g_assert_true (tessera_image_index_update_tags (fixture->index, ALICE, "img", both, both, &error));
  assert_tags (fixture->index, ALICE, "img", "beach,cat,sunset");

  g_assert_true (tessera_image_index_update_tags (fixture->index, ALICE, "img", NULL, add, &error));
  assert_tags (fixture->index, ALICE, "img", "cat");
  g_assert_true (tessera_image_index_update_tags (fixture->index, ALICE, "img", none, none, &error));
  g_assert_no_error (error);
  assert_tags (fixture->index, ALICE, "img", "cat");

  g_assert_false (tessera_image_index_update_tags (fixture->index, ALICE, "nope", add, NULL, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A trashed image cannot be tagged, and keeps its tags. */
  g_assert_true (tessera_image_index_set_trashed (fixture->index, ALICE, "img", 5000, &error));
  g_assert_false (tessera_image_index_update_tags (fixture->index, ALICE, "img", add, none, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
  assert_tags (fixture->index, ALICE, "img", "cat");
}

static void
test_store_result (IndexFixture  *fixture,
                   gconstpointer  user_data)
{
  g_autoptr(TesseraImageRecord) result = make_record (ALICE, "img", 1000, "outdoor,landscape");
  g_autoptr(GError) error = NULL;
  const char *mine[] = { "mine", NULL };

  add_image (fixture, ALICE, "img", 1000, NULL);
  g_assert_true (tessera_image_index_update_tags (fixture->index, ALICE, "img", mine, NULL, &error));

  result->content_type = (g_free (result->content_type), g_strdup ("image/png"));
  result->width = 4000;
  result->height = 3000;
  result->status = TESSERA_IMAGE_STATUS_READY;
  result->thumbnail_key = g_strdup ("thumbs/img-256");
  result->preview_key = g_strdup ("thumbs/img-1024");
  tessera_image_record_add_label (result, "outdoor", 0.97, "local/colours");
  tessera_image_record_add_label (result, "landscape", 0.91, "local/orientation");
  result->metadata = json_object_new ();
  json_object_set_int_member (result->metadata, "iso", 200);
  /* Not part of a result: ignored. */
  result->filename = (g_free (result->filename), g_strdup ("changed.jpg"));
  result->created_at = 1;

  /* Twice, as a retried job would: the same outcome. */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(TesseraImageRecord) got = NULL;
      const TesseraLabel *label;

      g_assert_true (tessera_image_index_store_result (fixture->index, result, &error));
      g_assert_no_error (error);

      got = tessera_image_index_get (fixture->index, ALICE, "img", &error);
      g_assert_cmpstr (got->content_type, ==, "image/png");
      g_assert_cmpint (got->width, ==, 4000);
      g_assert_cmpint (got->height, ==, 3000);
      g_assert_cmpint (got->status, ==, TESSERA_IMAGE_STATUS_READY);
      g_assert_cmpstr (got->thumbnail_key, ==, "thumbs/img-256");
      g_assert_cmpstr (got->preview_key, ==, "thumbs/img-1024");
      g_assert_cmpstr (got->filename, ==, "img.jpg");
      g_assert_cmpint (got->created_at, ==, 1000);
      g_assert_cmpuint (got->labels->len, ==, 2);
      label = g_ptr_array_index (got->labels, 1);
      g_assert_cmpstr (label->name, ==, "landscape");
      g_assert_cmpstr (label->source, ==, "local/orientation");
      g_assert_cmpint (json_object_get_int_member (got->metadata, "iso"), ==, 200);
      assert_tags (fixture->index, ALICE, "img", "landscape,mine,outdoor");
    }

  /* A failure replaces the labels and records why. */
  {
    g_autoptr(TesseraImageRecord) failed = make_record (ALICE, "img", 1000, NULL);
    g_autoptr(TesseraImageRecord) got = NULL;

    failed->status = TESSERA_IMAGE_STATUS_FAILED;
    failed->failure_reason = g_strdup ("not an image");
    g_assert_true (tessera_image_index_store_result (fixture->index, failed, &error));
    got = tessera_image_index_get (fixture->index, ALICE, "img", &error);
    g_assert_cmpint (got->status, ==, TESSERA_IMAGE_STATUS_FAILED);
    g_assert_cmpstr (got->failure_reason, ==, "not an image");
    g_assert_cmpuint (got->labels->len, ==, 0);
    g_assert_null (got->metadata);
    assert_tags (fixture->index, ALICE, "img", "landscape,mine,outdoor");
  }
}

static void
test_set_status (IndexFixture  *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImageRecord) got = NULL;

  add_image (fixture, ALICE, "img", 1000, NULL);
  g_assert_true (tessera_image_index_set_status (fixture->index, ALICE, "img",
                                                 TESSERA_IMAGE_STATUS_PROCESSING, NULL, &error));
  g_assert_no_error (error);
  got = tessera_image_index_get (fixture->index, ALICE, "img", &error);
  g_assert_cmpint (got->status, ==, TESSERA_IMAGE_STATUS_PROCESSING);
  g_assert_null (got->failure_reason);
}

static void
test_trash (IndexFixture  *fixture,
            gconstpointer  user_data)
{
  TesseraImageQuery gallery = { .owner = ALICE, .limit = 10 };
  TesseraImageQuery trash = { .owner = ALICE, .limit = 10, .trashed = TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) expired = NULL;
  g_autoptr(TesseraImageRecord) got = NULL;
  char *ids;

  add_image (fixture, ALICE, "a", 100, "x");
  add_image (fixture, ALICE, "b", 200, "x");
  add_image (fixture, ALICE, "c", 300, "x");
  add_image (fixture, BOB, "d", 400, "x");

  g_assert_true (tessera_image_index_set_trashed (fixture->index, ALICE, "a", 5000, &error));
  g_assert_true (tessera_image_index_set_trashed (fixture->index, ALICE, "b", 9000, &error));
  g_assert_true (tessera_image_index_set_trashed (fixture->index, BOB, "d", 1000, &error));
  g_assert_no_error (error);

  ids = list_ids (fixture->index, &gallery);
  g_assert_cmpstr (ids, ==, "c");
  g_free (ids);
  ids = list_ids (fixture->index, &trash);
  g_assert_cmpstr (ids, ==, "b,a");
  g_free (ids);

  /* Still there for the function layer to decide. */
  got = tessera_image_index_get (fixture->index, ALICE, "a", &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->trashed_at, ==, 5000);

  /* Any owner's, trashed before the time, oldest first, limited. */
  expired = tessera_image_index_list_expired_trash (fixture->index, 9000, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (expired->len, ==, 2);
  g_assert_cmpstr (((TesseraImageRecord *) g_ptr_array_index (expired, 0))->id, ==, "d");
  g_assert_cmpstr (((TesseraImageRecord *) g_ptr_array_index (expired, 1))->id, ==, "a");
  g_clear_pointer (&expired, g_ptr_array_unref);
  expired = tessera_image_index_list_expired_trash (fixture->index, G_MAXINT64, 1, &error);
  g_assert_cmpuint (expired->len, ==, 1);
  g_clear_pointer (&expired, g_ptr_array_unref);

  /* Restore. */
  g_assert_true (tessera_image_index_set_trashed (fixture->index, ALICE, "b", 0, &error));
  ids = list_ids (fixture->index, &gallery);
  g_assert_cmpstr (ids, ==, "c,b");
  g_free (ids);
  expired = tessera_image_index_list_expired_trash (fixture->index, G_MAXINT64, 10, &error);
  g_assert_cmpuint (expired->len, ==, 2);

  /* Removal takes the tags along. */
  g_assert_true (tessera_image_index_remove (fixture->index, ALICE, "a", &error));
  g_assert_no_error (error);
  g_assert_cmpint (test_db_query_int (fixture->db.db,
                                      "SELECT count(*) FROM image_tags WHERE image_id = ?1", "a"), ==, 0);
  g_assert_false (tessera_image_index_remove (fixture->index, ALICE, "a", &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_pointer (&got, tessera_image_record_free);
  got = tessera_image_index_get (fixture->index, ALICE, "a", &error);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
}

static void
test_tag_counts (IndexFixture  *fixture,
                 gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) counts = NULL;
  GString *s = g_string_new (NULL);

  add_filter_images (fixture);
  add_image (fixture, ALICE, "i8", 800, "ant");
  g_assert_true (tessera_image_index_set_trashed (fixture->index, ALICE, "i7", 900, &error));
  g_assert_true (tessera_image_index_set_trashed (fixture->index, ALICE, "i8", 900, &error));

  counts = tessera_image_index_tag_counts (fixture->index, ALICE, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < counts->len; i++)
    {
      const TesseraTagCount *count = g_ptr_array_index (counts, i);
      g_string_append_printf (s, "%s=%" G_GINT64_FORMAT " ", count->name, count->count);
    }

  /* i7's cat and dog do not count, nor i8's ant (trashed); Bob's neither. */
  g_assert_cmpstr (s->str, ==, "bird=1 cat=3 dog=3 ");
  g_string_free (s, TRUE);
}

/* tag_counts() against a count made from scratch, after many random
 * changes of every kind. */
static void
test_tag_counts_consistent (IndexFixture  *fixture,
                            gconstpointer  user_data)
{
  static const char *names[] = { "a", "b", "c", "d", "e" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (1234);
  const char *owners[] = { ALICE, BOB };

  for (guint step = 0; step < 600; step++)
    {
      const char *owner = owners[g_rand_int_range (rand, 0, 2)];
      g_autofree char *id = g_strdup_printf ("%s-%d", owner, g_rand_int_range (rand, 0, 12));
      const char *one[] = { names[g_rand_int_range (rand, 0, 5)], NULL };
      const char *other[] = { names[g_rand_int_range (rand, 0, 5)], NULL };
      g_autoptr(GError) error = NULL;

      /* Each may fail with NOT_FOUND (no such image, or trashed); any
       * other failure is a bug. */
      switch (g_rand_int_range (rand, 0, 6))
        {
        case 0:
          {
            g_autofree char *tags = g_strdup_printf ("%s,%s", one[0], other[0]);
            g_autoptr(TesseraImageRecord) record = make_record (owner, id, step, tags);

            record->trashed_at = g_rand_int_range (rand, 0, 4) == 0 ? step : 0;
            tessera_image_index_insert (fixture->index, record, &error);
            if (error != NULL)
              g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_CONFLICT);
          }
          break;

        case 1:
          tessera_image_index_update_tags (fixture->index, owner, id, one, other, &error);
          break;

        case 2:
          tessera_image_index_set_trashed (fixture->index, owner, id, step + 1, &error);
          break;

        case 3:
          tessera_image_index_set_trashed (fixture->index, owner, id, 0, &error);
          break;

        case 4:
          tessera_image_index_remove (fixture->index, owner, id, &error);
          break;

        case 5:
          {
            g_autoptr(TesseraImageRecord) record = make_record (owner, id, step, one[0]);

            record->status = TESSERA_IMAGE_STATUS_READY;
            tessera_image_index_store_result (fixture->index, record, &error);
          }
          break;

        default:
          g_assert_not_reached ();
        }

      if (error != NULL && !g_error_matches (error, TESSERA_ERROR, TESSERA_ERROR_CONFLICT))
        g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_NOT_FOUND);
      g_clear_error (&error);

      if (step % 50 != 49)
        continue;

      for (guint o = 0; o < G_N_ELEMENTS (owners); o++)
        {
          g_autoptr(GPtrArray) counts = tessera_image_index_tag_counts (fixture->index, owners[o], &error);
          guint listed = 0;

          g_assert_no_error (error);
          for (guint n = 0; n < G_N_ELEMENTS (names); n++)
            {
              g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM image_tags t JOIN images i ON i.id = t.image_id "
                                                      "WHERE i.owner = '%s' AND i.trashed_at = 0 AND t.tag = ?1",
                                                      owners[o]);
              gint64 expected = test_db_query_int (fixture->db.db, sql, names[n]);

              if (expected == 0)
                continue;

              g_assert_cmpuint (listed, <, counts->len);
              g_assert_cmpstr (((TesseraTagCount *) g_ptr_array_index (counts, listed))->name, ==, names[n]);
              g_assert_cmpint (((TesseraTagCount *) g_ptr_array_index (counts, listed))->count, ==, expected);
              listed++;
            }
          g_assert_cmpuint (listed, ==, counts->len);
        }

      /* Each image's n_tags, which "untagged" relies on. */
      g_assert_cmpint (test_db_query_int (fixture->db.db,
                                          "SELECT count(*) FROM images i WHERE n_tags != "
                                          "(SELECT count(*) FROM image_tags t WHERE t.image_id = i.id)",
                                          NULL), ==, 0);
    }
}

static void
test_find_by_sha256 (IndexFixture  *fixture,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImageRecord) found = NULL;

  add_image (fixture, ALICE, "live", 100, NULL);
  add_image (fixture, ALICE, "failed", 200, NULL);
  add_image (fixture, ALICE, "trashed", 300, NULL);
  g_assert_true (tessera_image_index_set_status (fixture->index, ALICE, "failed",
                                                 TESSERA_IMAGE_STATUS_FAILED, "bad", &error));
  g_assert_true (tessera_image_index_set_trashed (fixture->index, ALICE, "trashed", 400, &error));

  found = tessera_image_index_find_by_sha256 (fixture->index, ALICE, "sha-live", &error);
  g_assert_no_error (error);
  g_assert_nonnull (found);
  g_assert_cmpstr (found->id, ==, "live");
  g_clear_pointer (&found, tessera_image_record_free);

  found = tessera_image_index_find_by_sha256 (fixture->index, ALICE, "sha-failed", &error);
  g_assert_no_error (error);
  g_assert_null (found);
  found = tessera_image_index_find_by_sha256 (fixture->index, ALICE, "sha-trashed", &error);
  g_assert_no_error (error);
  g_assert_null (found);
  found = tessera_image_index_find_by_sha256 (fixture->index, ALICE, "sha-none", &error);
  g_assert_no_error (error);
  g_assert_null (found);

  /* A restored image counts again. */
  g_assert_true (tessera_image_index_set_trashed (fixture->index, ALICE, "trashed", 0, &error));
  found = tessera_image_index_find_by_sha256 (fixture->index, ALICE, "sha-trashed", &error);
  g_assert_nonnull (found);
  g_assert_cmpstr (found->id, ==, "trashed");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, IndexFixture, NULL, index_setup, func, index_teardown)

  ADD ("/local-index/insert-get", test_insert_get);
  ADD ("/local-index/owner-isolation", test_owner_isolation);
  ADD ("/local-index/list-filters", test_list_filters);
  ADD ("/local-index/pagination", test_pagination);
  ADD ("/local-index/update-tags", test_update_tags);
  ADD ("/local-index/store-result", test_store_result);
  ADD ("/local-index/set-status", test_set_status);
  ADD ("/local-index/trash", test_trash);
  ADD ("/local-index/tag-counts", test_tag_counts);
  ADD ("/local-index/tag-counts-consistent", test_tag_counts_consistent);
  ADD ("/local-index/find-by-sha256", test_find_by_sha256);

#undef ADD

  return g_test_run ();
}
