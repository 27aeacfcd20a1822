/* tessera-cli.c: the command line, on the same library as the app
 *
 * Every command runs the library's async calls on the main loop and waits
 * for each result by iterating the default main context, so the code reads
 * top to bottom while the library stays asynchronous.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-cli"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tessera-account.h"
#include "tessera-client.h"
#include "tessera-cli.h"
#include "tessera-upload-queue.h"

typedef struct
{
  TesseraClient  *client;
  TesseraAccount *account;
  GCancellable   *cancellable;
  GAsyncResult   *result;       /* of the last WAIT, until the next */
  gboolean        json;
  gboolean        interrupted;

  /* Options. */
  char           *server;
  gboolean        password_stdin;
  int             jobs;
  char           *tags;
  gboolean        any;
  gboolean        untagged;
  gboolean        thumbnail;
  gboolean        permanent;
  char           *output;
  gboolean        quiet;
} Cli;

static Cli cli = { .jobs = 4 };

/* Output ----------------------------------------------------------------------- */

static int
exit_code_for (const GError *error)
{
  if (error->domain != TESSERA_CLIENT_ERROR)
    return TESSERA_CLI_EXIT_FAILURE;

  switch ((TesseraClientError) error->code)
    {
    case TESSERA_CLIENT_ERROR_UNAUTHORIZED: return TESSERA_CLI_EXIT_AUTH;
    case TESSERA_CLIENT_ERROR_NOT_FOUND: return TESSERA_CLI_EXIT_NOT_FOUND;
    case TESSERA_CLIENT_ERROR_OFFLINE: return TESSERA_CLI_EXIT_OFFLINE;
    case TESSERA_CLIENT_ERROR_FORBIDDEN:
    case TESSERA_CLIENT_ERROR_CONFLICT:
    case TESSERA_CLIENT_ERROR_TOO_LARGE:
    case TESSERA_CLIENT_ERROR_UNSUPPORTED:
    case TESSERA_CLIENT_ERROR_INVALID: return TESSERA_CLI_EXIT_REJECTED;
    case TESSERA_CLIENT_ERROR_RATE_LIMITED: return TESSERA_CLI_EXIT_RATE_LIMITED;
    case TESSERA_CLIENT_ERROR_CANCELLED: return TESSERA_CLI_EXIT_INTERRUPTED;
    case TESSERA_CLIENT_ERROR_SERVER:
    case TESSERA_CLIENT_ERROR_LOCAL:
    default: return TESSERA_CLI_EXIT_FAILURE;
    }
}

static int
fail (const GError *error)
{
  g_printerr ("tessera-cli: %s\n", error->message);
  return exit_code_for (error);
}

static int
usage_error (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static int
usage_error (const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("tessera-cli: %s (see tessera-cli --help)\n", message);
  return TESSERA_CLI_EXIT_USAGE;
}

static void
print_json_node (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, TRUE);

  g_print ("%s\n", text);
}

static void
print_json_object (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  print_json_node (node);
}

/* Waiting on the loop ---------------------------------------------------------- */

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult **
result_slot (void)
{
  g_clear_object (&cli.result);

  return &cli.result;
}

