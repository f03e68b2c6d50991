-- A measure's derived status and progress as each audience sees them: the public's from the
-- approved updates published to everyone, partners' from those published to partners too,
-- and those who read every organization's updates from all approved updates. (An
-- organization's own roles, who also read its internal updates, have theirs worked out as
-- they read.) Derived, never entered: the audit trail keeps the approvals they come from, not
-- them, and a measure's version counts only what people change.

-- +goose Up
ALTER TABLE measures RENAME COLUMN current_status TO status_all;
ALTER TABLE measures RENAME COLUMN progress_percent TO progress_all;
ALTER TABLE measures RENAME CONSTRAINT measures_current_status_check TO measures_status_all_check;
ALTER TABLE measures RENAME CONSTRAINT measures_progress_percent_check TO measures_progress_all_check;
ALTER TABLE measures
    ADD COLUMN status_partners text NOT NULL DEFAULT 'no_information'
        CHECK (status_partners IN ('no_information', 'not_started', 'in_progress', 'ongoing',
                                   'partially_implemented', 'implemented', 'not_implemented', 'cancelled')),
    ADD COLUMN progress_partners smallint CHECK (progress_partners BETWEEN 0 AND 100),
    ADD COLUMN status_public text NOT NULL DEFAULT 'no_information'
        CHECK (status_public IN ('no_information', 'not_started', 'in_progress', 'ongoing',
                                 'partially_implemented', 'implemented', 'not_implemented', 'cancelled')),
    ADD COLUMN progress_public smallint CHECK (progress_public BETWEEN 0 AND 100);

DROP INDEX measures_status_idx;
CREATE INDEX measures_status_all_idx ON measures (plan_id, status_all);
CREATE INDEX measures_status_partners_idx ON measures (plan_id, status_partners);
CREATE INDEX measures_status_public_idx ON measures (plan_id, status_public);

-- Derived values are not people's changes: the trail leaves them out, so that a change of
-- them alone records nothing.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_row(r jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT r - 'secret_hash' - 'search_text' - 'status_all' - 'progress_all'
           - 'status_partners' - 'progress_partners' - 'status_public' - 'progress_public'
$$;
-- +goose StatementEnd

-- A change of derived values alone is announced to the audiences whose values changed.
-- +goose StatementBegin
CREATE FUNCTION derived_change_visibility(o measures, n measures) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN audit_row(to_jsonb(o)) IS DISTINCT FROM audit_row(to_jsonb(n))
      OR (o.status_public, o.progress_public) IS DISTINCT FROM (n.status_public, n.progress_public) THEN 'public'
    WHEN (o.status_partners, o.progress_partners) IS DISTINCT FROM (n.status_partners, n.progress_partners) THEN 'partners'
    ELSE 'internal' END
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
  PERFORM pg_notify('naptracker_changes', '');
  RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Each audience's values from the updates approved so far (status_all held the partners' and
-- the public's until now).
UPDATE measures m SET
    status_all = coalesce(a.proposed_status, 'no_information'), progress_all = a.progress_percent,
    status_partners = coalesce(pa.proposed_status, 'no_information'), progress_partners = pa.progress_percent,
    status_public = coalesce(pu.proposed_status, 'no_information'), progress_public = pu.progress_percent
FROM measures t
LEFT JOIN LATERAL (SELECT u.proposed_status, u.progress_percent FROM progress_updates u
    JOIN reporting_periods rp ON rp.id = u.period_id WHERE u.measure_id = t.id AND u.state = 'approved'
    ORDER BY rp.ends_on DESC, u.approved_at DESC LIMIT 1) a ON true
LEFT JOIN LATERAL (SELECT u.proposed_status, u.progress_percent FROM progress_updates u
    JOIN reporting_periods rp ON rp.id = u.period_id WHERE u.measure_id = t.id AND u.state = 'approved'
        AND u.visibility IN ('partners', 'public')
    ORDER BY rp.ends_on DESC, u.approved_at DESC LIMIT 1) pa ON true
LEFT JOIN LATERAL (SELECT u.proposed_status, u.progress_percent FROM progress_updates u
    JOIN reporting_periods rp ON rp.id = u.period_id WHERE u.measure_id = t.id AND u.state = 'approved'
        AND u.visibility = 'public'
    ORDER BY rp.ends_on DESC, u.approved_at DESC LIMIT 1) pu ON true
WHERE m.id = t.id;

-- +goose Down
-- +goose StatementBegin
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
DROP FUNCTION derived_change_visibility(measures, measures);
DROP INDEX measures_status_public_idx;
DROP INDEX measures_status_partners_idx;
DROP INDEX measures_status_all_idx;
ALTER TABLE measures DROP COLUMN progress_public, DROP COLUMN status_public,
    DROP COLUMN progress_partners, DROP COLUMN status_partners;
ALTER TABLE measures RENAME CONSTRAINT measures_progress_all_check TO measures_progress_percent_check;
ALTER TABLE measures RENAME CONSTRAINT measures_status_all_check TO measures_current_status_check;
ALTER TABLE measures RENAME COLUMN progress_all TO progress_percent;
ALTER TABLE measures RENAME COLUMN status_all TO current_status;
CREATE INDEX measures_status_idx ON measures (plan_id, current_status);
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_row(r jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT r - 'secret_hash' - 'search_text'
$$;
-- +goose StatementEnd
