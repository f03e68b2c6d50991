-- Signed checkpoints of the audit trail: the hash of the trail's head at a sequence number,
-- signed with the server's Ed25519 key. A partner who keeps copies of them (a witness) can
-- later prove that the trail still reaches each and was not rewritten before it: what a
-- database superuser could otherwise do unnoticed, recomputing every hash.

-- +goose Up
CREATE TABLE audit_checkpoints (
    seq        bigint PRIMARY KEY,
    head       text NOT NULL CHECK (head ~ '^[0-9a-f]{64}$'),
    signed_at  timestamptz NOT NULL,
    key_id     text NOT NULL CHECK (key_id ~ '^[0-9a-f]{16}$'),
    public_key text NOT NULL,
    signature  text NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit checkpoints are append-only' USING ERRCODE = 'P0001';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only();

-- +goose Down
DROP TABLE audit_checkpoints;
DROP FUNCTION audit_checkpoints_append_only();
