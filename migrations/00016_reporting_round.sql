-- The six-monthly reporting round: each reporting period's deadlines (reports due by the
-- submission deadline, reviewed by the review deadline; by default so many days after the
-- period ends, as its plan says), users' language and reminder choices, and the outbox of
-- notifications by e-mail, written in the transaction of the change that causes each.

-- +goose Up
ALTER TABLE plans
    ADD COLUMN submission_days integer NOT NULL DEFAULT 30 CHECK (submission_days BETWEEN 0 AND 366),
    ADD COLUMN review_days integer NOT NULL DEFAULT 60 CHECK (review_days BETWEEN 0 AND 366),
    ADD CONSTRAINT plans_review_after_submission CHECK (review_days >= submission_days);

ALTER TABLE reporting_periods RENAME COLUMN due_on TO submission_deadline;
ALTER TABLE reporting_periods RENAME CONSTRAINT reporting_periods_due_after_end TO reporting_periods_submission_after_end;
ALTER TABLE reporting_periods ADD COLUMN review_deadline date;
UPDATE reporting_periods SET review_deadline = submission_deadline + 30;
ALTER TABLE reporting_periods ALTER COLUMN review_deadline SET NOT NULL,
    ADD CONSTRAINT reporting_periods_review_after_submission CHECK (review_deadline >= submission_deadline);

ALTER TABLE users
    ADD COLUMN preferred_language text NOT NULL DEFAULT 'ru' CHECK (preferred_language IN ('tg', 'ru', 'en')),
    ADD COLUMN reminders boolean NOT NULL DEFAULT true;

-- What is to be sent, to whom, and how it went. key makes a notification that a scheduled
-- pass may find again (a reminder, a digest) exist once, whichever server finds it first.
CREATE TABLE notifications (
    id              uuid PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('reminder', 'overdue', 'sign_off_needed', 'review_needed',
                                                  'returned', 'rejected', 'approved', 'digest')),
    key             text UNIQUE,
    user_id         uuid NOT NULL REFERENCES users (id),
    email           text NOT NULL,
    language        text NOT NULL CHECK (language IN ('tg', 'ru', 'en')),
    subject         text NOT NULL,
    text_body       text NOT NULL,
    html_body       text NOT NULL,
    update_id       uuid REFERENCES progress_updates (id),
    period_id       uuid REFERENCES reporting_periods (id),
    organization_id uuid REFERENCES organizations (id),
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    last_error      text NOT NULL DEFAULT '',
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);

CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE state = 'pending';
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC, id);
CREATE INDEX notifications_order_idx ON notifications (created_at DESC, id);

-- +goose Down
DROP TABLE notifications;
ALTER TABLE users DROP COLUMN reminders, DROP COLUMN preferred_language;
ALTER TABLE reporting_periods DROP CONSTRAINT reporting_periods_review_after_submission, DROP COLUMN review_deadline;
ALTER TABLE reporting_periods RENAME CONSTRAINT reporting_periods_submission_after_end TO reporting_periods_due_after_end;
ALTER TABLE reporting_periods RENAME COLUMN submission_deadline TO due_on;
ALTER TABLE plans DROP CONSTRAINT plans_review_after_submission, DROP COLUMN review_days, DROP COLUMN submission_days;
