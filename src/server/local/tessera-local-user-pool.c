/* tessera-local-user-pool.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "tessera-local-user-pool"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "tessera-error.h"
#include "tessera-local-user-pool.h"
#include "tessera-rate-limiter.h"
#include "tessera-util.h"

#define KEY_BITS              2048
#define KEY_FILE_MAX          (64 * 1024)
#define TOKEN_MAX             8192
#define REFRESH_TOKEN_BYTES   32
#define REFRESH_TOKEN_CHARS   43  /* base64url, unpadded */
#define USERNAME_MAX_CHARS    128
#define PASSWORD_MIN_CHARS    8
#define PASSWORD_MAX_BYTES    256
/* Our own clock issues the tokens, so only a little skew is allowed. */
#define CLOCK_SKEW            60

#define SIGN_IN_FAILED        "Incorrect username or password"

struct _TesseraLocalUserPool
{
  GObject                       parent_instance;

  TesseraLocalDb               *db;
  TesseraLocalUserPoolSettings  settings;

  /* Immutable after construction, so any thread reads them unlocked. */
  char                         *private_pem;
  gsize                         private_pem_len;
  char                         *public_pem;
  gsize                         public_pem_len;
  char                         *kid;
  char                         *jwks;
  /* Verified against when the name is unknown, so that a wrong name costs
   * as long as a wrong password. */
  char                         *dummy_hash;

  TesseraRateLimiter           *user_failures;
  TesseraRateLimiter           *address_failures;

  /* ID tokens whose signature verified, exactly as sent: a client sends
   * the same token with every request for an hour, and libjwt parses our
   * PEM key again for every verification. The claims are still checked
   * on every use (expiry included). Bounded: emptied when full. */
  GMutex                        verified_lock;
  GHashTable                   *verified;
};

#define VERIFIED_MAX 256

/* Argon2id (t=2, m=64 MiB: libsodium's "interactive" limits, as
 * hash_password() uses) of a random password nobody kept. */
#define DUMMY_HASH \
  "$argon2id$v=19$m=65536,t=2,p=1$bB7zlhHmHaIv9eNiS/haYw$" \
  "C9hClqSQa9bcemvIwrlbhZTbGCiiSTVc49jBpXzABzA"

static void user_pool_iface_init (TesseraUserPoolInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TesseraLocalUserPool, tessera_local_user_pool, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (TESSERA_TYPE_USER_POOL, user_pool_iface_init))

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (jwt_t, jwt_free)

/* Settings */

void
tessera_local_user_pool_settings_init_defaults (TesseraLocalUserPoolSettings *settings)
{
  g_return_if_fail (settings != NULL);

  settings->id_token_lifetime = 3600;
  settings->refresh_token_lifetime = 30 * 24 * 3600;
  settings->max_failures = 5;
  settings->max_failures_per_address = 20;
  settings->failure_window = 300;
  settings->issuer = g_strdup ("http://localhost");
  settings->client_id = g_strdup ("tessera");
}

/* Frees the strings of @settings (not @settings itself). */
void
tessera_local_user_pool_settings_clear (TesseraLocalUserPoolSettings *settings)
{
  g_return_if_fail (settings != NULL);

  g_clear_pointer (&settings->issuer, g_free);
  g_clear_pointer (&settings->client_id, g_free);
}

/* Small helpers */

static void
secret_free (char  *secret,
             gsize  length)
{
  if (secret == NULL)
    return;
  sodium_memzero (secret, length);
  g_free (secret);
}

static void
set_crypto_error (GError     **error,
                  const char  *what)
{
  g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL, "%s", what);
}

static char *
bio_dup_contents (BIO   *bio,
                  gsize *length)
{
  char *data = NULL;
  long n = BIO_get_mem_data (bio, &data);
  char *copy;

  if (n <= 0)
    return NULL;

  copy = g_malloc (n + 1);
  memcpy (copy, data, n);
  copy[n] = '\0';
  *length = n;

  return copy;
}

static char *
bn_to_base64url (const BIGNUM *bn)
{
  int n = BN_num_bytes (bn);
  g_autofree guint8 *bytes = g_malloc (MAX (n, 1));

  BN_bn2bin (bn, bytes);
  return tessera_base64url_encode (bytes, n);
}

/* The key */

/* Reads the PEM at @path, refusing a key others could read: whoever reads it
 * can sign in as anyone. Sets ENOENT as G_FILE_ERROR_NOENT. */
