-- Progress reporting: updates, the values they report, their review, and their evidence.

-- +goose Up
CREATE TABLE progress_updates (
    id                uuid PRIMARY KEY,
    measure_id        uuid NOT NULL REFERENCES measures (id),
    period_id         uuid NOT NULL REFERENCES reporting_periods (id),
    reporting_org_id  uuid NOT NULL REFERENCES organizations (id),
    author_id         uuid REFERENCES users (id),
    last_editor_id    uuid REFERENCES users (id),
    signed_off_by     uuid REFERENCES users (id),
    approved_by       uuid REFERENCES users (id),
    state             text NOT NULL DEFAULT 'draft'
                      CHECK (state IN ('draft', 'submitted', 'signed_off', 'returned', 'approved',
                                       'rejected', 'withdrawn', 'superseded')),
    proposed_status   text NOT NULL
                      CHECK (proposed_status IN ('not_started', 'in_progress', 'ongoing', 'partially_implemented',
                                                 'implemented', 'not_implemented', 'cancelled')),
    progress_percent  smallint CHECK (progress_percent BETWEEN 0 AND 100),
    narrative         jsonb NOT NULL DEFAULT '{}' CHECK (i18n_valid(narrative)),
    challenges        jsonb NOT NULL DEFAULT '{}' CHECK (i18n_valid(challenges)),
    next_steps        jsonb NOT NULL DEFAULT '{}' CHECK (i18n_valid(next_steps)),
    visibility        text NOT NULL DEFAULT 'internal' CHECK (visibility IN ('internal', 'partners', 'public')),
    supersedes        uuid REFERENCES progress_updates (id),
    correction_reason text NOT NULL DEFAULT '',
    superseded_by     uuid REFERENCES progress_updates (id),
    content_sha256    text CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    submitted_at      timestamptz,
    approved_at       timestamptz,
    provenance        text NOT NULL DEFAULT 'sourced' CHECK (provenance IN ('sourced', 'partly_sourced', 'illustrative')),
    provenance_note   text NOT NULL DEFAULT '',
    version           integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by        uuid REFERENCES users (id),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    updated_by        uuid REFERENCES users (id),
    CONSTRAINT progress_updates_correction_has_reason CHECK (supersedes IS NULL OR btrim(correction_reason) <> ''),
    CONSTRAINT progress_updates_approved_has_digest CHECK (state NOT IN ('approved', 'superseded') OR content_sha256 IS NOT NULL)
);

-- One update in the works per measure, period and organization.
CREATE UNIQUE INDEX progress_updates_one_open_idx ON progress_updates (measure_id, period_id, reporting_org_id)
    WHERE state IN ('draft', 'submitted', 'signed_off', 'returned');
CREATE INDEX progress_updates_measure_idx ON progress_updates (measure_id, created_at, id);
CREATE INDEX progress_updates_org_idx ON progress_updates (reporting_org_id, state);
CREATE INDEX progress_updates_approved_idx ON progress_updates (measure_id, approved_at) WHERE state = 'approved';

CREATE TABLE indicator_values (
    id             uuid PRIMARY KEY,
    update_id      uuid NOT NULL REFERENCES progress_updates (id) ON DELETE CASCADE,
    indicator_id   uuid NOT NULL REFERENCES indicators (id),
    value          numeric,
    text           text NOT NULL DEFAULT '',
    disaggregation jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(disaggregation) = 'object'),
    note           text NOT NULL DEFAULT '',
    UNIQUE (update_id, indicator_id, disaggregation)
);

