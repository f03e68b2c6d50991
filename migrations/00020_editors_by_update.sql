-- Whether someone edited an update is read off the update's own events (EditedUpdate), in the
-- chain and among those staged and not yet linked, never off the events of the person asking,
-- whose history grows without bound. Evidence's events name their update only inside their
-- rows, hence the expression indexes. The staged events are found by index too: the queue
-- holds thousands of dead rows between two vacuums, which a scan would read every time.

-- +goose Up
CREATE INDEX audit_events_evidence_update_idx ON audit_events ((coalesce(after, before) ->> 'update_id'))
  WHERE entity_type = 'evidence';
CREATE INDEX audit_staged_entity_idx ON audit_staged (entity_id);
CREATE INDEX audit_staged_evidence_update_idx ON audit_staged ((coalesce(after, before) ->> 'update_id'))
  WHERE entity_type = 'evidence';

-- +goose Down
DROP INDEX audit_staged_evidence_update_idx;
DROP INDEX audit_staged_entity_idx;
DROP INDEX audit_events_evidence_update_idx;
