/* test-search-provider.c: the Shell search provider, over D-Bus, as the Shell calls it
 *
 * Runs inside run-in-session.sh: a private session bus that starts the built
 * app from its service file (--gapplication-service), a real keyring, Xvfb.
 * A real tessera-server holds a user's tagged images; the test stores that
 * session as the app does (account file + keyring), then calls the
 * provider with `gdbus call`, exactly as the Shell would.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>

#include "tessera-account.h"
#include "tessera-test-server.h"

#define BUS_NAME    "io.github.tessera.Tessera"
#define OBJECT_PATH "/io/github/tessera/Tessera/SearchProvider"
#define IFACE       "org.gnome.Shell.SearchProvider2"

typedef struct
{
  TesseraTestServer *server;
  TesseraTestUser   *user;
  char              *dog_beach;   /* tags: dog, beach */
  char              *dog_park;    /* tags: dog, park */
  char              *cat;         /* tags: cat */
} World;

static World world;

/* `gdbus call` on the session bus; the reply parsed as the GVariant it prints. */
static GVariant *
gdbus_call (const char  *object_path,
            const char  *method,
            const char  *args[],
            GError     **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int wait_status = 0;

  g_ptr_array_add (argv, (char *) "gdbus");
  g_ptr_array_add (argv, (char *) "call");
  g_ptr_array_add (argv, (char *) "--session");
  g_ptr_array_add (argv, (char *) "--dest");
  g_ptr_array_add (argv, (char *) BUS_NAME);
  g_ptr_array_add (argv, (char *) "--object-path");
  g_ptr_array_add (argv, (char *) object_path);
  g_ptr_array_add (argv, (char *) "--timeout");
  g_ptr_array_add (argv, (char *) "30");
  g_ptr_array_add (argv, (char *) "--method");
  g_ptr_array_add (argv, (char *) method);
  for (guint i = 0; args != NULL && args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH,
                     NULL, NULL, &out, &err, &wait_status, error))
    return NULL;
  if (!g_spawn_check_wait_status (wait_status, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "gdbus call %s: %s", method, err);
      return NULL;
    }

  return g_variant_parse (NULL, out, NULL, NULL, error);
}

static GVariant *
provider_call (const char *method,
               const char *args[])
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = gdbus_call (OBJECT_PATH, method, args, &error);

  g_assert_no_error (error);
  g_assert_nonnull (reply);

  return reply;
}

/* The ids of an `(as)` reply, comma-separated, in order. */
static char *
reply_ids (GVariant *reply)
{
  g_autofree const char **ids = NULL;

  g_assert_true (g_variant_is_of_type (reply, G_VARIANT_TYPE ("(as)")));
  g_variant_get (reply, "(^a&s)", &ids);

  return g_strjoinv (",", (char **) ids);
}

static char *
search (const char *terms)
{
  const char *args[] = { terms, NULL };
  g_autoptr(GVariant) reply = provider_call (IFACE ".GetInitialResultSet", args);

  return reply_ids (reply);
}

static gboolean
name_has_owner (void)
{
  g_autoptr(GError) error = NULL;
  const char *args[] = { BUS_NAME, NULL };
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  gboolean owned = FALSE;

  /* Not through gdbus_call: that would activate the name. */
  g_ptr_array_add (argv, (char *) "gdbus");
  g_ptr_array_add (argv, (char *) "call");
  g_ptr_array_add (argv, (char *) "--session");
  g_ptr_array_add (argv, (char *) "--dest");
  g_ptr_array_add (argv, (char *) "org.freedesktop.DBus");
  g_ptr_array_add (argv, (char *) "--object-path");
  g_ptr_array_add (argv, (char *) "/org/freedesktop/DBus");
  g_ptr_array_add (argv, (char *) "--method");
  g_ptr_array_add (argv, (char *) "org.freedesktop.DBus.NameHasOwner");
  g_ptr_array_add (argv, (char *) args[0]);
  g_ptr_array_add (argv, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, &out, NULL, NULL, &error));
  g_assert_no_error (error);
  reply = g_variant_parse (G_VARIANT_TYPE ("(b)"), out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &owned);

  return owned;
}

