/* tessera-local-server.c
 *
 * The app runs tessera-server itself when the images are kept on this
 * computer. A server already running on the same data directory (started
 * by another Tessera process) is reused rather than started twice, and one
 * this process started is stopped on quit unless another client still
 * registered under DATA_DIR/clients/ uses it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-local-server"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "tessera-local-server.h"

#define START_TIMEOUT_SECONDS 20

struct _TesseraLocalServer
{
  GObject      parent_instance;

  char        *data_dir;
  char        *url;
  char        *state_path;    /* DATA_DIR/server.ini: pid and url of the running server */
  char        *client_path;   /* DATA_DIR/clients/<our pid> */
  GSubprocess *process;       /* NULL when we reuse another's server */
};

G_DEFINE_FINAL_TYPE (TesseraLocalServer, tessera_local_server, G_TYPE_OBJECT)

/**
 * tessera_local_server_find_binary:
 *
 * Returns: (transfer full): the path of tessera-server: $TESSERA_SERVER
 *   when set (tests, running from the build directory), else the installed one
 */
char *
tessera_local_server_find_binary (void)
{
  const char *env = g_getenv ("TESSERA_SERVER");

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  return g_build_filename (BINDIR, "tessera-server", NULL);
}

static gboolean
pid_is_alive (GPid pid)
{
  return pid > 0 && (kill (pid, 0) == 0 || errno == EPERM);
}

/* A server left by another process of ours: reuse it if it still runs. */
static char *
find_running_server (TesseraLocalServer *self)
{
  g_autoptr(GKeyFile) state = g_key_file_new ();
  g_autofree char *url = NULL;
  gint64 pid;

  if (!g_key_file_load_from_file (state, self->state_path, G_KEY_FILE_NONE, NULL))
    return NULL;

  pid = g_key_file_get_int64 (state, "server", "pid", NULL);
  url = g_key_file_get_string (state, "server", "url", NULL);
  if (url == NULL || !pid_is_alive ((GPid) pid))
    return NULL;

  return g_steal_pointer (&url);
}

static void
register_client (TesseraLocalServer *self)
{
  g_autofree char *dir = g_build_filename (self->data_dir, "clients", NULL);

  g_mkdir_with_parents (dir, 0700);
  self->client_path = g_strdup_printf ("%s/%d", dir, (int) getpid ());
  g_file_set_contents (self->client_path, "", 0, NULL);
}

static gboolean
other_clients_alive (TesseraLocalServer *self)
{
  g_autofree char *dir_path = g_build_filename (self->data_dir, "clients", NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;
  gboolean alive = FALSE;

  if (dir == NULL)
    return FALSE;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      gint64 pid = g_ascii_strtoll (name, NULL, 10);
      g_autofree char *path = g_build_filename (dir_path, name, NULL);

      if (pid == getpid ())
        continue;
      if (pid_is_alive ((GPid) pid))
        alive = TRUE;
      else
        g_unlink (path);
    }

  return alive;
}

const char *
tessera_local_server_get_url (TesseraLocalServer *self)
{
  g_return_val_if_fail (TESSERA_IS_LOCAL_SERVER (self), NULL);

  return self->url;
}

static void
save_state (TesseraLocalServer *self)
{
  g_autoptr(GKeyFile) state = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  const char *pid = g_subprocess_get_identifier (self->process);

  g_key_file_set_string (state, "server", "pid", pid ? pid : "0");
  g_key_file_set_string (state, "server", "url", self->url);
  if (!g_key_file_save_to_file (state, self->state_path, &error))
    g_warning ("Could not record the server's address: %s", error->message);
}

static void
read_url_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GDataInputStream *stream = G_DATA_INPUT_STREAM (object);
  g_autoptr(GTask) task = user_data;
  TesseraLocalServer *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (stream, result, NULL, &error);
  if (line == NULL)
    {
      if (self->process != NULL)
        g_subprocess_force_exit (self->process);
      g_clear_object (&self->process);
      if (error != NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                                 _("The image server on this computer could not start"));
      return;
    }

  g_strstrip (line);
  if (!g_str_has_prefix (line, "http://") && !g_str_has_prefix (line, "https://"))
    {
      g_subprocess_force_exit (self->process);
      g_clear_object (&self->process);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("The image server on this computer could not start"));
      return;
    }

  g_free (self->url);
  self->url = g_steal_pointer (&line);
  save_state (self);
  register_client (self);
  g_debug ("Started tessera-server at %s", self->url);

  g_task_return_pointer (task, g_strdup (self->url), g_free);
}

