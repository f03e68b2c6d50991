package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
)

func openDB(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// createOrganization adds an organization with the given code, an audited change.
func createOrganization(ctx context.Context, db *postgres.DB, code string) error {
	kind, provenance := "ministry", nap.Illustrative
	_, err := db.CreateOrganization(ctx, "", nap.OrganizationChange{Code: &code, Kind: &kind,
		Name: &nap.Text{"en": "Organization " + code}, Provenance: &provenance})
	return err
}

// verified fails the test unless the audit chain verifies, and returns how many events it holds.
func verified(t *testing.T, db *postgres.DB) int64 {
	t.Helper()
	// As every reader of the trail does: what is committed is linked first.
	if err := db.LinkCommitted(context.Background()); err != nil {
		t.Fatal(err)
	}
	v, err := db.VerifyAudit(context.Background())
	if err != nil || v.FirstInvalidSeq != nil {
		t.Fatalf("audit chain: %+v, %v", v, err)
	}
	var staged int64
	if err := db.Gorm().Raw(`SELECT count(*) FROM audit_staged`).Scan(&staged).Error; err != nil || staged != 0 {
		t.Fatalf("%d audit events left staged, %v", staged, err)
	}
	return v.Events
}

// Two transactions that write audited rows are open at once, each holding its row locks,
// before either commits: writers do not wait for each other for the audit chain.
func TestAuditedWritersRunTogether(t *testing.T) {
	db := openDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // fails, not hangs, if they wait for each other
	defer cancel()
	written := []chan struct{}{make(chan struct{}), make(chan struct{})}
	errs := make(chan error, 2)
	for i := range 2 {
		go func() {
			ctx := nap.NewContextWithRequestID(ctx, fmt.Sprintf("together-%d", i))
			errs <- db.InTx(ctx, func(ctx context.Context) error {
				if err := createOrganization(ctx, db, fmt.Sprintf("TOGETHER%d", i)); err != nil {
					return err
				}
				close(written[i])
				select {
				case <-written[1-i]:
					return nil
				case <-ctx.Done():
					return fmt.Errorf("writer %d waited for the other's write: %w", i, ctx.Err())
				}
			})
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	verified(t, db)
	contiguous(t, db, "together-0", "together-1")
}

// contiguous fails the test unless each request's audit events follow one another in the
// chain: a transaction's events are linked together, after its commit.
func contiguous(t *testing.T, db *postgres.DB, requests ...string) {
	t.Helper()
	var interleaved []string
	err := db.Gorm().Raw(`SELECT request_id FROM audit_events WHERE request_id IN ?
		GROUP BY request_id HAVING max(seq) - min(seq) + 1 <> count(*)`, requests).Scan(&interleaved).Error
	if err != nil {
		t.Fatal(err)
	}
	if len(interleaved) > 0 {
		t.Errorf("the events of %v are interleaved with others", interleaved)
	}
	var n int
	if err := db.Gorm().Raw(`SELECT count(DISTINCT request_id) FROM audit_events WHERE request_id IN ?`, requests).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != len(requests) {
		t.Errorf("%d of %d requests have audit events", n, len(requests))
	}
}

// Many writers committing at once, in two processes each with its own linker, leave a chain
// that verifies, each transaction's events together in it.
func TestAuditChainUnderConcurrentWriters(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	var pools [2]*postgres.DB
	for i := range pools {
		db, err := postgres.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		pools[i] = db
	}
	before := verified(t, pools[0])
	const writers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	var requests []string
	for w := range writers {
		db := pools[w%2]
		for i := range each {
			requests = append(requests, fmt.Sprintf("many-%d-%d", w, i))
		}
		wg.Go(func() {
			for i := range each {
				ctx := nap.NewContextWithRequestID(context.Background(), fmt.Sprintf("many-%d-%d", w, i))
				errs <- db.InTx(ctx, func(ctx context.Context) error {
					if err := createOrganization(ctx, db, fmt.Sprintf("MANY%dA%d", w, i)); err != nil {
						return err
					}
					return createOrganization(ctx, db, fmt.Sprintf("MANY%dB%d", w, i))
				})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := verified(t, pools[1]); n != before+2*writers*each {
		t.Errorf("%d events after %d writes of two, want %d", n, writers*each, before+2*writers*each)
	}
	contiguous(t, pools[0], requests...)
}

// A transaction rolled back leaves no audit event, staged or linked, and the chain verifies
// through the next commit.
func TestRolledBackWriteLeavesNoAuditEvent(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	before := verified(t, db)
	abandoned := errors.New("abandoned")
	err := db.InTx(nap.NewContextWithRequestID(ctx, "rolled-back"), func(ctx context.Context) error {
		if err := createOrganization(ctx, db, "ROLLEDBACK"); err != nil {
			return err
		}
		return abandoned
	})
	if !errors.Is(err, abandoned) {
		t.Fatalf("InTx: %v, want the abandoned error", err)
	}
	if n := verified(t, db); n != before {
		t.Fatalf("%d events after a rollback, want %d", n, before)
	}
	if err := db.InTx(nap.NewContextWithRequestID(ctx, "committed"), func(ctx context.Context) error {
		return createOrganization(ctx, db, "COMMITTED")
	}); err != nil {
		t.Fatal(err)
	}
	if n := verified(t, db); n != before+1 {
		t.Fatalf("%d events after one commit, want %d", n, before+1)
	}
	var rolledBack int
	if err := db.Gorm().Raw(`SELECT count(*) FROM audit_events WHERE request_id = 'rolled-back'`).Scan(&rolledBack).Error; err != nil || rolledBack != 0 {
		t.Errorf("%d events of the rolled back transaction, %v", rolledBack, err)
	}
}

// Two writers lock two rows in opposite orders: PostgreSQL aborts one to end the deadlock,
// and that one runs again and commits after the other. The victim's second run waits until
// the other has committed: run at once, it may take the first row back before the other,
// woken, does, and deadlock again, which is InTx's next retry, not this test's.
func TestDeadlockVictimRunsAgain(t *testing.T) {
	db := openDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, code := range []string{"FIRSTROW", "SECONDROW"} {
		if err := db.InTx(ctx, func(ctx context.Context) error { return createOrganization(ctx, db, code) }); err != nil {
			t.Fatal(err)
		}
	}
	lock := func(ctx context.Context, code string) error {
		return db.Exec(ctx, `UPDATE organizations SET active = active WHERE code = ?`, code)
	}
	locked := []chan struct{}{make(chan struct{}), make(chan struct{})}
	var once [2]sync.Once
	var attempts [2]atomic.Int32
	errs := make(chan error, 2)
	committed := []chan struct{}{make(chan struct{}), make(chan struct{})}
	order := [][]string{{"FIRSTROW", "SECONDROW"}, {"SECONDROW", "FIRSTROW"}}
	for i := range 2 {
		go func() {
			err := db.InTx(ctx, func(ctx context.Context) error {
				if attempts[i].Add(1) > 1 {
					select {
					case <-committed[1-i]:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				if err := lock(ctx, order[i][0]); err != nil {
					return err
				}
				once[i].Do(func() { close(locked[i]) })
				select {
				case <-locked[1-i]:
				case <-ctx.Done():
					return ctx.Err()
				}
				return lock(ctx, order[i][1])
			})
			if err == nil {
				close(committed[i])
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := attempts[0].Load() + attempts[1].Load(); n != 3 {
		t.Errorf("%d attempts in all, want 3: the deadlock's victim once more", n)
	}
}

// A transaction that is a deadlock's victim at every attempt ends, after the last, with an
// error that tells the caller to retry rather than with PostgreSQL's.
func TestDeadlockVictimEveryTimeIsTold(t *testing.T) {
	db := openDB(t)
	attempts := 0
	err := db.InTx(context.Background(), func(ctx context.Context) error {
		attempts++
		return db.Exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$`)
	})
	if code := nap.ErrorCode(err); code != nap.EUNAVAILABLE || attempts != 3 {
		t.Errorf("after %d attempts: %v (%s), want %s after 3", attempts, err, code, nap.EUNAVAILABLE)
	}
}

// A change commits and is answered while the audit chain's lock is held elsewhere: its events
// wait, staged, for the pass its commit started; a read of the trail (LinkCommitted) waits for
// them, and has them as soon as the lock is free.
func TestCommitDoesNotWaitForTheChain(t *testing.T) {
	db := openDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before := verified(t, db)
	holder := db.Gorm().Begin()
	if err := holder.Exec(`SELECT pg_advisory_xact_lock(727102)`).Error; err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	err := db.InTx(nap.NewContextWithRequestID(ctx, "while-held"), func(ctx context.Context) error {
		return createOrganization(ctx, db, "WHILEHELD")
	})
	if err != nil {
		t.Fatal(err)
	}
	var committed, staged int
	if err := db.Gorm().Raw(`SELECT (SELECT count(*) FROM organizations WHERE code = 'WHILEHELD'),
			(SELECT count(*) FROM audit_staged WHERE request_id = 'while-held')`).Row().Scan(&committed, &staged); err != nil {
		t.Fatal(err)
	}
	if committed != 1 || staged != 1 {
		t.Errorf("answered while the chain's lock is held: %d organizations committed, %d events staged; want 1 and 1", committed, staged)
	}
	// The pass the commit started waits for the lock.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		if err := db.Gorm().Raw(`SELECT count(*) FROM pg_locks
				WHERE locktype = 'advisory' AND classid = 0 AND objid = 727102 AND NOT granted`).Scan(&waiting).Error; err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no linking pass waited for the chain's lock")
		}
	}
	read := make(chan error, 1)
	go func() { read <- db.LinkCommitted(ctx) }()
	select {
	case err := <-read:
		t.Fatalf("a read of the trail went on before the change's events were in the chain: %v", err)
	default:
	}
	holder.Rollback()
	if err := <-read; err != nil {
		t.Fatal(err)
	}
	if n := verified(t, db); n != before+1 {
		t.Errorf("%d events, want %d", n, before+1)
	}
	contiguous(t, db, "while-held")
}

// Events committed with no linking pass after them (a process that stopped after its commit)
// stay staged until the next pass, of anyone's, links them.
func TestStagedEventsAreLinkedByTheNextPass(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	before := verified(t, db)
	err := db.Gorm().Transaction(func(tx *gorm.DB) error {
		return tx.Exec(`SELECT set_config('naptracker.request_id', 'unlinked', true),
			audit_append('test.unlinked', 'test', NULL, NULL, '{"n": 1}'), audit_append('test.unlinked', 'test', NULL, NULL, '{"n": 2}')`).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := db.LinkAudit(ctx)
	if err != nil || n != 2 {
		t.Fatalf("LinkAudit linked %d, %v; want 2", n, err)
	}
	if n := verified(t, db); n != before+2 {
		t.Errorf("%d events, want %d", n, before+2)
	}
	var order []int
	if err := db.Gorm().Raw(`SELECT (after ->> 'n')::int FROM audit_events WHERE request_id = 'unlinked' ORDER BY seq`).Scan(&order).Error; err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(order) != "[1 2]" {
		t.Errorf("events linked in the order %v, want the order they were staged in", order)
	}
}

// LinkCommitted returns once every event committed before it is in the chain, whoever staged
// it.
func TestLinkCommittedCoversEveryCommit(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	const update = "00000000-0000-4000-8000-0000000000e2"
	stage(t, db, "00000000-0000-4000-8000-0000000000e1", "progress_update.update", update, "", 1)
	chained := func() (n int) {
		if err := db.Gorm().Raw(`SELECT count(*) FROM audit_events WHERE entity_id = ?`, update).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := chained(); n != 0 {
		t.Fatalf("a staged event is in the chain before any pass (%d); the test proves nothing", n)
	}
	if err := db.LinkCommitted(ctx); err != nil {
		t.Fatal(err)
	}
	if n := chained(); n != 1 {
		t.Errorf("after LinkCommitted: %d events of the change in the chain, want 1", n)
	}
	verified(t, db)
}

// Whether someone edited an update counts their edits from the moment they commit, linked or
// not, and counts an edit of its evidence, and nobody else's.
func TestEditedUpdateCountsCommittedEditsLinkedOrNot(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	const editor, uploader, other = "00000000-0000-4000-8000-0000000000e1", "00000000-0000-4000-8000-0000000000e3",
		"00000000-0000-4000-8000-0000000000e4"
	const update = "00000000-0000-4000-8000-0000000000e2"
	stage(t, db, editor, "progress_update.update", update, "", 1)
	stage(t, db, uploader, "evidence.insert", "00000000-0000-4000-8000-0000000000e5", `{"update_id": "`+update+`"}`, 1)
	stage(t, db, other, "progress_update.update", "00000000-0000-4000-8000-0000000000e6", "", 1)
	check := func(when string) {
		for user, want := range map[string]bool{editor: true, uploader: true, other: false} {
			if edited, err := db.EditedUpdate(ctx, user, update); err != nil || edited != want {
				t.Errorf("%s: %s edited the update: %v, %v; want %v", when, user, edited, err, want)
			}
		}
	}
	check("staged")
	if _, err := db.LinkAudit(ctx); err != nil {
		t.Fatal(err)
	}
	check("linked")
}

// Whether a reviewer edited an update is read off the update's events, never the reviewer's:
// a reviewer with a long history, linked and staged, whom the planner's statistics have not
// seen (so that they look rarer than any update), costs a step no more than one with none.
// PostgreSQL counts, per transaction, the rows its statements read from each table.
func TestEditedUpdateReadsTheUpdatesEventsNotTheReviewers(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	const reviewer, update = "00000000-0000-4000-8000-0000000000f1", "00000000-0000-4000-8000-0000000000f2"
	// Changes to other updates: 2,000 of others' in the statistics, 3,000 of the reviewer's not.
	for _, other := range []string{"00000000-0000-4000-8000-0000000000f4", "00000000-0000-4000-8000-0000000000f5"} {
		stage(t, db, other, "progress_update.update", "", "", 1000)
	}
	if _, err := db.LinkAudit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Gorm().Exec(`ANALYZE audit_events, audit_staged`).Error; err != nil {
		t.Fatal(err)
	}
	stage(t, db, reviewer, "progress_update.update", "", "", 1500)
	if _, err := db.LinkAudit(ctx); err != nil {
		t.Fatal(err)
	}
	stage(t, db, reviewer, "progress_update.update", "", "", 1500)
	stage(t, db, "00000000-0000-4000-8000-0000000000f3", "progress_update.update", update, "", 1)
	// The rows this backend's statements read from the trail's tables, so far: counted again
	// after the check, in the same transaction, the difference is the check's.
	const trailReads = `(SELECT coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0) FROM pg_stat_xact_user_tables
		WHERE relname IN ('audit_events', 'audit_staged'))`
	err := db.InTx(ctx, func(ctx context.Context) error {
		if err := db.Exec(ctx, `SELECT set_config('naptracker_test.trail_reads', `+trailReads+`::text, true)`); err != nil {
			return err
		}
		if edited, err := db.EditedUpdate(ctx, reviewer, update); err != nil || edited {
			return fmt.Errorf("the reviewer edited the update: %v, %v", edited, err)
		}
		return db.Exec(ctx, `DO $$
			DECLARE n bigint := `+trailReads+` - current_setting('naptracker_test.trail_reads')::bigint;
			BEGIN
				IF n > 10 THEN
					RAISE EXCEPTION 'the check read % events of the trail', n;
				END IF;
			END $$`)
	})
	if err != nil {
		t.Error(err)
	}
}

// stage commits n audit events of actor's changes, as a write's triggers do, and leaves them
// staged, not linked: action on the entity entityID (a new one each when it is ""), with the
// row after it (none when it is "").
func stage(t *testing.T, db *postgres.DB, actor, action, entityID, after string, n int) {
	t.Helper()
	err := db.Gorm().Transaction(func(tx *gorm.DB) error {
		return tx.Exec(`SELECT set_config('naptracker.actor_id', ?, true), audit_append(?, split_part(?, '.', 1),
				coalesce(nullif(?, '')::uuid, gen_random_uuid()), NULL, nullif(?, '')::jsonb)
			FROM generate_series(1, ?)`, actor, action, action, entityID, after, n).Error
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The role serve runs as links the chain too: its writes leave nothing staged.
func TestAppRoleLinksTheChain(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	app, err := postgres.Open(context.Background(), pgtest.AppDSN(dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	owner, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	before := verified(t, owner)
	if err := app.InTx(context.Background(), func(ctx context.Context) error {
		return createOrganization(ctx, app, "APPROLE")
	}); err != nil {
		t.Fatal(err)
	}
	if n := verified(t, owner); n != before+1 {
		t.Errorf("%d events after one write as the app role, want %d", n, before+1)
	}
}

// A write that leaves a row as it was is neither a change of the feed nor an event of the
// trail; one that changes a column is both. Text in another order of its languages is the same
// text.
func TestUnchangedRowsRecordNothing(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	if err := createOrganization(ctx, db, "UNCHANGED"); err != nil {
		t.Fatal(err)
	}
	counts := func() (changes, events int64) {
		t.Helper()
		events = verified(t, db)
		err := db.Gorm().Raw(`SELECT count(*) FROM changes c JOIN organizations o ON o.id = c.entity_id
			WHERE c.entity_type = 'organization' AND o.code = 'UNCHANGED'`).Scan(&changes).Error
		if err != nil {
			t.Fatal(err)
		}
		return changes, events
	}
	changes, events := counts()
	for _, w := range []struct {
		set     string
		changed int64
	}{
		{`code = code, name = name, kind = kind`, 0},
		{`name = name || '{"ru": "Организация"}'`, 1},
		{`name = '{"ru": "Организация", "en": "Organization UNCHANGED"}'`, 0},
		{`name = '{"en": "Organization UNCHANGED"}'`, 1},
	} {
		if err := db.Gorm().Exec(`UPDATE organizations SET ` + w.set + ` WHERE code = 'UNCHANGED'`).Error; err != nil {
			t.Fatal(err)
		}
		c, e := counts()
		if c-changes != w.changed || e-events != w.changed {
			t.Errorf("SET %s: %d changes and %d events, want %d of each", w.set, c-changes, e-events, w.changed)
		}
		changes, events = c, e
	}
}
