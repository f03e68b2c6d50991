package postgres

import (
	"context"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// notificationColumns are a notification's, aliased n, and its letter's, aliased l.
const notificationColumns = `n.id, n.kind, coalesce(n.key, '') AS key, n.user_id, n.email, n.language, l.subject,
	l.text_before, l.text_after, l.html_before, l.html_after, n.text_greeting, n.html_greeting,
	coalesce(n.update_id::text, '') AS update_id, coalesce(n.period_id::text, '') AS period_id,
	coalesce(n.organization_id::text, '') AS organization_id,
	n.state, n.attempts, n.last_error, n.next_attempt_at, n.created_at, n.sent_at`

const notificationsWithLetters = `notifications n JOIN letters l ON l.id = n.letter_id`

type notificationRow struct {
	ID, Kind, Key, UserID, Email, Language, Subject      string
	TextBefore, TextAfter, HTMLBefore, HTMLAfter         string
	TextGreeting, HTMLGreeting                           string
	UpdateID, PeriodID, OrganizationID, State, LastError string
	Attempts                                             int
	NextAttemptAt, CreatedAt                             time.Time
	SentAt                                               *time.Time
}

func (r notificationRow) sortKey() string { return r.CreatedAt.UTC().Format(time.RFC3339Nano) }
func (r notificationRow) rowID() string   { return r.ID }

func (r notificationRow) toNap() nap.Notification {
	return nap.Notification{ID: r.ID, Kind: nap.NotificationKind(r.Kind), Key: r.Key, UserID: r.UserID, Email: r.Email,
		Language: r.Language, Letter: nap.Letter{Subject: r.Subject, TextBefore: r.TextBefore, TextAfter: r.TextAfter,
			HTMLBefore: r.HTMLBefore, HTMLAfter: r.HTMLAfter},
		Greeting: nap.Greeting{Text: r.TextGreeting, HTML: r.HTMLGreeting},
		UpdateID: r.UpdateID, PeriodID: r.PeriodID, OrganizationID: r.OrganizationID, State: r.State, Attempts: r.Attempts,
		LastError: r.LastError, NextAttemptAt: r.NextAttemptAt, CreatedAt: r.CreatedAt, SentAt: r.SentAt}
}

// Recipients returns the active users among ids, with what notifications need of them.
func (db *DB) Recipients(ctx context.Context, ids []string) ([]nap.Recipient, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []nap.Recipient
	err := db.conn(ctx).Raw(`SELECT id AS user_id, email, name, preferred_language AS language, reminders
		FROM users WHERE active AND id = ANY (?::uuid[]) ORDER BY lower(email)`, TextArray(ids)).Scan(&rows).Error
	return rows, err
}

// Enqueue keeps notifications in the outbox, in the caller's transaction when there is one:
// they are sent only once it commits. A notification whose key is kept already is not kept
// again. It returns how many it kept. One statement keeps them all (a step may tell every
// approver of an organization) and each of their letters once, however many read it; a
// letter that none of the notifications it kept reads is not kept.
func (db *DB) Enqueue(ctx context.Context, ns []nap.Notification) (int, error) {
	if len(ns) == 0 {
		return 0, nil
	}
	var l struct{ ids, subjects, textBefore, textAfter, htmlBefore, htmlAfter TextArray }
	var c struct{ ids, kinds, keys, users, emails, languages, letters, textGreetings, htmlGreetings, updates, periods, orgs, next TextArray }
	letters := map[nap.Letter]string{}
	for _, n := range ns {
		letter, ok := letters[n.Letter]
		if !ok {
			letter = newID()
			letters[n.Letter] = letter
			l.ids = append(l.ids, letter)
			l.subjects = append(l.subjects, n.Letter.Subject)
			l.textBefore = append(l.textBefore, n.Letter.TextBefore)
			l.textAfter = append(l.textAfter, n.Letter.TextAfter)
			l.htmlBefore = append(l.htmlBefore, n.Letter.HTMLBefore)
			l.htmlAfter = append(l.htmlAfter, n.Letter.HTMLAfter)
		}
		c.ids = append(c.ids, newID())
		c.kinds = append(c.kinds, string(n.Kind))
		c.keys = append(c.keys, n.Key)
		c.users = append(c.users, n.UserID)
		c.emails = append(c.emails, n.Email)
		c.languages = append(c.languages, n.Language)
		c.letters = append(c.letters, letter)
		c.textGreetings = append(c.textGreetings, n.Greeting.Text)
		c.htmlGreetings = append(c.htmlGreetings, n.Greeting.HTML)
		c.updates = append(c.updates, n.UpdateID)
		c.periods = append(c.periods, n.PeriodID)
		c.orgs = append(c.orgs, n.OrganizationID)
		c.next = append(c.next, n.NextAttemptAt.UTC().Format(time.RFC3339Nano))
	}
	var kept int
	err := db.conn(ctx).Raw(`WITH kept AS (
			INSERT INTO notifications (id, kind, key, user_id, email, language, letter_id, text_greeting, html_greeting,
				update_id, period_id, organization_id, next_attempt_at)
			SELECT id::uuid, kind, nullif(key, ''), user_id::uuid, email, language, letter_id::uuid, text_greeting,
				html_greeting, nullif(update_id, '')::uuid, nullif(period_id, '')::uuid, nullif(organization_id, '')::uuid,
				next_attempt_at::timestamptz
			FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
				?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY
				AS n(id, kind, key, user_id, email, language, letter_id, text_greeting, html_greeting, update_id, period_id,
					organization_id, next_attempt_at, n)
			ORDER BY n
			ON CONFLICT (key) WHERE key IS NOT NULL DO NOTHING
			RETURNING letter_id
		), letters AS (
			INSERT INTO letters (id, subject, text_before, text_after, html_before, html_after)
			SELECT id::uuid, subject, text_before, text_after, html_before, html_after
			FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
				AS l(id, subject, text_before, text_after, html_before, html_after)
			WHERE id::uuid IN (SELECT letter_id FROM kept)
		)
		SELECT count(*) FROM kept`, c.ids, c.kinds, c.keys, c.users, c.emails, c.languages, c.letters, c.textGreetings,
		c.htmlGreetings, c.updates, c.periods, c.orgs, c.next,
		l.ids, l.subjects, l.textBefore, l.textAfter, l.htmlBefore, l.htmlAfter).Scan(&kept).Error
	return kept, err
}

// OpenRounds returns the open reporting periods of published plans whose round is on as of
// day: from lead days before their submission deadline until their review deadline.
func (db *DB) OpenRounds(ctx context.Context, day time.Time, lead int) ([]nap.ReportingPeriod, error) {
	var rows []periodRow
	err := db.conn(ctx).Table("reporting_periods rp").Select(periodColumns).
		Joins("JOIN plans p ON p.id = rp.plan_id").
		Where("p.status IN ('adopted', 'active') AND rp.state = 'open'").
		Where("?::date >= rp.submission_deadline - ?::int AND ?::date <= rp.review_deadline", day, lead, day).
		Order("rp.submission_deadline, rp.id").Scan(&rows).Error
	out := make([]nap.ReportingPeriod, len(rows))
	for i, r := range rows {
		out[i] = r.toNap()
	}
	return out, err
}

// Deliver hands the pending notifications due by now to send, at most limit, oldest first,
// and records how each went: sent, or tried again after retry(attempts) unless attempts
// reached maxAttempts, when it has failed. The notifications are held until their outcome is
// recorded, so that two servers delivering at once never hand the same one to send. It
// returns how many it handed over.
func (db *DB) Deliver(ctx context.Context, now time.Time, limit, maxAttempts int, retry func(attempts int) time.Duration,
	send func(nap.Notification) error) (int, error) {
	var handed int
	err := db.inPlainTx(ctx, func(ctx context.Context) error {
		var rows []notificationRow
		err := db.conn(ctx).Raw(`SELECT `+notificationColumns+` FROM `+notificationsWithLetters+`
			WHERE n.state = 'pending' AND n.next_attempt_at <= ?
			ORDER BY n.next_attempt_at, n.created_at LIMIT ? FOR UPDATE OF n SKIP LOCKED`, now, limit).Scan(&rows).Error
		if err != nil {
			return err
		}
		handed = len(rows)
		for _, r := range rows {
			n := r.toNap()
			if err := send(n); err != nil {
				attempts := n.Attempts + 1
				state := nap.NotificationPending
				if attempts >= maxAttempts {
					state = nap.NotificationFailed
				}
				err = db.conn(ctx).Exec(`UPDATE notifications SET attempts = ?, state = ?, last_error = ?, next_attempt_at = ?
					WHERE id = ?`, attempts, state, nap.Cut(err.Error()), now.Add(retry(attempts)), n.ID).Error
				if err != nil {
					return err
				}
				continue
			}
			if err := db.conn(ctx).Exec(`UPDATE notifications SET attempts = attempts + 1, state = 'sent', sent_at = ?, last_error = ''
				WHERE id = ?`, now, n.ID).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return handed, err
}

// ListNotifications returns a page of the outbox that matches f, newest first.
func (db *DB) ListNotifications(ctx context.Context, f nap.NotificationFilter, page nap.PageRequest) (nap.Page[nap.Notification], error) {
	q := db.conn(ctx).Table(notificationsWithLetters).Select(notificationColumns)
	if f.UserID != "" {
		q = q.Where("n.user_id = ?", f.UserID)
	}
	if f.State != "" {
		q = q.Where("n.state = ?", f.State)
	}
	if page.Cursor != "" {
		c, err := decodeCursor(page.Cursor)
		if err != nil {
			return nap.Page[nap.Notification]{}, err
		}
		q = q.Where("(n.created_at, n.id) < (?::timestamptz, ?::uuid)", c.Key, c.ID)
	}
	var rows []notificationRow
	if err := q.Order("n.created_at DESC, n.id DESC").Limit(page.Limit + 1).Scan(&rows).Error; err != nil {
		return nap.Page[nap.Notification]{}, err
	}
	return pageOf(rows, page.Limit, notificationRow.toNap), nil
}

// PendingNotifications is how many notifications wait to be sent: the outbox's depth.
func (db *DB) PendingNotifications(ctx context.Context) (int64, error) {
	var n int64
	err := db.conn(ctx).Table("notifications").Where("state = 'pending'").Count(&n).Error
	return n, err
}
