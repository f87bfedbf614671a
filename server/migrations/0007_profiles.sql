-- A member's profile. It is shown only as far as the Person's `visibility` (local_actors) allows:
-- `private` never leaves the node, `members` only through the API to this node's accounts.
CREATE TABLE profiles (
    actor_name text PRIMARY KEY REFERENCES local_actors (name) ON DELETE CASCADE,
    name text NOT NULL DEFAULT '',
    bio text NOT NULL DEFAULT '',
    skills jsonb NOT NULL DEFAULT '[]',
    links jsonb NOT NULL DEFAULT '[]',
    avatar text,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Profiles that neighbouring places shared with us (`network` members of places we follow).
-- A row disappears when its place or the person withdraws it.
CREATE TABLE remote_profiles (
    person text PRIMARY KEY,
    place text NOT NULL,
    host text NOT NULL,
    name text NOT NULL DEFAULT '',
    bio text NOT NULL DEFAULT '',
    skills jsonb NOT NULL DEFAULT '[]',
    links jsonb NOT NULL DEFAULT '[]',
    avatar text,
    updated timestamptz,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX remote_profiles_place ON remote_profiles (place);

-- One job per accepted follow: fetch the followed actor's outbox and import what is current.
-- Kept out of the inbox worker's transaction so that a slow neighbour holds no lock.
CREATE TABLE backfill_jobs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    followed text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE UNIQUE INDEX backfill_jobs_one_pending ON backfill_jobs (followed) WHERE state = 'pending';
