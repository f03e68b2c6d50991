-- feed_horizon() reads which transactions run in other databases before it takes its
-- snapshot. Read after, as before, a transaction of another database that ended in between was
-- in the snapshot but no longer in the list, and held the horizon back: a change read once could
-- drop behind the horizon again, for a moment, and a reader that waits for the next round saw
-- it late. Read first, a transaction the list names and the snapshot still holds runs elsewhere,
-- and the horizon never goes back.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION feed_horizon() RETURNS xid8
LANGUAGE plpgsql STABLE AS $$
DECLARE
  elsewhere bigint[] := ARRAY(SELECT backend_xid::text::bigint FROM pg_stat_activity
                              WHERE datname IS DISTINCT FROM current_database() AND backend_xid IS NOT NULL);
  s pg_snapshot := pg_current_snapshot();
BEGIN
  -- (A 32-bit backend_xid is matched to the 64-bit ids of the snapshot.)
  RETURN coalesce(
    (SELECT min(x) FROM pg_snapshot_xip(s) AS x WHERE (x::text::numeric % 4294967296)::bigint <> ALL (elsewhere)),
    pg_snapshot_xmax(s));
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION feed_horizon() RETURNS xid8
LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
     WHERE (x::text::numeric % 4294967296)::bigint NOT IN (
       SELECT backend_xid::text::bigint FROM pg_stat_activity
       WHERE datname IS DISTINCT FROM current_database() AND backend_xid IS NOT NULL)),
    pg_snapshot_xmax(pg_current_snapshot()))
$$;
-- +goose StatementEnd
