-- Indicators by which a measure's progress is judged.

-- +goose Up
CREATE TABLE indicators (
    id              uuid PRIMARY KEY,
    measure_id      uuid NOT NULL REFERENCES measures (id) ON DELETE CASCADE,
    code            text COLLATE natural_sort NOT NULL CHECK (code ~ '^[0-9A-Za-z][0-9A-Za-z.-]{0,31}$'),
    title           jsonb NOT NULL CHECK (i18n_valid(title) AND title <> '{}'),
    kind            text NOT NULL CHECK (kind IN ('number', 'percent', 'milestone', 'text')),
    unit            text NOT NULL DEFAULT '',
    baseline        numeric,
    target          numeric,
    target_date     date,
    disaggregations text[] NOT NULL DEFAULT '{}'
                    CHECK (disaggregations <@ ARRAY['sex', 'age_group', 'region', 'country']),
    provenance      text NOT NULL CHECK (provenance IN ('sourced', 'partly_sourced', 'illustrative')),
    provenance_note text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid,
    UNIQUE (measure_id, code),
    CONSTRAINT indicators_percent_within_0_100
        CHECK (kind <> 'percent' OR (coalesce(baseline, 0) BETWEEN 0 AND 100 AND coalesce(target, 0) BETWEEN 0 AND 100)),
    CONSTRAINT indicators_baseline_target_only_for_numbers
        CHECK (kind IN ('number', 'percent') OR (baseline IS NULL AND target IS NULL))
);

-- +goose Down
DROP TABLE indicators;
