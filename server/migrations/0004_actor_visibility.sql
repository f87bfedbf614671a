-- Who may see an actor: `private` actors never leave the node, `members` only to the place's
-- members, `network` federated. Members start private; sharing is an explicit opt-in.
ALTER TABLE local_actors ADD COLUMN visibility text NOT NULL DEFAULT 'private'
    CHECK (visibility IN ('private', 'members', 'network'));
UPDATE local_actors SET visibility = 'network' WHERE kind IN ('Group', 'Application');
