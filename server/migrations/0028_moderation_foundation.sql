-- Moderation: what a place decided about other domains, and the log of every moderation action.
--
-- A row is one decision about one domain from one source: '' is the place's own decision, any
-- other source is the URL of the trust list it came from. A local row beats every list; among
-- lists the most severe wins (server.storage.domain_policies.effective). A policy on a domain
-- covers its subdomains. `domain` is a canonical host (federation.hosts), with its port if any.
CREATE TABLE domain_policies (
    domain text NOT NULL CHECK (domain <> '' AND domain = lower(domain)),
    source text NOT NULL DEFAULT '',
    severity text NOT NULL CHECK (severity IN ('suspend', 'limit', 'allow')),
    public_reason text NOT NULL DEFAULT '',
    private_reason text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain, source)
);
CREATE INDEX domain_policies_source ON domain_policies (source);

-- Every process keeps the policies in memory (the inbox checks them on each request); a change
-- tells them all to read the table again. A notification is sent at commit, never before.
CREATE FUNCTION domain_policies_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('domain_policies', '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER domain_policies_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON domain_policies
    FOR EACH STATEMENT EXECUTE FUNCTION domain_policies_changed();

-- Who did what to what, and why: a local username, `trust list <url>`, or `system`.
CREATE TABLE moderation_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    who text NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    reason text NOT NULL DEFAULT '',
    details jsonb NOT NULL DEFAULT '{}'
);

-- The host of a URL as stored hosts are written (lowercase, port kept), and whether a host is
-- covered by one of `domains` (itself, its name without the port, or a parent domain): the
-- rule of server.storage.domain_policies.covering, for queries that hide limited domains.
CREATE FUNCTION url_host(url text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower(substring(url FROM '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/?#]*@)?([^/?#]+)'))
$$;
CREATE FUNCTION host_covered(host text, domains text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT EXISTS (
        SELECT 1 FROM unnest(domains) AS d
        WHERE host = d OR regexp_replace(host, ':[0-9]+$', '') = d
           OR regexp_replace(host, ':[0-9]+$', '') LIKE '%.' || d)
$$;
