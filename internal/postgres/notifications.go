package postgres

import (
	"context"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

const notificationColumns = `n.id, n.kind, coalesce(n.key, '') AS key, n.user_id, n.email, n.language, n.subject,
	n.text_body AS text, n.html_body AS html, coalesce(n.update_id::text, '') AS update_id,
	coalesce(n.period_id::text, '') AS period_id, coalesce(n.organization_id::text, '') AS organization_id,
	n.state, n.attempts, n.last_error, n.next_attempt_at, n.created_at, n.sent_at`

type notificationRow struct {
	ID, Kind, Key, UserID, Email, Language, Subject, Text, HTML string
	UpdateID, PeriodID, OrganizationID, State, LastError        string
	Attempts                                                    int
	NextAttemptAt, CreatedAt                                    time.Time
	SentAt                                                      *time.Time
}

func (r notificationRow) sortKey() string { return r.CreatedAt.UTC().Format(time.RFC3339Nano) }
func (r notificationRow) rowID() string   { return r.ID }

func (r notificationRow) toNap() nap.Notification {
	return nap.Notification{ID: r.ID, Kind: nap.NotificationKind(r.Kind), Key: r.Key, UserID: r.UserID, Email: r.Email,
		Language: r.Language, Subject: r.Subject, Text: r.Text, HTML: r.HTML, UpdateID: r.UpdateID, PeriodID: r.PeriodID,
		OrganizationID: r.OrganizationID, State: r.State, Attempts: r.Attempts, LastError: r.LastError,
		NextAttemptAt: r.NextAttemptAt, CreatedAt: r.CreatedAt, SentAt: r.SentAt}
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
// again. It returns how many it kept. One statement keeps them all: a review step may tell
// every approver of an organization.
func (db *DB) Enqueue(ctx context.Context, ns []nap.Notification) (int, error) {
	if len(ns) == 0 {
		return 0, nil
	}
	var c struct{ ids, kinds, keys, users, emails, languages, subjects, texts, htmls, updates, periods, orgs, next TextArray }
	for _, n := range ns {
		c.ids = append(c.ids, newID())
		c.kinds = append(c.kinds, string(n.Kind))
		c.keys = append(c.keys, n.Key)
		c.users = append(c.users, n.UserID)
		c.emails = append(c.emails, n.Email)
		c.languages = append(c.languages, n.Language)
		c.subjects = append(c.subjects, n.Subject)
		c.texts = append(c.texts, n.Text)
		c.htmls = append(c.htmls, n.HTML)
		c.updates = append(c.updates, n.UpdateID)
		c.periods = append(c.periods, n.PeriodID)
		c.orgs = append(c.orgs, n.OrganizationID)
		c.next = append(c.next, n.NextAttemptAt.UTC().Format(time.RFC3339Nano))
	}
	res := db.conn(ctx).Exec(`INSERT INTO notifications (id, kind, key, user_id, email, language, subject, text_body,
			html_body, update_id, period_id, organization_id, next_attempt_at)
		SELECT id::uuid, kind, nullif(key, ''), user_id::uuid, email, language, subject, text_body, html_body,
			nullif(update_id, '')::uuid, nullif(period_id, '')::uuid, nullif(organization_id, '')::uuid, next_attempt_at::timestamptz
		FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
			?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY
			AS n(id, kind, key, user_id, email, language, subject, text_body, html_body, update_id, period_id, organization_id, next_attempt_at, n)
		ORDER BY n
		ON CONFLICT (key) WHERE key IS NOT NULL DO NOTHING`, c.ids, c.kinds, c.keys, c.users, c.emails, c.languages, c.subjects, c.texts, c.htmls,
		c.updates, c.periods, c.orgs, c.next)
	return int(res.RowsAffected), res.Error
}

// MeasureLabel returns a measure's code and title, whoever asks: what a notice names it by.
func (db *DB) MeasureLabel(ctx context.Context, id string) (string, nap.Text, error) {
	var row struct {
		Code  string
		Title jsonOf[nap.Text]
	}
	err := db.conn(ctx).Raw(`SELECT code, title FROM measures WHERE id = ?`, id).Take(&row).Error
	return row.Code, row.Title.V, notFound(err, "measure")
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
		err := db.conn(ctx).Raw(`SELECT `+notificationColumns+` FROM notifications n
			WHERE n.state = 'pending' AND n.next_attempt_at <= ?
			ORDER BY n.next_attempt_at, n.created_at LIMIT ? FOR UPDATE SKIP LOCKED`, now, limit).Scan(&rows).Error
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
	q := db.conn(ctx).Table("notifications n").Select(notificationColumns)
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
