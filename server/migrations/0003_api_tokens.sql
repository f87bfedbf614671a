-- Bearer tokens of the REST API. Only a SHA-256 of each token is kept, so a database dump
-- does not hand out sessions.
CREATE TABLE api_tokens (
    token_hash text PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX api_tokens_account ON api_tokens (account_id);
