-- Who may use the API: users, their roles in organizations, and their API tokens.

-- +goose Up
CREATE TABLE users (
    id         uuid PRIMARY KEY,
    email      text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    name       text NOT NULL CHECK (btrim(name) <> ''),
    active     boolean NOT NULL DEFAULT true,
    version    integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid REFERENCES users (id),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid REFERENCES users (id)
);

CREATE UNIQUE INDEX users_email_idx ON users (lower(email));

-- A role a user holds: global roles (organization_id NULL, the domain "*") or a role in one
-- organization. Revoking ends the membership (valid_to) and keeps the row.
CREATE TABLE memberships (
    id              uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id),
    organization_id uuid REFERENCES organizations (id),
    role            text NOT NULL CHECK (role IN ('admin', 'coordinator', 'auditor', 'partner',
                                                  'approver', 'focal_point', 'viewer')),
    valid_from      timestamptz NOT NULL DEFAULT now(),
    valid_to        timestamptz CHECK (valid_to >= valid_from),
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      uuid REFERENCES users (id),
    revoked_by      uuid REFERENCES users (id),
    CHECK ((role IN ('admin', 'coordinator', 'auditor', 'partner')) = (organization_id IS NULL))
);

CREATE INDEX memberships_user_idx ON memberships (user_id, valid_to);
CREATE INDEX memberships_live_idx ON memberships (valid_to, valid_from);

-- Opaque bearer secrets, stored only as their SHA-256.
CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id),
    name         text NOT NULL CHECK (btrim(name) <> ''),
    secret_hash  bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   uuid REFERENCES users (id),
    revoked_by   uuid REFERENCES users (id)
);

CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, created_at);

-- Every running server reloads who holds which role when this channel speaks.
-- +goose StatementBegin
CREATE FUNCTION notify_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('naptracker_access', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER memberships_changed AFTER INSERT OR UPDATE OR DELETE ON memberships
  FOR EACH STATEMENT EXECUTE FUNCTION notify_access_changed();
CREATE TRIGGER users_changed AFTER UPDATE OF active ON users
  FOR EACH STATEMENT EXECUTE FUNCTION notify_access_changed();

-- Whoever created or last changed a row is a user.
ALTER TABLE organizations ADD FOREIGN KEY (created_by) REFERENCES users (id), ADD FOREIGN KEY (updated_by) REFERENCES users (id);
ALTER TABLE source_documents ADD FOREIGN KEY (created_by) REFERENCES users (id), ADD FOREIGN KEY (updated_by) REFERENCES users (id);
ALTER TABLE recommendations ADD FOREIGN KEY (created_by) REFERENCES users (id), ADD FOREIGN KEY (updated_by) REFERENCES users (id);
ALTER TABLE plans ADD FOREIGN KEY (created_by) REFERENCES users (id), ADD FOREIGN KEY (updated_by) REFERENCES users (id);
ALTER TABLE reporting_periods ADD FOREIGN KEY (created_by) REFERENCES users (id), ADD FOREIGN KEY (updated_by) REFERENCES users (id);
ALTER TABLE measures ADD FOREIGN KEY (created_by) REFERENCES users (id), ADD FOREIGN KEY (updated_by) REFERENCES users (id);
ALTER TABLE indicators ADD FOREIGN KEY (created_by) REFERENCES users (id), ADD FOREIGN KEY (updated_by) REFERENCES users (id);

-- +goose Down
ALTER TABLE indicators DROP CONSTRAINT indicators_created_by_fkey, DROP CONSTRAINT indicators_updated_by_fkey;
ALTER TABLE measures DROP CONSTRAINT measures_created_by_fkey, DROP CONSTRAINT measures_updated_by_fkey;
ALTER TABLE reporting_periods DROP CONSTRAINT reporting_periods_created_by_fkey, DROP CONSTRAINT reporting_periods_updated_by_fkey;
ALTER TABLE plans DROP CONSTRAINT plans_created_by_fkey, DROP CONSTRAINT plans_updated_by_fkey;
ALTER TABLE recommendations DROP CONSTRAINT recommendations_created_by_fkey, DROP CONSTRAINT recommendations_updated_by_fkey;
ALTER TABLE source_documents DROP CONSTRAINT source_documents_created_by_fkey, DROP CONSTRAINT source_documents_updated_by_fkey;
ALTER TABLE organizations DROP CONSTRAINT organizations_created_by_fkey, DROP CONSTRAINT organizations_updated_by_fkey;
DROP TABLE api_tokens;
DROP TABLE memberships;
DROP TABLE users;
DROP FUNCTION notify_access_changed();
