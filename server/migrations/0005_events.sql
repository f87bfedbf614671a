-- Events: our place's own (local, served at /events/{token}) and those imported from other
-- servers (remote, keyed by their ActivityPub id). Local counts are kept here under a row lock
-- so that concurrent Joins never overbook; remote counts are what the organiser last said.
CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ap_id text NOT NULL UNIQUE,
    token text UNIQUE,
    local boolean NOT NULL,
    -- the actor whose Create brought a remote event; only it (or attributed_to) may change it
    actor_uri text NOT NULL,
    attributed_to text NOT NULL,
    name text NOT NULL,
    content text NOT NULL DEFAULT '',
    start_time timestamptz NOT NULL,
    end_time timestamptz,
    timezone text,
    location jsonb NOT NULL DEFAULT '[]',
    category text,
    tags text[] NOT NULL DEFAULT '{}',
    join_mode text NOT NULL DEFAULT 'free',
    maximum_capacity integer CHECK (maximum_capacity >= 0),
    participant_count integer NOT NULL DEFAULT 0 CHECK (participant_count >= 0),
    remaining_capacity integer,
    status text NOT NULL DEFAULT 'CONFIRMED'
        CHECK (status IN ('CONFIRMED', 'TENTATIVE', 'CANCELLED')),
    attachments jsonb NOT NULL DEFAULT '[]',
    url text,
    published timestamptz NOT NULL DEFAULT now(),
    updated timestamptz NOT NULL DEFAULT now(),
    CHECK (local = (token IS NOT NULL)),
    CHECK (end_time IS NULL OR end_time >= start_time)
);
CREATE INDEX events_start ON events (start_time);

-- Who takes part in one of our events: remote actors (by Join) and local members.
CREATE TABLE event_participants (
    event_id bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    participant text NOT NULL,
    join_activity_id text NOT NULL,
    state text NOT NULL CHECK (state IN ('accepted', 'rejected')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, participant)
);

-- Our members' RSVPs to events anywhere, as the organiser answered them.
CREATE TABLE event_rsvps (
    actor_name text NOT NULL REFERENCES local_actors (name) ON DELETE CASCADE,
    event_ap_id text NOT NULL,
    organiser text NOT NULL,
    join_activity_id text NOT NULL UNIQUE,
    state text NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor_name, event_ap_id)
);
