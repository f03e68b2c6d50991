-- Only the notifications a scheduled pass may find again (reminders, overdue notices, digests)
-- have a key. The notices of review steps, most of the outbox and a dozen or more a step, have
-- none, and now take no entry in its index.

-- +goose Up
CREATE UNIQUE INDEX notifications_key_idx ON notifications (key) WHERE key IS NOT NULL;
ALTER TABLE notifications DROP CONSTRAINT notifications_key_key;

-- +goose Down
ALTER TABLE notifications ADD CONSTRAINT notifications_key_key UNIQUE (key);
DROP INDEX notifications_key_idx;
