-- The audit chain is linked after commit. A change stages its audit events and commits without
-- waiting for any other writer; audit_link() then moves the staged events of committed
-- transactions into the chain, one linker at a time, in the order of their transactions' ids
-- and of their staging. Commits no longer pass one by one through the chain's lock, nor
-- through the lock PostgreSQL holds across the commit of a transaction that notifies: the
-- change feed's announcement is made by the linker, once for all the transactions it linked
-- (the feed's tables are all audited, so a transaction that changes the feed stages events).

-- +goose Up
DROP TRIGGER audit_link ON audit_staged;
DROP FUNCTION audit_link();
-- Committed events wait here until they are linked: they must outlive a crash.
ALTER TABLE audit_staged SET LOGGED;
ALTER TABLE audit_staged DROP COLUMN link;
-- When the change was made, which its event keeps however late it is linked.
ALTER TABLE audit_staged ADD COLUMN at timestamptz NOT NULL DEFAULT clock_timestamp();
-- A queue, whose rows come and go by the thousand a minute: vacuumed once a thousand are dead,
-- whatever its size.
ALTER TABLE audit_staged SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000);

-- +goose StatementBegin
-- Stages an event of the caller's transaction, of its actor and request, for audit_link().
CREATE OR REPLACE FUNCTION audit_append(action text, entity_type text, entity_id uuid, before jsonb, after jsonb) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_staged (actor_id, request_id, client_request_id, action, entity_type, entity_id, before, after)
  VALUES (nullif(current_setting('naptracker.actor_id', true), '')::uuid,
    coalesce(current_setting('naptracker.request_id', true), ''),
    coalesce(current_setting('naptracker.client_request_id', true), ''),
    action, entity_type, entity_id, before, after);
END
$$;

-- Links up to batch staged events of committed transactions into the chain and returns how many
-- it linked; the caller's transaction commits them. One linker at a time: the lock lasts until
-- that commit, so the next linker reads this one's last hash. What it takes from audit_staged
-- and what it adds to the chain are the rows of one statement, so nothing committed meanwhile
-- is taken without being linked. The staged rows are found by their key, never by reading the
-- table: between two vacuums it holds mostly rows already linked, which the planner, counting
-- the few live ones, would otherwise read through.
CREATE FUNCTION audit_link(batch integer DEFAULT 10000) RETURNS bigint
LANGUAGE plpgsql SET enable_seqscan = off AS $$
DECLARE
  s record;
  e audit_events;
  prev text;
  linked bigint := 0;
BEGIN
  -- A snapshot older than the lock would not see the chain's head.
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'the audit chain is linked at the read committed isolation level' USING ERRCODE = 'P0001';
  END IF;
  PERFORM pg_advisory_xact_lock(727102);
  prev := coalesce((SELECT a.hash FROM audit_events a ORDER BY a.seq DESC LIMIT 1), repeat('0', 64));
  FOR s IN
    WITH taken AS (
      DELETE FROM audit_staged WHERE ctid = ANY (ARRAY(SELECT ctid FROM audit_staged ORDER BY xid, n LIMIT batch))
      RETURNING *)
    SELECT * FROM taken ORDER BY xid, n
  LOOP
    e.seq := nextval(pg_get_serial_sequence('audit_events', 'seq'));
    e.at := s.at;
    e.actor_id := s.actor_id;
    e.request_id := s.request_id;
    e.client_request_id := s.client_request_id;
    e.action := s.action;
    e.entity_type := s.entity_type;
    e.entity_id := s.entity_id;
    e.before := s.before;
    e.after := s.after;
    e.prev_hash := prev;
    e.hash := audit_hash(e);
    INSERT INTO audit_events SELECT e.*;
    prev := e.hash;
    linked := linked + 1;
  END LOOP;
  IF linked > 0 THEN
    PERFORM pg_notify('naptracker_changes', '');
  END IF;
  RETURN linked;
END
$$;

-- As in 00012, without announcing each change: audit_link() announces them.
CREATE OR REPLACE FUNCTION record_change() RETURNS trigger LANGUAGE plpgsql AS $$
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
  WHEN 'reporting_period' THEN
    vis := coalesce(plan_visibility(r.plan_id), 'internal');
  WHEN 'measure' THEN
    vis := coalesce(plan_visibility(r.plan_id), 'internal');
    IF TG_OP = 'UPDATE' THEN
      vis := visibility_min(vis, derived_change_visibility(OLD, NEW));
    END IF;
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
  RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- What is staged is linked first: 00017 links only what a transaction staged itself.
