/* tessera-signin-dialog.c
 *
 * First run: where the images are kept ("This computer" starts the bundled
 * server; "A server" takes a URL, checked as it is typed), then sign in or
 * create an account, with errors inline and a spinner while waiting. On
 * success it emits ::signed-in with a client that holds the session.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-signin-dialog"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "tessera-signin-dialog.h"

#define MIN_PASSWORD_LENGTH 8

struct _TesseraSigninDialog
{
  AdwWindow             parent_instance;

  TesseraLocalServer   *local_server;
  TesseraClient        *client;
  GCancellable         *cancellable;
  char                 *password;
  gboolean              create_account;
  gboolean              busy;

  /* Template children */
  GtkCheckButton       *local_check;
  GtkCheckButton       *remote_check;
  AdwEntryRow          *url_row;
  AdwEntryRow          *username_row;
  AdwEntryRow          *password_row;
  GtkRevealer          *error_revealer;
  GtkLabel             *error_label;
  GtkButton            *create_button;
  GtkButton            *signin_button;
  GtkSpinner           *spinner;
};

G_DEFINE_FINAL_TYPE (TesseraSigninDialog, tessera_signin_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

enum {
  SIGNED_IN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
url_is_valid (const char *text)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  if (text == NULL || *text == '\0')
    return FALSE;

  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return FALSE;

  scheme = g_uri_get_scheme (uri);
  return (g_strcmp0 (scheme, "http") == 0 || g_strcmp0 (scheme, "https") == 0) &&
         g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0';
}

static void
show_error (TesseraSigninDialog *self,
            const char          *message)
{
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_revealer_set_reveal_child (self->error_revealer, message != NULL);
}

static void
update_sensitivity (TesseraSigninDialog *self)
{
  gboolean remote = gtk_check_button_get_active (self->remote_check);
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->url_row));
  gboolean url_ok = !remote || url_is_valid (url);
  gboolean complete;

  if (remote && *url != '\0' && !url_ok)
    gtk_widget_add_css_class (GTK_WIDGET (self->url_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->url_row), "error");

  complete = url_ok &&
             *gtk_editable_get_text (GTK_EDITABLE (self->username_row)) != '\0' &&
             *gtk_editable_get_text (GTK_EDITABLE (self->password_row)) != '\0';

  gtk_widget_set_sensitive (GTK_WIDGET (self->signin_button), complete && !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->create_button), complete && !self->busy);
}

static void
set_busy (TesseraSigninDialog *self,
          gboolean             busy)
{
  if (self->busy == busy)
    return;

  self->busy = busy;
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->url_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->username_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), !busy);
  update_sensitivity (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
clear_password (TesseraSigninDialog *self)
{
  if (self->password != NULL)
    {
      memset (self->password, 0, strlen (self->password));
      g_clear_pointer (&self->password, g_free);
    }
}

static char *
describe_error (TesseraSigninDialog *self,
                const GError        *error)
{
  if (error->domain != TESSERA_CLIENT_ERROR)
    return g_strdup (error->message);

  switch ((TesseraClientError) error->code)
    {
    case TESSERA_CLIENT_ERROR_UNAUTHORIZED:
      return g_strdup (_("Wrong username or password"));
    case TESSERA_CLIENT_ERROR_CONFLICT:
      return g_strdup (_("This username is taken. Choose another, or sign in."));
    case TESSERA_CLIENT_ERROR_OFFLINE:
      return g_strdup_printf (_("Cannot reach the server at %s"),
                              tessera_client_get_server_url (self->client));
    case TESSERA_CLIENT_ERROR_RATE_LIMITED:
      {
        guint seconds = MAX (1, tessera_client_error_get_retry_after (error));
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Too many attempts. Try again in %u second.",
                                             "Too many attempts. Try again in %u seconds.",
                                             seconds),
                                seconds);
      }
    case TESSERA_CLIENT_ERROR_FORBIDDEN:
    case TESSERA_CLIENT_ERROR_NOT_FOUND:
    case TESSERA_CLIENT_ERROR_TOO_LARGE:
    case TESSERA_CLIENT_ERROR_UNSUPPORTED:
    case TESSERA_CLIENT_ERROR_INVALID:
    case TESSERA_CLIENT_ERROR_SERVER:
    case TESSERA_CLIENT_ERROR_CANCELLED:
    case TESSERA_CLIENT_ERROR_LOCAL:
    default:
      return g_strdup (error->message);
    }
}