static GAsyncResult *
wait_for (void)
{
  while (cli.result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return cli.result;
}

/* Calls @call_async and waits for it; evaluates to its result, which the
 * caller's _finish borrows and the next WAIT (or the end) drops. */
#define WAIT(call_async, ...) \
  (call_async (__VA_ARGS__, store_result_cb, result_slot ()), wait_for ())

static gboolean
sigint_cb (gpointer user_data)
{
  cli.interrupted = TRUE;
  g_cancellable_cancel (cli.cancellable);

  return G_SOURCE_CONTINUE;
}

/* Session ---------------------------------------------------------------------- */

static void
session_changed_cb (TesseraClient *client,
                    gpointer       user_data)
{
  g_autofree char *token = tessera_client_dup_refresh_token (client);
  g_autoptr(GError) error = NULL;

  if (token == NULL)
    return;

  tessera_account_set_server_url (cli.account, tessera_client_get_server_url (client));
  tessera_account_set_username (cli.account, tessera_client_get_username (client));
  if (!tessera_account_save (cli.account, &error) ||
      !tessera_account_store_token (cli.account, token, NULL, &error))
    g_printerr ("tessera-cli: %s\n", error->message);
}

static void
signed_out_cb (TesseraClient *client,
               gboolean       expired,
               gpointer       user_data)
{
  g_autoptr(GError) error = NULL;

  if (!tessera_account_clear_token (cli.account, NULL, &error))
    g_printerr ("tessera-cli: %s\n", error->message);
}

static const char *
resolve_server (void)
{
  if (cli.server != NULL)
    return cli.server;
  if (tessera_account_get_server_url (cli.account) != NULL)
    return tessera_account_get_server_url (cli.account);
  return g_getenv ("TESSERA_SERVER_URL");
}

static int
setup_client (gboolean restore_session)
{
  g_autoptr(GError) error = NULL;
  const char *server;

  if (!tessera_account_load (cli.account, &error))
    return fail (error);

  server = resolve_server ();
  if (server == NULL || *server == '\0')
    return usage_error ("no server: pass --server URL (it is remembered after login)");
  if (!g_str_has_prefix (server, "http://") && !g_str_has_prefix (server, "https://"))
    return usage_error ("“%s” is not an http:// or https:// URL", server);

  cli.client = tessera_client_new (server);
  g_signal_connect (cli.client, "session-changed", G_CALLBACK (session_changed_cb), NULL);

  /* The stored session belongs to the configured server only. */
  if (restore_session &&
      g_strcmp0 (tessera_client_get_server_url (cli.client),
                 tessera_account_get_server_url (cli.account)) == 0 &&
      tessera_account_get_username (cli.account) != NULL)
    {
      g_autofree char *token = tessera_account_lookup_token (cli.account, NULL, &error);

      if (error != NULL)
        return fail (error);
      if (token != NULL)
        tessera_client_set_session (cli.client, tessera_account_get_username (cli.account), token);
    }

  g_signal_connect (cli.client, "signed-out", G_CALLBACK (signed_out_cb), NULL);

  if (restore_session && !tessera_client_get_signed_in (cli.client))
    {
      g_printerr ("tessera-cli: not signed in to %s; run “tessera-cli login USER” first\n", server);
      return TESSERA_CLI_EXIT_AUTH;
    }

  return TESSERA_CLI_EXIT_OK;
}

static char *
read_password (const char *prompt,
               GError    **error)
{
  g_autofree char *line = NULL;
  size_t capacity = 0;
  ssize_t n;
  FILE *in = stdin;
  FILE *tty = NULL;
  struct termios saved, quiet;
  gboolean echo_off = FALSE;

  if (!cli.password_stdin)
    {
      tty = fopen ("/dev/tty", "r+");
      if (tty == NULL)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "no terminal to ask for the password; use --password-stdin");
          return NULL;
        }
      in = tty;
      fputs (prompt, tty);
      fflush (tty);
      if (tcgetattr (fileno (tty), &saved) == 0)
        {
          quiet = saved;
          quiet.c_lflag &= ~(ECHO);
          echo_off = tcsetattr (fileno (tty), TCSAFLUSH, &quiet) == 0;
        }
    }

  n = getline (&line, &capacity, in);

  if (tty != NULL)
    {
      if (echo_off)
        tcsetattr (fileno (tty), TCSAFLUSH, &saved);
      fputs ("\n", tty);
      fclose (tty);
    }

  if (n < 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "no password given");
      return NULL;
    }

  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';

  if (n == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the password is empty");
      return NULL;
    }

  return g_steal_pointer (&line);
}

static void
wipe (char *secret)
{
  if (secret != NULL)
    {
      explicit_bzero (secret, strlen (secret));
      free (secret);
    }
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (char, wipe)

/* Commands --------------------------------------------------------------------- */

static int
sign_in (const char *username,
         const char *password)
{
  g_autoptr(GError) error = NULL;

  if (!tessera_client_sign_in_finish (cli.client,
                                      WAIT (tessera_client_sign_in_async, cli.client,
                                            username, password, cli.cancellable),
                                      &error))
    return fail (error);

  return TESSERA_CLI_EXIT_OK;
}

static int
cmd_signup (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(char) password = NULL;
  int status;

  if (g_strv_length (args) != 1)
    return usage_error ("signup takes one user name");
  if ((status = setup_client (FALSE)) != 0)
    return status;

  if (!(password = read_password ("Choose a password: ", &error)))
    return usage_error ("%s", error->message);

  if (!cli.password_stdin)
    {
      g_autoptr(char) again = read_password ("Type it again: ", &error);

      if (again == NULL)
        return usage_error ("%s", error->message);
      if (strcmp (again, password) != 0)
        return usage_error ("the passwords differ");
    }

  if (!tessera_client_sign_up_finish (cli.client,
                                      WAIT (tessera_client_sign_up_async, cli.client,
                                            args[0], password, cli.cancellable),
                                      &error))
    return fail (error);

  if ((status = sign_in (args[0], password)) != 0)
    return status;

  if (cli.json)
    g_print ("{\"username\": \"%s\", \"server\": \"%s\"}\n", args[0],
             tessera_client_get_server_url (cli.client));
  else if (!cli.quiet)
    g_print ("Created the account %s on %s and signed in\n", args[0],
             tessera_client_get_server_url (cli.client));

  return TESSERA_CLI_EXIT_OK;
}

static int
cmd_login (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(char) password = NULL;
  int status;

  if (g_strv_length (args) != 1)
    return usage_error ("login takes one user name");
  if ((status = setup_client (FALSE)) != 0)
    return status;

  if (!(password = read_password ("Password: ", &error)))
    return usage_error ("%s", error->message);

  if ((status = sign_in (args[0], password)) != 0)
    return status;

  if (!cli.quiet && !cli.json)
    g_print ("Signed in as %s on %s\n", args[0], tessera_client_get_server_url (cli.client));

  return TESSERA_CLI_EXIT_OK;
}

static int
cmd_logout (char **args)
{
  g_autoptr(GError) error = NULL;
  int status;

  if (g_strv_length (args) != 0)
    return usage_error ("logout takes no arguments");
  if ((status = setup_client (TRUE)) != 0)
    {
      /* Nothing to sign out of is fine. */
      return status == TESSERA_CLI_EXIT_AUTH ? TESSERA_CLI_EXIT_OK : status;
    }

  if (!tessera_client_sign_out_finish (cli.client,
                                       WAIT (tessera_client_sign_out_async, cli.client,
                                             cli.cancellable),
                                       &error))
    {
      /* The local session is gone; say the server did not hear of it. */
      g_printerr ("tessera-cli: signed out here, but the server was not told: %s\n", error->message);
      return exit_code_for (error);
    }

  if (!cli.quiet && !cli.json)
    g_print ("Signed out\n");

  return TESSERA_CLI_EXIT_OK;
}

static void
print_image_line (TesseraImage *image)
{
  g_autofree char *tags = g_strjoinv (",", (char **) tessera_image_get_tags (image));

  g_print ("%s\t%s\t%s\t%s\t%s\n",
           tessera_image_get_id (image),
           tessera_image_get_status (image) ? tessera_image_get_status (image) : "-",
           tessera_image_get_created_at (image) ? tessera_image_get_created_at (image) : "-",
           tessera_image_get_filename (image) ? tessera_image_get_filename (image) : "-",
           tags);
}

static int
list_images (gboolean trashed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) all = json_array_new ();
  g_auto(GStrv) tags = NULL;
  g_autofree char *cursor = NULL;
  TesseraImageQuery query = { 0 };
  int status;

  if ((status = setup_client (TRUE)) != 0)
    return status;

  if (cli.tags != NULL)
    {
      tags = g_strsplit (cli.tags, ",", -1);
      for (guint i = 0; tags[i] != NULL; i++)
        g_strstrip (tags[i]);
    }

  query.tags = (const char * const *) tags;
  query.match_any = cli.any;
  query.untagged = cli.untagged;
  query.trashed = trashed;
  query.limit = 100;

  do
    {
      g_autoptr(GPtrArray) images = NULL;
      g_autofree char *next = NULL;

      query.cursor = cursor;
      images = tessera_client_list_images_finish (cli.client,
                                                  WAIT (tessera_client_list_images_async,
                                                        cli.client, &query, cli.cancellable),
                                                  &next, &error);
      if (images == NULL)
        return fail (error);

      for (guint i = 0; i < images->len; i++)
        {
          TesseraImage *image = g_ptr_array_index (images, i);

          if (cli.json)
            json_array_add_object_element (all, tessera_image_to_json (image));
          else
            print_image_line (image);
        }

      g_free (cursor);
      cursor = g_steal_pointer (&next);
    }
  while (cursor != NULL);

  if (cli.json)
    {
      g_autoptr(JsonObject) object = json_object_new ();

      json_object_set_array_member (object, "images", json_array_ref (all));
      print_json_object (object);
    }

  return TESSERA_CLI_EXIT_OK;
}

