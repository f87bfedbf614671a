-- A delivery may wait for another activity to be delivered first: the seats `Update` a remote
-- Join causes reaches the joiner's server only after the `Accept` of that Join (or once that
-- Accept was given up), whatever inbox each goes to.
ALTER TABLE deliveries
    ADD COLUMN after_outbox_id bigint REFERENCES outbox_activities (id) ON DELETE SET NULL;
