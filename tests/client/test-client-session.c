/* test-client-session.c: token expiry and refresh, sessions that end,
 * and the refresh token in the keyring
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-client-session"

#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>

#include "client-test-util.h"
#include "tessera-account.h"

/* Access tokens that live two seconds. */
#define CONFIG_SHORT_TOKENS "[tagger]\nname=none\n[tokens]\nid-token-lifetime=2\n"

static TesseraTestServer *server;

typedef struct
{
  guint session_changed;
  guint signed_out;
  gboolean expired;
} Counts;

static void
signed_out_cb (TesseraClient *client,
               gboolean       expired,
               Counts        *counts)
{
  counts->signed_out++;
  counts->expired = expired;
}

static void
watch (TesseraClient *client,
       Counts        *counts)
{
  g_signal_connect_swapped (client, "session-changed", G_CALLBACK (g_atomic_int_inc), &counts->session_changed);
  g_signal_connect (client, "signed-out", G_CALLBACK (signed_out_cb), counts);
}

static GPtrArray *
list_tags (TesseraClient  *client,
           GError        **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  CLIENT_TEST_WAIT (result, tessera_client_list_tags_async, client, NULL);
  return tessera_client_list_tags_finish (client, result, error);
}

typedef struct
{
  guint pending;
  guint failed;
} Many;

static void
many_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Many *many = user_data;
  g_autoptr(GPtrArray) tags = NULL;
  g_autoptr(GError) error = NULL;

  tags = tessera_client_list_tags_finish (TESSERA_CLIENT (object), result, &error);
  if (tags == NULL)
    many->failed++;
  many->pending--;
}

static gboolean
many_done (gpointer data)
{
  return ((Many *) data)->pending == 0;
}

static void
test_expiry_and_refresh (void)
{
  g_autoptr(TesseraClient) client = client_test_new_user (server, "frank", "frank's password");
  g_autoptr(GPtrArray) tags = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *before = tessera_client_dup_refresh_token (client);
  g_autofree char *after = NULL;
  Counts counts = { 0 };
  Many many = { 0 };

  watch (client, &counts);

  tags = list_tags (client, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (counts.session_changed, ==, 0);
  g_clear_pointer (&tags, g_ptr_array_unref);

  /* Past the token's two seconds: the request still succeeds, after one
   * refresh that rotates the refresh token. */
  g_usleep (3 * G_USEC_PER_SEC);
  tags = list_tags (client, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tags);
  g_assert_cmpuint (counts.session_changed, ==, 1);
  g_assert_cmpuint (counts.signed_out, ==, 0);
  after = tessera_client_dup_refresh_token (client);
  g_assert_cmpstr (after, !=, before);

  /* Many requests meeting an expired token share one refresh. */
  g_usleep (3 * G_USEC_PER_SEC);
  many.pending = 8;
  for (guint i = 0; i < 8; i++)
    tessera_client_list_tags_async (client, NULL, many_cb, &many);
  g_assert_true (client_test_run_until (many_done, &many, 60));
  g_assert_cmpuint (many.failed, ==, 0);
  g_assert_cmpuint (counts.session_changed, ==, 2);
  g_assert_true (tessera_client_get_signed_in (client));
}

static void
test_unrefreshable (void)
{
  g_autoptr(TesseraClient) client = client_test_new_user (server, "grace", "grace's password");
  g_autoptr(TesseraClient) other = tessera_client_new (tessera_test_server_get_url (server));
  g_autoptr(TesseraClient) forged = tessera_client_new (tessera_test_server_get_url (server));
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) tags = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = tessera_client_dup_refresh_token (client);
  Counts counts = { 0 };
  Counts forged_counts = { 0 };

  watch (client, &counts);

  /* Another device signs this session out: the refresh token is revoked. */
  tessera_client_set_session (other, "grace", token);
  CLIENT_TEST_WAIT (result, tessera_client_sign_out_async, other, NULL);
  g_assert_true (tessera_client_sign_out_finish (other, result, &error));
  g_assert_no_error (error);

  /* Once the access token expires, the 401 cannot be refreshed: one clean
   * sign-out, with an error a person can read. */
  g_usleep (3 * G_USEC_PER_SEC);
  tags = list_tags (client, &error);
  g_assert_null (tags);
  g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (error->message, ==, "Your session has expired; sign in again");
  g_assert_false (tessera_client_get_signed_in (client));
  g_assert_cmpuint (counts.signed_out, ==, 1);
  g_assert_true (counts.expired);
  g_clear_error (&error);

  /* Signed out, later calls fail at once and emit nothing more. */
  tags = list_tags (client, &error);
  g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_UNAUTHORIZED);
  g_assert_cmpuint (counts.signed_out, ==, 1);
  g_clear_error (&error);

  /* A token the server never issued. */
  watch (forged, &forged_counts);
  tessera_client_set_session (forged, "grace", "not-a-refresh-token");
  tags = list_tags (forged, &error);
  g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_UNAUTHORIZED);
  g_assert_cmpuint (forged_counts.signed_out, ==, 1);
  g_assert_false (tessera_client_get_signed_in (forged));
}

