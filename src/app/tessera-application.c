/* tessera-application.c
 *
 * The application owns the session: the account (server, user, refresh
 * token in the keyring), the signed-in client, and for "This computer"
 * the bundled server, which it stops on quit. A stored session goes
 * straight to the gallery; otherwise the sign-in dialog shows over it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-application"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tessera-account.h"
#include "tessera-application.h"
#include "tessera-signin-dialog.h"
#include "tessera-search-provider.h"
#include "tessera-window.h"

struct _TesseraApplication
{
  AdwApplication      parent_instance;

  GSettings          *settings;
  GCancellable       *cancellable;
  TesseraAccount     *account;
  TesseraLocalServer *local_server;
  TesseraClient      *client;
  GtkWindow          *signin_dialog;
  gboolean            started;
  gboolean            starting;

  /* What app.show-image and app.search asked for before a session was
   * ready (a Shell search that launched the app). */
  char               *pending_image_id;
  GStrv               pending_search;

  TesseraSearchProvider *search_provider;
};

G_DEFINE_FINAL_TYPE (TesseraApplication, tessera_application, ADW_TYPE_APPLICATION)

static void show_signin (TesseraApplication *self,
                         const char         *message);
static void run_pending (TesseraApplication *self);

TesseraApplication *
tessera_application_new (void)
{
  return g_object_new (TESSERA_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/tessera/Tessera",
                       NULL);
}

/**
 * tessera_application_get_settings:
 *
 * Returns: (transfer none): the app's settings
 */
GSettings *
tessera_application_get_settings (TesseraApplication *self)
{
  g_return_val_if_fail (TESSERA_IS_APPLICATION (self), NULL);

  return self->settings;
}

/**
 * tessera_application_get_client:
 *
 * Returns: (transfer none) (nullable): the signed-in client
 */
TesseraClient *
tessera_application_get_client (TesseraApplication *self)
{
  g_return_val_if_fail (TESSERA_IS_APPLICATION (self), NULL);

  return self->client;
}

/**
 * tessera_application_get_local_server:
 *
 * Returns: (transfer none): the server "This computer" uses
 */
TesseraLocalServer *
tessera_application_get_local_server (TesseraApplication *self)
{
  g_return_val_if_fail (TESSERA_IS_APPLICATION (self), NULL);

  return self->local_server;
}

/**
 * tessera_application_get_signin_dialog:
 *
 * Returns: (transfer none) (nullable): the sign-in dialog, while it shows
 */
GtkWindow *
tessera_application_get_signin_dialog (TesseraApplication *self)
{
  g_return_val_if_fail (TESSERA_IS_APPLICATION (self), NULL);

  return self->signin_dialog;
}

/**
 * tessera_application_get_starting:
 *
 * Returns: %TRUE while a stored session is being resumed
 */
gboolean
tessera_application_get_starting (TesseraApplication *self)
{
  g_return_val_if_fail (TESSERA_IS_APPLICATION (self), FALSE);

  return self->starting;
}

static TesseraWindow *
get_window (TesseraApplication *self)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  for (GList *l = windows; l != NULL; l = l->next)
    if (TESSERA_IS_WINDOW (l->data))
      return l->data;

  return NULL;
}

static TesseraWindow *
get_or_create_window (TesseraApplication *self)
{
  TesseraWindow *window = get_window (self);

  if (window == NULL)
    window = tessera_window_new (self);

  return window;
}

static void
toast (TesseraApplication *self,
       const char         *message)
{
  TesseraWindow *window = get_window (self);

  if (window != NULL)
    tessera_window_add_toast (window, adw_toast_new (message));
}

static void
store_token_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TesseraApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_account_store_token_finish (TESSERA_ACCOUNT (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    toast (self, _("Could not remember the session: you will be asked to sign in next time"));
}

static void
on_session_changed (TesseraApplication *self,
                    TesseraClient      *client)
{
  g_autofree char *token = tessera_client_dup_refresh_token (client);

  if (token != NULL)
    tessera_account_store_token_async (self->account, token, self->cancellable,
                                       store_token_cb, g_object_ref (self));
}

static void
clear_token_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!tessera_account_clear_token_finish (TESSERA_ACCOUNT (object), result, &error))
    g_debug ("Could not clear the stored session: %s", error->message);
}

static void
drop_client (TesseraApplication *self)
{
  TesseraWindow *window = get_window (self);

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  if (window != NULL)
    tessera_window_set_client (window, NULL);
  g_clear_object (&self->client);
}

static void
on_signed_out (TesseraApplication *self,
               gboolean            expired,
               TesseraClient      *client)
{
  tessera_account_clear_token_async (self->account, NULL, clear_token_cb, NULL);
  drop_client (self);
  show_signin (self, expired ? _("Your session ended. Sign in again.") : NULL);
}