static char *
read_key_file (const char  *path,
               gsize       *length,
               GError     **error)
{
  g_autofree char *data = NULL;
  struct stat st;
  gsize n = 0;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot open the signing key %s: %s", path, g_strerror (saved_errno));
      return NULL;
    }

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > KEY_FILE_MAX)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL,
                   "The signing key %s is not a key file", path);
      close (fd);
      return NULL;
    }
  if ((st.st_mode & 077) != 0)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL,
                   "The signing key %s can be read by others; make it mode 0600",
                   path);
      close (fd);
      return NULL;
    }

  data = g_malloc (st.st_size + 1);
  while (n < (gsize) st.st_size)
    {
      gssize r = read (fd, data + n, st.st_size - n);

      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      n += r;
    }
  close (fd);
  data[n] = '\0';

  if (n != (gsize) st.st_size)
    {
      sodium_memzero (data, n);
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL,
                   "Cannot read the signing key %s", path);
      return NULL;
    }

  *length = n;
  return g_steal_pointer (&data);
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        length)
{
  while (length > 0)
    {
      gssize w = write (fd, data, length);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return FALSE;
      data += w;
      length -= w;
    }

  return TRUE;
}

/* Creates a new key at @path. The PEM goes into a temporary file created
 * 0600 with O_EXCL (never readable by others, not even for a moment), is
 * synced, and is then hard-linked into place, so that a concurrent start
 * never reads half a key: whoever links first wins, the other loads it. */
static gboolean
create_key_file (const char  *path,
                 GError     **error)
{
  g_autoptr(EVP_PKEY) pkey = NULL;
  g_autoptr(BIO) bio = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *tmp = g_strdup_printf ("%s.XXXXXX", path);
  char *pem = NULL;
  long pem_len;
  gboolean written;
  gboolean linked;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot create %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  pkey = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) KEY_BITS);
  bio = BIO_new (BIO_s_secmem ());
  if (pkey == NULL || bio == NULL
      || !PEM_write_bio_PrivateKey (bio, pkey, NULL, NULL, 0, NULL, NULL))
    {
      set_crypto_error (error, "Cannot generate a signing key");
      return FALSE;
    }
  pem_len = BIO_get_mem_data (bio, &pem);

  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot create the signing key in %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  written = pem_len > 0 && write_all (fd, pem, pem_len) && fsync (fd) == 0;
  close (fd);

  if (!written)
    {
      int saved_errno = errno;

      g_unlink (tmp);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot write the signing key %s: %s", tmp, g_strerror (saved_errno));
      return FALSE;
    }

  linked = link (tmp, path) == 0;
  if (!linked && errno != EEXIST)
    {
      int saved_errno = errno;

      g_unlink (tmp);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot create the signing key %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  g_unlink (tmp);

  if (!linked)
    return TRUE;

  /* Make the new name durable too. */
  fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }

  g_message ("Created a new token signing key at %s", path);

  return TRUE;
}

static gboolean
load_key (TesseraLocalUserPool  *self,
          const char            *path,
          GError               **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;
  g_autoptr(BIO) in = NULL;
  g_autoptr(BIO) out = NULL;
  g_autoptr(BIGNUM) n = NULL;
  g_autoptr(BIGNUM) e = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *n_b64 = NULL;
  g_autofree char *e_b64 = NULL;
  unsigned char *der = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  GChecksum *checksum;
  int der_len;

  self->private_pem = read_key_file (path, &self->private_pem_len, &local_error);
  if (self->private_pem == NULL
      && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_clear_error (&local_error);
      if (!create_key_file (path, error))
        return FALSE;
      self->private_pem = read_key_file (path, &self->private_pem_len, &local_error);
    }
  if (self->private_pem == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  in = BIO_new_mem_buf (self->private_pem, self->private_pem_len);
  if (in != NULL)
    pkey = PEM_read_bio_PrivateKey (in, NULL, NULL, NULL);
  if (pkey == NULL || !EVP_PKEY_is_a (pkey, "RSA") || EVP_PKEY_get_bits (pkey) < KEY_BITS)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INTERNAL,
                   "The signing key %s is not an RSA key of at least %d bits",
                   path, KEY_BITS);
      return FALSE;
    }

  out = BIO_new (BIO_s_mem ());
  if (out == NULL || !PEM_write_bio_PUBKEY (out, pkey))
    {
      set_crypto_error (error, "Cannot export the public key");
      return FALSE;
    }
  self->public_pem = bio_dup_contents (out, &self->public_pem_len);

  /* The kid names the key by its content, so a new key gets a new kid and
   * a verifier holding an old JWKS can tell. */
  der_len = i2d_PUBKEY (pkey, &der);
  if (der_len <= 0)
    {
      set_crypto_error (error, "Cannot export the public key");
      return FALSE;
    }
  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, der, der_len);
  g_checksum_get_digest (checksum, digest, &digest_len);
  g_checksum_free (checksum);
  OPENSSL_free (der);
  self->kid = tessera_base64url_encode (digest, 16);

  if (!EVP_PKEY_get_bn_param (pkey, OSSL_PKEY_PARAM_RSA_N, &n)
      || !EVP_PKEY_get_bn_param (pkey, OSSL_PKEY_PARAM_RSA_E, &e))
    {
      set_crypto_error (error, "Cannot read the public key");
      return FALSE;
    }
  n_b64 = bn_to_base64url (n);
  e_b64 = bn_to_base64url (e);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "keys");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kty");
  json_builder_add_string_value (builder, "RSA");
  json_builder_set_member_name (builder, "alg");
  json_builder_add_string_value (builder, "RS256");
  json_builder_set_member_name (builder, "use");
  json_builder_add_string_value (builder, "sig");
  json_builder_set_member_name (builder, "kid");
  json_builder_add_string_value (builder, self->kid);
  json_builder_set_member_name (builder, "n");
  json_builder_add_string_value (builder, n_b64);
  json_builder_set_member_name (builder, "e");
  json_builder_add_string_value (builder, e_b64);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  generator = json_generator_new ();
  json_generator_set_root (generator, root);
  self->jwks = json_generator_to_data (generator, NULL);

  return TRUE;
}

