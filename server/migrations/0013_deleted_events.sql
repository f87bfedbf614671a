-- Our deleted events: the row in `events` goes (its participants with it), and its ids stay here
-- so that its URL answers 410 Gone with a Tombstone instead of 404. A table rather than a
-- `deleted_at` column on `events`: every reader of `events` (agenda, feeds, calendar, API,
-- imports by ap_id) would need a filter, and a deleted event's content and participants would be
-- kept for nothing.
CREATE TABLE deleted_events (
    ap_id text PRIMARY KEY,
    token text NOT NULL UNIQUE,
    deleted_at timestamptz NOT NULL DEFAULT now()
);

-- An `Undo` may name a Join by its id alone: find the participation it made.
CREATE INDEX event_participants_join ON event_participants (join_activity_id);
