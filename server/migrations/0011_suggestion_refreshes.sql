-- When each neighbour's `following` was last read for the directory's suggestions. Workers claim
-- a neighbour whose turn has come by moving its time forward in one statement, so that with
-- several worker processes each refresh is done by one of them.
CREATE TABLE suggestion_refreshes (
    neighbour text PRIMARY KEY,
    refreshed_at timestamptz NOT NULL DEFAULT now()
);