static gboolean
wait_until_no_owner (guint timeout_s)
{
  gint64 end = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < end)
    {
      if (!name_has_owner ())
        return TRUE;
      g_usleep (G_USEC_PER_SEC / 2);
    }

  return FALSE;
}

static char *
upload_tagged (const char *filename,
               const char *tags_json)
{
  g_autoptr(GBytes) jpeg = tessera_test_make_jpeg (64, 48);
  g_autofree char *id = tessera_test_server_upload (world.server, world.user, filename,
                                                    "image/jpeg", jpeg, NULL);
  g_autoptr(JsonObject) image = tessera_test_server_wait_for_status (world.server, world.user,
                                                                     id, "ready", 60);
  g_autofree char *path = g_strconcat ("/images/", id, NULL);
  g_autofree char *body = g_strdup_printf ("{\"addTags\":%s}", tags_json);
  g_autoptr(TesseraTestResponse) patched = NULL;

  g_assert_nonnull (image);
  g_assert_cmpstr (json_object_get_string_member (image, "status"), ==, "ready");
  patched = tessera_test_server_call (world.server, "PATCH", path, world.user->token, body);
  g_assert_cmpuint (patched->status, ==, 200);

  return g_steal_pointer (&id);
}

/* The app's session, stored as the app stores it: the remote server in its
 * settings, the account file, the refresh token in the keyring. */
