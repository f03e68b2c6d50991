-- The documents that carry recommendations (concluding observations) and the recommendations.

-- +goose Up
CREATE TABLE source_documents (
    id              uuid PRIMARY KEY,
    symbol          text NOT NULL UNIQUE CHECK (btrim(symbol) <> ''),
    mechanism       text NOT NULL CHECK (mechanism IN ('CMW', 'UPR', 'CCPR', 'CESCR', 'CEDAW', 'CRC',
                                                       'CAT', 'CERD', 'ILO', 'other')),
    title           jsonb NOT NULL CHECK (i18n_valid(title) AND title <> '{}'),
    adopted_on      date,
    url             text NOT NULL DEFAULT '',
    provenance      text NOT NULL CHECK (provenance IN ('sourced', 'partly_sourced', 'illustrative')),
    provenance_note text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid
);

CREATE TABLE recommendations (
    id              uuid PRIMARY KEY,
    document_id     uuid NOT NULL REFERENCES source_documents (id),
    code            text COLLATE natural_sort NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9.()-]{0,31}$'),
    -- The paragraph of the document; "~" marks a number not yet verified against the text.
    paragraph       text NOT NULL DEFAULT '',
    section         text NOT NULL DEFAULT '',
    themes          text[] NOT NULL DEFAULT '{}'
                    CHECK (array_position(themes, NULL) IS NULL
                           AND array_to_string(themes, ',') ~ '^([a-z][a-z0-9_]*(,|$))*$'),
    articles        smallint[] NOT NULL DEFAULT '{}'
                    CHECK (array_position(articles, NULL) IS NULL
                           AND 1 <= ALL (articles) AND 93 >= ALL (articles)),
    text            jsonb NOT NULL CHECK (i18n_valid(text) AND text <> '{}'),
    provenance      text NOT NULL CHECK (provenance IN ('sourced', 'partly_sourced', 'illustrative')),
    provenance_note text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid,
    UNIQUE (document_id, code)
);

CREATE INDEX recommendations_order_idx ON recommendations (code, id);
CREATE INDEX recommendations_articles_idx ON recommendations USING gin (articles);
CREATE INDEX recommendations_themes_idx ON recommendations USING gin (themes);

-- +goose Down
DROP TABLE recommendations;
DROP TABLE source_documents;