static void
fail (TesseraSigninDialog *self,
      const GError        *error)
{
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      g_error_matches (error, TESSERA_CLIENT_ERROR, TESSERA_CLIENT_ERROR_CANCELLED))
    return;

  message = describe_error (self, error);
  clear_password (self);
  set_busy (self, FALSE);
  show_error (self, message);
}

static void
sign_in_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TesseraSigninDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_client_sign_in_finish (TESSERA_CLIENT (object), result, &error))
    {
      fail (self, error);
      return;
    }

  clear_password (self);
  set_busy (self, FALSE);
  g_signal_emit (self, signals[SIGNED_IN], 0, self->client,
                 gtk_check_button_get_active (self->local_check));
}

static void
sign_in (TesseraSigninDialog *self)
{
  tessera_client_sign_in_async (self->client,
                                gtk_editable_get_text (GTK_EDITABLE (self->username_row)),
                                self->password,
                                self->cancellable,
                                sign_in_cb,
                                g_object_ref (self));
}

static void
sign_up_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TesseraSigninDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!tessera_client_sign_up_finish (TESSERA_CLIENT (object), result, &error))
    {
      fail (self, error);
      return;
    }

  sign_in (self);
}

static void
start_with_url (TesseraSigninDialog *self,
                const char          *url)
{
  g_clear_object (&self->client);
  self->client = tessera_client_new (url);

  if (self->create_account)
    tessera_client_sign_up_async (self->client,
                                  gtk_editable_get_text (GTK_EDITABLE (self->username_row)),
                                  self->password,
                                  self->cancellable,
                                  sign_up_cb,
                                  g_object_ref (self));
  else
    sign_in (self);
}

static void
local_server_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TesseraSigninDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  url = tessera_local_server_start_finish (TESSERA_LOCAL_SERVER (object), result, &error);
  if (url == NULL)
    {
      fail (self, error);
      return;
    }

  start_with_url (self, url);
}

/**
 * tessera_signin_dialog_submit:
 * @password: the password, copied and wiped after use
 * @create_account: create the account first
 *
 * What the buttons do; tests call it directly.
 */
void
tessera_signin_dialog_submit (TesseraSigninDialog *self,
                              const char          *password,
                              gboolean             create_account)
{
  g_return_if_fail (TESSERA_IS_SIGNIN_DIALOG (self));
  g_return_if_fail (password != NULL);

  if (self->busy)
    return;

  show_error (self, NULL);

  if (*gtk_editable_get_text (GTK_EDITABLE (self->username_row)) == '\0')
    {
      show_error (self, _("Enter a username"));
      return;
    }

  if (create_account && g_utf8_strlen (password, -1) < MIN_PASSWORD_LENGTH)
    {
      g_autofree char *message =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                      "The password is too short: use at least %d character",
                                      "The password is too short: use at least %d characters",
                                      MIN_PASSWORD_LENGTH),
                         MIN_PASSWORD_LENGTH);
      show_error (self, message);
      return;
    }

  clear_password (self);
  self->password = g_strdup (password);
  self->create_account = create_account;
  set_busy (self, TRUE);

  if (gtk_check_button_get_active (self->local_check))
    {
      tessera_local_server_start_async (self->local_server, self->cancellable,
                                        local_server_cb, g_object_ref (self));
    }
  else
    {
      const char *url = gtk_editable_get_text (GTK_EDITABLE (self->url_row));

      if (!url_is_valid (url))
        {
          clear_password (self);
          set_busy (self, FALSE);
          show_error (self, _("Enter a server address such as https://tessera.example.com"));
          return;
        }
      start_with_url (self, url);
    }
}

