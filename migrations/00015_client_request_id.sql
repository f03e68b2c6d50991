-- The request id the audit trail records is the server's own; the one a client sent, if any,
-- is kept beside it, for the client's logs, and can name no other request.

-- +goose Up
ALTER TABLE audit_events ADD COLUMN client_request_id text NOT NULL DEFAULT '';

-- +goose StatementBegin
-- The hash covers the client's id too, when there is one; events without one hash as before.
CREATE OR REPLACE FUNCTION audit_hash(e audit_events) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT encode(sha256(convert_to(e.prev_hash || '|' || (jsonb_build_array(
    e.seq, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.actor_id, e.action,
    e.entity_type, e.entity_id, e.before, e.after, e.request_id)
    || CASE WHEN e.client_request_id = '' THEN '[]'::jsonb ELSE jsonb_build_array(e.client_request_id) END)::text,
    'UTF8')), 'hex')
$$;

CREATE OR REPLACE FUNCTION audit_append(action text, entity_type text, entity_id uuid, before jsonb, after jsonb) RETURNS void
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
  e.client_request_id := coalesce(current_setting('naptracker.client_request_id', true), '');
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
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_append(action text, entity_type text, entity_id uuid, before jsonb, after jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  e audit_events;
BEGIN
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
-- +goose StatementEnd
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_hash(e audit_events) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT encode(sha256(convert_to(e.prev_hash || '|' || jsonb_build_array(
    e.seq, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), e.actor_id, e.action,
    e.entity_type, e.entity_id, e.before, e.after, e.request_id)::text, 'UTF8')), 'hex')
$$;
-- +goose StatementEnd
ALTER TABLE audit_events DROP COLUMN client_request_id;
