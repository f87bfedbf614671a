-- Places our neighbours follow, as read from each followed place's `following` collection: the
-- directory shows them as suggestions. One row per (suggested place, neighbour following it);
-- a neighbour's rows are replaced at each refresh and dropped when we stop following it.
CREATE TABLE suggested_places (
    actor_uri text NOT NULL,
    neighbour text NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor_uri, neighbour)
);
CREATE INDEX suggested_places_neighbour ON suggested_places (neighbour);
