-- Events whose join mode is 'restricted' admit on an animateur's approval: a Join waits as
-- 'pending' until it is accepted or refused (server/processing/rsvp/approval.py). The answer
-- embeds the Join as received, so its addressing is kept until then.
ALTER TABLE event_participants DROP CONSTRAINT event_participants_state_check;
ALTER TABLE event_participants ADD CONSTRAINT event_participants_state_check
    CHECK (state IN ('pending', 'accepted', 'rejected'));
ALTER TABLE event_participants ADD COLUMN join_embedded jsonb;
