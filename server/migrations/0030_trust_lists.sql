-- Trust lists (FEDERATION.md, "Trust lists"): the list this node publishes, who subscribes to
-- it, the lists it subscribes to, and the changes a list proposes for review.

-- The published list: one row per domain. `policy` is the list's word (member, suspend, limit);
-- only a public reason is ever kept here, so nothing private can be published by mistake.
CREATE TABLE trust_list_entries (
    domain text PRIMARY KEY CHECK (domain <> '' AND domain = lower(domain)),
    policy text NOT NULL CHECK (policy IN ('member', 'suspend', 'limit')),
    public_reason text NOT NULL DEFAULT '',
    added_at timestamptz NOT NULL DEFAULT now()
);

-- The published list's one row: its version (raised on every change), the signed document as
-- served (signed once per change, like our activities), and its name and summary.
CREATE TABLE trust_list_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    published boolean NOT NULL DEFAULT false,
    name text NOT NULL DEFAULT '',
    summary text NOT NULL DEFAULT '',
    version bigint NOT NULL DEFAULT 0,
    updated timestamptz NOT NULL DEFAULT now(),
    document jsonb
);

-- Remote actors (other nodes' Application actors) that follow our list: they get its Updates.
CREATE TABLE trust_list_subscribers (
    subscriber text PRIMARY KEY,
    follow_activity_id text NOT NULL,
    subscribed_at timestamptz NOT NULL DEFAULT now()
);

-- Lists this node follows. `publisher` is the list's attributedTo (its proofs' signer);
-- `version` the last version taken (an older one is a replay and changes nothing).
CREATE TABLE trust_subscriptions (
    url text PRIMARY KEY,
    mode text NOT NULL CHECK (mode IN ('auto', 'review')),
    publisher text NOT NULL,
    name text NOT NULL DEFAULT '',
    version bigint NOT NULL DEFAULT 0,
    list_updated timestamptz,
    follow_activity_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    fetched_at timestamptz,
    next_fetch_at timestamptz NOT NULL DEFAULT now(),
    last_error text NOT NULL DEFAULT ''
);
CREATE INDEX trust_subscriptions_due ON trust_subscriptions (next_fetch_at);

-- What a list in review mode proposes: set a domain's severity, or remove the list's row for
-- it. One pending proposal per (list, domain); a refused change is not proposed again.
CREATE TABLE trust_proposals (
    id bigserial PRIMARY KEY,
    list_url text NOT NULL REFERENCES trust_subscriptions (url) ON DELETE CASCADE,
    domain text NOT NULL,
    change text NOT NULL CHECK (change IN ('set', 'remove')),
    severity text CHECK (severity IN ('suspend', 'limit', 'allow')),
    public_reason text NOT NULL DEFAULT '',
    version bigint NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted', 'refused')),
    created_at timestamptz NOT NULL DEFAULT now(),
    decided_at timestamptz,
    decided_by text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX trust_proposals_one_pending ON trust_proposals (list_url, domain)
    WHERE state = 'pending';
