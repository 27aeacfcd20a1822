/* test-local-index-perf.c: listing 100 000 images with 1 000 tags
 *
 * Prints how long each kind of page takes and SQLite's plan for each
 * statement; it asserts results and plans (no sorting of the whole gallery,
 * no full scans), never timings, which depend on the machine.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <math.h>

#include "tessera-error.h"
#include "tessera-local-index.h"
#include "tessera-util.h"
#include "test-local-common.h"

#define OWNER "sub-big"
#define OTHER "sub-other"
#define N_IMAGES 100000
#define N_OTHER 20000
#define N_TAGS 1000
#define PAGE 50
#define REPEAT 20

typedef struct
{
  TestDb             db;
  TesseraImageIndex *index;
} PerfFixture;

static char *
tag_name (guint n)
{
  return g_strdup_printf ("tag%04u", n);
}

/* Tag popularity like real collections: a few tags on many images, most
 * on few (tag k on about 1/(k+1) of a harmonic share). */
static guint
pick_tag (GRand *rand)
{
  double u = g_rand_double (rand);

  return MIN ((guint) (exp (u * log (N_TAGS + 1.0))) - 1, N_TAGS - 1);
}

static void
fill (TesseraLocalDb *db,
      const char     *owner,
      guint           n_images,
      GRand          *rand)
{
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (db);
  g_autoptr(GError) error = NULL;
  gint64 t = 1700000000000;

  g_assert_true (tessera_local_conn_begin (conn, &error));

  for (guint i = 0; i < n_images; i++)
    {
      g_autofree char *id = g_strdup_printf ("%s-%06u", owner, i);
      g_autofree char *sha = g_strdup_printf ("%064u", i);
      /* As with a tagger that tags nearly everything: untagged is rare. */
      guint n_tags = i % 997 == 0 ? 0 : 1 + g_rand_int_range (rand, 0, 4);
      sqlite3_stmt *stmt;

      /* Several images per millisecond, as a bulk import makes. */
      t += g_rand_int_range (rand, 0, 3);

      stmt = tessera_local_conn_prepare (conn,
                                         "INSERT INTO images (id, owner, filename, content_type, size, sha256, "
                                         "width, height, created_at, updated_at, trashed_at, status, object_key, labels) "
                                         "VALUES (?1, ?2, 'x.jpg', 'image/jpeg', 1000, ?3, 640, 480, ?4, ?4, ?5, "
                                         "'ready', 'key', '[{\"name\":\"x\",\"confidence\":0.9,\"source\":\"local\"}]')",
                                         &error);
      g_assert_no_error (error);
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, owner, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, sha, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, t);
      sqlite3_bind_int64 (stmt, 5, i % 100 == 1 ? t + 1 : 0);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);

      for (guint k = 0; k < n_tags; k++)
        {
          g_autofree char *tag = tag_name (pick_tag (rand));

          stmt = tessera_local_conn_prepare (conn,
                                             "INSERT OR IGNORE INTO image_tags (image_id, owner, tag, created_at) "
                                             "VALUES (?1, ?2, ?3, ?4)",
                                             &error);
          sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 2, owner, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 3, tag, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (stmt, 4, t);
          g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
        }
    }

  g_assert_true (tessera_local_conn_commit (conn, &error));
  g_assert_no_error (error);
}

static void
perf_setup (PerfFixture   *fixture,
            gconstpointer  user_data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  gint64 start;

  test_db_setup (&fixture->db, user_data);
  fixture->index = TESSERA_IMAGE_INDEX (tessera_local_index_new (fixture->db.db));

  start = g_get_monotonic_time ();
  fill (fixture->db.db, OWNER, N_IMAGES, rand);
  fill (fixture->db.db, OTHER, N_OTHER, rand);
  g_test_message ("filled %u + %u images in %.1f s", N_IMAGES, N_OTHER,
                  (g_get_monotonic_time () - start) / 1e6);
}

