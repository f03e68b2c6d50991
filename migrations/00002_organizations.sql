-- State bodies and partners that lead, co-implement or support measures.

-- +goose Up
CREATE TABLE organizations (
    id              uuid PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[A-Z][A-Z0-9-]{0,31}$'),
    kind            text NOT NULL CHECK (kind IN ('ministry', 'agency', 'coordinating_body', 'nhri',
                                                 'local_government', 'ngo', 'international_org')),
    name            jsonb NOT NULL CHECK (i18n_valid(name) AND name <> '{}'),
    parent_id       uuid REFERENCES organizations (id) CONSTRAINT organizations_not_own_parent CHECK (parent_id <> id),
    successor_id    uuid REFERENCES organizations (id) CONSTRAINT organizations_not_own_successor CHECK (successor_id <> id),
    active          boolean NOT NULL DEFAULT true,
    valid_from      date,
    valid_to        date CONSTRAINT organizations_valid_to_after_valid_from CHECK (valid_to >= valid_from),
    provenance      text NOT NULL CHECK (provenance IN ('sourced', 'partly_sourced', 'illustrative')),
    provenance_note text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid
);

CREATE INDEX organizations_parent_idx ON organizations (parent_id);
CREATE INDEX organizations_kind_idx ON organizations (kind, code);

-- +goose Down
DROP TABLE organizations;
