-- Answers to requests that leave no relation behind to remember them by (issue 11): the Reject
-- of a blocked actor's Follow or Join, the Accept or Reject of a Follow of our trust list. A
-- repeat of the request is answered again only once the last identical answer has left the
-- delivery queue and is older than the window of repeats (FEDERATION.md, Follows), so that a
-- peer cannot make us queue an answer per request it sends. `outbox_id` is that last answer.
CREATE TABLE answered_requests (
    recipient text NOT NULL,
    asked text NOT NULL,
    answer text NOT NULL,
    outbox_id bigint REFERENCES outbox_activities (id) ON DELETE SET NULL,
    answered_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (recipient, asked, answer)
);
