-- The API names our events by number (/api/v1/events/{id}, /api/v1/agenda/{id}.ics): keep the
-- number of a deleted one too, so that those URLs answer 410 Gone like its ActivityPub id rather
-- than 404. Events deleted before this have none and stay 404 there.
ALTER TABLE deleted_events ADD COLUMN event_id bigint UNIQUE;
