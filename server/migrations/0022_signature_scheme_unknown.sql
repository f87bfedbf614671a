-- A host's signature scheme is now learnt, not assumed: NULL means not known yet, and the first
-- delivery there offers RFC 9421, falling back to draft-cavage when refused (Fedify's
-- "double knock"). Every 'draft-cavage' stored so far was the column's default, never learnt
-- (only 'rfc9421' was ever written), so those hosts are asked again once.
ALTER TABLE remote_hosts ALTER COLUMN signature_scheme DROP NOT NULL;
ALTER TABLE remote_hosts ALTER COLUMN signature_scheme DROP DEFAULT;
UPDATE remote_hosts SET signature_scheme = NULL
WHERE signature_scheme = 'draft-cavage-http-signatures-12';
