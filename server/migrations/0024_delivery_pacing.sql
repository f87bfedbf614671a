-- Delivery per host (server/storage/outbox.py `claim_due`): each claim walks the hosts that have
-- pending deliveries and takes, for each, at most what its concurrency leaves free, so that a slow
-- or failing host never fills the worker. These let it find a host's next rows and count its
-- leased ones without reading the table.
CREATE INDEX deliveries_pending_by_host ON deliveries (host, next_attempt_at, id)
    WHERE state = 'pending';
CREATE INDEX deliveries_leased_by_host ON deliveries (host)
    WHERE state = 'pending' AND lease_until IS NOT NULL;

-- The circuit breaker counts failed probes (`consecutive_failures`) and pauses a host for a part
-- of the time it has been failing, measured from here (federation/retry.py `HostPausePolicy`).
ALTER TABLE remote_hosts ADD COLUMN failing_since timestamptz;
UPDATE remote_hosts SET failing_since = last_failure_at WHERE consecutive_failures > 0;
