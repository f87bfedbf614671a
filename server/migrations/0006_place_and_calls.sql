-- The place's profile as edited through the API (one row: a node speaks for one place). Kept as
-- the validated API document: only this node reads it, and the Group actor is rendered from it.
CREATE TABLE place_profile (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    profile jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Place details of remote Group actors, in columns so that the directory can filter on them
-- (near a point, open now, with a service). Dropped with the actor.
CREATE TABLE remote_place_profiles (
    actor_uri text PRIMARY KEY REFERENCES remote_actors (uri) ON DELETE CASCADE,
    name text,
    summary text,
    street_address text,
    postal_code text,
    address_locality text,
    address_region text,
    address_country text,
    latitude double precision,
    longitude double precision,
    timezone text,
    opening_hours jsonb NOT NULL DEFAULT '[]',
    opening_hours_exception jsonb NOT NULL DEFAULT '[]',
    services text[] NOT NULL DEFAULT '{}',
    space_kinds text[] NOT NULL DEFAULT '{}',
    accessibility text[] NOT NULL DEFAULT '{}',
    prices jsonb NOT NULL DEFAULT '[]',
    labels text[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX remote_place_profiles_services ON remote_place_profiles USING gin (services);
CREATE INDEX remote_place_profiles_space_kinds ON remote_place_profiles USING gin (space_kinds);
CREATE INDEX remote_place_profiles_position ON remote_place_profiles (latitude, longitude)
    WHERE latitude IS NOT NULL;

-- Open calls: ours (local, with a token in their URL) and those received from other places.
CREATE TABLE open_calls (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uri text NOT NULL UNIQUE,
    local boolean NOT NULL,
    token text UNIQUE,
    actor_uri text NOT NULL,
    kind text NOT NULL,
    title text NOT NULL,
    summary text,
    description text NOT NULL DEFAULT '',
    content_html text NOT NULL DEFAULT '',
    deadline timestamptz,
    skills_wanted text[] NOT NULL DEFAULT '{}',
    territory text,
    contact text,
    documents jsonb NOT NULL DEFAULT '[]',
    -- A newer node may send statuses we do not know; our own calls use these three.
    status text NOT NULL DEFAULT 'open'
        CHECK (NOT local OR status IN ('open', 'closed', 'filled')),
    published_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Deleted local calls stay as tombstones so that their URL answers 410.
    deleted_at timestamptz,
    CHECK (local = (token IS NOT NULL))
);
CREATE INDEX open_calls_expiring ON open_calls (deadline)
    WHERE local AND status = 'open' AND deleted_at IS NULL;
CREATE INDEX open_calls_actor ON open_calls (actor_uri);
