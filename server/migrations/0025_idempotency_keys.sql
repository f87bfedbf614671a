-- Idempotency-Key on the REST API's POSTs (draft-ietf-httpapi-idempotency-key-header): the first
-- answer to each key of an account, replayed for 24 hours (server/routes/idempotency.py). A row
-- without a status is a request still in progress. The workers delete rows older than a day.
CREATE TABLE idempotency_keys (
    account_id bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    key text NOT NULL,
    fingerprint bytea NOT NULL,
    status integer,
    content_type text,
    body bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