-- Each step of an update's review, in order; never edited.
CREATE TABLE review_actions (
    id         uuid PRIMARY KEY,
    update_id  uuid NOT NULL REFERENCES progress_updates (id),
    actor_id   uuid REFERENCES users (id),
    action     text NOT NULL CHECK (action IN ('submit', 'sign_off', 'return', 'approve', 'reject', 'withdraw')),
    from_state text NOT NULL,
    to_state   text NOT NULL,
    comment    text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX review_actions_update_idx ON review_actions (update_id, at, id);

-- Content-addressed file content, in chunks, so every server reads what any stored.
CREATE TABLE blobs (
    sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blob_chunks (
    sha256 text NOT NULL REFERENCES blobs (sha256) ON DELETE CASCADE ON UPDATE CASCADE,
    seq    integer NOT NULL CHECK (seq >= 0),
    data   bytea NOT NULL,
    PRIMARY KEY (sha256, seq)
);

CREATE TABLE evidence (
    id            uuid PRIMARY KEY,
    update_id     uuid NOT NULL REFERENCES progress_updates (id),
    kind          text NOT NULL CHECK (kind IN ('legal_act', 'decree', 'statistics', 'report', 'training_record',
                                                'agreement', 'publication', 'media', 'photo', 'web_page', 'other')),
    title         jsonb NOT NULL CHECK (i18n_valid(title) AND title <> '{}'),
    language      text NOT NULL DEFAULT '' CHECK (language IN ('', 'tg', 'ru', 'en', 'other')),
    document_date date,
    url           text CHECK (url ~ '^https?://'),
    filename      text NOT NULL DEFAULT '',
    media_type    text NOT NULL DEFAULT '',
    size_bytes    bigint CHECK (size_bytes >= 0),
    sha256        text REFERENCES blobs (sha256),
    visibility    text NOT NULL DEFAULT 'internal' CHECK (visibility IN ('internal', 'partners', 'public')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    uuid REFERENCES users (id),
    CONSTRAINT evidence_file_or_url CHECK ((url IS NULL) <> (sha256 IS NULL))
);

CREATE INDEX evidence_update_idx ON evidence (update_id, created_at, id);

-- Nothing approved changes: an approved update's content, values and evidence are fixed; it
-- may only become superseded. A row that breaks this is refused whoever writes it.
-- +goose StatementBegin
CREATE FUNCTION progress_updates_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR OLD.state = 'superseded'
     OR (OLD.state = 'approved' AND (NEW.state NOT IN ('approved', 'superseded')
         OR (to_jsonb(NEW) - ARRAY['state', 'superseded_by', 'version', 'updated_at', 'updated_by'])
            IS DISTINCT FROM (to_jsonb(OLD) - ARRAY['state', 'superseded_by', 'version', 'updated_at', 'updated_by']))) THEN
    RAISE EXCEPTION 'progress update % is approved and cannot change', OLD.id USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END
$$;

CREATE FUNCTION update_content_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  target uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.update_id ELSE NEW.update_id END;
BEGIN
  IF EXISTS (SELECT 1 FROM progress_updates WHERE id = target AND state IN ('approved', 'superseded')) THEN
    RAISE EXCEPTION 'progress update % is approved: its % cannot change', target, TG_TABLE_NAME USING ERRCODE = 'P0001';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER progress_updates_frozen BEFORE UPDATE OR DELETE ON progress_updates
  FOR EACH ROW WHEN (OLD.state IN ('approved', 'superseded')) EXECUTE FUNCTION progress_updates_frozen();
CREATE TRIGGER indicator_values_frozen BEFORE INSERT OR UPDATE OR DELETE ON indicator_values
  FOR EACH ROW EXECUTE FUNCTION update_content_frozen();
CREATE TRIGGER evidence_frozen BEFORE INSERT OR UPDATE OR DELETE ON evidence
  FOR EACH ROW EXECUTE FUNCTION update_content_frozen();

-- +goose Down
DROP TABLE evidence;
DROP TABLE blob_chunks;
DROP TABLE blobs;
DROP TABLE review_actions;
DROP TABLE indicator_values;
DROP TABLE progress_updates;
DROP FUNCTION update_content_frozen();
DROP FUNCTION progress_updates_frozen();
