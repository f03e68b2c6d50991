-- Action plans and their reporting periods.

-- +goose Up
CREATE TABLE plans (
    id                uuid PRIMARY KEY,
    code              text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9-]{0,63}$'),
    title             jsonb NOT NULL CHECK (i18n_valid(title) AND title <> '{}'),
    period_start      date NOT NULL,
    period_end        date NOT NULL CONSTRAINT plans_period_end_after_start CHECK (period_end >= period_start),
    extended_to       date CONSTRAINT plans_extended_to_after_period_end CHECK (extended_to >= period_end),
    approved_on       date,
    approved_by_id    uuid REFERENCES organizations (id),
    legal_basis       jsonb NOT NULL DEFAULT '{}' CHECK (i18n_valid(legal_basis)),
    status            text NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'adopted', 'active', 'closed', 'superseded')),
    requires_sign_off boolean NOT NULL DEFAULT true,
    provenance        text NOT NULL CHECK (provenance IN ('sourced', 'partly_sourced', 'illustrative')),
    provenance_note   text NOT NULL DEFAULT '',
    version           integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by        uuid,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    updated_by        uuid
);

CREATE INDEX plans_status_idx ON plans (status, code);

CREATE TABLE reporting_periods (
    id         uuid PRIMARY KEY,
    plan_id    uuid NOT NULL REFERENCES plans (id),
    label      text NOT NULL CHECK (label ~ '^[0-9]{4}-(H[12]|Q[1-4]|Y)$'),
    starts_on  date NOT NULL,
    ends_on    date NOT NULL CONSTRAINT reporting_periods_ends_after_start CHECK (ends_on >= starts_on),
    due_on     date NOT NULL CONSTRAINT reporting_periods_due_after_end CHECK (due_on >= ends_on),
    state      text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'locked')),
    version    integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid,
    UNIQUE (plan_id, label)
);

CREATE INDEX reporting_periods_order_idx ON reporting_periods (plan_id, label, id);

-- +goose Down
DROP TABLE reporting_periods;
DROP TABLE plans;
