-- A revoked token is announced on the access channel, so every server forgets at once the
-- callers it remembers, as it does when memberships or users' activity change.

-- +goose Up
CREATE TRIGGER tokens_changed AFTER UPDATE OF revoked_at ON api_tokens
  FOR EACH STATEMENT EXECUTE FUNCTION notify_access_changed();

-- +goose Down
DROP TRIGGER tokens_changed ON api_tokens;
