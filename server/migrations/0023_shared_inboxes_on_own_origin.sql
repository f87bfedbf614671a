-- A shared inbox on another origin than its actor is no longer used (SECURITY.md rows 9 and 13,
-- as for an actor's inbox): forget those stored before, so that deliveries go to the actor's own
-- inbox (always on its origin) until the actor is fetched again. Origins are compared by scheme
-- and authority, lower-cased; a same origin spelled differently (an explicit default port) is
-- forgotten too, which only sends to the personal inbox until the next fetch.
UPDATE remote_actors
SET shared_inbox = NULL
WHERE shared_inbox IS NOT NULL
  AND lower(substring(shared_inbox FROM '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*'))
      IS DISTINCT FROM lower(substring(uri FROM '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*'));
