-- When we last answered an accepted Follow or Join with an Accept: a repeat of it (a new activity
-- id from an actor already accepted) is answered again at most once an hour, and never shown on
-- the live stream again (server/processing/follow_requests.py, server/processing/rsvp.py).
-- Rows accepted before this migration have none, so their next repeat is answered.
ALTER TABLE follows ADD COLUMN answered_at timestamptz;
ALTER TABLE event_participants ADD COLUMN answered_at timestamptz;
