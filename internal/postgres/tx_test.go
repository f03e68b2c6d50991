package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/pgtest"
	"github.com/naptracker/naptracker/internal/postgres"
)

// The ids that a transaction's BEGIN carries to the audit trail are quoted by the connection:
// quotes, backslashes and semicolons reach the trail as they were given, and run nothing.
func TestStampReachesTheTrailAsGiven(t *testing.T) {
	db := openDB(t)
	request := `it's \'; DROP TABLE audit_events; --`
	client := `Кто-то's $$ \\ ; ROLLBACK; SELECT '`
	ctx := nap.NewContextWithClientRequestID(nap.NewContextWithRequestID(context.Background(), request), client)
	if err := db.InTx(ctx, func(ctx context.Context) error { return createOrganization(ctx, db, "QUOTED") }); err != nil {
		t.Fatal(err)
	}
	verified(t, db)
	var got struct{ RequestID, ClientRequestID string }
	if err := db.Gorm().Raw(`SELECT request_id, client_request_id FROM audit_events
		WHERE entity_type = 'organization' ORDER BY seq DESC LIMIT 1`).Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	if got.RequestID != request || got.ClientRequestID != client {
		t.Errorf("the trail holds request %q, client request %q; want %q, %q", got.RequestID, got.ClientRequestID, request, client)
	}
}

// A transaction in which a statement failed commits nothing, even when what ran in it went
// on as if it had not failed; its connection is rolled back and kept in the pool, and the next
// transaction on it commits on its own.
func TestFailedStatementCommitsNothing(t *testing.T) {
	db := openOneConnection(t)
	ctx := context.Background()
	pid := backend(t, db)
	err := db.InTx(ctx, func(ctx context.Context) error {
		if err := createOrganization(ctx, db, "BEFOREFAILURE"); err != nil {
			return err
		}
		_ = createOrganization(ctx, db, "BEFOREFAILURE") // the same code again: refused, and the transaction with it
		return nil
	})
	if err == nil {
		t.Fatal("InTx committed a transaction in which a statement failed")
	}
	if again := backend(t, db); again != pid {
		t.Errorf("the transaction's connection was closed (backend %d, now %d), not rolled back and kept", pid, again)
	}
	if err := db.InTx(ctx, func(ctx context.Context) error { return createOrganization(ctx, db, "AFTERFAILURE") }); err != nil {
		t.Fatal(err)
	}
	codes := map[string]bool{}
	for _, code := range []string{"BEFOREFAILURE", "AFTERFAILURE"} {
		var n int64
		if err := db.Gorm().Table("organizations").Where("code = ?", code).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		codes[code] = n == 1
	}
	if codes["BEFOREFAILURE"] || !codes["AFTERFAILURE"] {
		t.Errorf("kept: %v; want only AFTERFAILURE", codes)
	}
}

// A panic in a transaction rolls it back and goes on up; the connection is kept in the pool,
// out of the transaction.
func TestPanicInTransactionRollsBack(t *testing.T) {
	db := openOneConnection(t)
	ctx := context.Background()
	oops := errors.New("oops")
	pid := backend(t, db)
	func() {
		defer func() {
			if p := recover(); p != oops {
				t.Errorf("recovered %v, want the transaction's panic", p)
			}
		}()
		_ = db.InTx(ctx, func(ctx context.Context) error {
			if err := createOrganization(ctx, db, "PANICKED"); err != nil {
				return err
			}
			panic(oops)
		})
	}()
	var n int64
	if err := db.Gorm().Table("organizations").Where("code = ?", "PANICKED").Count(&n).Error; err != nil || n != 0 {
		t.Errorf("%d organizations of the panicked transaction (%v), want 0", n, err)
	}
	if again := backend(t, db); again != pid {
		t.Errorf("the transaction's connection was closed (backend %d, now %d), not rolled back and kept", pid, again)
	}
}

// openOneConnection opens a new database through a pool of one connection.
func openOneConnection(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.NewDatabase(t), postgres.WithConnections(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// backend is the server process of the only connection of db's pool.
func backend(t *testing.T, db *postgres.DB) int {
	t.Helper()
	var pid int
	if err := db.Gorm().Raw(`SELECT pg_backend_pid()`).Scan(&pid).Error; err != nil {
		t.Fatal(err)
	}
	return pid
}
