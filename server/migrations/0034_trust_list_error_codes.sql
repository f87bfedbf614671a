-- The last refusal of a followed trust list as a stable code and its detail, so that a page
-- says it in its own language (the English `last_error` stays for the API and the logs).
ALTER TABLE trust_subscriptions
    ADD COLUMN last_error_code text NOT NULL DEFAULT '',
    ADD COLUMN last_error_detail text NOT NULL DEFAULT '';