/* Names and passwords */

/* Returns the form a name is stored and compared in: case-folded (Cognito's
 * names are case-insensitive) and composed, or %NULL with
 * %TESSERA_ERROR_INVALID saying what is wrong with @raw. */
static char *
fold_username (const char  *raw,
               GError     **error)
{
  g_autofree char *nfc = NULL;
  g_autofree char *folded = NULL;
  glong n_chars;

  if (!g_utf8_validate (raw, -1, NULL))
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "The username must be UTF-8 text");
      return NULL;
    }

  n_chars = g_utf8_strlen (raw, -1);
  if (n_chars < 1 || n_chars > USERNAME_MAX_CHARS)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "The username must have 1 to %d characters", USERNAME_MAX_CHARS);
      return NULL;
    }

  for (const char *p = raw; *p; p = g_utf8_next_char (p))
    {
      GUnicodeType type = g_unichar_type (g_utf8_get_char (p));

      /* Invisible characters would let two names look the same. */
      if (type == G_UNICODE_CONTROL || type == G_UNICODE_FORMAT
          || type == G_UNICODE_UNASSIGNED || type == G_UNICODE_PRIVATE_USE
          || type == G_UNICODE_SURROGATE)
        {
          g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                               "The username cannot contain control or invisible characters");
          return NULL;
        }
    }

  if (g_unichar_isspace (g_utf8_get_char (raw))
      || g_unichar_isspace (g_utf8_get_char (g_utf8_prev_char (raw + strlen (raw)))))
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "The username cannot begin or end with white space");
      return NULL;
    }

  nfc = g_utf8_normalize (raw, -1, G_NORMALIZE_NFC);
  folded = g_utf8_casefold (nfc, -1);

  return g_utf8_normalize (folded, -1, G_NORMALIZE_NFC);
}

static gboolean
check_password (const char  *password,
                GError     **error)
{
  if (!g_utf8_validate (password, -1, NULL))
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "The password must be UTF-8 text");
      return FALSE;
    }
  if (g_utf8_strlen (password, -1) < PASSWORD_MIN_CHARS)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "The password must have at least %d characters", PASSWORD_MIN_CHARS);
      return FALSE;
    }
  if (strlen (password) > PASSWORD_MAX_BYTES)
    {
      g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                   "The password can have at most %d bytes", PASSWORD_MAX_BYTES);
      return FALSE;
    }

  return TRUE;
}

static char *
hash_password (const char  *password,
               GError     **error)
{
  char hash[crypto_pwhash_STRBYTES];

  if (crypto_pwhash_str_alg (hash, password, strlen (password),
                             crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE,
                             crypto_pwhash_ALG_ARGON2ID13) != 0)
    {
      /* Only when the memory limit cannot be allocated. */
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_UNAVAILABLE,
                           "The server is too busy, try again");
      return NULL;
    }

  return g_strdup (hash);
}

/* Database */

static gboolean
step_done (TesseraLocalConn  *conn,
           sqlite3_stmt      *stmt,
           GError           **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    tessera_local_conn_set_error (conn, error);
  sqlite3_reset (stmt);

  return rc == SQLITE_DONE;
}

static gboolean
insert_refresh_token (TesseraLocalConn  *conn,
                      const char        *token_hash,
                      const char        *sub,
                      gint64             created_at,
                      gint64             expires_at,
                      GError           **error)
{
  sqlite3_stmt *stmt;

  stmt = tessera_local_conn_prepare (conn,
                                     "INSERT INTO refresh_tokens (token_hash, sub, created_at, expires_at) "
                                     "VALUES (?, ?, ?, ?)",
                                     error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, token_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, sub, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, created_at);
  sqlite3_bind_int64 (stmt, 4, expires_at);

  return step_done (conn, stmt, error);
}

/* Tokens */