static int
cmd_ls (char **args)
{
  if (g_strv_length (args) != 0)
    return usage_error ("ls takes options only");

  return list_images (FALSE);
}

static int
cmd_trash (char **args)
{
  if (g_strv_length (args) != 0)
    return usage_error ("trash takes no arguments");

  return list_images (TRUE);
}

static void
print_image (TesseraImage *image)
{
  g_autoptr(JsonObject) object = tessera_image_to_json (image);
  g_autofree char *tags = g_strjoinv (", ", (char **) tessera_image_get_tags (image));
  JsonArray *labels = tessera_image_get_labels (image);

  if (cli.json)
    {
      print_json_object (object);
      return;
    }

  g_print ("id:          %s\n", tessera_image_get_id (image));
  g_print ("filename:    %s\n", tessera_image_get_filename (image) ? tessera_image_get_filename (image) : "");
  g_print ("status:      %s\n", tessera_image_get_status (image) ? tessera_image_get_status (image) : "");
  if (tessera_image_get_failure_reason (image))
    g_print ("failure:     %s\n", tessera_image_get_failure_reason (image));
  g_print ("type:        %s\n", tessera_image_get_content_type (image) ? tessera_image_get_content_type (image) : "");
  g_print ("size:        %" G_GINT64_FORMAT " bytes\n", tessera_image_get_size (image));
  if (tessera_image_get_width (image) > 0)
    g_print ("dimensions:  %d × %d\n", tessera_image_get_width (image), tessera_image_get_height (image));
  g_print ("created:     %s\n", tessera_image_get_created_at (image) ? tessera_image_get_created_at (image) : "");
  if (tessera_image_get_trashed_at (image))
    g_print ("trashed:     %s\n", tessera_image_get_trashed_at (image));
  if (tessera_image_get_sha256 (image))
    g_print ("sha256:      %s\n", tessera_image_get_sha256 (image));
  g_print ("tags:        %s\n", tags);
  for (guint i = 0; labels != NULL && i < json_array_get_length (labels); i++)
    {
      JsonNode *node = json_array_get_element (labels, i);
      JsonObject *label;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      label = json_node_get_object (node);
      g_print ("label:       %s (%.2f, %s)\n",
               json_object_get_string_member_with_default (label, "name", "?"),
               json_object_get_double_member_with_default (label, "confidence", 0.),
               json_object_get_string_member_with_default (label, "source", "?"));
    }
}

