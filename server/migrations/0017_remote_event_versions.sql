-- `remote_updated`: the version of an imported event as its sender stated it (its `updated`,
-- else `published`), compared by every later Create or Update of it so that an older version
-- arriving late changes nothing. `updated` could not say it: it holds our receive time. Rows
-- already stored have none and take the next version, whatever it says.
ALTER TABLE events ADD COLUMN remote_updated timestamptz;