static char *
sign_id_token (TesseraLocalUserPool  *self,
               const char            *sub,
               const char            *username,
               gint64                 auth_time,
               GError               **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(jwt_t) jwt = NULL;
  g_autofree char *claims = NULL;
  g_autofree char *jti = tessera_id_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  char *encoded;
  char *token;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sub");
  json_builder_add_string_value (builder, sub);
  json_builder_set_member_name (builder, "cognito:username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "email_verified");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "token_use");
  json_builder_add_string_value (builder, "id");
  json_builder_set_member_name (builder, "aud");
  json_builder_add_string_value (builder, self->settings.client_id);
  json_builder_set_member_name (builder, "iss");
  json_builder_add_string_value (builder, self->settings.issuer);
  json_builder_set_member_name (builder, "auth_time");
  json_builder_add_int_value (builder, auth_time);
  json_builder_set_member_name (builder, "iat");
  json_builder_add_int_value (builder, now);
  json_builder_set_member_name (builder, "exp");
  json_builder_add_int_value (builder, now + self->settings.id_token_lifetime);
  json_builder_set_member_name (builder, "jti");
  json_builder_add_string_value (builder, jti);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  claims = json_generator_to_data (generator, NULL);

  if (jwt_new (&jwt) != 0
      || jwt_add_grants_json (jwt, claims) != 0
      || jwt_add_header (jwt, "kid", self->kid) != 0
      || jwt_set_alg (jwt, JWT_ALG_RS256,
                      (const unsigned char *) self->private_pem,
                      (int) self->private_pem_len) != 0
      || (encoded = jwt_encode_str (jwt)) == NULL)
    {
      set_crypto_error (error, "Cannot sign the token");
      return NULL;
    }

  /* libjwt allocates with malloc(); hand out GLib memory. */
  token = g_strdup (encoded);
  free (encoded);

  return token;
}

static TesseraTokens *
tokens_new (TesseraLocalUserPool *self,
            char                 *token,
            char                 *refresh_token)
{
  TesseraTokens *tokens = g_new0 (TesseraTokens, 1);

  tokens->token = token;
  tokens->refresh_token = refresh_token;
  tokens->expires_in = self->settings.id_token_lifetime;

  return tokens;
}

/* Issues an ID token and a new refresh token after a successful sign-in. */
static TesseraTokens *
issue_tokens (TesseraLocalUserPool  *self,
              const char            *sub,
              const char            *username,
              GError               **error)
{
  g_autoptr(TesseraLocalConn) conn = NULL;
  g_autofree char *token = NULL;
  g_autofree char *refresh_token = NULL;
  g_autofree char *refresh_hash = NULL;
  sqlite3_stmt *stmt;
  gint64 now = tessera_now_ms ();

  token = sign_id_token (self, sub, username, now / 1000, error);
  if (token == NULL)
    return NULL;

  refresh_token = tessera_random_token (REFRESH_TOKEN_BYTES);
  refresh_hash = tessera_sha256_hex (refresh_token, -1);

  conn = tessera_local_db_acquire (self->db);

  /* Every sign-in adds a row; expired ones go here, where they pile up. */
  stmt = tessera_local_conn_prepare (conn,
                                     "DELETE FROM refresh_tokens WHERE sub = ? AND expires_at <= ?",
                                     error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, sub, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, now);
  if (!step_done (conn, stmt, error))
    return NULL;

  if (!insert_refresh_token (conn, refresh_hash, sub, now,
                             now + self->settings.refresh_token_lifetime * 1000, error))
    return NULL;

  return tokens_new (self, g_steal_pointer (&token), g_steal_pointer (&refresh_token));
}

/* TesseraUserPool */

static gboolean
tessera_local_user_pool_sign_up (TesseraUserPool  *pool,
                                 const char       *username,
                                 const char       *password,
                                 GError          **error)
{
  TesseraLocalUserPool *self = TESSERA_LOCAL_USER_POOL (pool);
  g_autoptr(TesseraLocalConn) conn = NULL;
  g_autofree char *folded = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *sub = NULL;
  sqlite3_stmt *stmt;
  int rc;

  folded = fold_username (username, error);
  if (folded == NULL || !check_password (password, error))
    return FALSE;

  hash = hash_password (password, error);
  if (hash == NULL)
    return FALSE;

  sub = tessera_id_new ();

  conn = tessera_local_db_acquire (self->db);
  stmt = tessera_local_conn_prepare (conn,
                                     "INSERT INTO users (sub, username, password_hash, created_at) "
                                     "VALUES (?, ?, ?, ?)",
                                     error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, sub, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, folded, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, tessera_now_ms ());

  rc = sqlite3_step (stmt);
  /* sub is a fresh random UUID: a constraint can only be the name's. */
  if ((rc & 0xff) == SQLITE_CONSTRAINT)
    g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_CONFLICT, "User already exists");
  else if (rc != SQLITE_DONE)
    tessera_local_conn_set_error (conn, error);
  sqlite3_reset (stmt);

  if (rc == SQLITE_DONE)
    g_debug ("Signed up user %s", sub);

  return rc == SQLITE_DONE;
}