typedef void           (*ImageAsync)  (TesseraClient       *client,
                                       const char          *image_id,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
typedef TesseraImage * (*ImageFinish) (TesseraClient       *client,
                                       GAsyncResult        *result,
                                       GError             **error);

/* The start of the commands that take one image id and call one route
 * that answers the image. */
static int
call_on_image (char          **args,
               const char     *command,
               ImageAsync      call_async,
               ImageFinish     call_finish,
               TesseraImage  **image)
{
  g_autoptr(GError) error = NULL;
  int status;

  if (g_strv_length (args) != 1)
    return usage_error ("%s takes one image id", command);
  if ((status = setup_client (TRUE)) != 0)
    return status;

  *image = call_finish (cli.client, WAIT (call_async, cli.client, args[0], cli.cancellable), &error);
  if (*image == NULL)
    return fail (error);

  return TESSERA_CLI_EXIT_OK;
}

static int
cmd_show (char **args)
{
  g_autoptr(TesseraImage) image = NULL;
  int status;

  if ((status = call_on_image (args, "show", tessera_client_get_image_async,
                               tessera_client_get_image_finish, &image)) != 0)
    return status;

  print_image (image);

  return TESSERA_CLI_EXIT_OK;
}

static int
cmd_tag (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImage) image = NULL;
  g_autoptr(GStrvBuilder) add = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) remove = g_strv_builder_new ();
  g_auto(GStrv) add_tags = NULL;
  g_auto(GStrv) remove_tags = NULL;
  int status;

  if (g_strv_length (args) < 2)
    return usage_error ("tag takes an image id and +TAG or -TAG changes");

  for (guint i = 1; args[i] != NULL; i++)
    {
      if (args[i][0] == '+' && args[i][1] != '\0')
        g_strv_builder_add (add, args[i] + 1);
      else if (args[i][0] == '-' && args[i][1] != '\0')
        g_strv_builder_add (remove, args[i] + 1);
      else
        return usage_error ("“%s”: write +TAG to add a tag or -TAG to remove one", args[i]);
    }
  add_tags = g_strv_builder_end (add);
  remove_tags = g_strv_builder_end (remove);

  if ((status = setup_client (TRUE)) != 0)
    return status;

  image = tessera_client_update_tags_finish (cli.client,
                                             WAIT (tessera_client_update_tags_async, cli.client,
                                                   args[0],
                                                   (const char * const *) add_tags,
                                                   (const char * const *) remove_tags,
                                                   cli.cancellable),
                                             &error);
  if (image == NULL)
    return fail (error);

  if (cli.json)
    print_image (image);
  else if (!cli.quiet)
    {
      g_autofree char *tags = g_strjoinv (", ", (char **) tessera_image_get_tags (image));
      g_print ("%s: %s\n", tessera_image_get_id (image), tags);
    }

  return TESSERA_CLI_EXIT_OK;
}

static int
cmd_rm (char **args)
{
  int status, result = TESSERA_CLI_EXIT_OK;

  if (g_strv_length (args) == 0)
    return usage_error ("rm takes one or more image ids");
  if ((status = setup_client (TRUE)) != 0)
    return status;

  for (guint i = 0; args[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!tessera_client_delete_image_finish (cli.client,
                                               WAIT (tessera_client_delete_image_async, cli.client,
                                                     args[i], cli.permanent, cli.cancellable),
                                               &error))
        {
          g_printerr ("tessera-cli: %s: %s\n", args[i], error->message);
          result = exit_code_for (error);
          if (cli.interrupted)
            break;
          continue;
        }

      if (cli.json)
        g_print ("{\"id\": \"%s\", \"deleted\": true, \"permanent\": %s}\n",
                 args[i], cli.permanent ? "true" : "false");
      else if (!cli.quiet)
        g_print (cli.permanent ? "Deleted %s\n" : "Moved %s to the trash\n", args[i]);
    }

  return result;
}

static int
cmd_restore (char **args)
{
  g_autoptr(TesseraImage) image = NULL;
  int status;

  if ((status = call_on_image (args, "restore", tessera_client_restore_image_async,
                               tessera_client_restore_image_finish, &image)) != 0)
    return status;

  if (cli.json)
    print_image (image);
  else if (!cli.quiet)
    g_print ("Restored %s\n", tessera_image_get_id (image));

  return TESSERA_CLI_EXIT_OK;
}

static int
cmd_tags (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tags = NULL;
  int status;

  if (g_strv_length (args) != 0)
    return usage_error ("tags takes no arguments");
  if ((status = setup_client (TRUE)) != 0)
    return status;

  tags = tessera_client_list_tags_finish (cli.client,
                                          WAIT (tessera_client_list_tags_async, cli.client,
                                                cli.cancellable),
                                          &error);
  if (tags == NULL)
    return fail (error);

  if (cli.json)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < tags->len; i++)
        {
          TesseraTagCount *tag = g_ptr_array_index (tags, i);
          JsonObject *o = json_object_new ();

          json_object_set_string_member (o, "name", tag->name);
          json_object_set_int_member (o, "count", tag->count);
          json_array_add_object_element (array, o);
        }
      json_object_set_array_member (object, "tags", array);
      print_json_object (object);
    }
  else
    for (guint i = 0; i < tags->len; i++)
      {
        TesseraTagCount *tag = g_ptr_array_index (tags, i);
        g_print ("%s\t%u\n", tag->name, tag->count);
      }

  return TESSERA_CLI_EXIT_OK;
}

