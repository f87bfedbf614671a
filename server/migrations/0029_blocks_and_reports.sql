-- Actor blocks (issue 11, part 3): a local actor (the place, or a member by their username) keeps
-- one remote actor out. The Block activity we sent is kept so that unblocking can Undo it by id.
CREATE TABLE actor_blocks (
    blocker text NOT NULL,
    actor_uri text NOT NULL,
    block_activity_id text NOT NULL,
    reason text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (blocker, actor_uri)
);
-- The inbox border asks "is this sender blocked by anyone here?" for every activity.
CREATE INDEX actor_blocks_by_actor ON actor_blocks (actor_uri);

-- Reports (issue 11, part 4): filed here by a member or a moderator, or received as a Flag from
-- another server. `origin` is '' for a report filed here, else the reporting server's host;
-- `flag_id` is the Flag's id (ours when we sent it on), unique so a redelivered Flag is one row.
CREATE TABLE reports (
    id bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    origin text NOT NULL DEFAULT '',
    reporter text NOT NULL,
    flag_id text UNIQUE,
    target_actor text NOT NULL,
    objects text[] NOT NULL DEFAULT '{}',
    comment text NOT NULL DEFAULT '',
    forwarded boolean NOT NULL DEFAULT false,
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
    resolution text CHECK (resolution IN ('no_action', 'limit', 'suspend', 'remove_content')),
    resolution_reason text NOT NULL DEFAULT '',
    resolved_by text,
    resolved_at timestamptz
);
CREATE INDEX reports_queue ON reports (state, id DESC);