void
tessera_local_server_start_async (TesseraLocalServer  *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) stdout_stream = NULL;
  g_autofree char *binary = NULL;
  g_autofree char *running = NULL;

  g_return_if_fail (TESSERA_IS_LOCAL_SERVER (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, tessera_local_server_start_async);

  if (self->url != NULL)
    {
      g_task_return_pointer (task, g_strdup (self->url), g_free);
      return;
    }

  if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
    {
      int saved_errno = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               _("Could not create %s: %s"), self->data_dir,
                               g_strerror (saved_errno));
      return;
    }

  if ((running = find_running_server (self)) != NULL)
    {
      self->url = g_steal_pointer (&running);
      register_client (self);
      g_task_return_pointer (task, g_strdup (self->url), g_free);
      return;
    }

  binary = tessera_local_server_find_binary ();
  self->process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                    binary,
                                    "--data-dir", self->data_dir,
                                    "--listen", "127.0.0.1:0",
                                    NULL);
  if (self->process == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("Could not start the image server on this computer: %s"),
                               error->message);
      return;
    }

  stdout_stream = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  g_data_input_stream_read_line_async (stdout_stream, G_PRIORITY_DEFAULT, cancellable,
                                       read_url_cb, g_steal_pointer (&task));
}

/**
 * tessera_local_server_start_finish:
 *
 * Returns: (transfer full): the server's URL
 */
char *
tessera_local_server_start_finish (TesseraLocalServer  *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  g_return_val_if_fail (TESSERA_IS_LOCAL_SERVER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * tessera_local_server_stop:
 *
 * Stops the server if this process started it and no other client uses
 * it; otherwise only unregisters this process.
 */
void
tessera_local_server_stop (TesseraLocalServer *self)
{
  g_return_if_fail (TESSERA_IS_LOCAL_SERVER (self));

  if (self->client_path != NULL)
    {
      g_unlink (self->client_path);
      g_clear_pointer (&self->client_path, g_free);
    }

  if (self->process == NULL)
    return;

  if (other_clients_alive (self))
    {
      g_debug ("Leaving tessera-server running for other clients");
      g_clear_object (&self->process);
      return;
    }

  /* SIGTERM is the server's graceful shutdown: it finishes what is in flight. */
  g_subprocess_send_signal (self->process, SIGTERM);
  g_subprocess_wait (self->process, NULL, NULL);
  g_unlink (self->state_path);
  g_clear_object (&self->process);
  g_clear_pointer (&self->url, g_free);
}

static void
tessera_local_server_dispose (GObject *object)
{
  TesseraLocalServer *self = TESSERA_LOCAL_SERVER (object);

  tessera_local_server_stop (self);

  G_OBJECT_CLASS (tessera_local_server_parent_class)->dispose (object);
}

static void
tessera_local_server_finalize (GObject *object)
{
  TesseraLocalServer *self = TESSERA_LOCAL_SERVER (object);

  g_free (self->data_dir);
  g_free (self->url);
  g_free (self->state_path);
  g_free (self->client_path);

  G_OBJECT_CLASS (tessera_local_server_parent_class)->finalize (object);
}

static void
tessera_local_server_class_init (TesseraLocalServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_local_server_dispose;
  object_class->finalize = tessera_local_server_finalize;
}

static void
tessera_local_server_init (TesseraLocalServer *self)
{
}

/**
 * tessera_local_server_new:
 * @data_dir: where the server keeps its data
 */
TesseraLocalServer *
tessera_local_server_new (const char *data_dir)
{
  TesseraLocalServer *self;

  g_return_val_if_fail (data_dir != NULL, NULL);

  self = g_object_new (TESSERA_TYPE_LOCAL_SERVER, NULL);
  self->data_dir = g_strdup (data_dir);
  self->state_path = g_build_filename (data_dir, "server.ini", NULL);

  return self;
}
