-- Received names and addresses are now plain text decoded once, like the other received text
-- (0012). Two kinds of column were stored as the peer sent them, so a peer that escapes
-- (`Caf&eacute; &amp; co`) had its entities shown in the agenda, the feeds, the .ics, the API and
-- the wall, each writer escaping them again:
-- - `remote_actors.display_name`, and the neighbours' names on the live stream copied from it;
-- - the addresses of imported events: the parts of a PostalAddress, a text address and the name
--   of a VirtualLocation given as a Place's address. Our own addresses are typed by members and
--   never encoded, and Place names were decoded already.
--
-- The decoding is one pass from left to right, as html.unescape does it, so "&amp;lt;" becomes
-- the text "&lt;", never "<". It covers what peers that escape write: decimal and hexadecimal
-- character references and &amp; &lt; &gt; &quot; &apos; &nbsp;. A reference to a control
-- character, a surrogate or no character at all, and any other named entity, is left as it is:
-- what is received from now on is decoded in full by sanitise.plain_text (and an actor is
-- fetched again once its copy is a day old). As plain_text does, control characters and
-- surrounding spaces go, and an actor name left empty becomes none.

CREATE FUNCTION pg_temp.decoded(value text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    AS $$
    DECLARE
        done text := '';
        rest text := value;
        at integer;
        reference text[];
        code bigint;
        piece text;
    BEGIN
        LOOP
            at := strpos(rest, '&');
            IF at = 0 THEN
                RETURN done || rest;
            END IF;
            done := done || left(rest, at - 1);
            rest := substr(rest, at);
            reference := regexp_match(
                rest, '^&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|amp|lt|gt|quot|apos|nbsp);');
            IF reference IS NULL THEN
                done := done || '&';
                rest := substr(rest, 2);
                CONTINUE;
            END IF;
            piece := CASE reference[1]
                WHEN 'amp' THEN '&' WHEN 'lt' THEN '<' WHEN 'gt' THEN '>'
                WHEN 'quot' THEN '"' WHEN 'apos' THEN '''' WHEN 'nbsp' THEN chr(160)
            END;
            IF piece IS NULL THEN
                IF lower(left(reference[1], 2)) = '#x' THEN
                    code := ('x' || lpad(substr(reference[1], 3), 8, '0'))::bit(32)::bigint;
                ELSE
                    code := substr(reference[1], 2)::bigint;
                END IF;
                IF code IN (9, 10, 13) OR (code BETWEEN 32 AND 126)
                        OR (code BETWEEN 160 AND 1114111 AND code NOT BETWEEN 55296 AND 57343) THEN
                    piece := chr(code::integer);
                ELSE
                    piece := '&' || reference[1] || ';';
                END IF;
            END IF;
            done := done || piece;
            rest := substr(rest, length(reference[1]) + 3);
        END LOOP;
    END
    $$;

-- What sanitise.plain_text keeps of a received text: control characters and surrounding
-- spaces go too.
CREATE FUNCTION pg_temp.plain(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    AS $$
        SELECT btrim(
            regexp_replace(pg_temp.decoded(value), '[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]', '', 'g'),
            E' \t\n\r\u00a0')
    $$;

UPDATE remote_actors SET display_name = nullif(pg_temp.plain(display_name), '')
WHERE display_name IS DISTINCT FROM nullif(pg_temp.plain(display_name), '');

UPDATE stream_events SET data = jsonb_set(data, '{name}',
        coalesce(to_jsonb(nullif(pg_temp.plain(data ->> 'name'), '')), 'null'::jsonb))
WHERE kind = 'neighbour' AND jsonb_typeof(data) = 'object'
    AND jsonb_typeof(data -> 'name') = 'string'
    AND data ->> 'name' IS DISTINCT FROM nullif(pg_temp.plain(data ->> 'name'), '');

-- The given text keys of a JSON object (the parts of a PostalAddress, a VirtualLocation's name).
CREATE FUNCTION pg_temp.decoded_object(item jsonb, keys text[]) RETURNS jsonb
    LANGUAGE sql IMMUTABLE STRICT
    AS $$
        SELECT coalesce(jsonb_object_agg(key, CASE
            WHEN key = ANY(keys) AND jsonb_typeof(part) = 'string'
                THEN to_jsonb(pg_temp.plain(part #>> '{}'))
            ELSE part END), '{}'::jsonb)
        FROM jsonb_each(item) AS element(key, part)
    $$;

CREATE FUNCTION pg_temp.decoded_address(address jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE STRICT
    AS $$
        SELECT CASE jsonb_typeof(address)
            WHEN 'string' THEN to_jsonb(pg_temp.plain(address #>> '{}'))
            WHEN 'object' THEN pg_temp.decoded_object(address, ARRAY[
                'streetAddress', 'postalCode', 'addressLocality', 'addressRegion',
                'addressCountry', 'name'])
            ELSE address
        END
    $$;

CREATE FUNCTION pg_temp.decoded_locations(items jsonb) RETURNS jsonb
    LANGUAGE sql IMMUTABLE STRICT
    AS $$
        SELECT CASE WHEN jsonb_typeof(items) <> 'array' THEN items ELSE (
            SELECT coalesce(jsonb_agg(
                CASE WHEN jsonb_typeof(item) = 'object' AND item ? 'address'
                    THEN jsonb_set(item, '{address}', pg_temp.decoded_address(item -> 'address'))
                    ELSE item
                END ORDER BY position), '[]'::jsonb)
            FROM jsonb_array_elements(items) WITH ORDINALITY AS element(item, position)
        ) END
    $$;

UPDATE events SET location = pg_temp.decoded_locations(location)
WHERE NOT local AND location::text LIKE '%&%';

DROP FUNCTION pg_temp.decoded_locations(jsonb);
DROP FUNCTION pg_temp.decoded_address(jsonb);
DROP FUNCTION pg_temp.decoded_object(jsonb, text[]);
DROP FUNCTION pg_temp.plain(text);
DROP FUNCTION pg_temp.decoded(text);
