-- The change feed: one row per change a dashboard may follow, written in the transaction of
-- the change. A reader pages by (xid, id) and only up to the oldest transaction of this
-- database still running (feed_horizon), so a change is never skipped, however transactions
-- interleave, and never shown uncommitted.

-- +goose Up
CREATE TABLE changes (
    id              bigserial PRIMARY KEY,
    xid             xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at              timestamptz NOT NULL DEFAULT now(),
    entity_type     text NOT NULL,
    entity_id       uuid NOT NULL,
    op              text NOT NULL CHECK (op IN ('created', 'updated', 'deleted')),
    -- Who may see it: internal changes only their organization (organization_id) or, when
    -- that is NULL, every internal reader; partners' and public ones as the words say.
    visibility      text NOT NULL CHECK (visibility IN ('internal', 'partners', 'public')),
    organization_id uuid
);

CREATE INDEX changes_cursor_idx ON changes (xid, id);

-- +goose StatementBegin
-- The oldest transaction still running that may be of this database, or the first not yet
-- started: every change of a transaction before it is committed or gone. Transactions known to
-- run in another database do not hold it back; one that ends between the snapshot and the
-- look-up is counted, which errs on the safe side. (A 32-bit backend_xid is matched to the
-- 64-bit ids of the snapshot.)
CREATE FUNCTION feed_horizon() RETURNS xid8
LANGUAGE sql STABLE AS $$
  SELECT coalesce(
    (SELECT min(x) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
     WHERE (x::text::numeric % 4294967296)::bigint NOT IN (
       SELECT backend_xid::text::bigint FROM pg_stat_activity
       WHERE datname IS DISTINCT FROM current_database() AND backend_xid IS NOT NULL)),
    pg_snapshot_xmax(pg_current_snapshot()))
$$;

-- The narrower of two visibilities.
CREATE FUNCTION visibility_min(a text, b text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN a = 'internal' OR b = 'internal' THEN 'internal'
              WHEN a = 'partners' OR b = 'partners' THEN 'partners'
              ELSE 'public' END
$$;

-- Whether the plan is public: adopted or later.
CREATE FUNCTION plan_visibility(plan uuid) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN status = 'draft' THEN 'internal' ELSE 'public' END FROM plans WHERE id = plan
$$;

CREATE FUNCTION record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r record := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  entity text := TG_ARGV[0];
  vis text := 'public';
  org uuid;
BEGIN
  IF TG_OP = 'UPDATE' AND to_jsonb(OLD) = to_jsonb(NEW) THEN
    RETURN NULL;
  END IF;
  CASE entity
  WHEN 'plan' THEN
    vis := CASE WHEN r.status = 'draft' THEN 'internal' ELSE 'public' END;
    -- Published: what was prepared in it while it was a draft becomes public too.
    IF TG_OP = 'UPDATE' AND OLD.status = 'draft' AND r.status <> 'draft' THEN
      INSERT INTO changes (entity_type, entity_id, op, visibility)
      SELECT 'reporting_period', rp.id, 'updated', 'public' FROM reporting_periods rp WHERE rp.plan_id = r.id
      UNION ALL SELECT 'measure', m.id, 'updated', 'public' FROM measures m WHERE m.plan_id = r.id
      UNION ALL SELECT 'indicator', i.id, 'updated', 'public' FROM indicators i JOIN measures m ON m.id = i.measure_id WHERE m.plan_id = r.id;
    END IF;
  WHEN 'reporting_period', 'measure' THEN
    vis := coalesce(plan_visibility(r.plan_id), 'internal');
  WHEN 'indicator' THEN
    vis := coalesce((SELECT plan_visibility(m.plan_id) FROM measures m WHERE m.id = r.measure_id), 'internal');
  WHEN 'progress_update' THEN
    org := r.reporting_org_id;
    vis := CASE WHEN r.state IN ('approved', 'superseded') THEN r.visibility ELSE 'internal' END;
    vis := visibility_min(vis, coalesce((SELECT plan_visibility(m.plan_id) FROM measures m WHERE m.id = r.measure_id), 'internal'));
    -- Published: its evidence becomes visible as far as its own visibility allows.
    IF TG_OP = 'UPDATE' AND r.state = 'approved' AND OLD.state <> 'approved' THEN
      INSERT INTO changes (entity_type, entity_id, op, visibility, organization_id)
      SELECT 'evidence', e.id, 'updated', visibility_min(e.visibility, vis), org FROM evidence e WHERE e.update_id = r.id;
    END IF;
  WHEN 'evidence' THEN
    SELECT u.reporting_org_id,
           visibility_min(r.visibility, CASE WHEN u.state IN ('approved', 'superseded') THEN u.visibility ELSE 'internal' END)
      INTO org, vis FROM progress_updates u WHERE u.id = r.update_id;
    vis := coalesce(vis, 'internal');
  ELSE
    vis := 'public';
  END CASE;
  INSERT INTO changes (entity_type, entity_id, op, visibility, organization_id)
  VALUES (entity, r.id, CASE TG_OP WHEN 'INSERT' THEN 'created' WHEN 'UPDATE' THEN 'updated' ELSE 'deleted' END, vis, org);
  PERFORM pg_notify('naptracker_changes', '');
  RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER feed AFTER INSERT OR UPDATE OR DELETE ON organizations FOR EACH ROW EXECUTE FUNCTION record_change('organization');
CREATE TRIGGER feed AFTER INSERT OR UPDATE OR DELETE ON recommendations FOR EACH ROW EXECUTE FUNCTION record_change('recommendation');
CREATE TRIGGER feed AFTER INSERT OR UPDATE OR DELETE ON plans FOR EACH ROW EXECUTE FUNCTION record_change('plan');
CREATE TRIGGER feed AFTER INSERT OR UPDATE OR DELETE ON reporting_periods FOR EACH ROW EXECUTE FUNCTION record_change('reporting_period');
CREATE TRIGGER feed AFTER INSERT OR UPDATE OR DELETE ON measures FOR EACH ROW EXECUTE FUNCTION record_change('measure');
CREATE TRIGGER feed AFTER INSERT OR UPDATE OR DELETE ON indicators FOR EACH ROW EXECUTE FUNCTION record_change('indicator');
CREATE TRIGGER feed AFTER INSERT OR UPDATE OR DELETE ON progress_updates FOR EACH ROW EXECUTE FUNCTION record_change('progress_update');
CREATE TRIGGER feed AFTER INSERT OR UPDATE OR DELETE ON evidence FOR EACH ROW EXECUTE FUNCTION record_change('evidence');

-- +goose Down
DROP TRIGGER feed ON evidence;
DROP TRIGGER feed ON progress_updates;
DROP TRIGGER feed ON indicators;
DROP TRIGGER feed ON measures;
DROP TRIGGER feed ON reporting_periods;
DROP TRIGGER feed ON plans;
DROP TRIGGER feed ON recommendations;
DROP TRIGGER feed ON organizations;
DROP FUNCTION record_change();
DROP FUNCTION plan_visibility(uuid);
DROP FUNCTION visibility_min(text, text);
DROP FUNCTION feed_horizon();
DROP TABLE changes;
