-- Plain-text fields are now stored as their characters ("Café & co", "1 < 2"); until now they
-- were stored as nh3 serialised them ("Café &amp; co", "1 &lt; 2"), and every reader showed the
-- entities. nh3 writes the text it keeps with four entities only (&amp; &lt; &gt; &nbsp;) and
-- escapes every "&" it keeps, so decoding those four, "&amp;" last, is the exact inverse: done
-- once, "&amp;lt;" (the text "&lt;") becomes "&lt;", never "<".
--
-- Only the columns that were written through nh3 change: events (name, category, tags, location
-- and attachment names), profiles and remote_profiles (name, skill names, link labels) and the
-- names on the live stream. Open calls and remote place profiles were already decoded when
-- stored, our open calls, place profile and remote actors were never encoded: they stay as they are.

CREATE FUNCTION pg_temp.as_characters(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    AS $$
        SELECT replace(replace(replace(replace(value,
            '&lt;', '<'), '&gt;', '>'), '&nbsp;', chr(160)), '&amp;', '&')
    $$;

-- The same for one text key of every object in a JSON array.
CREATE FUNCTION pg_temp.with_characters(items jsonb, field text) RETURNS jsonb
    LANGUAGE sql IMMUTABLE STRICT
    AS $$
        SELECT CASE WHEN jsonb_typeof(items) <> 'array' THEN items ELSE (
            SELECT coalesce(jsonb_agg(
                CASE WHEN jsonb_typeof(item -> field) = 'string'
                    THEN jsonb_set(item, ARRAY[field], to_jsonb(pg_temp.as_characters(item ->> field)))
                    ELSE item
                END ORDER BY position), '[]'::jsonb)
            FROM jsonb_array_elements(items) WITH ORDINALITY AS element(item, position)
        ) END
    $$;

UPDATE events SET
    name = pg_temp.as_characters(name),
    category = pg_temp.as_characters(category),
    tags = ARRAY(
        SELECT pg_temp.as_characters(tag)
        FROM unnest(tags) WITH ORDINALITY AS element(tag, position)
        ORDER BY position
    ),
    location = pg_temp.with_characters(location, 'name'),
    attachments = pg_temp.with_characters(attachments, 'name')
WHERE name LIKE '%&%' OR category LIKE '%&%' OR array_to_string(tags, ' ') LIKE '%&%'
    OR location::text LIKE '%&%' OR attachments::text LIKE '%&%';

UPDATE profiles SET
    name = pg_temp.as_characters(name),
    skills = pg_temp.with_characters(skills, 'name'),
    links = pg_temp.with_characters(links, 'label')
WHERE name LIKE '%&%' OR skills::text LIKE '%&%' OR links::text LIKE '%&%';

UPDATE remote_profiles SET
    name = pg_temp.as_characters(name),
    skills = pg_temp.with_characters(skills, 'name'),
    links = pg_temp.with_characters(links, 'label')
WHERE name LIKE '%&%' OR skills::text LIKE '%&%' OR links::text LIKE '%&%';

-- Neighbours' names on the stream were never encoded; events', calls' and profiles' were.
UPDATE stream_events SET data = data
    || CASE WHEN jsonb_typeof(data -> 'name') = 'string'
        THEN jsonb_build_object('name', pg_temp.as_characters(data ->> 'name'))
        ELSE '{}'::jsonb END
    || CASE WHEN jsonb_typeof(data -> 'placeName') = 'string'
        THEN jsonb_build_object('placeName', pg_temp.as_characters(data ->> 'placeName'))
        ELSE '{}'::jsonb END
WHERE kind IN ('event', 'call', 'profile') AND jsonb_typeof(data) = 'object'
    AND data::text LIKE '%&%';

DROP FUNCTION pg_temp.with_characters(jsonb, text);
DROP FUNCTION pg_temp.as_characters(text);
