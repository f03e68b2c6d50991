-- Measures of a plan, who carries them out, and the recommendations they answer.

-- +goose Up
CREATE TABLE measures (
    id               uuid PRIMARY KEY,
    plan_id          uuid NOT NULL REFERENCES plans (id),
    code             text COLLATE natural_sort NOT NULL CHECK (code ~ '^[0-9A-Za-z][0-9A-Za-z.-]{0,31}$'),
    title            jsonb NOT NULL CONSTRAINT measures_title_in_tg_ru_or_en CHECK (i18n_valid(title) AND title <> '{}'),
    description      jsonb NOT NULL DEFAULT '{}' CHECK (i18n_valid(description)),
    expected_result  jsonb NOT NULL DEFAULT '{}' CHECK (i18n_valid(expected_result)),
    -- The plan's own wording of the deadline ("постоянно", "IV кв. 2014").
    deadline_text    jsonb NOT NULL DEFAULT '{}' CHECK (i18n_valid(deadline_text)),
    due_start        date,
    due_end          date CONSTRAINT measures_due_end_after_due_start CHECK (due_end >= due_start),
    lead_id          uuid NOT NULL REFERENCES organizations (id),
    articles         smallint[] NOT NULL DEFAULT '{}'
                     CHECK (array_position(articles, NULL) IS NULL
                            AND 1 <= ALL (articles) AND 93 >= ALL (articles)),
    provenance       text NOT NULL CHECK (provenance IN ('sourced', 'partly_sourced', 'illustrative')),
    provenance_note  text NOT NULL DEFAULT '',
    -- Derived from the latest approved progress update; never entered by hand.
    current_status   text NOT NULL DEFAULT 'no_information'
                     CHECK (current_status IN ('no_information', 'not_started', 'in_progress', 'ongoing',
                                               'partially_implemented', 'implemented', 'not_implemented',
                                               'cancelled')),
    progress_percent smallint CHECK (progress_percent BETWEEN 0 AND 100),
    search_text      text GENERATED ALWAYS AS (
                         lower(code) || ' ' || i18n_search(title) || ' ' || i18n_search(description)) STORED,
    version          integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       uuid,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    updated_by       uuid,
    UNIQUE (plan_id, code)
);

CREATE INDEX measures_order_idx ON measures (plan_id, code, id);
CREATE INDEX measures_lead_idx ON measures (lead_id, plan_id);
CREATE INDEX measures_status_idx ON measures (plan_id, current_status);
CREATE INDEX measures_due_idx ON measures (plan_id, due_end);
CREATE INDEX measures_articles_idx ON measures USING gin (articles);
CREATE INDEX measures_search_idx ON measures USING gin (search_text gin_trgm_ops);

-- Co-implementers share the work and report on it; partners support it and only read.
CREATE TABLE measure_organizations (
    measure_id      uuid NOT NULL REFERENCES measures (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    role            text NOT NULL CHECK (role IN ('co_implementer', 'partner')),
    PRIMARY KEY (measure_id, organization_id)
);

CREATE INDEX measure_organizations_org_idx ON measure_organizations (organization_id, role, measure_id);

CREATE TABLE measure_recommendations (
    measure_id        uuid NOT NULL REFERENCES measures (id) ON DELETE CASCADE,
    recommendation_id uuid NOT NULL REFERENCES recommendations (id),
    PRIMARY KEY (measure_id, recommendation_id)
);

CREATE INDEX measure_recommendations_rec_idx ON measure_recommendations (recommendation_id, measure_id);

-- +goose Down
DROP TABLE measure_recommendations;
DROP TABLE measure_organizations;
DROP TABLE measures;