static int
cmd_download (char **args)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraImage) image = NULL;
  g_autoptr(GFile) destination = NULL;
  g_autofree char *fallback = NULL;
  const char *url;
  int status;

  if ((status = call_on_image (args, "download", tessera_client_get_image_async,
                               tessera_client_get_image_finish, &image)) != 0)
    return status;

  url = cli.thumbnail ? tessera_image_get_thumbnail_url (image) : tessera_image_get_file_url (image);
  if (url == NULL)
    {
      g_printerr ("tessera-cli: %s has no %s yet (status %s)\n", args[0],
                  cli.thumbnail ? "thumbnail" : "file",
                  tessera_image_get_status (image) ? tessera_image_get_status (image) : "unknown");
      return TESSERA_CLI_EXIT_NOT_FOUND;
    }

  if (cli.output == NULL)
    {
      const char *name = tessera_image_get_filename (image);

      fallback = name ? g_path_get_basename (name) : g_strdup (args[0]);
      if (cli.thumbnail || g_strcmp0 (fallback, ".") == 0 || g_strcmp0 (fallback, "/") == 0)
        {
          g_free (fallback);
          fallback = g_strconcat (args[0], cli.thumbnail ? ".thumbnail" : "", NULL);
        }
    }
  destination = g_file_new_for_commandline_arg (cli.output ? cli.output : fallback);

  if (!tessera_client_download_finish (cli.client,
                                       WAIT (tessera_client_download_async, cli.client, url,
                                             destination, cli.cancellable),
                                       &error))
    return fail (error);

  if (!cli.quiet && !cli.json)
    {
      g_autofree char *path = g_file_get_parse_name (destination);
      g_print ("Saved %s\n", path);
    }

  return TESSERA_CLI_EXIT_OK;
}

/* Upload ----------------------------------------------------------------------- */

typedef struct
{
  GPtrArray          *items;      /* ours, in order */
  gboolean            tty;
  guint               drawn_lines;
  guint               n_done;
  guint               n_duplicate;
  guint               n_failed;
  guint               n_cancelled;
  goffset             total_bytes;
} Upload;

static gboolean
looks_like_image (const char *name)
{
  g_autofree char *type = g_content_type_guess (name, NULL, 0, NULL);
  g_autofree char *mime = g_content_type_get_mime_type (type);

  return mime != NULL && g_str_has_prefix (mime, "image/");
}

static int
compare_files (gconstpointer a,
               gconstpointer b)
{
  g_autofree char *pa = g_file_get_path (*(GFile **) a);
  g_autofree char *pb = g_file_get_path (*(GFile **) b);

  return g_strcmp0 (pa, pb);
}

static gboolean
collect (GFile      *file,
         gboolean    explicit,
         GPtrArray  *files,
         GError    **error)
{
  g_autoptr(GFileInfo) info = NULL;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_NAME
                            "," G_FILE_ATTRIBUTE_STANDARD_IS_HIDDEN,
                            G_FILE_QUERY_INFO_NONE, NULL, error);
  if (info == NULL)
    return FALSE;

  if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    {
      g_autoptr(GFileEnumerator) children = NULL;
      g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_object_unref);
      GFileInfo *child_info;
      GFile *child;

      children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                            G_FILE_QUERY_INFO_NONE, NULL, error);
      if (children == NULL)
        return FALSE;

      while (g_file_enumerator_iterate (children, &child_info, &child, NULL, error) && child_info)
        g_ptr_array_add (found, g_object_ref (child));
      if (error != NULL && *error != NULL)
        return FALSE;

      /* Deterministic order, so a batch reads the same every time. */
      g_ptr_array_sort (found, compare_files);
      for (guint i = 0; i < found->len; i++)
        if (!collect (g_ptr_array_index (found, i), FALSE, files, error))
          return FALSE;

      return TRUE;
    }

  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    return TRUE;

  /* In folders, only images and no hidden files; a file named on the
   * command line goes up as asked, and the server judges it. */
  if (!explicit && (g_file_info_get_is_hidden (info) ||
                    !looks_like_image (g_file_info_get_name (info))))
    return TRUE;

  g_ptr_array_add (files, g_object_ref (file));
  return TRUE;
}

static char *
item_name (TesseraUploadItem *item)
{
  return g_file_get_parse_name (tessera_upload_item_get_file (item));
}

static void
clear_bars (Upload *upload)
{
  if (upload->drawn_lines > 0)
    {
      g_printerr ("\033[%uA\033[J", upload->drawn_lines);
      upload->drawn_lines = 0;
    }
}

static void
bar (GString *line,
     double   fraction,
     guint    width)
{
  guint filled = (guint) (CLAMP (fraction, 0., 1.) * width + .5);

  g_string_append_c (line, '[');
  for (guint i = 0; i < width; i++)
    g_string_append (line, i < filled ? "#" : "-");
  g_string_append_printf (line, "] %3d%%", (int) (CLAMP (fraction, 0., 1.) * 100 + .5));
}