static void
test_offline (void)
{
  /* Nothing listens there: a bounded number of retries, then OFFLINE. */
  g_autoptr(TesseraClient) client = tessera_client_new ("http://127.0.0.1:9");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  tessera_client_set_max_retries (client, 2);
  tessera_client_set_session (client, "nobody", "token");
  CLIENT_TEST_WAIT (result, tessera_client_get_image_async, client, "x", NULL);
  g_assert_null (tessera_client_get_image_finish (client, result, &error));
  /* The refresh is not retried (it is not idempotent): offline is reported. */
  g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_OFFLINE);
  g_assert_true (tessera_client_get_signed_in (client));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
}

static gboolean
cancel_cb (gpointer user_data)
{
  gint64 *cancelled_at = g_object_get_data (user_data, "cancelled-at");

  *cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (user_data);

  return G_SOURCE_REMOVE;
}

static void
test_cancel_during_backoff (void)
{
  /* Nothing listens there, so the request spends its time waiting between
   * attempts (up to 5 s each). A cancellation ends the wait at once, with
   * the library's own error, and completes the request exactly once. */
  g_autoptr(TesseraClient) client = tessera_client_new ("http://127.0.0.1:9");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  gint64 cancelled_at = 0;

  tessera_client_set_max_retries (client, 10);
  g_object_set_data (G_OBJECT (cancellable), "cancelled-at", &cancelled_at);
  g_timeout_add (1500, cancel_cb, cancellable);
  CLIENT_TEST_WAIT (result, tessera_client_fetch_async, client, "http://127.0.0.1:9/object", cancellable);
  bytes = tessera_client_fetch_finish (client, result, &error);
  g_assert_null (bytes);
  g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED);
  g_assert_cmpint (cancelled_at, >, 0);
  g_assert_cmpint (g_get_monotonic_time () - cancelled_at, <, G_USEC_PER_SEC / 2);
}

static gboolean
start_server_cb (gpointer user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (tessera_test_server_start (server, &error));
  g_assert_no_error (error);

  return G_SOURCE_REMOVE;
}

static void
test_retries (void)
{
  g_autoptr(TesseraClient) client = client_test_new_user (server, "ivy", "ivy's password");
  g_autoptr(GPtrArray) tags = NULL;
  g_autoptr(GError) error = NULL;

  /* The token is fresh, so only the GET itself meets the stopped server:
   * it is retried a bounded number of times, then reported offline, and
   * the session survives. */
  tessera_client_set_max_retries (client, 2);
  tessera_test_server_stop (server);
  tags = list_tags (client, &error);
  g_assert_null (tags);
  g_assert_error (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_OFFLINE);
  g_assert_true (tessera_client_get_signed_in (client));
  g_clear_error (&error);

  /* The server comes back during the backoff: the retry succeeds. */
  tessera_client_set_max_retries (client, 8);
  g_timeout_add (300, start_server_cb, NULL);
  tags = list_tags (client, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tags);
  g_assert_true (tessera_test_server_is_running (server));
}

static char *
run_secret_tool (const char * const *argv,
                 int                *exit_status)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  *exit_status = g_subprocess_get_exit_status (process);

  return g_steal_pointer (&out);
}

static void
assert_file_lacks (const char *path,
                   const char *secret)
{
  g_autofree char *contents = NULL;

  if (g_file_get_contents (path, &contents, NULL, NULL))
    g_assert_null (strstr (contents, secret));
}

