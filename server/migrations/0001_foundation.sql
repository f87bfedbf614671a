-- People who log in to the node.
CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9_]{1,30}$'),
    email text NOT NULL,
    role text NOT NULL CHECK (role IN ('administrator', 'animateur', 'member')),
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Actors this node speaks for: the place (Group), the node itself (Application), members (Person).
CREATE TABLE local_actors (
    name text PRIMARY KEY CHECK (name ~ '^[a-z0-9_]{1,30}$'),
    kind text NOT NULL CHECK (kind IN ('Group', 'Application', 'Person')),
    display_name text NOT NULL,
    summary text NOT NULL DEFAULT '',
    manually_approves_followers boolean NOT NULL DEFAULT false,
    discoverable boolean NOT NULL DEFAULT true,
    account_id bigint REFERENCES accounts (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Key pairs of local actors: RSA-2048 (what Mastodon requires) and Ed25519.
CREATE TABLE actor_keys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_name text NOT NULL REFERENCES local_actors (name) ON DELETE CASCADE,
    algorithm text NOT NULL CHECK (algorithm IN ('rsa-2048', 'ed25519')),
    public_pem text NOT NULL,
    private_pem text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (actor_name, algorithm)
);
