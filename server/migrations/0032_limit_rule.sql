-- The `limit` rule in SQL, step for step as in Python (server.storage.domain_policies:
-- `covering` and `LimitRule.hides`), so that the agenda hides exactly what the directory, the
-- people search and the wall hide; tests/test_domain_limit_rule.py runs the same cases through
-- both. 0028's `host_covered` compared with LIKE, where `_` and `%` in a domain match any
-- character (`a_b.org` covered `axb.org`), and it gave IP literals parent "domains".

-- The host of a URL in the canonical form of federation.hosts.canonical_host, for the hosts
-- stored URLs have (ASCII): lowercase, one trailing dot removed, the scheme's default port
-- dropped. NULL for what canonical_host refuses and a stored id never has (another scheme,
-- user info, no host). Not done: IDNA and the shortest IPv6 form, which ids in ASCII and a
-- policy on an IPv6 literal would need.
CREATE OR REPLACE FUNCTION url_host(url text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN name = '' THEN NULL
        WHEN port IS NULL OR (scheme = 'https' AND port = '443') OR (scheme = 'http' AND port = '80')
            THEN name
        ELSE name || ':' || port
    END
    FROM (SELECT found[1] AS scheme, regexp_replace(found[2], '\.$', '') AS name,
                 ltrim(found[3], '0') AS port
          FROM (SELECT regexp_match(lower(url),
              '^(https?)://(\[[^]/?#@]*\]|[^:/?#@]*)(?::([0-9]+))?(?:[/?#]|$)')) AS m(found)
    ) AS parts
$$;

-- The policy domains that apply to a host, the most specific first: the host itself when it
-- has a port, then its name and each parent domain (an IP literal has none).
CREATE FUNCTION host_covering(host text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN port IS NULL THEN '{}'::text[] ELSE ARRAY[host] END
        || CASE WHEN name LIKE '[%' OR name ~ '^[0-9.]*[0-9][0-9.]*$' THEN ARRAY[name]
           ELSE ARRAY(
               SELECT array_to_string(labels[i:], '.')
               FROM generate_subscripts(labels, 1) AS i ORDER BY i)
           END
    FROM (SELECT coalesce(split[1], host) AS name, split[2] AS port,
                 string_to_array(coalesce(split[1], host), '.') AS labels
          FROM (SELECT regexp_match(host, '^(.*):([0-9]+)$')) AS s(split)) AS parts
    WHERE host IS NOT NULL
$$;

CREATE OR REPLACE FUNCTION host_covered(host text, domains text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(host_covering(host) && domains, false)
$$;

-- Whether a host is limited: the most specific of `limited` and `exceptions` (the domains with
-- another policy inside a limited one) that covers it is a limited one.
CREATE FUNCTION limit_hides(host text, limited text[], exceptions text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT covering.domain = ANY(limited)
        FROM unnest(host_covering(host)) WITH ORDINALITY AS covering(domain, rank)
        WHERE covering.domain = ANY(limited) OR covering.domain = ANY(exceptions)
        ORDER BY covering.rank LIMIT 1), false)
$$;
