-- Signing in to the web pages: one row per browser session, found by the hash of its cookie, so
-- that a session can be revoked (signing out, "sign out everywhere", a password change) and a
-- stolen database gives no usable cookie. Each session carries the CSRF token of its forms.
CREATE TABLE web_sessions (
    id_hash text PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_account ON web_sessions (account_id);

-- An administrator invites a person by a single-use link that expires; the person chooses their
-- own password. Only the hash of the link's token is kept.
CREATE TABLE invitations (
    token_hash text PRIMARY KEY,
    username text NOT NULL CHECK (username ~ '^[a-z0-9_]{1,30}$'),
    email text NOT NULL,
    role text NOT NULL CHECK (role IN ('administrator', 'animateur', 'member')),
    invited_by bigint REFERENCES accounts (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