static void
test_keyring (void)
{
  const char *password = "hunter2-keyring";
  g_autoptr(TesseraClient) client = client_test_new_user (server, "heidi", password);
  g_autoptr(TesseraAccount) account = tessera_account_new ();
  g_autoptr(TesseraAccount) reloaded = tessera_account_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = tessera_client_dup_refresh_token (client);
  g_autofree char *found = NULL;
  g_autofree char *looked_up = NULL;
  g_autofree char *search = NULL;
  g_autofree char *fallback = g_build_filename (g_get_user_config_dir (), "tessera", "refresh-token", NULL);
  const char *url = tessera_test_server_get_url (server);
  int status;

  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    {
      g_test_skip ("needs a session bus with gnome-keyring (run through run-with-keyring.sh)");
      return;
    }

  tessera_account_set_server_url (account, url);
  tessera_account_set_username (account, "heidi");
  g_assert_true (tessera_account_save (account, &error));
  g_assert_no_error (error);

  CLIENT_TEST_WAIT (result, tessera_account_store_token_async, account, token, NULL);
  g_assert_true (tessera_account_store_token_finish (account, result, &error));
  g_assert_no_error (error);
  g_assert_true (tessera_account_get_uses_keyring (account));
  g_assert_false (g_file_test (fallback, G_FILE_TEST_EXISTS));

  /* The real keyring holds it, under our schema and attributes. */
  {
    const char *argv[] = { "secret-tool", "lookup", "server", url, "username", "heidi", NULL };
    found = run_secret_tool (argv, &status);
    g_assert_cmpint (status, ==, 0);
    g_assert_cmpstr (found, ==, token);
  }
  {
    const char *argv[] = { "secret-tool", "search", "--all", "--unlock", "xdg:schema", APP_ID, NULL };
    search = run_secret_tool (argv, &status);
    g_assert_cmpint (status, ==, 0);
    g_assert_nonnull (strstr (search, "attribute.username = heidi"));
    g_assert_null (strstr (search, password));
  }

  /* Nothing on disk holds the password or the token. */
  assert_file_lacks (tessera_account_get_config_path (account), password);
  assert_file_lacks (tessera_account_get_config_path (account), token);

  /* A new process (a new account object) finds it again. */
  g_assert_true (tessera_account_load (reloaded, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (tessera_account_get_server_url (reloaded), ==, url);
  g_assert_cmpstr (tessera_account_get_username (reloaded), ==, "heidi");
  looked_up = tessera_account_lookup_token (reloaded, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (looked_up, ==, token);

  g_assert_true (tessera_account_clear_token (reloaded, NULL, &error));
  g_assert_no_error (error);
  {
    const char *argv[] = { "secret-tool", "lookup", "server", url, "username", "heidi", NULL };
    g_autofree char *gone = run_secret_tool (argv, &status);
    g_assert_cmpint (status, !=, 0);
  }
}

static void
test_no_secret_service (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(TesseraAccount) account = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *fallback = NULL;
      g_autofree char *token = NULL;
      GStatBuf st;

      /* A headless machine: no session bus at all. */
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/tessera-bus", TRUE);
      account = tessera_account_new ();
      tessera_account_set_server_url (account, "http://example.invalid");
      tessera_account_set_username (account, "ivan");

      g_assert_true (tessera_account_store_token (account, "refresh-123", NULL, &error));
      g_assert_no_error (error);
      g_assert_false (tessera_account_get_uses_keyring (account));
      g_assert_true (tessera_account_store_token (account, "refresh-456", NULL, &error));

      fallback = g_build_filename (g_get_user_config_dir (), "tessera", "refresh-token", NULL);
      g_assert_cmpint (g_stat (fallback, &st), ==, 0);
      g_assert_cmpint (st.st_mode & 0777, ==, 0600);

      token = tessera_account_lookup_token (account, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (token, ==, "refresh-456");

      g_assert_true (tessera_account_clear_token (account, NULL, &error));
      g_clear_pointer (&token, g_free);
      token = tessera_account_lookup_token (account, NULL, &error);
      g_assert_null (token);
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  /* Said once, not on every call. */
  g_test_trap_assert_stderr ("*No Secret Service is available*");
  g_test_trap_assert_stderr_unmatched ("*No Secret Service*No Secret Service*");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

  if (!g_test_subprocess ())
    server = tessera_test_server_new_started (CONFIG_SHORT_TOKENS);

  g_test_add_func ("/client/session/expiry-and-refresh", test_expiry_and_refresh);
  g_test_add_func ("/client/session/unrefreshable", test_unrefreshable);
  g_test_add_func ("/client/session/offline", test_offline);
  g_test_add_func ("/client/session/retries", test_retries);
  g_test_add_func ("/client/session/cancel-during-backoff", test_cancel_during_backoff);
  g_test_add_func ("/client/session/keyring", test_keyring);
  g_test_add_func ("/client/session/no-secret-service", test_no_secret_service);

  status = g_test_run ();

  g_clear_object (&server);

  return status;
}
