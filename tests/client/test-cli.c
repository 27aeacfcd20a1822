/* test-cli.c: tessera-cli as a script would use it, against the real
 * server and the real keyring
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-cli"

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "client-test-util.h"

#define CONFIG_NO_TAGGER "[tagger]\nname=none\n"

static TesseraTestServer *server;
static char *tmpdir;

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
cli_run (Run        *run,
         const char *input,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *state = g_build_filename (tmpdir, "cli-uploads.json", NULL);
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (char *) client_test_cli_path ());
  g_ptr_array_add (argv, (char *) "--server");
  g_ptr_array_add (argv, (char *) tessera_test_server_get_url (server));
  va_start (args, input);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_set_cwd (launcher, tmpdir);
  g_subprocess_launcher_setenv (launcher, "TESSERA_UPLOAD_STATE", state, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);

  /* Whatever happened, no GLib warnings or criticals reach the user. */
  g_assert_null (strstr (run->err, "CRITICAL"));
  g_assert_null (strstr (run->err, "WARNING"));
  g_assert_null (strstr (run->err, "ERROR:"));
}

static JsonNode *
parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);

  return json_node_copy (json_parser_get_root (parser));
}

static guint
count_lines_with (const char *text,
                  const char *prefix)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], prefix))
      n++;

  return n;
}