static void
use_client (TesseraApplication *self,
            TesseraClient      *client)
{
  TesseraWindow *window = get_or_create_window (self);

  drop_client (self);
  self->client = g_object_ref (client);
  self->starting = FALSE;
  g_signal_connect_object (client, "session-changed", G_CALLBACK (on_session_changed),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (client, "signed-out", G_CALLBACK (on_signed_out),
                           self, G_CONNECT_SWAPPED);
  tessera_window_set_client (window, client);
  run_pending (self);
}

static void
on_signed_in (TesseraApplication  *self,
              TesseraClient       *client,
              gboolean             local,
              TesseraSigninDialog *dialog)
{
  g_autoptr(GError) error = NULL;

  g_settings_set_string (self->settings, "server-mode", local ? "local" : "remote");
  if (!local)
    g_settings_set_string (self->settings, "server-url", tessera_client_get_server_url (client));

  tessera_account_set_server_url (self->account, tessera_client_get_server_url (client));
  tessera_account_set_username (self->account, tessera_client_get_username (client));
  if (!tessera_account_save (self->account, &error))
    g_warning ("Could not save the account: %s", error->message);

  use_client (self, client);
  on_session_changed (self, client);

  g_signal_handlers_disconnect_by_data (dialog, self);
  self->signin_dialog = NULL;
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static gboolean
on_signin_close_request (TesseraApplication *self,
                         GtkWindow          *dialog)
{
  TesseraWindow *window = get_window (self);

  /* Closing the dialog without signing in closes the app. */
  self->signin_dialog = NULL;
  if (window != NULL && self->client == NULL)
    gtk_window_close (GTK_WINDOW (window));

  return FALSE;
}

static void
show_signin (TesseraApplication *self,
             const char         *message)
{
  TesseraWindow *window = get_or_create_window (self);
  TesseraSigninDialog *dialog;
  g_autofree char *mode = g_settings_get_string (self->settings, "server-mode");
  g_autofree char *url = g_settings_get_string (self->settings, "server-url");

  self->starting = FALSE;
  if (self->signin_dialog != NULL)
    {
      gtk_window_present (self->signin_dialog);
      return;
    }

  dialog = tessera_signin_dialog_new (GTK_WINDOW (window), self->local_server);
  if (g_strcmp0 (mode, "remote") == 0 && *url != '\0')
    tessera_signin_dialog_set_remote (dialog, url);
  if (tessera_account_get_username (self->account) != NULL)
    tessera_signin_dialog_set_username (dialog, tessera_account_get_username (self->account));
  g_signal_connect_object (dialog, "signed-in", G_CALLBACK (on_signed_in), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (dialog, "close-request", G_CALLBACK (on_signin_close_request),
                           self, G_CONNECT_SWAPPED);
  self->signin_dialog = GTK_WINDOW (dialog);
  gtk_window_present (GTK_WINDOW (dialog));

  if (message != NULL)
    toast (self, message);
}

typedef struct
{
  TesseraApplication *self;
  char               *token;
} Resume;

static void
resume_free (Resume *resume)
{
  g_object_unref (resume->self);
  if (resume->token != NULL)
    {
      memset (resume->token, 0, strlen (resume->token));
      g_free (resume->token);
    }
  g_free (resume);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Resume, resume_free)

static void
refresh_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TesseraApplication) self = user_data;
  TesseraClient *client = TESSERA_CLIENT (object);
  g_autoptr(GError) error = NULL;

  if (!tessera_client_refresh_finish (client, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_UNAUTHORIZED))
        {
          tessera_account_clear_token_async (self->account, NULL, clear_token_cb, NULL);
          show_signin (self, _("Your session ended. Sign in again."));
          return;
        }
      /* Offline: the gallery shows what it has cached and keeps trying. */
      g_debug ("Resuming offline: %s", error->message);
    }

  use_client (self, client);
  if (error == NULL)
    on_session_changed (self, client);
}

static void
resume_with_url (Resume     *resume,
                 const char *url)
{
  TesseraApplication *self = resume->self;
  g_autoptr(TesseraClient) client = tessera_client_new (url);

  tessera_client_set_session (client, tessera_account_get_username (self->account), resume->token);
  tessera_client_refresh_async (client, self->cancellable, refresh_cb, g_object_ref (self));
}

static void
local_server_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Resume) resume = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  url = tessera_local_server_start_finish (TESSERA_LOCAL_SERVER (object), result, &error);
  if (url == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_signin (resume->self, error->message);
      return;
    }

  resume_with_url (resume, url);
}