static void
draw_bars (Upload *upload)
{
  goffset sent = 0;
  guint finished = 0;

  clear_bars (upload);

  for (guint i = 0; i < upload->items->len; i++)
    {
      TesseraUploadItem *item = g_ptr_array_index (upload->items, i);
      TesseraUploadState state = tessera_upload_item_get_state (item);

      sent += (goffset) (tessera_upload_item_get_progress (item) * tessera_upload_item_get_size (item));
      if (tessera_upload_state_is_finished (state))
        finished++;

      if (state == TESSERA_UPLOAD_STATE_HASHING || state == TESSERA_UPLOAD_STATE_UPLOADING)
        {
          g_autoptr(GString) line = g_string_new (NULL);
          g_autofree char *name = g_file_get_basename (tessera_upload_item_get_file (item));
          g_autofree char *shown = g_utf8_strlen (name, -1) > 30
                                   ? g_strconcat (g_utf8_substring (name, 0, 29), "…", NULL)
                                   : g_strdup (name);

          g_string_append_printf (line, "  %-30s ", shown);
          if (state == TESSERA_UPLOAD_STATE_HASHING)
            g_string_append (line, "hashing");
          else
            bar (line, tessera_upload_item_get_progress (item), 30);
          g_printerr ("%s\n", line->str);
          upload->drawn_lines++;
        }
    }

  {
    g_autoptr(GString) line = g_string_new (NULL);
    g_autofree char *done = g_format_size (sent);
    g_autofree char *total = g_format_size (upload->total_bytes);

    g_string_append_printf (line, "  %u/%u files, %s of %s ", finished, upload->items->len, done, total);
    bar (line, upload->total_bytes > 0 ? (double) sent / upload->total_bytes : 0., 30);
    g_printerr ("%s\n", line->str);
    upload->drawn_lines++;
  }
}

static gboolean
redraw_cb (gpointer user_data)
{
  draw_bars (user_data);

  return G_SOURCE_CONTINUE;
}

static void
item_finished_cb (TesseraUploadQueue *queue,
                  TesseraUploadItem  *item,
                  Upload             *upload)
{
  g_autofree char *name = item_name (item);
  const char *id = tessera_upload_item_get_image_id (item);

  if (!g_ptr_array_find (upload->items, item, NULL))
    g_ptr_array_add (upload->items, g_object_ref (item));

  switch (tessera_upload_item_get_state (item))
    {
    case TESSERA_UPLOAD_STATE_DONE: upload->n_done++; break;
    case TESSERA_UPLOAD_STATE_DUPLICATE: upload->n_duplicate++; break;
    case TESSERA_UPLOAD_STATE_FAILED: upload->n_failed++; break;
    case TESSERA_UPLOAD_STATE_CANCELLED: upload->n_cancelled++; break;
    default: break;
    }

  if (cli.json)
    return;

  if (upload->tty)
    clear_bars (upload);

  switch (tessera_upload_item_get_state (item))
    {
    case TESSERA_UPLOAD_STATE_DONE:
      if (!cli.quiet)
        g_print ("uploaded %s %s\n", id, name);
      break;
    case TESSERA_UPLOAD_STATE_DUPLICATE:
      if (!cli.quiet)
        g_print ("duplicate %s %s (skipped)\n", id, name);
      break;
    case TESSERA_UPLOAD_STATE_FAILED:
      g_printerr ("tessera-cli: %s: %s\n", name, tessera_upload_item_get_error_message (item));
      break;
    case TESSERA_UPLOAD_STATE_CANCELLED:
      g_printerr ("tessera-cli: %s: cancelled\n", name);
      break;
    default:
      break;
    }

  if (upload->tty)
    draw_bars (upload);
}