/* Looks up a user by the stored (folded) name; FALSE with no error when
 * there is none. */
static gboolean
lookup_user (TesseraLocalUserPool  *self,
             const char            *folded,
             char                 **sub,
             char                 **password_hash,
             GError               **error)
{
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (self->db);
  sqlite3_stmt *stmt;
  int rc;

  stmt = tessera_local_conn_prepare (conn,
                                     "SELECT sub, password_hash FROM users WHERE username = ?",
                                     error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, folded, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *sub = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      *password_hash = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
    }
  else if (rc != SQLITE_DONE)
    tessera_local_conn_set_error (conn, error);
  sqlite3_reset (stmt);

  return rc == SQLITE_ROW;
}

static TesseraTokens *
tessera_local_user_pool_initiate_auth (TesseraUserPool  *pool,
                                       const char       *username,
                                       const char       *password,
                                       const char       *source_ip,
                                       gint64           *retry_after,
                                       GError          **error)
{
  TesseraLocalUserPool *self = TESSERA_LOCAL_USER_POOL (pool);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *folded = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *password_hash = NULL;
  const char *user_key;
  gint64 now = g_get_monotonic_time ();
  gint64 wait_us = 0;
  gboolean found;
  gboolean ok;

  *retry_after = 0;

  /* A name that cannot exist still gets the full treatment below: the same
   * answer, the same time, and it counts as a failure. */
  folded = fold_username (username, NULL);
  user_key = folded != NULL ? folded : username;

  /* The attempt is counted before the password is checked, so that
   * concurrent guesses cannot slip past the limit together; a rate-limited
   * attempt never reaches the password. */
  if (!tessera_rate_limiter_acquire (self->user_failures, user_key, now, &wait_us))
    goto rate_limited;
  if (source_ip != NULL
      && !tessera_rate_limiter_acquire (self->address_failures, source_ip, now, &wait_us))
    {
      tessera_rate_limiter_release (self->user_failures, user_key, now);
      goto rate_limited;
    }

  found = folded != NULL && lookup_user (self, folded, &sub, &password_hash, &local_error);
  if (local_error != NULL)
    {
      tessera_rate_limiter_release (self->user_failures, user_key, now);
      if (source_ip != NULL)
        tessera_rate_limiter_release (self->address_failures, source_ip, now);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  ok = crypto_pwhash_str_verify (found ? password_hash : self->dummy_hash,
                                 password, strlen (password)) == 0;
  if (!found || !ok)
    {
      g_debug ("Sign-in failed%s%s", source_ip ? " from " : "", source_ip ? source_ip : "");
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED, SIGN_IN_FAILED);
      return NULL;
    }

  tessera_rate_limiter_reset (self->user_failures, user_key);
  if (source_ip != NULL)
    tessera_rate_limiter_release (self->address_failures, source_ip, now);

  g_debug ("Signed in user %s", sub);

  return issue_tokens (self, sub, folded, error);

rate_limited:
  *retry_after = MAX (1, (wait_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
  g_set_error (error, TESSERA_ERROR, TESSERA_ERROR_RATE_LIMITED,
               "Too many failed sign-in attempts, try again in %" G_GINT64_FORMAT " s",
               *retry_after);
  return NULL;
}

/* Checked before any hashing or database work on what a client sent. */
static gboolean
refresh_token_is_well_formed (const char *refresh_token)
{
  g_autofree guint8 *bytes = NULL;
  gsize length = 0;

  if (strlen (refresh_token) != REFRESH_TOKEN_CHARS)
    return FALSE;
  bytes = tessera_base64url_decode (refresh_token, &length);

  return bytes != NULL && length == REFRESH_TOKEN_BYTES;
}

static TesseraTokens *
tessera_local_user_pool_refresh (TesseraUserPool  *pool,
                                 const char       *refresh_token,
                                 GError          **error)
{
  TesseraLocalUserPool *self = TESSERA_LOCAL_USER_POOL (pool);
  g_autoptr(TesseraLocalConn) conn = NULL;
  g_autofree char *old_hash = NULL;
  g_autofree char *new_token = NULL;
  g_autofree char *new_hash = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *username = NULL;
  g_autofree char *token = NULL;
  sqlite3_stmt *stmt;
  gint64 now = tessera_now_ms ();
  gint64 created_at = 0;
  gint64 expires_at = 0;
  int rc;

  if (!refresh_token_is_well_formed (refresh_token))
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED,
                           "Invalid refresh token");
      return NULL;
    }

  old_hash = tessera_sha256_hex (refresh_token, -1);
  new_token = tessera_random_token (REFRESH_TOKEN_BYTES);
  new_hash = tessera_sha256_hex (new_token, -1);

  conn = tessera_local_db_acquire (self->db);
  if (!tessera_local_conn_begin (conn, error))
    return NULL;

  stmt = tessera_local_conn_prepare (conn,
                                     "SELECT r.sub, r.created_at, r.expires_at, u.username "
                                     "FROM refresh_tokens r JOIN users u ON u.sub = r.sub "
                                     "WHERE r.token_hash = ?",
                                     error);
  if (stmt == NULL)
    goto failed;
  sqlite3_bind_text (stmt, 1, old_hash, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      sub = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      created_at = sqlite3_column_int64 (stmt, 1);
      expires_at = sqlite3_column_int64 (stmt, 2);
      username = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
    }
  else if (rc != SQLITE_DONE)
    tessera_local_conn_set_error (conn, error);
  sqlite3_reset (stmt);

  if (rc == SQLITE_DONE)
    {
      tessera_local_conn_rollback (conn);
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED,
                           "Invalid refresh token");
      return NULL;
    }
  if (rc != SQLITE_ROW)
    goto failed;

  /* Used once, whatever happens next. */
  stmt = tessera_local_conn_prepare (conn, "DELETE FROM refresh_tokens WHERE token_hash = ?", error);
  if (stmt == NULL)
    goto failed;
  sqlite3_bind_text (stmt, 1, old_hash, -1, SQLITE_STATIC);
  if (!step_done (conn, stmt, error))
    goto failed;

  if (expires_at <= now)
    {
      if (!tessera_local_conn_commit (conn, error))
        goto failed;
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED,
                           "Refresh token expired");
      return NULL;
    }

  /* The new row keeps the session's sign-in time as created_at, which is
   * the ID token's auth_time, as Cognito's refreshed tokens keep it. */
  token = sign_id_token (self, sub, username, created_at / 1000, error);
  if (token == NULL
      || !insert_refresh_token (conn, new_hash, sub, created_at,
                                now + self->settings.refresh_token_lifetime * 1000, error)
      || !tessera_local_conn_commit (conn, error))
    goto failed;

  g_debug ("Refreshed the tokens of user %s", sub);

  return tokens_new (self, g_steal_pointer (&token), g_steal_pointer (&new_token));