SELECT audit_link(2147483647);
DROP FUNCTION audit_link(integer);
ALTER TABLE audit_staged RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);
ALTER TABLE audit_staged DROP COLUMN at;
ALTER TABLE audit_staged ADD COLUMN link boolean NOT NULL DEFAULT false;
ALTER TABLE audit_staged ALTER COLUMN link DROP DEFAULT;
ALTER TABLE audit_staged SET UNLOGGED;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_append(action text, entity_type text, entity_id uuid, before jsonb, after jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  first boolean := coalesce(current_setting('naptracker.audit_pending', true), '') = '';
BEGIN
  IF first THEN
    PERFORM set_config('naptracker.audit_pending', 'yes', true);
  END IF;
  INSERT INTO audit_staged (actor_id, request_id, client_request_id, action, entity_type, entity_id, before, after, link)
  VALUES (nullif(current_setting('naptracker.actor_id', true), '')::uuid,
    coalesce(current_setting('naptracker.request_id', true), ''),
    coalesce(current_setting('naptracker.client_request_id', true), ''),
    action, entity_type, entity_id, before, after, first);
END
$$;

CREATE FUNCTION audit_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  s audit_staged;
  e audit_events;
  prev text;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'audited changes need the read committed isolation level' USING ERRCODE = 'P0001';
  END IF;
  PERFORM pg_advisory_xact_lock(727102);
  PERFORM set_config('naptracker.audit_pending', '', true);
  prev := coalesce((SELECT a.hash FROM audit_events a ORDER BY a.seq DESC LIMIT 1), repeat('0', 64));
  FOR s IN SELECT * FROM audit_staged WHERE xid = pg_current_xact_id() ORDER BY n LOOP
    e.seq := nextval(pg_get_serial_sequence('audit_events', 'seq'));
    e.at := clock_timestamp();
    e.actor_id := s.actor_id;
    e.request_id := s.request_id;
    e.client_request_id := s.client_request_id;
    e.action := s.action;
    e.entity_type := s.entity_type;
    e.entity_id := s.entity_id;
    e.before := s.before;
    e.after := s.after;
    e.prev_hash := prev;
    e.hash := audit_hash(e);
    INSERT INTO audit_events SELECT e.*;
    prev := e.hash;
  END LOOP;
  DELETE FROM audit_staged WHERE xid = pg_current_xact_id();
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION record_change() RETURNS trigger LANGUAGE plpgsql AS $$
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
    IF TG_OP = 'UPDATE' AND OLD.status = 'draft' AND r.status <> 'draft' THEN
      INSERT INTO changes (entity_type, entity_id, op, visibility)
      SELECT 'reporting_period', rp.id, 'updated', 'public' FROM reporting_periods rp WHERE rp.plan_id = r.id
      UNION ALL SELECT 'measure', m.id, 'updated', 'public' FROM measures m WHERE m.plan_id = r.id
      UNION ALL SELECT 'indicator', i.id, 'updated', 'public' FROM indicators i JOIN measures m ON m.id = i.measure_id WHERE m.plan_id = r.id;
    END IF;
  WHEN 'reporting_period' THEN
    vis := coalesce(plan_visibility(r.plan_id), 'internal');
  WHEN 'measure' THEN
    vis := coalesce(plan_visibility(r.plan_id), 'internal');
    IF TG_OP = 'UPDATE' THEN
      vis := visibility_min(vis, derived_change_visibility(OLD, NEW));
    END IF;
  WHEN 'indicator' THEN
    vis := coalesce((SELECT plan_visibility(m.plan_id) FROM measures m WHERE m.id = r.measure_id), 'internal');
  WHEN 'progress_update' THEN
    org := r.reporting_org_id;
    vis := CASE WHEN r.state IN ('approved', 'superseded') THEN r.visibility ELSE 'internal' END;
    vis := visibility_min(vis, coalesce((SELECT plan_visibility(m.plan_id) FROM measures m WHERE m.id = r.measure_id), 'internal'));
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
CREATE CONSTRAINT TRIGGER audit_link AFTER INSERT ON audit_staged DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.link) EXECUTE FUNCTION audit_link();