static int
cmd_upload (char **args)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(TesseraUploadQueue) queue = NULL;
  Upload upload = { 0 };
  guint redraw = 0;
  int status;

  if (cli.jobs < 1 || cli.jobs > 64)
    return usage_error ("--jobs must be between 1 and 64");

  for (guint i = 0; args[i] != NULL; i++)
    {
      g_autoptr(GFile) file = g_file_new_for_commandline_arg (args[i]);
      g_autoptr(GError) error = NULL;

      if (!collect (file, TRUE, files, &error))
        {
          g_printerr ("tessera-cli: %s: %s\n", args[i], error->message);
          return TESSERA_CLI_EXIT_USAGE;
        }
    }

  if ((status = setup_client (TRUE)) != 0)
    return status;

  /* The queue resumes whatever an interrupted run left behind. */
  queue = tessera_upload_queue_new (cli.client, g_getenv ("TESSERA_UPLOAD_STATE"));
  tessera_upload_queue_set_max_jobs (queue, cli.jobs);
  upload.items = g_ptr_array_new_with_free_func (g_object_unref);
  upload.tty = !cli.json && !cli.quiet && isatty (STDERR_FILENO);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (queue)); i++)
    {
      g_autoptr(TesseraUploadItem) item = g_list_model_get_item (G_LIST_MODEL (queue), i);

      if (!tessera_upload_state_is_finished (tessera_upload_item_get_state (item)))
        g_ptr_array_add (upload.items, g_steal_pointer (&item));
    }
  if (upload.items->len == 0 && files->len == 0)
    return usage_error ("upload takes one or more files or folders (there is nothing to resume)");
  if (upload.items->len > 0 && !cli.json && !cli.quiet)
    g_printerr ("Resuming %u unfinished upload(s) from an earlier run\n", upload.items->len);

  for (guint i = 0; i < files->len; i++)
    {
      TesseraUploadItem *item = tessera_upload_queue_add_file (queue, g_ptr_array_index (files, i));

      if (!g_ptr_array_find (upload.items, item, NULL))
        g_ptr_array_add (upload.items, g_object_ref (item));
    }

  for (guint i = 0; i < upload.items->len; i++)
    {
      GFile *file = tessera_upload_item_get_file (g_ptr_array_index (upload.items, i));
      g_autoptr(GFileInfo) info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                                     G_FILE_QUERY_INFO_NONE, NULL, NULL);
      if (info != NULL)
        upload.total_bytes += g_file_info_get_size (info);
    }

  g_signal_connect (queue, "item-finished", G_CALLBACK (item_finished_cb), &upload);

  if (upload.tty)
    redraw = g_timeout_add (100, redraw_cb, &upload);

  /* On SIGINT the queue is dropped, not cancelled: what was under way is
   * saved as unfinished and the next run resumes it. */
  while (!cli.interrupted &&
         (tessera_upload_queue_get_busy (queue) || g_main_context_pending (NULL)))
    g_main_context_iteration (NULL, tessera_upload_queue_get_busy (queue));

  g_clear_handle_id (&redraw, g_source_remove);
  g_signal_handlers_disconnect_by_func (queue, item_finished_cb, &upload);
  if (upload.tty)
    clear_bars (&upload);

  if (cli.json)
    {
      g_autoptr(JsonObject) object = json_object_new ();
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < upload.items->len; i++)
        {
          TesseraUploadItem *item = g_ptr_array_index (upload.items, i);
          JsonObject *o = json_object_new ();
          g_autofree char *name = item_name (item);

          json_object_set_string_member (o, "path", name);
          json_object_set_string_member (o, "state",
                                         tessera_upload_state_to_string (tessera_upload_item_get_state (item)));
          if (tessera_upload_item_get_image_id (item))
            json_object_set_string_member (o, "imageId", tessera_upload_item_get_image_id (item));
          if (tessera_upload_item_get_state (item) == TESSERA_UPLOAD_STATE_FAILED)
            json_object_set_string_member (o, "error", tessera_upload_item_get_error_message (item));
          json_array_add_object_element (array, o);
        }
      json_object_set_array_member (object, "uploads", array);
      print_json_object (object);
    }
  else if (!cli.quiet)
    g_printerr ("%u uploaded, %u duplicate(s) skipped, %u failed%s\n",
                upload.n_done, upload.n_duplicate, upload.n_failed,
                upload.n_cancelled ? ", some cancelled" : "");

  /* What was reported is done with. Unfinished items stay in the saved
   * queue when interrupted, for the next run. */
  for (guint i = 0; i < upload.items->len; i++)
    {
      TesseraUploadItem *item = g_ptr_array_index (upload.items, i);

      if (tessera_upload_item_get_state (item) == TESSERA_UPLOAD_STATE_FAILED)
        tessera_upload_queue_cancel (queue, item);
    }
  tessera_upload_queue_clear_finished (queue);

  if (cli.interrupted && !cli.json)
    g_printerr ("Interrupted: %u upload(s) will resume with the next “tessera-cli upload”\n",
                g_list_model_get_n_items (G_LIST_MODEL (queue)));

  g_clear_pointer (&upload.items, g_ptr_array_unref);

  if (cli.interrupted)
    return TESSERA_CLI_EXIT_INTERRUPTED;
  if (upload.n_failed > 0)
    return upload.n_done + upload.n_duplicate > 0 ? TESSERA_CLI_EXIT_PARTIAL : TESSERA_CLI_EXIT_FAILURE;

  return TESSERA_CLI_EXIT_OK;
}

/* Main ------------------------------------------------------------------------- */

typedef struct
{
  const char *name;
  int       (*run) (char **args);
} Command;

static const Command commands[] = {
  { "signup", cmd_signup },
  { "login", cmd_login },
  { "logout", cmd_logout },
  { "upload", cmd_upload },
  { "ls", cmd_ls },
  { "show", cmd_show },
  { "tag", cmd_tag },
  { "rm", cmd_rm },
  { "restore", cmd_restore },
  { "trash", cmd_trash },
  { "tags", cmd_tags },
  { "download", cmd_download },
};

static const char summary[] =
  "Commands:\n"
  "  signup USER                   create an account and sign in\n"
  "  login USER                    sign in (the password is asked without echo)\n"
  "  logout                        sign out and forget the session\n"
  "  upload PATH...                upload files and folders (recursively);\n"
  "                                without PATH, resume an interrupted batch\n"
  "  ls [--tags a,b] [--any] [--untagged]\n"
  "                                list your images, newest first\n"
  "  show ID                       show one image\n"
  "  tag ID +TAG -TAG...           add and remove tags\n"
  "  rm ID...                      move images to the trash (--permanent: delete)\n"
  "  restore ID                    take an image out of the trash\n"
  "  trash                         list the trash\n"
  "  tags                          list your tags with their counts\n"
  "  download ID [--thumbnail] [-o FILE]\n"
  "                                save an image (or its thumbnail)";

