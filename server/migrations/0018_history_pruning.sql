-- The workers delete processed inbox activities, finished deliveries and stream items older
-- than `history_days` (server/processing/retention.py); these let them find those rows without
-- reading the tables. The stream's `stream_events_created` (0008) serves it already.
CREATE INDEX inbox_activities_processed ON inbox_activities ((coalesce(processed_at, received_at)))
    WHERE state <> 'pending';
CREATE INDEX deliveries_finished ON deliveries (finished_at) WHERE state <> 'pending';
