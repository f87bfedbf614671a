-- The live stream: what happened on this node and in its network, in order, kept for replay
-- (Last-Event-ID) and announced to every web process with NOTIFY.
CREATE TABLE stream_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL,
    local boolean NOT NULL,
    place text,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stream_events_created ON stream_events (created_at);
