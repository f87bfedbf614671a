-- Actors of other servers, as last fetched.
CREATE TABLE remote_actors (
    uri text PRIMARY KEY,
    host text NOT NULL,
    kind text NOT NULL,
    preferred_username text,
    display_name text,
    inbox text NOT NULL,
    shared_inbox text,
    followers text,
    document jsonb NOT NULL,
    gone boolean NOT NULL DEFAULT false,
    fetched_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX remote_actors_host ON remote_actors (host);

-- Public keys of remote actors, by key id; a key belongs to the actor that publishes it.
CREATE TABLE remote_keys (
    key_id text PRIMARY KEY,
    actor_uri text NOT NULL REFERENCES remote_actors (uri) ON DELETE CASCADE,
    public_pem text NOT NULL,
    fetched_at timestamptz NOT NULL DEFAULT now()
);

-- Activities received in an inbox, committed before the 202 and processed by a worker.
-- (origin, activity_id) is the de-duplication key, recorded only after every check passed.
CREATE TABLE inbox_activities (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    origin text NOT NULL,
    activity_id text NOT NULL,
    activity_type text NOT NULL,
    actor_uri text NOT NULL,
    recipient text,
    payload jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    lease_until timestamptz,
    last_error text,
    processed_at timestamptz,
    UNIQUE (origin, activity_id)
);
CREATE INDEX inbox_activities_pending ON inbox_activities (id) WHERE state = 'pending';

-- Activities our actors published, in the order they were published (the outbox).
CREATE TABLE outbox_activities (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activity_id text NOT NULL UNIQUE,
    actor_name text NOT NULL REFERENCES local_actors (name) ON DELETE CASCADE,
    activity_type text NOT NULL,
    public boolean NOT NULL,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX outbox_activities_actor ON outbox_activities (actor_name, id DESC);

-- One row per outgoing activity and distinct inbox, claimed with a lease, done only after a 2xx.
CREATE TABLE deliveries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id bigint NOT NULL REFERENCES outbox_activities (id) ON DELETE CASCADE,
    inbox_url text NOT NULL,
    host text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until timestamptz,
    last_status integer,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    UNIQUE (outbox_id, inbox_url)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_host ON deliveries (host, state);

-- What we know of each remote host: circuit breaker, and the signature scheme it accepts.
CREATE TABLE remote_hosts (
    host text PRIMARY KEY,
    consecutive_failures integer NOT NULL DEFAULT 0,
    circuit_open_until timestamptz,
    last_success_at timestamptz,
    last_failure_at timestamptz,
    signature_scheme text NOT NULL DEFAULT 'draft-cavage-http-signatures-12'
        CHECK (signature_scheme IN ('draft-cavage-http-signatures-12', 'rfc9421'))
);

-- Follow relations, both ways: a local actor following a remote one and the reverse.
CREATE TABLE follows (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    follower text NOT NULL,
    followed text NOT NULL,
    follow_activity_id text NOT NULL,
    state text NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (follower, followed)
);
CREATE INDEX follows_followed ON follows (followed, state);