static void
store_session (void)
{
  g_autoptr(TesseraAccount) account = tessera_account_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *settings_dir = g_build_filename (g_get_user_config_dir (), "glib-2.0", "settings", NULL);
  g_autofree char *keyfile = g_build_filename (settings_dir, "keyfile", NULL);
  g_autofree char *settings = g_strdup_printf ("[io/github/tessera/Tessera]\n"
                                               "server-mode='remote'\n"
                                               "server-url='%s'\n",
                                               tessera_test_server_get_url (world.server));

  g_assert_cmpint (g_mkdir_with_parents (settings_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (keyfile, settings, -1, NULL));

  tessera_account_set_server_url (account, tessera_test_server_get_url (world.server));
  tessera_account_set_username (account, world.user->username);
  g_assert_true (tessera_account_save (account, &error));
  g_assert_no_error (error);
  g_assert_true (tessera_account_store_token (account, world.user->refresh_token, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (tessera_account_get_uses_keyring (account));
}

static char *
expect (const char *a,
        const char *b)
{
  return b ? g_strconcat (a, ",", b, NULL) : g_strdup (a);
}

static void
test_search_refreshes_then_answers (void)
{
  g_autofree char *first = NULL;
  g_autofree char *dogs = NULL;
  g_autofree char *want_dogs = expect (world.dog_park, world.dog_beach);   /* newest first */
  g_autofree char *cats = NULL;
  g_autofree char *none = NULL;
  gint64 end;

  /* Nothing cached yet: an empty answer, at once, and a refresh starts. */
  first = search ("['dog']");
  g_assert_cmpstr (first, ==, "");

  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    {
      g_free (dogs);
      dogs = search ("['dog']");
      if (g_strcmp0 (dogs, want_dogs) == 0)
        break;
      g_usleep (G_USEC_PER_SEC / 4);
    }
  g_assert_cmpstr (dogs, ==, want_dogs);

  /* Prefixes, several words, normalised like tags, nothing for no match. */
  cats = search ("['CA']");
  g_assert_cmpstr (cats, ==, world.cat);
  g_free (dogs);
  dogs = search ("['do', 'bea']");
  g_assert_cmpstr (dogs, ==, world.dog_beach);
  none = search ("['horse']");
  g_assert_cmpstr (none, ==, "");
  g_free (none);
  none = search ("['   ']");
  g_assert_cmpstr (none, ==, "");

  /* The listing is the account's, in the user's cache dir, keyed as the
   * app keys its thumbnails: server, then user. */
  {
    g_autofree char *key = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                                          tessera_test_server_get_url (world.server), -1);
    g_autofree char *name = g_strconcat (world.user->username, ".gvariant", NULL);
    g_autofree char *path = NULL;

    key[16] = '\0';
    path = g_build_filename (g_get_user_cache_dir (), "tessera", "listing", key, name, NULL);
    g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  }
}

static void
test_subsearch (void)
{
  g_autofree char *previous = g_strdup_printf ("['%s', '%s']", world.dog_park, world.dog_beach);
  const char *args[] = { previous, "['dog', 'par']", NULL };
  g_autoptr(GVariant) reply = provider_call (IFACE ".GetSubsearchResultSet", args);
  g_autofree char *ids = reply_ids (reply);
  const char *gone[] = { "['no-such-id']", "['dog']", NULL };
  g_autoptr(GVariant) reply2 = provider_call (IFACE ".GetSubsearchResultSet", gone);
  g_autofree char *ids2 = reply_ids (reply2);

  g_assert_cmpstr (ids, ==, world.dog_park);
  g_assert_cmpstr (ids2, ==, "");
}

static void
test_result_metas (void)
{
  g_autofree char *ids = g_strdup_printf ("['%s', 'no-such-id', '%s']", world.dog_beach, world.cat);
  const char *args[] = { ids, NULL };
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) metas = NULL;
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  /* Thumbnails are fetched after the refresh, for the search that started
   * it (dog): the dogs' icons become their thumbnails. */
  while (TRUE)
    {
      g_clear_pointer (&reply, g_variant_unref);
      reply = provider_call (IFACE ".GetResultMetas", args);
      g_assert_true (g_variant_is_of_type (reply, G_VARIANT_TYPE ("(aa{sv})")));
      if (g_get_monotonic_time () > end)
        break;
      {
        g_autoptr(GVariant) list = g_variant_get_child_value (reply, 0);
        g_autoptr(GVariant) dog_meta = g_variant_n_children (list) == 2 ? g_variant_get_child_value (list, 0) : NULL;
        g_autoptr(GVariant) icon = dog_meta ? g_variant_lookup_value (dog_meta, "icon", NULL) : NULL;
        g_autoptr(GIcon) gicon = icon ? g_icon_deserialize (icon) : NULL;

        if (gicon != NULL && G_IS_FILE_ICON (gicon))
          break;
      }
      g_usleep (G_USEC_PER_SEC / 4);
    }

  metas = g_variant_get_child_value (reply, 0);
  /* The unknown id is left out; the others keep their order. */
  g_assert_cmpuint (g_variant_n_children (metas), ==, 2);

  for (gsize i = 0; i < 2; i++)
    {
      g_autoptr(GVariant) meta = g_variant_get_child_value (metas, i);
      const char *id = NULL, *name = NULL, *description = NULL;
      g_autoptr(GVariant) serialized = g_variant_lookup_value (meta, "icon", NULL);
      g_autoptr(GIcon) icon = NULL;

      g_assert_true (g_variant_lookup (meta, "id", "&s", &id));
      g_assert_true (g_variant_lookup (meta, "name", "&s", &name));
      g_assert_true (g_variant_lookup (meta, "description", "&s", &description));
      g_assert_nonnull (serialized);
      icon = g_icon_deserialize (serialized);
      g_assert_nonnull (icon);

      if (i == 0)
        {
          g_autoptr(GFile) file = NULL;
          g_autofree char *contents = NULL;
          gsize length = 0;

          g_assert_cmpstr (id, ==, world.dog_beach);
          g_assert_cmpstr (name, ==, "beach.jpg");
          g_assert_nonnull (strstr (description, "dog"));
          g_assert_nonnull (strstr (description, "beach"));

          /* Its thumbnail, a real image file in the thumbnail cache. */
          g_assert_true (G_IS_FILE_ICON (icon));
          file = g_object_ref (g_file_icon_get_file (G_FILE_ICON (icon)));
          g_assert_true (g_file_load_contents (file, NULL, &contents, &length, NULL, NULL));
          g_assert_cmpuint (length, >, 12);
          g_assert_cmpmem (contents + 8, 4, "WEBP", 4);
        }
      else
        {
          /* Not fetched yet: a generic image icon, still an icon. */
          g_assert_cmpstr (id, ==, world.cat);
          g_assert_cmpstr (name, ==, "cat.jpg");
          g_assert_nonnull (strstr (description, "cat"));
        }
    }

}

static void
test_activate_opens_window (void)
{
  g_autofree char *args0 = g_strdup (world.dog_beach);
  const char *args[] = { args0, "['dog']", "0", NULL };
  g_autoptr(GVariant) reply = provider_call (IFACE ".ActivateResult", args);
  g_autofree char *out = NULL;
  int wait_status = 0;
  g_autoptr(GError) error = NULL;
  const char *xdotool[] = { "timeout", "20", "xdotool", "search", "--sync", "--onlyvisible",
                            "--name", "^Tessera", NULL };
  const char *quit[] = { "quit", "[]", "{}", NULL };
  g_autoptr(GVariant) quit_reply = NULL;

  g_assert_true (g_variant_is_of_type (reply, G_VARIANT_TYPE_UNIT));

  /* Activating a result brings the app's window up. */
  g_assert_true (g_spawn_sync (NULL, (char **) xdotool, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, &out, NULL, &wait_status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
  g_assert_cmpstr (out, !=, "");

  /* The window holds the app; quitting ends it. Quit once the session has
   * resumed: a quit during the resume leaves the app up (see the report). */
  g_usleep (3 * G_USEC_PER_SEC);
  quit_reply = gdbus_call ("/io/github/tessera/Tessera", "org.gtk.Actions.Activate", quit, &error);
  g_assert_no_error (error);
  g_assert_true (wait_until_no_owner (20));
}

static gboolean
app_has_action (const char *name)
{
  g_autofree char *quoted = g_strdup_printf ("'%s'", name);
  const char *args[] = { quoted, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = gdbus_call ("/io/github/tessera/Tessera", "org.gtk.Actions.Describe",
                                          args, &error);

  return reply != NULL;
}

static void
quit_app (void)
{
  const char *quit[] = { "quit", "[]", "{}", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  /* Once the session has resumed (see test_activate_opens_window). */
  g_usleep (3 * G_USEC_PER_SEC);
  reply = gdbus_call ("/io/github/tessera/Tessera", "org.gtk.Actions.Activate", quit, &error);
  g_assert_no_error (error);
  g_assert_true (wait_until_no_owner (20));
}

/* ActivateResult opens the viewer on the image: its window title is the
 * image's file name. A screenshot of the screen is kept as an artifact. */
static void
test_activate_opens_viewer (void)
{
  const char *args[] = { world.dog_beach, "['dog']", "0", NULL };
  g_autoptr(GVariant) reply = provider_call (IFACE ".ActivateResult", args);
  const char *xdotool[] = { "timeout", "20", "xdotool", "search", "--sync", "--onlyvisible",
                            "--name", "^beach\\.jpg$", NULL };
  g_autofree char *shot = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "desktop",
                                            "screenshot-search-activate.png", NULL);
  const char *import[] = { "import", "-window", "root", shot, NULL };
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  if (!app_has_action ("show-image"))
    {
      quit_app ();
      g_test_skip ("the app has no app.show-image action yet");
      return;
    }

  g_assert_true (g_spawn_sync (NULL, (char **) xdotool, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, NULL, NULL, &wait_status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (wait_status, NULL));

  g_usleep (G_USEC_PER_SEC);
  g_assert_true (g_spawn_sync (NULL, (char **) import, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, NULL, NULL, &wait_status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
  g_assert_true (g_file_test (shot, G_FILE_TEST_IS_REGULAR));

  quit_app ();
}

static void
test_launch_search_opens_window (void)
{
  const char *launch[] = { "['dog']", "0", NULL };
  g_autoptr(GVariant) reply = provider_call (IFACE ".LaunchSearch", launch);
  g_autoptr(GError) error = NULL;
  const char *xdotool[] = { "timeout", "20", "xdotool", "search", "--sync", "--onlyvisible",
                            "--name", "^Tessera", NULL };
  const char *quit[] = { "quit", "[]", "{}", NULL };
  g_autoptr(GVariant) quit_reply = NULL;
  int wait_status = 0;

  g_assert_true (g_variant_is_of_type (reply, G_VARIANT_TYPE_UNIT));
  g_assert_true (g_spawn_sync (NULL, (char **) xdotool, NULL, G_SPAWN_SEARCH_PATH,
                               NULL, NULL, NULL, NULL, &wait_status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (wait_status, NULL));

  g_usleep (3 * G_USEC_PER_SEC);
  quit_reply = gdbus_call ("/io/github/tessera/Tessera", "org.gtk.Actions.Activate", quit, &error);
  g_assert_no_error (error);
  g_assert_true (wait_until_no_owner (20));
}

static void
test_offline_and_idle_exit (void)
{
  g_autofree char *dogs = NULL;
  g_autofree char *want_dogs = expect (world.dog_park, world.dog_beach);
  gint64 start;

  tessera_test_server_stop (world.server);

  /* A fresh, D-Bus-activated app answers from the cache with the server gone. */
  g_assert_false (name_has_owner ());
  dogs = search ("['dog']");
  g_assert_cmpstr (dogs, ==, want_dogs);
  g_assert_true (name_has_owner ());

  /* Launched as a service, it leaves once idle (10 s), not before 5. */
  start = g_get_monotonic_time ();
  g_assert_true (wait_until_no_owner (30));
  g_assert_cmpint (g_get_monotonic_time () - start, >, 5 * G_USEC_PER_SEC);
}

static void
set_account (const char *username)
{
  g_autoptr(TesseraAccount) account = tessera_account_new ();
  g_autoptr(GError) error = NULL;

  tessera_account_set_server_url (account, tessera_test_server_get_url (world.server));
  tessera_account_set_username (account, username);
  g_assert_true (tessera_account_save (account, &error));
  g_assert_no_error (error);
}

static void
test_accounts_and_sign_out (void)
{
  g_autofree char *want_dogs = expect (world.dog_park, world.dog_beach);
  g_autofree char *dogs = NULL;
  g_autofree char *other = NULL;
  g_autofree char *after = NULL;
  g_autoptr(TesseraAccount) account = tessera_account_new ();
  g_autoptr(GError) error = NULL;
  gint64 end;

  /* Another account on the same desktop sees none of the first's images. */
  set_account ("someone-else");
  other = search ("['dog']");
  g_assert_cmpstr (other, ==, "");

  set_account (world.user->username);
  dogs = search ("['dog']");
  g_assert_cmpstr (dogs, ==, want_dogs);
  g_assert_true (wait_until_no_owner (30));

  /* Signed out (no stored session): the listing is forgotten. The first
   * search may still answer from it; the refresh it starts removes it. */
  g_assert_true (tessera_account_load (account, &error));
  g_assert_no_error (error);
  g_assert_true (tessera_account_clear_token (account, NULL, &error));
  g_assert_no_error (error);

  end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  do
    {
      g_free (after);
      after = search ("['dog']");
      if (g_strcmp0 (after, "") == 0)
        break;
      g_usleep (G_USEC_PER_SEC / 4);
    }
  while (g_get_monotonic_time () < end);
  g_assert_cmpstr (after, ==, "");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  /* Order matters: one app, one server, one cache, as a user's session. */
  world.server = tessera_test_server_new_started (NULL);
  world.user = tessera_test_server_new_user (world.server, "searcher");
  world.cat = upload_tagged ("cat.jpg", "[\"cat\"]");
  world.dog_beach = upload_tagged ("beach.jpg", "[\"dog\",\"beach\"]");
  world.dog_park = upload_tagged ("park.jpg", "[\"Dog\",\"park\"]");
  store_session ();

  g_test_add_func ("/desktop/search-provider/refresh-then-answer", test_search_refreshes_then_answers);
  g_test_add_func ("/desktop/search-provider/subsearch", test_subsearch);
  g_test_add_func ("/desktop/search-provider/result-metas", test_result_metas);
  g_test_add_func ("/desktop/search-provider/activate", test_activate_opens_window);
  g_test_add_func ("/desktop/search-provider/activate-opens-viewer", test_activate_opens_viewer);
  g_test_add_func ("/desktop/search-provider/launch-search", test_launch_search_opens_window);
  g_test_add_func ("/desktop/search-provider/offline-idle-exit", test_offline_and_idle_exit);
  g_test_add_func ("/desktop/search-provider/accounts-and-sign-out", test_accounts_and_sign_out);

  status = g_test_run ();

  tessera_test_user_free (world.user);
  g_clear_object (&world.server);
  g_free (world.cat);
  g_free (world.dog_beach);
  g_free (world.dog_park);

  return status;
}