failed:
  tessera_local_conn_rollback (conn);
  return NULL;
}

static gboolean
tessera_local_user_pool_revoke (TesseraUserPool  *pool,
                                const char       *sub,
                                const char       *refresh_token,
                                GError          **error)
{
  TesseraLocalUserPool *self = TESSERA_LOCAL_USER_POOL (pool);
  g_autoptr(TesseraLocalConn) conn = NULL;
  g_autofree char *hash = NULL;
  sqlite3_stmt *stmt;

  /* Revoking what is not a token, or not yours, succeeds and does nothing:
   * the answer must not tell which tokens exist. */
  if (!refresh_token_is_well_formed (refresh_token))
    return TRUE;

  hash = tessera_sha256_hex (refresh_token, -1);

  conn = tessera_local_db_acquire (self->db);
  stmt = tessera_local_conn_prepare (conn,
                                     "DELETE FROM refresh_tokens WHERE token_hash = ? AND sub = ?",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, sub, -1, SQLITE_STATIC);

  return step_done (conn, stmt, error);
}

static char *
tessera_local_user_pool_dup_jwks (TesseraUserPool  *pool,
                                  GError          **error)
{
  return g_strdup (TESSERA_LOCAL_USER_POOL (pool)->jwks);
}

static void
user_pool_iface_init (TesseraUserPoolInterface *iface)
{
  iface->sign_up = tessera_local_user_pool_sign_up;
  iface->initiate_auth = tessera_local_user_pool_initiate_auth;
  iface->refresh = tessera_local_user_pool_refresh;
  iface->revoke = tessera_local_user_pool_revoke;
  iface->dup_jwks = tessera_local_user_pool_dup_jwks;
}

/* GObject */

static void
tessera_local_user_pool_dispose (GObject *object)
{
  TesseraLocalUserPool *self = (TesseraLocalUserPool *) object;

  g_clear_object (&self->db);

  G_OBJECT_CLASS (tessera_local_user_pool_parent_class)->dispose (object);
}

static void
tessera_local_user_pool_finalize (GObject *object)
{
  TesseraLocalUserPool *self = (TesseraLocalUserPool *) object;

  secret_free (self->private_pem, self->private_pem_len);
  g_clear_pointer (&self->public_pem, g_free);
  g_clear_pointer (&self->kid, g_free);
  g_clear_pointer (&self->jwks, g_free);
  g_clear_pointer (&self->dummy_hash, g_free);
  g_clear_pointer (&self->user_failures, tessera_rate_limiter_free);
  g_clear_pointer (&self->address_failures, tessera_rate_limiter_free);
  g_clear_pointer (&self->verified, g_hash_table_unref);
  g_mutex_clear (&self->verified_lock);
  tessera_local_user_pool_settings_clear (&self->settings);

  G_OBJECT_CLASS (tessera_local_user_pool_parent_class)->finalize (object);
}