static void
perf_teardown (PerfFixture   *fixture,
               gconstpointer  user_data)
{
  g_clear_object (&fixture->index);
  test_db_teardown (&fixture->db, user_data);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double da = *(const double *) a, db = *(const double *) b;

  return da < db ? -1 : da > db;
}

/* Lists every page's worth REPEAT times; prints the median in ms.
 * Returns the number of images on the page. */
static guint
time_list (PerfFixture             *fixture,
           const char              *what,
           const TesseraImageQuery *query)
{
  double ms[REPEAT];
  guint len = 0;

  for (guint r = 0; r < REPEAT; r++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) page = NULL;
      gboolean more;
      gint64 start = g_get_monotonic_time ();

      page = tessera_image_index_list (fixture->index, query, &more, &error);
      ms[r] = (g_get_monotonic_time () - start) / 1000.0;
      g_assert_no_error (error);
      len = page->len;
    }

  qsort (ms, REPEAT, sizeof (double), compare_double);
  g_test_message ("%-44s %3u images  median %7.3f ms  max %7.3f ms",
                  what, len, ms[REPEAT / 2], ms[REPEAT - 1]);

  return len;
}

/* The plan of each listing statement cached on the (only) connection this
 * thread used, with SQLite's counters of sorts and full-scan steps. */
static void
print_plans (PerfFixture *fixture)
{
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (fixture->db.db);
  sqlite3 *handle = tessera_local_conn_get_handle (conn);
  sqlite3_stmt *stmt = NULL;

  while ((stmt = sqlite3_next_stmt (handle, stmt)))
    {
      const char *sql = sqlite3_sql (stmt);
      g_autofree char *explain = NULL;
      sqlite3_stmt *plan = NULL;
      int sorts = sqlite3_stmt_status (stmt, SQLITE_STMTSTATUS_SORT, TRUE);
      int scans = sqlite3_stmt_status (stmt, SQLITE_STMTSTATUS_FULLSCAN_STEP, TRUE);
      gboolean sorts_page = FALSE;

      if (!g_str_has_prefix (sql, "SELECT"))
        continue;

      g_test_message ("SQL: %s", sql);
      g_test_message ("  sorts: %d, full-scan steps: %d", sorts, scans);

      explain = g_strconcat ("EXPLAIN QUERY PLAN ", sql, NULL);
      g_assert_cmpint (sqlite3_prepare_v2 (handle, explain, -1, &plan, NULL), ==, SQLITE_OK);
      while (sqlite3_step (plan) == SQLITE_ROW)
        {
          const char *detail = (const char *) sqlite3_column_text (plan, 3);

          g_test_message ("  %s", detail);
          /* A sort of the outer query, not of a few tags or candidates. */
          if (sqlite3_column_int (plan, 1) == 0 &&
              g_str_has_prefix (detail, "USE TEMP B-TREE FOR ORDER BY"))
            sorts_page = TRUE;
        }
      sqlite3_finalize (plan);

      /* Nothing reads the whole table. */
      g_assert_cmpint (scans, ==, 0);
      /* The gallery's order, whole or by tag, comes from an index, never
       * a sort (the trash and "any" sort a page's worth of candidates). */
      if (strstr (sql, "images.trashed_at = 0") && !strstr (sql, " AS c ") && !strstr (sql, " AS p "))
        g_assert_false (sorts_page);
    }
}