static void
lookup_token_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TesseraApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(Resume) resume = NULL;
  g_autofree char *mode = NULL;
  char *token;

  token = tessera_account_lookup_token_finish (TESSERA_ACCOUNT (object), result, &error);
  if (token == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No stored session: %s", error->message);
      show_signin (self, NULL);
      return;
    }

  resume = g_new0 (Resume, 1);
  resume->self = g_object_ref (self);
  resume->token = token;

  mode = g_settings_get_string (self->settings, "server-mode");
  if (g_strcmp0 (mode, "local") == 0)
    {
      /* The bundled server's port changes from run to run. */
      tessera_local_server_start_async (self->local_server, self->cancellable,
                                        local_server_cb, g_steal_pointer (&resume));
      return;
    }

  if (tessera_account_get_server_url (self->account) == NULL)
    {
      show_signin (self, NULL);
      return;
    }

  resume_with_url (resume, tessera_account_get_server_url (self->account));
}

static void
start_session (TesseraApplication *self)
{
  g_autoptr(GError) error = NULL;

  self->starting = TRUE;
  if (!tessera_account_load (self->account, &error))
    g_warning ("%s", error->message);

  if (tessera_account_get_username (self->account) == NULL)
    {
      show_signin (self, NULL);
      return;
    }

  tessera_account_lookup_token_async (self->account, self->cancellable,
                                      lookup_token_cb, g_object_ref (self));
}

static void
sign_out_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The token is gone here either way; the server forgets it in time. */
  if (!tessera_client_sign_out_finish (TESSERA_CLIENT (object), result, &error))
    g_debug ("The server did not confirm the sign-out: %s", error->message);
}

/**
 * tessera_application_sign_out:
 *
 * Ends the session on the server, forgets the stored token and shows the
 * sign-in dialog.
 */
void
tessera_application_sign_out (TesseraApplication *self)
{
  g_autoptr(TesseraClient) client = NULL;

  g_return_if_fail (TESSERA_IS_APPLICATION (self));

  if (self->client == NULL)
    return;

  client = g_object_ref (self->client);
  drop_client (self);
  tessera_client_sign_out_async (client, NULL, sign_out_cb, NULL);
  tessera_account_clear_token_async (self->account, NULL, clear_token_cb, NULL);
  show_signin (self, NULL);
}

static void
tessera_application_activate (GApplication *app)
{
  TesseraApplication *self = TESSERA_APPLICATION (app);
  TesseraWindow *window = get_or_create_window (self);

  gtk_window_present (GTK_WINDOW (window));

  if (!self->started)
    {
      self->started = TRUE;
      start_session (self);
    }
  else if (self->signin_dialog != NULL)
    gtk_window_present (self->signin_dialog);
}

static void
tessera_application_open (GApplication  *app,
                          GFile        **files,
                          int            n_files,
                          const char    *hint)
{
  TesseraApplication *self = TESSERA_APPLICATION (app);
  TesseraWindow *window;

  tessera_application_activate (app);
  window = get_or_create_window (self);
  tessera_window_upload_files (window, files, n_files);
}

static void
about_action (GSimpleAction *action,
              GVariant      *param,
              gpointer       user_data)
{
  TesseraApplication *self = user_data;
  static const char *developers[] = { "The Tessera developers", NULL };

  adw_show_about_window (gtk_application_get_active_window (GTK_APPLICATION (self)),
                         "application-name", _("Tessera"),
                         "application-icon", APP_ID,
                         "developer-name", _("The Tessera developers"),
                         "version", PACKAGE_VERSION,
                         "comments", _("Keep your pictures in the cloud, tagged automatically."),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "developers", developers,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *param,
             gpointer       user_data)
{
  TesseraApplication *self = user_data;
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (self));

  /* Closing each window lets it save its state first. */
  for (GList *l = windows; l != NULL; )
    {
      GtkWindow *window = l->data;
      l = l->next;
      gtk_window_close (window);
    }
}

static void
show_image_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TesseraApplication) self = user_data;
  g_autoptr(TesseraImage) image = NULL;
  g_autoptr(GError) error = NULL;
  TesseraWindow *window;

  image = tessera_client_get_image_finish (TESSERA_CLIENT (object), result, &error);
  if (g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED))
    return;

  if ((window = get_window (self)) == NULL)
    return;

  if (image == NULL)
    {
      toast (self, error->message);
      return;
    }

  tessera_window_show_image (window, image);
}

static void
run_pending (TesseraApplication *self)
{
  g_autofree char *image_id = g_steal_pointer (&self->pending_image_id);
  g_auto(GStrv) terms = g_steal_pointer (&self->pending_search);
  TesseraWindow *window;

  if (self->client == NULL || (window = get_window (self)) == NULL)
    {
      self->pending_image_id = g_steal_pointer (&image_id);
      self->pending_search = g_steal_pointer (&terms);
      return;
    }

  if (terms != NULL)
    tessera_window_search (window, (const char * const *) terms);

  if (image_id != NULL)
    tessera_client_get_image_async (self->client, image_id, self->cancellable,
                                    show_image_cb, g_object_ref (self));
}

