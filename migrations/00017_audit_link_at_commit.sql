-- The audit chain is linked when a transaction commits, not as it goes: a change stages its
-- audit events, without waiting for anyone, and the events join the chain, in the order they
-- were staged, at the end of their transaction. Only then does it take the chain's lock, held
-- until commit, so writers wait for each other only while linking, and the chain's order is
-- still the order in which its links are committed.

-- +goose Up
-- Events staged by transactions still running: none is ever committed here, as the
-- transaction's linking deletes what it links. Nothing needs them after a crash.
CREATE UNLOGGED TABLE audit_staged (
    xid               xid8 NOT NULL DEFAULT pg_current_xact_id(),
    n                 bigserial,
    actor_id          uuid,
    request_id        text NOT NULL,
    client_request_id text NOT NULL,
    action            text NOT NULL,
    entity_type       text NOT NULL,
    entity_id         uuid,
    before            jsonb,
    after             jsonb,
    -- The first event staged since the transaction last linked: it queues the linking.
    link              boolean NOT NULL,
    PRIMARY KEY (xid, n)
);

-- +goose StatementBegin
-- Stages an event of the caller's transaction (and of its actor and request), to be linked
-- into the chain when the transaction commits. naptracker.audit_pending is set, until the end
-- of the transaction or of the savepoint that stages it, while a linking is queued.
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

-- Links the transaction's staged events into the chain, in the order they were staged. The
-- lock lasts until commit: the next transaction to link reads this one's last hash.
CREATE FUNCTION audit_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  s audit_staged;
  e audit_events;
  prev text;
BEGIN
  -- A snapshot older than the lock would not see the chain's head.
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
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER audit_link AFTER INSERT ON audit_staged DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.link) EXECUTE FUNCTION audit_link();

-- +goose Down
DROP TRIGGER audit_link ON audit_staged;
DROP FUNCTION audit_link();
-- +goose StatementBegin
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
DROP TABLE audit_staged;
