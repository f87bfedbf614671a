-- The consolidated agenda (our events and our neighbours'): columns derived from each event so
-- that one indexed query filters by text, position and time.

-- When an event without an end is taken to end: two hours after its start. `timestamptz +
-- interval` is only STABLE because day and month steps depend on the session's time zone; an
-- interval of hours does not, so this wrapper is truly immutable and may feed a stored column.
CREATE FUNCTION maillage_event_end(start_time timestamptz, end_time timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce(end_time, start_time + interval '2 hours') $$;

-- The first location that has both coordinates as numbers (imports are normalised to floats).
CREATE FUNCTION maillage_event_point(location jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT jsonb_path_query_first(
    location, '$[*] ? (@.latitude.type() == "number" && @.longitude.type() == "number")'
) $$;

-- A half-degree cell of the globe (about 55 km by 40 km in France): a circle query names the
-- few cells its bounding box touches, and (cell, start) keeps each cell's events in time order.
CREATE FUNCTION maillage_geo_cell(latitude double precision, longitude double precision)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT (floor((latitude + 90) * 2) * 1000 + floor((longitude + 180) * 2))::integer $$;

ALTER TABLE events
    ADD COLUMN ends_at timestamptz
        GENERATED ALWAYS AS (maillage_event_end(start_time, end_time)) STORED,
    -- Name and text (tags of the HTML removed), 'simple' config: the network speaks French,
    -- English and Occitan, and no stemming is better than the wrong one.
    ADD COLUMN search tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', name || ' ' || regexp_replace(content, '<[^>]*>', ' ', 'g'))
    ) STORED,
    ADD COLUMN latitude double precision GENERATED ALWAYS AS (
        (maillage_event_point(location) -> 'latitude')::double precision
    ) STORED,
    ADD COLUMN longitude double precision GENERATED ALWAYS AS (
        (maillage_event_point(location) -> 'longitude')::double precision
    ) STORED,
    ADD COLUMN geo_cell integer GENERATED ALWAYS AS (maillage_geo_cell(
        (maillage_event_point(location) -> 'latitude')::double precision,
        (maillage_event_point(location) -> 'longitude')::double precision
    )) STORED;

CREATE INDEX events_search ON events USING gin (search);
-- Near a point: the cells of the bounding box, in time order. A plain btree on (latitude,
-- longitude) was measured slower on a million events: a range on its first column reads the
-- whole band of latitude, and the planner intersects that large bitmap with the others.
CREATE INDEX events_cell_start ON events (geo_cell, start_time) WHERE geo_cell IS NOT NULL;
CREATE INDEX events_tags ON events USING gin (tags);
-- Happening at a given moment: the interval [start, end) contains it.
CREATE INDEX events_during ON events USING gist (tstzrange(start_time, ends_at, '[)'));