static const char description[] =
  "The server and user are remembered in ~/.config/tessera/account.ini and the\n"
  "session in the keyring; the password is never stored.\n"
  "\n"
  "Exit status:\n"
  "  0    success\n"
  "  1    failure (server error, local file error)\n"
  "  2    usage error\n"
  "  3    not signed in, wrong password, or the session expired\n"
  "  4    no such image\n"
  "  5    the server could not be reached\n"
  "  6    the server rejected the input (invalid, too large, conflict)\n"
  "  7    rate-limited by the server; try again later\n"
  "  8    some uploads failed, others succeeded\n"
  "  130  interrupted";

int
tessera_cli_run (int   argc,
                 char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rest = g_ptr_array_new ();
  g_autoptr(GPtrArray) tag_args = g_ptr_array_new ();
  g_auto(GStrv) args = NULL;
  const Command *command = NULL;
  gboolean version = FALSE;
  guint sigint, sigterm;
  int status;
  const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &cli.server, "The server's URL", "URL" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli.json, "Print JSON, for scripts", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &cli.quiet, "Print only errors", NULL },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &cli.password_stdin, "Read the password from standard input", NULL },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &cli.jobs, "Uploads at a time (default 4)", "N" },
    { "tags", 't', 0, G_OPTION_ARG_STRING, &cli.tags, "ls: only images with these tags", "a,b" },
    { "any", 0, 0, G_OPTION_ARG_NONE, &cli.any, "ls: any of the tags rather than all", NULL },
    { "untagged", 0, 0, G_OPTION_ARG_NONE, &cli.untagged, "ls: only images without tags", NULL },
    { "permanent", 0, 0, G_OPTION_ARG_NONE, &cli.permanent, "rm: delete for good, not to the trash", NULL },
    { "thumbnail", 0, 0, G_OPTION_ARG_NONE, &cli.thumbnail, "download: the thumbnail", NULL },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &cli.output, "download: the file to write", "FILE" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  g_set_prgname ("tessera-cli");

  /* "tag ID +a -b": what follows the command is changes, not options. */
  for (int i = 0; i < argc; i++)
    {
      static const char * const with_value[] = {
        "-s", "--server", "-j", "--jobs", "-t", "--tags", "-o", "--output", NULL
      };

      g_ptr_array_add (rest, argv[i]);
      if (i == 0)
        continue;
      if (g_strv_contains (with_value, argv[i]) && i + 1 < argc)
        {
          g_ptr_array_add (rest, argv[++i]);
          continue;
        }
      if (argv[i][0] == '-')
        continue;

      /* The first positional argument is the command. */
      if (g_str_equal (argv[i], "tag"))
        {
          for (int j = i + 1; j < argc; j++)
            {
              /* Global options may still follow; a tag never starts with "--". */
              if (g_str_has_prefix (argv[j], "--") || g_strcmp0 (argv[j], "-q") == 0 ||
                  g_strcmp0 (argv[j], "-s") == 0)
                {
                  g_ptr_array_add (rest, argv[j]);
                  if ((g_strcmp0 (argv[j], "--server") == 0 || g_strcmp0 (argv[j], "-s") == 0) &&
                      j + 1 < argc)
                    g_ptr_array_add (rest, argv[++j]);
                }
              else
                g_ptr_array_add (tag_args, argv[j]);
            }
          g_ptr_array_add (tag_args, NULL);
        }
      else
        {
          for (int j = i + 1; j < argc; j++)
            g_ptr_array_add (rest, argv[j]);
        }
      break;
    }
  g_ptr_array_add (rest, NULL);
  args = g_strdupv ((char **) rest->pdata);

  context = g_option_context_new ("COMMAND [ARGUMENTS…]");
  g_option_context_set_summary (context, summary);
  g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse_strv (context, &args, &error))
    return usage_error ("%s", error->message);

  if (version)
    {
      g_print ("tessera-cli %s\n", PACKAGE_VERSION);
      return TESSERA_CLI_EXIT_OK;
    }

  if (args[1] == NULL)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);
      g_printerr ("%s", help);
      return TESSERA_CLI_EXIT_USAGE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_strcmp0 (args[1], commands[i].name) == 0)
      command = &commands[i];
  if (command == NULL)
    return usage_error ("unknown command “%s”", args[1]);

  cli.cancellable = g_cancellable_new ();
  cli.account = tessera_account_new ();
  sigint = g_unix_signal_add (SIGINT, sigint_cb, NULL);
  sigterm = g_unix_signal_add (SIGTERM, sigint_cb, NULL);

  if (tag_args->len > 0)
    status = command->run ((char **) tag_args->pdata);
  else
    status = command->run (args + 2);

  g_source_remove (sigint);
  g_source_remove (sigterm);
  if (cli.client != NULL)
    g_signal_handlers_disconnect_by_data (cli.client, NULL);
  g_clear_object (&cli.result);
  g_clear_object (&cli.client);
  g_clear_object (&cli.account);
  g_clear_object (&cli.cancellable);
  g_clear_pointer (&cli.server, g_free);
  g_clear_pointer (&cli.tags, g_free);
  g_clear_pointer (&cli.output, g_free);

  if (cli.interrupted && status == TESSERA_CLI_EXIT_OK)
    status = TESSERA_CLI_EXIT_INTERRUPTED;

  return status;
}
