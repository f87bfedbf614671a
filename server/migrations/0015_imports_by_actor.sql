-- When our last follow of a neighbour ends, or it is gone (its Delete of itself, a 410), what it
-- sent us is found by sender or owner: without these the purge read every event. Partial, as the
-- purge only ever looks at imported rows; `open_calls_actor` (0006) already serves the calls.
CREATE INDEX events_remote_actor ON events (actor_uri) WHERE NOT local;
CREATE INDEX events_remote_attributed ON events (attributed_to) WHERE NOT local;
-- An event one of our members asked to join stays: checked for each event the purge considers,
-- and the primary key (actor_name, event_ap_id) cannot answer it by event.
CREATE INDEX event_rsvps_open ON event_rsvps (event_ap_id) WHERE state IN ('pending', 'accepted');
-- A delivery answered 410 names an inbox; its actors are found by it.
CREATE INDEX remote_actors_inbox ON remote_actors (inbox);
-- The live stream's history of a removed event or call goes with it (stream.ITEM_OBJECT).
CREATE INDEX stream_events_object ON stream_events ((coalesce(data->>'id', data->>'event')));
