-- The audit trail, a hash chain of every change, and the change feed dashboards follow.
-- Triggers write both in the transaction of the change itself, whoever makes it; the
-- application stamps its transactions with the actor and the request (set_config
-- naptracker.actor_id and naptracker.request_id).

-- +goose Up
CREATE TABLE audit_events (
    seq         bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    uuid,
    action      text NOT NULL,
    entity_type text NOT NULL,
    entity_id   uuid,
    before      jsonb,
    after       jsonb,
    request_id  text NOT NULL DEFAULT '',
    prev_hash   text NOT NULL,
    hash        text NOT NULL
);

CREATE INDEX audit_events_entity_idx ON audit_events (entity_type, entity_id, seq);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, seq);
CREATE INDEX audit_events_at_idx ON audit_events (at);

-- What a hash covers: the event, canonically (jsonb text is canonical; the time in UTC, so no
-- session's time zone changes it), after the previous hash. Verification recomputes it with
-- this same function.
-- +goose StatementBegin
CREATE FUNCTION audit_hash(e audit_events) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT encode(sha256(convert_to(e.prev_hash || '|' || jsonb_build_array(
    e.seq, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.actor_id, e.action,
    e.entity_type, e.entity_id, e.before, e.after, e.request_id)::text, 'UTF8')), 'hex')
$$;

CREATE FUNCTION audit_append(action text, entity_type text, entity_id uuid, before jsonb, after jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  e audit_events;
BEGIN
  -- One chain: appends wait for each other, and the lock lasts until commit, so the chain's
  -- order is the order in which its links are committed.
  PERFORM pg_advisory_xact_lock(727102);
  e.seq := nextval(pg_get_serial_sequence('audit_events', 'seq'));
  e.at := clock_timestamp();
  e.actor_id := nullif(current_setting('naptracker.actor_id', true), '')::uuid;
  e.request_id := coalesce(current_setting('naptracker.request_id', true), '');
  e.action := action;
  e.entity_type := entity_type;
  e.entity_id := entity_id;
  e.before := before;
  e.after := after;
  e.prev_hash := coalesce((SELECT a.hash FROM audit_events a ORDER BY a.seq DESC LIMIT 1), repeat('0', 64));
  e.hash := audit_hash(e);
  INSERT INTO audit_events SELECT e.*;
END
$$;

-- Rows as the audit keeps them: without stored secrets and derived search text.
CREATE FUNCTION audit_row(r jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT r - 'secret_hash' - 'search_text'
$$;

CREATE FUNCTION audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  entity text := TG_ARGV[0];
  old_row jsonb := CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE audit_row(to_jsonb(OLD)) END;
  new_row jsonb := CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE audit_row(to_jsonb(NEW)) END;
  id uuid := coalesce(new_row, old_row) ->> coalesce(TG_ARGV[1], 'id');
  verb text := lower(TG_OP);
BEGIN
  IF TG_OP = 'UPDATE' AND old_row = new_row THEN
    RETURN NULL;
  END IF;
  IF entity = 'progress_update' AND TG_OP = 'UPDATE' AND old_row ->> 'state' <> new_row ->> 'state' THEN
    verb := 'state.' || (new_row ->> 'state');
  END IF;
  PERFORM audit_append(entity || '.' || verb, entity, id, old_row, new_row);
  RETURN NULL;
END
$$;

-- Nothing in the trail changes once written.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only' USING ERRCODE = 'P0001';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON organizations FOR EACH ROW EXECUTE FUNCTION audit_change('organization');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON source_documents FOR EACH ROW EXECUTE FUNCTION audit_change('source_document');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON recommendations FOR EACH ROW EXECUTE FUNCTION audit_change('recommendation');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON plans FOR EACH ROW EXECUTE FUNCTION audit_change('plan');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON reporting_periods FOR EACH ROW EXECUTE FUNCTION audit_change('reporting_period');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON measures FOR EACH ROW EXECUTE FUNCTION audit_change('measure');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON measure_organizations FOR EACH ROW EXECUTE FUNCTION audit_change('measure_organization', 'measure_id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON measure_recommendations FOR EACH ROW EXECUTE FUNCTION audit_change('measure_recommendation', 'measure_id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON indicators FOR EACH ROW EXECUTE FUNCTION audit_change('indicator');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION audit_change('user');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON memberships FOR EACH ROW EXECUTE FUNCTION audit_change('membership');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OF revoked_at, revoked_by OR DELETE ON api_tokens FOR EACH ROW EXECUTE FUNCTION audit_change('token');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON progress_updates FOR EACH ROW EXECUTE FUNCTION audit_change('progress_update');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON indicator_values FOR EACH ROW EXECUTE FUNCTION audit_change('indicator_value', 'update_id');
CREATE TRIGGER audit AFTER INSERT ON review_actions FOR EACH ROW EXECUTE FUNCTION audit_change('review_action', 'update_id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON evidence FOR EACH ROW EXECUTE FUNCTION audit_change('evidence');

-- +goose Down
DROP TRIGGER audit ON evidence;
DROP TRIGGER audit ON review_actions;
DROP TRIGGER audit ON indicator_values;
DROP TRIGGER audit ON progress_updates;
DROP TRIGGER audit ON api_tokens;
DROP TRIGGER audit ON memberships;
DROP TRIGGER audit ON users;
DROP TRIGGER audit ON indicators;
DROP TRIGGER audit ON measure_recommendations;
DROP TRIGGER audit ON measure_organizations;
DROP TRIGGER audit ON measures;
DROP TRIGGER audit ON reporting_periods;
DROP TRIGGER audit ON plans;
DROP TRIGGER audit ON recommendations;
DROP TRIGGER audit ON source_documents;
DROP TRIGGER audit ON organizations;
DROP FUNCTION audit_change();
DROP FUNCTION audit_row(jsonb);
DROP FUNCTION audit_append(text, text, uuid, jsonb, jsonb);
DROP FUNCTION audit_hash(audit_events);
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