static void
on_signin_clicked (TesseraSigninDialog *self)
{
  tessera_signin_dialog_submit (self, gtk_editable_get_text (GTK_EDITABLE (self->password_row)), FALSE);
}

static void
on_create_clicked (TesseraSigninDialog *self)
{
  tessera_signin_dialog_submit (self, gtk_editable_get_text (GTK_EDITABLE (self->password_row)), TRUE);
}

static void
on_entry_activated (TesseraSigninDialog *self)
{
  if (gtk_widget_get_sensitive (GTK_WIDGET (self->signin_button)))
    on_signin_clicked (self);
}

static void
on_input_changed (TesseraSigninDialog *self)
{
  show_error (self, NULL);
  update_sensitivity (self);
}

static void
on_mode_changed (TesseraSigninDialog *self)
{
  update_sensitivity (self);
}

void
tessera_signin_dialog_set_remote (TesseraSigninDialog *self,
                                  const char          *url)
{
  g_return_if_fail (TESSERA_IS_SIGNIN_DIALOG (self));

  gtk_check_button_set_active (self->remote_check, url != NULL);
  gtk_check_button_set_active (self->local_check, url == NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->url_row), url ? url : "");
}

void
tessera_signin_dialog_set_username (TesseraSigninDialog *self,
                                    const char          *username)
{
  g_return_if_fail (TESSERA_IS_SIGNIN_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->username_row), username ? username : "");
}

const char *
tessera_signin_dialog_get_error (TesseraSigninDialog *self)
{
  g_return_val_if_fail (TESSERA_IS_SIGNIN_DIALOG (self), NULL);

  if (!gtk_revealer_get_reveal_child (self->error_revealer))
    return NULL;

  return gtk_label_get_label (self->error_label);
}

gboolean
tessera_signin_dialog_get_busy (TesseraSigninDialog *self)
{
  g_return_val_if_fail (TESSERA_IS_SIGNIN_DIALOG (self), FALSE);

  return self->busy;
}

static void
tessera_signin_dialog_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  TesseraSigninDialog *self = TESSERA_SIGNIN_DIALOG (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
tessera_signin_dialog_dispose (GObject *object)
{
  TesseraSigninDialog *self = TESSERA_SIGNIN_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  clear_password (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), TESSERA_TYPE_SIGNIN_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);
  g_clear_object (&self->local_server);

  G_OBJECT_CLASS (tessera_signin_dialog_parent_class)->dispose (object);
}

static void
tessera_signin_dialog_class_init (TesseraSigninDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = tessera_signin_dialog_dispose;
  object_class->get_property = tessera_signin_dialog_get_property;

  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TesseraSigninDialog::signed-in:
   * @client: the client, signed in
   * @local: whether the images are kept on this computer
   */
  signals[SIGNED_IN] =
    g_signal_new ("signed-in",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, TESSERA_TYPE_CLIENT, G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tessera/Tessera/tessera-signin-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, TesseraSigninDialog, local_check);
  gtk_widget_class_bind_template_child (widget_class, TesseraSigninDialog, remote_check);
  gtk_widget_class_bind_template_child (widget_class, TesseraSigninDialog, url_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraSigninDialog, username_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraSigninDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, TesseraSigninDialog, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, TesseraSigninDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, TesseraSigninDialog, create_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraSigninDialog, signin_button);
  gtk_widget_class_bind_template_child (widget_class, TesseraSigninDialog, spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_signin_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_create_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_input_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_mode_changed);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
tessera_signin_dialog_init (TesseraSigninDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  update_sensitivity (self);
}

TesseraSigninDialog *
tessera_signin_dialog_new (GtkWindow          *parent,
                           TesseraLocalServer *local_server)
{
  TesseraSigninDialog *self;

  g_return_val_if_fail (!parent || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (TESSERA_IS_LOCAL_SERVER (local_server), NULL);

  self = g_object_new (TESSERA_TYPE_SIGNIN_DIALOG,
                       "transient-for", parent,
                       NULL);
  self->local_server = g_object_ref (local_server);

  return self;
}