/* app.show-image (s): open the viewer on an image, for the Shell search
 * provider's ActivateResult. */
static void
show_image_action (GSimpleAction *action,
                   GVariant      *param,
                   gpointer       user_data)
{
  TesseraApplication *self = user_data;

  g_free (self->pending_image_id);
  self->pending_image_id = g_variant_dup_string (param, NULL);
  tessera_application_activate (G_APPLICATION (self));
  run_pending (self);
}

/* app.search (as): the gallery filtered by what was typed in the Shell. */
static void
search_action (GSimpleAction *action,
               GVariant      *param,
               gpointer       user_data)
{
  TesseraApplication *self = user_data;

  g_strfreev (self->pending_search);
  self->pending_search = g_variant_dup_strv (param, NULL);
  tessera_application_activate (G_APPLICATION (self));
  run_pending (self);
}

static const GActionEntry app_actions[] = {
  { "about", about_action },
  { "quit", quit_action },
  { "show-image", show_image_action, "s" },
  { "search", search_action, "as" },
};

static void
tessera_application_startup (GApplication *app)
{
  TesseraApplication *self = TESSERA_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *open_accels[] = { "<Control>o", NULL };
  static const char *search_accels[] = { "<Control>f", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };
  static const char *reload_accels[] = { "<Control>r", NULL };
  g_autofree char *server_dir = NULL;

  G_APPLICATION_CLASS (tessera_application_parent_class)->startup (app);

  self->settings = g_settings_new (APP_ID);
  self->cancellable = g_cancellable_new ();
  self->account = tessera_account_new ();
  server_dir = g_build_filename (g_get_user_data_dir (), "tessera", "server", NULL);
  self->local_server = tessera_local_server_new (server_dir);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.upload", open_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.search", search_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.reload", reload_accels);
}

static void
tessera_application_shutdown (GApplication *app)
{
  TesseraApplication *self = TESSERA_APPLICATION (app);

  g_cancellable_cancel (self->cancellable);
  /* Stops the bundled server unless another client still uses it. */
  if (self->local_server != NULL)
    tessera_local_server_stop (self->local_server);

  G_APPLICATION_CLASS (tessera_application_parent_class)->shutdown (app);
}

static void
tessera_application_dispose (GObject *object)
{
  TesseraApplication *self = TESSERA_APPLICATION (object);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->account);
  g_clear_object (&self->local_server);
  g_clear_object (&self->settings);
  g_clear_object (&self->search_provider);
  g_clear_pointer (&self->pending_image_id, g_free);
  g_clear_pointer (&self->pending_search, g_strfreev);

  G_OBJECT_CLASS (tessera_application_parent_class)->dispose (object);
}

static gboolean
tessera_application_dbus_register (GApplication     *app,
                                   GDBusConnection  *connection,
                                   const char       *object_path,
                                   GError          **error)
{
  TesseraApplication *self = TESSERA_APPLICATION (app);
  g_autofree char *path = NULL;

  if (!G_APPLICATION_CLASS (tessera_application_parent_class)->dbus_register (app, connection,
                                                                              object_path, error))
    return FALSE;

  /* Started by D-Bus (--gapplication-service, e.g. for a Shell search):
   * exit once idle this long. */
  if (g_application_get_flags (app) & G_APPLICATION_IS_SERVICE)
    g_application_set_inactivity_timeout (app, 10000);

  g_clear_object (&self->search_provider);
  self->search_provider = tessera_search_provider_new (app);
  path = g_strconcat (object_path, "/SearchProvider", NULL);

  return tessera_search_provider_register (self->search_provider, connection, path, error);
}

static void
tessera_application_dbus_unregister (GApplication    *app,
                                     GDBusConnection *connection,
                                     const char      *object_path)
{
  TesseraApplication *self = TESSERA_APPLICATION (app);

  if (self->search_provider != NULL)
    tessera_search_provider_unregister (self->search_provider);

  G_APPLICATION_CLASS (tessera_application_parent_class)->dbus_unregister (app, connection,
                                                                           object_path);
}

static void
tessera_application_class_init (TesseraApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = tessera_application_dispose;

  app_class->activate = tessera_application_activate;
  app_class->open = tessera_application_open;
  app_class->startup = tessera_application_startup;
  app_class->shutdown = tessera_application_shutdown;
  app_class->dbus_register = tessera_application_dbus_register;
  app_class->dbus_unregister = tessera_application_dbus_unregister;
}

static void
tessera_application_init (TesseraApplication *self)
{
}