static void
tessera_local_user_pool_class_init (TesseraLocalUserPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = tessera_local_user_pool_dispose;
  object_class->finalize = tessera_local_user_pool_finalize;
}

static void
tessera_local_user_pool_init (TesseraLocalUserPool *self)
{
  g_mutex_init (&self->verified_lock);
  self->verified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static gboolean
signature_verified (TesseraLocalUserPool *self,
                    const char           *token)
{
  gboolean found;

  g_mutex_lock (&self->verified_lock);
  found = g_hash_table_contains (self->verified, token);
  g_mutex_unlock (&self->verified_lock);

  return found;
}

static void
remember_verified (TesseraLocalUserPool *self,
                   const char           *token)
{
  g_mutex_lock (&self->verified_lock);
  if (g_hash_table_size (self->verified) >= VERIFIED_MAX)
    g_hash_table_remove_all (self->verified);
  g_hash_table_add (self->verified, g_strdup (token));
  g_mutex_unlock (&self->verified_lock);
}

/**
 * tessera_local_user_pool_new:
 * @db: the database holding the `users` and `refresh_tokens` tables
 * @key_path: the RSA signing key, created (mode 0600) if it does not exist
 * @settings: (nullable): the settings, or %NULL for the defaults; copied
 *
 * Returns: (transfer full) (nullable): the pool, or %NULL with @error set
 */
TesseraLocalUserPool *
tessera_local_user_pool_new (TesseraLocalDb                      *db,
                             const char                          *key_path,
                             const TesseraLocalUserPoolSettings  *settings,
                             GError                             **error)
{
  g_autoptr(TesseraLocalUserPool) self = NULL;
  g_autofree char *dummy_password = NULL;
  static const char dummy_hash[crypto_pwhash_STRBYTES] = DUMMY_HASH;

  g_return_val_if_fail (TESSERA_IS_LOCAL_DB (db), NULL);
  g_return_val_if_fail (key_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (sodium_init () < 0)
    {
      set_crypto_error (error, "Cannot initialise libsodium");
      return NULL;
    }

  self = g_object_new (TESSERA_TYPE_LOCAL_USER_POOL, NULL);
  self->db = g_object_ref (db);

  tessera_local_user_pool_settings_init_defaults (&self->settings);
  if (settings != NULL)
    {
      tessera_local_user_pool_settings_clear (&self->settings);
      self->settings = *settings;
      self->settings.issuer = g_strdup (settings->issuer);
      self->settings.client_id = g_strdup (settings->client_id);
    }
  if (self->settings.issuer == NULL || self->settings.client_id == NULL
      || self->settings.id_token_lifetime <= 0 || self->settings.refresh_token_lifetime <= 0
      || self->settings.max_failures == 0 || self->settings.max_failures_per_address == 0
      || self->settings.failure_window <= 0)
    {
      g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_INVALID,
                           "The user pool's settings are incomplete");
      return NULL;
    }

  self->user_failures = tessera_rate_limiter_new (self->settings.max_failures,
                                                  self->settings.failure_window * G_USEC_PER_SEC);
  self->address_failures = tessera_rate_limiter_new (self->settings.max_failures_per_address,
                                                     self->settings.failure_window * G_USEC_PER_SEC);

  if (!load_key (self, key_path, error))
    return NULL;

  /* Hashing a dummy password here would cost Argon2id's 64 MiB at every
   * start, for a hash nobody needs until a sign-in with an unknown name.
   * A fixed one made with the same parameters costs the same to verify;
   * its password was random and thrown away, and it is only ever verified
   * for a name that does not exist, so knowing it would not help. Made
   * anew only if hash_password()'s parameters ever change. */
  if (crypto_pwhash_str_needs_rehash (dummy_hash, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                      crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0)
    self->dummy_hash = g_strdup (dummy_hash);
  else
    {
      dummy_password = tessera_random_token (16);
      self->dummy_hash = hash_password (dummy_password, error);
      if (self->dummy_hash == NULL)
        return NULL;
    }

  return g_steal_pointer (&self);
}

/* Verification */

static gboolean
unauthorized (GError     **error,
              const char  *reason)
{
  g_set_error_literal (error, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED, reason);
  return FALSE;
}

static JsonObject *
decode_segment (const char *segment)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree guint8 *bytes = NULL;
  gsize length = 0;
  JsonNode *root;

  bytes = tessera_base64url_decode (segment, &length);
  if (bytes == NULL || length == 0
      || !json_parser_load_from_data (parser, (const char *) bytes, length, NULL))
    return NULL;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;

  return json_object_ref (json_node_get_object (root));
}

static const char *
get_string (JsonObject *object,
            const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

static gboolean
get_time (JsonObject *object,
          const char *member,
          gint64     *value)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;

  *value = json_node_get_int (node);
  return TRUE;
}

/**
 * tessera_local_user_pool_verify:
 * @token: an ID token, without "Bearer "
 * @sub: (out) (optional): the user's id
 * @username: (out) (optional): the user's (case-folded) name
 *
 * Verifies an ID token as API Gateway's Cognito authorizer does: an RS256
 * signature by our key (whatever else the header claims), then `exp`, `iat`,
 * `token_use`, `iss` and `aud`.
 *
 * Returns: %TRUE, or %FALSE with %TESSERA_ERROR_UNAUTHORIZED and a short
 *   reason
 */
gboolean
tessera_local_user_pool_verify (TesseraLocalUserPool  *self,
                                const char            *token,
                                char                 **sub,
                                char                 **username,
                                GError               **error)
{
  g_auto(GStrv) parts = NULL;
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(jwt_t) jwt = NULL;
  g_autofree guint8 *signature = NULL;
  gsize signature_len = 0;
  const char *alg;
  const char *kid;
  const char *typ;
  const char *claimed_sub;
  const char *claimed_username;
  const char *aud;
  const char *iss;
  const char *token_use;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 exp;
  gint64 iat;
  gint64 nbf;

  g_return_val_if_fail (TESSERA_IS_LOCAL_USER_POOL (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (token == NULL || *token == '\0' || strlen (token) > TOKEN_MAX)
    return unauthorized (error, "Malformed token");

  parts = g_strsplit (token, ".", 4);
  if (g_strv_length (parts) != 3)
    return unauthorized (error, "Malformed token");

  /* Parsed before the signature is checked, but trusted only after. */
  header = decode_segment (parts[0]);
  claims = decode_segment (parts[1]);
  signature = tessera_base64url_decode (parts[2], &signature_len);
  if (header == NULL || claims == NULL || signature == NULL)
    return unauthorized (error, "Malformed token");

  /* libjwt 1.x takes the algorithm from the token's own header: "none"
   * needs no signature, and HS256 would check an HMAC keyed with our public
   * key, which anyone can compute. So the header must say exactly RS256,
   * and name our key, before libjwt sees the token. */
  alg = get_string (header, "alg");
  kid = get_string (header, "kid");
  typ = get_string (header, "typ");
  if (alg == NULL || strcmp (alg, "RS256") != 0)
    return unauthorized (error, "Invalid token algorithm");
  if (kid == NULL || strcmp (kid, self->kid) != 0
      || json_object_has_member (header, "crit")
      || (json_object_has_member (header, "typ") && (typ == NULL || strcmp (typ, "JWT") != 0))
      || signature_len != KEY_BITS / 8)
    return unauthorized (error, "Invalid token signature");

  if (!signature_verified (self, token))
    {
      if (jwt_decode (&jwt, token, (const unsigned char *) self->public_pem,
                      (int) self->public_pem_len) != 0
          || jwt == NULL
          || jwt_get_alg (jwt) != JWT_ALG_RS256)
        return unauthorized (error, "Invalid token signature");
      remember_verified (self, token);
    }

  /* The claims are ours from here on; read them strictly all the same. */
  if (!get_time (claims, "exp", &exp) || !get_time (claims, "iat", &iat))
    return unauthorized (error, "Malformed token");
  if (now >= exp)
    return unauthorized (error, "Token expired");
  if (iat > now + CLOCK_SKEW
      || (get_time (claims, "nbf", &nbf) && nbf > now + CLOCK_SKEW))
    return unauthorized (error, "Token not yet valid");
  if (json_object_has_member (claims, "nbf") && !get_time (claims, "nbf", &nbf))
    return unauthorized (error, "Malformed token");

  token_use = get_string (claims, "token_use");
  if (token_use == NULL || strcmp (token_use, "id") != 0)
    return unauthorized (error, "Invalid token use");

  iss = get_string (claims, "iss");
  if (iss == NULL || strcmp (iss, self->settings.issuer) != 0)
    return unauthorized (error, "Invalid token issuer");

  aud = get_string (claims, "aud");
  if (aud == NULL || strcmp (aud, self->settings.client_id) != 0)
    return unauthorized (error, "Invalid token audience");

  claimed_sub = get_string (claims, "sub");
  claimed_username = get_string (claims, "cognito:username");
  if (!tessera_id_is_valid (claimed_sub) || claimed_username == NULL || *claimed_username == '\0')
    return unauthorized (error, "Malformed token");

  if (sub != NULL)
    *sub = g_strdup (claimed_sub);
  if (username != NULL)
    *username = g_strdup (claimed_username);

  return TRUE;
}
