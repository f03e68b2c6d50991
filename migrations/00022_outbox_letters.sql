-- A review step tells each of a dozen readers or more the same thing, and its notices were
-- the largest statement of a step. Two changes make the outbox lighter:
--
-- What a notification says is kept once for all its readers in a language, as a letter; each
-- reader's notification keeps only their greeting, written between the letter's halves when
-- it is read or sent. A step wrote a dozen copies of its letter before: half the outbox's
-- bytes and of its write-ahead log.
--
-- The notifications no longer check their references to the user, the update, the
-- organization and the letter. The checks were a third of the statement's time, and each
-- locked rows that every concurrent step shares (the organization's, its approvers'). The
-- ids come from rows read in the same transaction (the letter from the same statement), and
-- none of those rows can go: the role the server runs as may not delete users,
-- organizations, updates or letters (README, "Two database roles"; internal/postgres/roles.go).

-- +goose Up
CREATE TABLE letters (
    id          uuid PRIMARY KEY,
    subject     text NOT NULL,
    text_before text NOT NULL,
    text_after  text NOT NULL,
    html_before text NOT NULL,
    html_after  text NOT NULL
);

ALTER TABLE notifications
    ADD COLUMN letter_id uuid,
    ADD COLUMN text_greeting text NOT NULL DEFAULT '',
    ADD COLUMN html_greeting text NOT NULL DEFAULT '';

-- A notification kept before is a letter of its own, whole, with no greeting of its own.
INSERT INTO letters (id, subject, text_before, text_after, html_before, html_after)
SELECT id, subject, text_body, '', html_body, '' FROM notifications;
UPDATE notifications SET letter_id = id;

ALTER TABLE notifications
    ALTER COLUMN letter_id SET NOT NULL,
    DROP COLUMN subject,
    DROP COLUMN text_body,
    DROP COLUMN html_body,
    DROP CONSTRAINT notifications_user_id_fkey,
    DROP CONSTRAINT notifications_update_id_fkey,
    DROP CONSTRAINT notifications_organization_id_fkey;

-- +goose Down
ALTER TABLE notifications
    ADD COLUMN subject text,
    ADD COLUMN text_body text,
    ADD COLUMN html_body text;

UPDATE notifications n
SET subject = l.subject,
    text_body = l.text_before || n.text_greeting || l.text_after,
    html_body = l.html_before || n.html_greeting || l.html_after
FROM letters l
WHERE l.id = n.letter_id;

ALTER TABLE notifications
    ALTER COLUMN subject SET NOT NULL,
    ALTER COLUMN text_body SET NOT NULL,
    ALTER COLUMN html_body SET NOT NULL,
    DROP COLUMN letter_id,
    DROP COLUMN text_greeting,
    DROP COLUMN html_greeting,
    ADD CONSTRAINT notifications_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    ADD CONSTRAINT notifications_update_id_fkey FOREIGN KEY (update_id) REFERENCES progress_updates (id),
    ADD CONSTRAINT notifications_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations (id);

DROP TABLE letters;
