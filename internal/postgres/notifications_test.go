package postgres_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/notify"
	"github.com/naptracker/naptracker/internal/postgres"
)

// reader is a notification as its reader receives it.
type reader struct{ subject, text, html string }

func received(n nap.Notification) reader { return reader{n.Subject(), n.Text(), n.HTML()} }

// outbox reads the whole outbox, by user.
func outbox(t *testing.T, db *postgres.DB) map[string]nap.Notification {
	t.Helper()
	p, err := db.ListNotifications(context.Background(), nap.NotificationFilter{}, nap.PageRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]nap.Notification{}
	for _, n := range p.Items {
		out[n.UserID] = n
	}
	return out
}

func count(t *testing.T, db *postgres.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Gorm().Raw(`SELECT count(*) FROM ` + table).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// A step's notices keep their letter once in each language their readers read, and each
// reader reads it back whole, greeted by name, as it was written.
func TestOutboxKeepsEachLetterOnce(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	letters := notify.NewLetters(func(lang string) notify.Letter {
		return notify.Review(nap.NotifyReviewNeeded, lang, notify.ReviewData{Measure: "1.2", MeasureTitle: "Law <draft>",
			Period: "2026 H1", Organization: "MLME", URL: "https://nap.example.org/v1/updates/1"})
	})
	readers := []struct{ name, lang string }{{"Ali", "en"}, {"Bea <Co>", "en"}, {"Chen", "en"}, {"Зарина", "ru"}, {"Фарида", "ru"}}
	var ns []nap.Notification
	want := map[string]reader{}
	for i, r := range readers {
		name, lang := r.name, r.lang
		user, err := db.CreateUser(ctx, "", fmt.Sprintf("reader%d@example.org", i), name)
		if err != nil {
			t.Fatal(err)
		}
		letter, greeting := letters.To(name, lang)
		n := nap.Notification{Kind: nap.NotifyReviewNeeded, UserID: user.ID, Email: user.Email, Language: lang,
			Letter: letter, Greeting: greeting, NextAttemptAt: time.Now()}
		ns = append(ns, n)
		want[user.ID] = received(n)
	}
	if kept, err := db.Enqueue(ctx, ns); err != nil || kept != len(ns) {
		t.Fatalf("kept %d of %d: %v", kept, len(ns), err)
	}
	if n := count(t, db, "letters"); n != 2 {
		t.Errorf("%d letters kept for readers of two languages", n)
	}
	got := outbox(t, db)
	for user, w := range want {
		if r := received(got[user]); r != w {
			t.Errorf("%s reads\n%+v\nwant\n%+v", user, r, w)
		}
	}
}

// A notification kept already (by its key) is not kept again, nor is a letter that only it
// would read: a scheduled pass finds the same reminders and digests many times.
func TestOutboxKeepsNoLetterNobodyReads(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	user, err := db.CreateUser(ctx, "", "coordinator@example.org", "Coordinator")
	if err != nil {
		t.Fatal(err)
	}
	digest := func() []nap.Notification {
		letter, greeting := notify.NewLetters(func(lang string) notify.Letter { return notify.Digest(lang, nil) }).To("Coordinator", "en")
		return []nap.Notification{{Kind: nap.NotifyDigest, Key: "digest:2026-W01:" + user.ID, UserID: user.ID,
			Email: user.Email, Language: "en", Letter: letter, Greeting: greeting, NextAttemptAt: time.Now()}}
	}
	for pass, want := range []int{1, 0, 0} {
		if kept, err := db.Enqueue(ctx, digest()); err != nil || kept != want {
			t.Fatalf("pass %d kept %d, want %d: %v", pass, kept, want, err)
		}
	}
	if n := count(t, db, "letters"); n != 1 {
		t.Errorf("%d letters kept for one notification", n)
	}
}

// Notifications kept before letters (migration 00022) read the same after it, and again
// once it is rolled back.
func TestOutboxReadsNotificationsKeptBeforeLetters(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	m, err := postgres.NewMigrator(db)
	if err != nil {
		t.Fatal(err)
	}
	user, err := db.CreateUser(ctx, "", "focal@example.org", "Focal point")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.DownTo(ctx, 21); err != nil {
		t.Fatal(err)
	}
	want := reader{"Reminder <1>", "Dear Focal point,\nreports are due\n", "<p>Dear Focal point,</p>\n<p>due &amp; soon</p>"}
	if err := db.Exec(ctx, `INSERT INTO notifications (id, kind, key, user_id, email, language, subject, text_body, html_body)
		VALUES (gen_random_uuid(), 'reminder', 'reminder:1', ?, ?, 'en', ?, ?, ?)`, user.ID, user.Email,
		want.subject, want.text, want.html); err != nil {
		t.Fatal(err)
	}
	if err := m.Up(ctx, io.Discard); err != nil {
		t.Fatal(err)
	}
	if r := received(outbox(t, db)[user.ID]); r != want {
		t.Errorf("after the migration: %+v, want %+v", r, want)
	}
	if err := m.DownTo(ctx, 21); err != nil {
		t.Fatal(err)
	}
	var r reader
	if err := db.Gorm().Raw(`SELECT subject, text_body, html_body FROM notifications`).Row().Scan(&r.subject, &r.text, &r.html); err != nil || r != want {
		t.Errorf("rolled back: %+v, want %+v (%v)", r, want, err)
	}
}