static void
measure (PerfFixture *fixture)
{
  g_autofree char *popular = tag_name (0);
  g_autofree char *middling = tag_name (30);
  g_autofree char *rare = tag_name (900);
  g_autofree char *rare2 = tag_name (901);
  const char *one_popular[] = { popular, NULL };
  const char *one_rare[] = { rare, NULL };
  const char *popular_middling[] = { popular, middling, NULL };
  const char *rare_pair[] = { rare, rare2, NULL };
  const char *three[] = { popular, middling, rare, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) counts = NULL;
  TesseraImageQuery query = { .owner = OWNER, .limit = PAGE };
  gint64 start;
  double ms;

  g_assert_cmpuint (time_list (fixture, "gallery, first page", &query), ==, PAGE);

  query.after_created_at = 1700000000000 + N_IMAGES / 2;
  query.after_id = OWNER "-zzz";
  g_assert_cmpuint (time_list (fixture, "gallery, page in the middle", &query), ==, PAGE);
  query.after_created_at = 0;
  query.after_id = NULL;

  query.tags = one_popular;
  time_list (fixture, "tag on ~15% of images", &query);
  query.tags = one_rare;
  time_list (fixture, "tag on a few images", &query);
  query.tags = popular_middling;
  time_list (fixture, "all of popular + middling", &query);
  query.tags = rare_pair;
  time_list (fixture, "all of two rare tags", &query);
  query.match = TESSERA_TAG_MATCH_ANY;
  query.tags = three;
  time_list (fixture, "any of three", &query);
  query.tags = rare_pair;
  time_list (fixture, "any of two rare tags", &query);
  query.match = TESSERA_TAG_MATCH_ALL;

  /* Deep in a filtered listing. */
  query.tags = one_popular;
  query.after_created_at = 1700000000000 + N_IMAGES / 2;
  query.after_id = OWNER "-zzz";
  time_list (fixture, "tag on ~15%, page in the middle", &query);
  query.after_created_at = 0;
  query.after_id = NULL;
  query.tags = NULL;

  query.untagged = TRUE;
  g_assert_cmpuint (time_list (fixture, "untagged (0.1% of images)", &query), ==, PAGE);
  query.untagged = FALSE;

  query.trashed = TRUE;
  g_assert_cmpuint (time_list (fixture, "trash (1% of images)", &query), ==, PAGE);
  query.trashed = FALSE;

  start = g_get_monotonic_time ();
  counts = tessera_image_index_tag_counts (fixture->index, OWNER, &error);
  ms = (g_get_monotonic_time () - start) / 1000.0;
  g_assert_no_error (error);
  g_assert_cmpuint (counts->len, >, N_TAGS / 2);
  g_test_message ("%-44s %3u tags    once   %7.3f ms", "tag counts", counts->len, ms);
  {
    const TesseraTagCount *first = g_ptr_array_index (counts, 0);

    g_assert_cmpstr (first->name, ==, popular);
    g_assert_cmpint (first->count, ==,
                     test_db_query_int (fixture->db.db,
                                        "SELECT count(*) FROM image_tags t JOIN images i ON i.id = t.image_id "
                                        "WHERE i.owner = '" OWNER "' AND i.trashed_at = 0 AND t.tag = ?1",
                                        popular));
  }

  {
    g_autoptr(TesseraImageRecord) found = NULL;
    g_autofree char *sha = g_strdup_printf ("%064u", 4242);

    start = g_get_monotonic_time ();
    found = tessera_image_index_find_by_sha256 (fixture->index, OWNER, sha, &error);
    ms = (g_get_monotonic_time () - start) / 1000.0;
    g_assert_nonnull (found);
    g_test_message ("%-44s             once   %7.3f ms", "find by sha256", ms);
  }

  print_plans (fixture);
}

static void
test_listing_speed (PerfFixture   *fixture,
                    gconstpointer  user_data)
{
  /* As the server runs, without statistics... */
  measure (fixture);

  /* ...and with them, which must not lead SQLite to a worse plan. */
  {
    g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (fixture->db.db);
    g_assert_cmpint (sqlite3_exec (tessera_local_conn_get_handle (conn), "ANALYZE", NULL, NULL, NULL), ==, SQLITE_OK);
  }
  g_test_message ("after ANALYZE:");
  measure (fixture);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/local-index-perf/listing", PerfFixture, NULL,
              perf_setup, test_listing_speed, perf_teardown);

  return g_test_run ();
}