static char *
secret_lookup (const char *username)
{
  const char *argv[] = { "secret-tool", "lookup", "server", tessera_test_server_get_url (server),
                         "username", username, NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  if (g_subprocess_get_exit_status (process) != 0 || *out == '\0')
    g_clear_pointer (&out, g_free);

  return out;
}

static void
wait_ready (const char *id)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  for (;;)
    {
      g_auto(Run) run = { 0 };
      g_autoptr(JsonNode) node = NULL;

      cli_run (&run, NULL, "show", id, "--json", NULL);
      g_assert_cmpint (run.status, ==, 0);
      node = parse (run.out);
      if (g_strcmp0 (json_object_get_string_member (json_node_get_object (node), "status"), "ready") == 0)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
}

static void
test_cli (void)
{
  const char *password = "jack's secret password";
  g_autofree char *photos = g_build_filename (tmpdir, "photos", NULL);
  g_autofree char *nested = g_build_filename (photos, "nested", NULL);
  g_autoptr(GBytes) one = tessera_test_make_jpeg (64, 48);
  g_autoptr(GBytes) two = tessera_test_make_png (32, 32);
  g_autoptr(GBytes) three = tessera_test_make_jpeg (48, 64);
  g_autoptr(GBytes) note = g_bytes_new_static ("not an image", 12);
  g_autoptr(GFile) f1 = client_test_write_file (photos, "one.jpg", one);
  g_autoptr(GFile) f2 = client_test_write_file (photos, "two.png", two);
  g_autoptr(GFile) f3 = client_test_write_file (nested, "three.jpg", three);
  g_autoptr(GFile) f4 = client_test_write_file (nested, "one-again.jpg", one);
  g_autoptr(GFile) f5 = client_test_write_file (photos, "notes.txt", note);
  g_autofree char *account_ini = g_build_filename (g_get_user_config_dir (), "tessera", "account.ini", NULL);
  g_autofree char *config = NULL;
  g_autofree char *token = NULL;
  g_autofree char *id = NULL;
  g_autofree char *saved = NULL;
  gsize saved_length;

  /* --help documents the exit codes. */
  {
    g_auto(Run) run = { 0 };

    cli_run (&run, NULL, "--help", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.out, "Exit status"));
    g_assert_nonnull (strstr (run.out, "upload PATH"));
  }

  /* Not signed in yet: a one-line error and the documented code. */
  {
    g_auto(Run) run = { 0 };

    cli_run (&run, NULL, "ls", NULL);
    g_assert_cmpint (run.status, ==, 3);
    g_assert_cmpuint (count_lines_with (run.err, "tessera-cli: "), ==, 1);
  }

  {
    g_auto(Run) run = { 0 };

    cli_run (&run, password, "signup", "jack", "--password-stdin", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }

  /* The keyring has the session; no file has the password. */
  token = secret_lookup ("jack");
  g_assert_nonnull (token);
  g_assert_true (g_file_get_contents (account_ini, &config, NULL, NULL));
  g_assert_nonnull (strstr (config, "username=jack"));
  g_assert_null (strstr (config, password));
  g_assert_null (strstr (config, token));

  {
    g_auto(Run) run = { 0 };

    cli_run (&run, "wrong password", "login", "jack", "--password-stdin", NULL);
    g_assert_cmpint (run.status, ==, 3);
    g_assert_nonnull (strstr (run.err, "Wrong user name or password"));
  }

  /* A folder, recursively: images only, the copy reported as a duplicate. */
  {
    g_auto(Run) run = { 0 };

    cli_run (&run, NULL, "upload", "--jobs", "2", "photos", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_cmpuint (count_lines_with (run.out, "uploaded "), ==, 3);
    g_assert_cmpuint (count_lines_with (run.out, "duplicate "), ==, 1);
    g_assert_null (strstr (run.out, "notes.txt"));
    g_assert_nonnull (strstr (run.err, "3 uploaded, 1 duplicate(s) skipped, 0 failed"));
  }

  /* A file named explicitly goes up as asked; the server judges it. The
   * server answers duplicateOf once the first copy left `uploading`. */
  {
    g_auto(Run) run = { 0 }, ls = { 0 };
    g_auto(GStrv) lines = NULL;

    cli_run (&ls, NULL, "ls", NULL);
    lines = g_strsplit (ls.out, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++)
      if (strstr (lines[i], "two.png") != NULL)
        {
          g_auto(GStrv) fields = g_strsplit (lines[i], "\t", 2);
          wait_ready (fields[0]);
        }

    cli_run (&run, NULL, "upload", "--json", "photos/two.png", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.out, "\"duplicate\""));
  }

  {
    g_auto(Run) run = { 0 };
    g_autoptr(JsonNode) node = NULL;
    JsonArray *images;

    cli_run (&run, NULL, "ls", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    node = parse (run.out);
    images = json_object_get_array_member (json_node_get_object (node), "images");
    g_assert_cmpuint (json_array_get_length (images), ==, 3);
    for (guint i = 0; i < 3; i++)
      {
        JsonObject *image = json_array_get_object_element (images, i);
        const char *filename = json_object_get_string_member (image, "filename");

        /* The first of the two copies sent names the image. */
        if (g_str_equal (filename, "one.jpg") || g_str_equal (filename, "one-again.jpg"))
          id = g_strdup (json_object_get_string_member (image, "id"));
      }
    g_assert_nonnull (id);
  }

  {
    g_auto(Run) run = { 0 };

    cli_run (&run, NULL, "tag", id, "+Sea", "+sky", "-nothing", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.out, "sea, sky"));
  }

  {
    g_auto(Run) run = { 0 };

    cli_run (&run, NULL, "ls", "--tags", "sea,sky", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_cmpuint (count_lines_with (run.out, id), ==, 1);
    g_assert_cmpuint (count_lines_with (run.out, ""), ==, 2);  /* one line and the final "" */
  }

  {
    g_auto(Run) run = { 0 };

    cli_run (&run, NULL, "ls", "--untagged", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_null (strstr (run.out, id));
  }

  {
    g_auto(Run) run = { 0 };
    g_autoptr(JsonNode) node = NULL;

    cli_run (&run, NULL, "tags", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    node = parse (run.out);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (node), "tags")), ==, 2);
  }

  /* Global options after the changes still count as options. */
  {
    g_auto(Run) run = { 0 };
    g_autoptr(JsonNode) node = NULL;
    JsonArray *tags;

    cli_run (&run, NULL, "tag", id, "-sky", "--json", NULL);
    g_assert_cmpint (run.status, ==, 0);
    node = parse (run.out);
    tags = json_object_get_array_member (json_node_get_object (node), "tags");
    g_assert_cmpuint (json_array_get_length (tags), ==, 1);
    g_assert_cmpstr (json_array_get_string_element (tags, 0), ==, "sea");
  }

  wait_ready (id);

  {
    g_auto(Run) run = { 0 };
    g_autofree char *path = g_build_filename (tmpdir, "out.jpg", NULL);

    cli_run (&run, NULL, "download", id, "-o", "out.jpg", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_true (g_file_get_contents (path, &saved, &saved_length, NULL));
    g_assert_cmpmem (saved, saved_length, g_bytes_get_data (one, NULL), g_bytes_get_size (one));
  }

  {
    g_auto(Run) run = { 0 };
    g_autofree char *path = g_build_filename (tmpdir, "thumb.webp", NULL);
    g_autofree char *thumb = NULL;
    gsize length;

    cli_run (&run, NULL, "download", id, "--thumbnail", "-o", "thumb.webp", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_true (g_file_get_contents (path, &thumb, &length, NULL));
    g_assert_cmpuint (length, >, 12);
    g_assert_cmpmem (thumb + 8, 4, "WEBP", 4);
  }

  /* Trash and back. */
  {
    g_auto(Run) rm = { 0 }, trash = { 0 }, restore = { 0 }, ls = { 0 };

    cli_run (&rm, NULL, "rm", id, NULL);
    g_assert_cmpint (rm.status, ==, 0);
    cli_run (&trash, NULL, "trash", NULL);
    g_assert_cmpint (trash.status, ==, 0);
    g_assert_cmpuint (count_lines_with (trash.out, id), ==, 1);
    cli_run (&restore, NULL, "restore", id, NULL);
    g_assert_cmpint (restore.status, ==, 0);
    cli_run (&ls, NULL, "ls", NULL);
    g_assert_cmpuint (count_lines_with (ls.out, id), ==, 1);
  }

  /* Bad input: clear messages, documented codes, nothing lost. */
  {
    g_auto(Run) missing = { 0 }, usage = { 0 }, unknown = { 0 }, gone = { 0 };

    cli_run (&missing, NULL, "show", "00000000-0000-4000-8000-000000000000", NULL);
    g_assert_cmpint (missing.status, ==, 4);
    g_assert_cmpuint (count_lines_with (missing.err, "tessera-cli: "), ==, 1);

    cli_run (&usage, NULL, "tag", id, "sea", NULL);
    g_assert_cmpint (usage.status, ==, 2);

    cli_run (&unknown, NULL, "frobnicate", NULL);
    g_assert_cmpint (unknown.status, ==, 2);

    cli_run (&gone, NULL, "upload", "no-such-file.jpg", NULL);
    g_assert_cmpint (gone.status, ==, 2);
  }

  {
    g_auto(Run) run = { 0 }, ls = { 0 };

    cli_run (&run, NULL, "ls", NULL);
    g_assert_cmpuint (count_lines_with (run.out, ""), ==, 4);

    cli_run (&run, NULL, "logout", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_clear_pointer (&token, g_free);
    token = secret_lookup ("jack");
    g_assert_null (token);

    cli_run (&ls, NULL, "ls", NULL);
    g_assert_cmpint (ls.status, ==, 3);
  }

  /* And back in, with the password on stdin. */
  {
    g_auto(Run) run = { 0 };

    cli_run (&run, password, "login", "jack", "--password-stdin", NULL);
    g_assert_cmpint (run.status, ==, 0);
    token = secret_lookup ("jack");
    g_assert_nonnull (token);
  }
}

static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *contents = NULL;

  return g_file_get_contents (path, &contents, NULL, NULL) && strstr (contents, needle) != NULL;
}

static void
test_cli_interrupt_and_resume (void)
{
  g_autofree char *dir = g_build_filename (tmpdir, "interrupt", NULL);
  g_autofree char *state = g_build_filename (tmpdir, "cli-uploads.json", NULL);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *argv[] = { client_test_cli_path (), "--server", tessera_test_server_get_url (server),
                         "-q", "upload", "--jobs", "1", dir, NULL };
  gint64 deadline;

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("big-%u.jpg", i);
      /* Real images (a failed one would not count as a duplicate), and
       * large enough (about 10 MB) to be caught on their way. */
      g_autoptr(GBytes) jpeg = tessera_test_make_jpeg (4000, 3000);
      g_autoptr(GFile) file = client_test_write_file (dir, name, jpeg);

      g_assert_cmpuint (g_bytes_get_size (jpeg), >, 5 * 1000 * 1000);
    }

  {
    g_auto(Run) run = { 0 };

    cli_run (&run, "lee's password", "signup", "lee", "--password-stdin", NULL);
    g_assert_cmpint (run.status, ==, 0);
  }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_setenv (launcher, "TESSERA_UPLOAD_STATE", state, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  /* Interrupt it while a file is on its way. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!file_contains (state, "\"uploading\"") && !file_contains (state, "\"hashing\""))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (5 * 1000);
    }
  g_subprocess_send_signal (process, SIGINT);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 130);
  g_assert_false (file_contains (state, "\"cancelled\""));

  /* The next run needs no arguments to finish the batch. */
  {
    g_auto(Run) run = { 0 }, ls = { 0 };
    JsonArray *images;

    cli_run (&run, NULL, "upload", NULL);
    g_assert_cmpint (run.status, ==, 0);
    g_assert_nonnull (strstr (run.err, "Resuming"));

    cli_run (&ls, NULL, "ls", "--json", NULL);
    node = parse (ls.out);
    images = json_object_get_array_member (json_node_get_object (node), "images");
    g_assert_cmpuint (json_array_get_length (images), ==, 4);
  }

  /* Nothing left to resume: a usage error. */
  {
    g_auto(Run) run = { 0 };

    cli_run (&run, NULL, "upload", NULL);
    g_assert_cmpint (run.status, ==, 2);
  }
}

static void
test_cli_offline (void)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  const char *argv[] = { client_test_cli_path (), "--server", "http://127.0.0.1:9",
                         "--password-stdin", "login", "kim", NULL };

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                     G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, "pw", NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 5);
  g_assert_nonnull (strstr (err, "Could not reach the server"));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  server = tessera_test_server_new_started (CONFIG_NO_TAGGER);
  tmpdir = g_dir_make_tmp ("tessera-cli-XXXXXX", NULL);

  g_test_add_func ("/client/cli/every-command", test_cli);
  g_test_add_func ("/client/cli/interrupt-and-resume", test_cli_interrupt_and_resume);
  g_test_add_func ("/client/cli/offline", test_cli_offline);

  status = g_test_run ();

  client_test_rm_rf (tmpdir);
  g_free (tmpdir);
  g_clear_object (&server);

  return status;
}
