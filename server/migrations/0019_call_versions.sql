-- Received open calls: the version their sender stated (`updated`, else `published`), compared
-- by every later Create or Update so that an older version arriving late changes nothing, as
-- events do since 0017. `updated_at` alone could not say it: for a call received without any
-- timestamp it holds our clock, and a later Update dated by a sender whose clock is behind ours
-- was then refused. Rows already stored have none and take the next version, whatever it says.
ALTER TABLE open_calls ADD COLUMN remote_updated timestamptz;
