package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

// Reads may go to streaming replicas of the database (PostgreSQL's own physical replication).
// The rules are all here:
//   - A statement runs on a replica only when ReadReplica routed its context there, and never
//     in a transaction: every write, and every read of a transaction, runs on the primary. So
//     does whatever the API does not route (the change feed, authentication, access reloads,
//     the reads before a write).
//   - ReadReplica picks a replica that answered its last check, is at most maxLag behind the
//     primary, and has replayed the caller's last write: after each write transaction of a
//     token, the primary's WAL position is recorded for that token, and the token's reads stay
//     on the primary until a replica has replayed past it (read-your-writes). A whole request
//     reads from the one place ReadReplica picked, so what it reads is of one moment or later.
//   - On a replica, only queries run; anything else goes to the primary. A query the replica
//     does not answer (it is down, the query writes, or it was cancelled by a conflict with
//     recovery) is asked of the primary instead, and a replica that is down is left out until
//     a check finds it back.
//
// A replica's lag is how long ago the primary first held WAL the replica has not replayed:
// each check samples the primary's WAL position, and the oldest sample beyond the replica's
// replay position dates it. Read-your-writes holds within one server: a token that writes
// through one server and reads through another may read from a replica up to maxLag behind.

// checkEvery is how often the primary's WAL position and each replica's replay position are
// read: it bounds how long an author's reads stay on the primary after a write, and how
// soon a replica that fell behind or went down is left out.
const checkEvery = 250 * time.Millisecond

// checkTimeout bounds a round of checks, of the primary and every replica at once.
const checkTimeout = time.Second

// The states of a replica.
const (
	ReplicaStreaming  = "streaming"     // serves reads
	ReplicaLagging    = "lagging"       // more than the maximum lag behind: reads go elsewhere
	ReplicaDown       = "down"          // did not answer
	ReplicaNotStandby = "not_a_replica" // answers but is not in recovery (promoted?): never read from
	ReplicaUnchecked  = "unchecked"     // not checked yet
)

// ReplicaState is how a replica stood at its last check.
type ReplicaState struct {
	// Name is host:port/database, with no credentials.
	Name  string
	State string
	// Lag is how far behind the primary it was (see above); for a lagging replica whose lag
	// is older than every sample kept, at least this.
	Lag time.Duration
	// Reads is how many requests it has served the reads of.
	Reads uint64
}

type replicaSet struct {
	primary      *sql.DB
	maxLag       time.Duration
	list         []*replica
	turn         atomic.Uint64 // round robin over the replicas
	primaryReads atomic.Uint64

	mu      sync.Mutex
	wal     []walSample          // the primary's WAL position at each check, oldest first
	written map[string]walSample // by token id: the primary's WAL position after its last write
}

// walSample is a WAL position (bytes from 0/0) and when it was read.
type walSample struct {
	at  time.Time
	lsn uint64
}

type replica struct {
	name  string
	db    *sql.DB
	pool  *replicaPool
	reads atomic.Uint64

	mu       sync.Mutex
	state    string
	lag      time.Duration
	replayed uint64
}

type replicaKey struct{}

// AddReplicas makes dsns, streaming replicas of db, serve reads when ReadReplica routes them
// there, at most maxLag behind the primary; each keeps as many connections as the primary.
// No replica is used until WatchReplicas has checked it. It connects to none yet, so a
// replica that is down does not stop a start.
func (db *DB) AddReplicas(dsns []string, maxLag time.Duration) error {
	if len(dsns) == 0 {
		return nil
	}
	primary, err := db.gorm.DB()
	if err != nil {
		return err
	}
	s := &replicaSet{primary: primary, maxLag: maxLag, written: map[string]walSample{}}
	for _, dsn := range dsns {
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			_ = s.close()
			return fmt.Errorf("replica: %w", err)
		}
		pool, err := openPool(dsn, options{connections: primary.Stats().MaxOpenConnections})
		if err != nil {
			_ = s.close()
			return fmt.Errorf("replica: %w", err)
		}
		r := &replica{name: fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database), db: pool, state: ReplicaUnchecked}
		r.pool = &replicaPool{replica: r, primary: primary}
		s.list = append(s.list, r)
	}
	db.replicas = s
	return nil
}

// WatchReplicas checks the replicas every checkEvery until ctx ends.
func (db *DB) WatchReplicas(ctx context.Context) {
	s := db.replicas
	if s == nil {
		return
	}
	tick := time.NewTicker(checkEvery)
	defer tick.Stop()
	for {
		s.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// ReadReplica returns ctx with its reads routed to a replica that may serve them (see the
// rules above), or ctx itself when none may and its reads stay on the primary.
func (db *DB) ReadReplica(ctx context.Context) context.Context {
	s := db.replicas
	if s == nil {
		return ctx
	}
	if _, inTx := ctx.Value(txKey{}).(*gorm.DB); inTx {
		return ctx
	}
	need := s.lastWrite(ctx)
	start := s.turn.Add(1)
	for i := range uint64(len(s.list)) {
		r := s.list[(start+i)%uint64(len(s.list))]
		if r.serves(need) {
			r.reads.Add(1)
			return context.WithValue(ctx, replicaKey{}, r)
		}
	}
	s.primaryReads.Add(1)
	return ctx
}

// Replicas says how each replica stood at its last check, in the order they were added.
func (db *DB) Replicas() []ReplicaState {
	if db.replicas == nil {
		return nil
	}
	out := make([]ReplicaState, len(db.replicas.list))
	for i, r := range db.replicas.list {
		r.mu.Lock()
		out[i] = ReplicaState{Name: r.name, State: r.state, Lag: r.lag, Reads: r.reads.Load()}
		r.mu.Unlock()
	}
	return out
}

// PrimaryReads is how many requests ReadReplica kept on the primary: no replica was up, near
// enough, or had replayed the caller's last write.
func (db *DB) PrimaryReads() uint64 {
	if db.replicas == nil {
		return 0
	}
	return db.replicas.primaryReads.Load()
}

// Pool is a connection pool and what it connects to: "primary", or a replica's name.
type Pool struct {
	Name string
	DB   *sql.DB
}

// Pools returns the primary's connection pool and each replica's.
func (db *DB) Pools() ([]Pool, error) {
	primary, err := db.gorm.DB()
	if err != nil {
		return nil, err
	}
	pools := []Pool{{Name: "primary", DB: primary}}
	if db.replicas != nil {
		for _, r := range db.replicas.list {
			pools = append(pools, Pool{Name: r.name, DB: r.db})
		}
	}
	return pools, nil
}

// check samples the primary's WAL position, then reads each replica's replay position.
func (s *replicaSet) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	now := time.Now()
	if lsn, err := walPosition(ctx, s.primary, `pg_current_wal_lsn()`); err == nil {
		s.mu.Lock()
		s.wal = append(s.wal, walSample{at: now, lsn: lsn})
		s.forget(now)
		s.mu.Unlock()
	} else if ctx.Err() == nil {
		slog.Warn("reading the primary's WAL position failed; replica lags are judged on older samples", "error", err)
	}
	var checks sync.WaitGroup
	for _, r := range s.list {
		checks.Go(func() { s.checkReplica(ctx, r) })
	}
	checks.Wait()
}

// forget drops what no longer matters: samples older than the window (but the newest, which
// dates what every replica must have), and writes every replica within maxLag has replayed.
func (s *replicaSet) forget(now time.Time) {
	window := s.maxLag + 2*checkEvery
	keep := 0
	for keep < len(s.wal)-1 && now.Sub(s.wal[keep].at) > window {
		keep++
	}
	s.wal = s.wal[keep:]
	for token, w := range s.written {
		if now.Sub(w.at) > window {
			delete(s.written, token)
		}
	}
}

func (s *replicaSet) checkReplica(ctx context.Context, r *replica) {
	var recovering bool
	var replayed sql.NullInt64
	err := r.db.QueryRowContext(ctx, `SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0')::bigint`).Scan(&recovering, &replayed)
	if err != nil {
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			r.down(err)
		}
		return
	}
	if !recovering || !replayed.Valid {
		r.set(ReplicaNotStandby, 0, 0)
		return
	}
	lsn := uint64(replayed.Int64) //nolint:gosec // a WAL position is never negative
	s.mu.Lock()
	lag, known := lagOf(s.wal, lsn, time.Now())
	s.mu.Unlock()
	state := ReplicaStreaming
	if !known || lag > s.maxLag {
		state = ReplicaLagging
	}
	r.set(state, lag, lsn)
}

// lagOf is how long before now the primary first held WAL beyond replayed, by the samples of
// wal (oldest first): 0 when replayed reaches the newest. known is false when replayed is
// behind even the oldest sample, whose age is then only a lower bound.
func lagOf(wal []walSample, replayed uint64, now time.Time) (lag time.Duration, known bool) {
	for i, w := range wal {
		if w.lsn > replayed {
			return now.Sub(w.at), i > 0
		}
	}
	return 0, len(wal) > 0
}

// lastWrite is the WAL position a replica must have replayed to serve ctx's caller its own
// writes: 0 when the caller wrote nothing lately.
func (s *replicaSet) lastWrite(ctx context.Context) uint64 {
	a := nap.ActorFromContext(ctx)
	if a == nil || a.TokenID == "" {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written[a.TokenID].lsn
}

// wrote records, after ctx's caller committed a write, where the primary's WAL then ended;
// when that cannot be read, the caller's reads stay on the primary for the window.
func (s *replicaSet) wrote(ctx context.Context) {
	if s == nil {
		return
	}
	a := nap.ActorFromContext(ctx)
	if a == nil || a.TokenID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), checkTimeout)
	defer cancel()
	lsn, err := walPosition(ctx, s.primary, `pg_current_wal_lsn()`)
	if err != nil {
		lsn = math.MaxUint64
	}
	s.mu.Lock()
	s.written[a.TokenID] = walSample{at: time.Now(), lsn: lsn}
	s.mu.Unlock()
}

func (s *replicaSet) close() error {
	if s == nil {
		return nil
	}
	var errs []error
	for _, r := range s.list {
		errs = append(errs, r.db.Close())
	}
	return errors.Join(errs...)
}

// walPosition reads a WAL position (pg_current_wal_lsn(), say) in bytes from 0/0.
func walPosition(ctx context.Context, db *sql.DB, of string) (uint64, error) {
	var lsn int64
	if err := db.QueryRowContext(ctx, `SELECT (`+of+` - '0/0')::bigint`).Scan(&lsn); err != nil {
		return 0, err
	}
	return uint64(lsn), nil //nolint:gosec // a WAL position is never negative
}

// serves reports whether the replica may serve reads that need the WAL up to need.
func (r *replica) serves(need uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state == ReplicaStreaming && r.replayed >= need
}

func (r *replica) set(state string, lag time.Duration, replayed uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if state != r.state && r.state != ReplicaUnchecked {
		slog.Info("replica", "replica", r.name, "state", state, "was", r.state, "lag", lag.String())
	}
	r.state, r.lag, r.replayed = state, lag, replayed
}

func (r *replica) down(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != ReplicaDown {
		slog.Warn("replica down: its reads go to the primary", "replica", r.name, "error", err)
	}
	r.state = ReplicaDown
}

// replicaPool is the connection pool a statement routed to a replica runs on: queries go to
// the replica, and anything else to the primary. A query the replica cannot answer is asked
// of the primary instead (see the rules above).
type replicaPool struct {
	replica *replica
	primary *sql.DB
}

func (p *replicaPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := p.replica.db.QueryContext(ctx, query, args...)
	if err != nil && p.replica.askPrimary(ctx, err) {
		return p.primary.QueryContext(ctx, query, args...)
	}
	return rows, err
}

func (p *replicaPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	row := p.replica.db.QueryRowContext(ctx, query, args...)
	if err := row.Err(); err != nil && p.replica.askPrimary(ctx, err) {
		return p.primary.QueryRowContext(ctx, query, args...)
	}
	return row
}

// queryRow is DB.queryRow on the replica, asking the primary as QueryRowContext does.
func (p *replicaPool) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	err := pgxQueryRow(ctx, p.replica.db, query, args, dest...)
	if err != nil && p.replica.askPrimary(ctx, err) {
		return pgxQueryRow(ctx, p.primary, query, args, dest...)
	}
	return err
}

func (p *replicaPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.primary.ExecContext(ctx, query, args...)
}

func (p *replicaPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.primary.PrepareContext(ctx, query)
}

func (p *replicaPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error) {
	return p.primary.BeginTx(ctx, opts)
}

// askPrimary reports whether a query that failed on the replica with err is to be asked of
// the primary: the replica is unreachable (then it is left out until a check finds it back),
// the query writes (25006, read-only transaction), or recovery cancelled it (40001).
func (r *replica) askPrimary(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if unreachable(err) {
		r.down(err)
		return true
	}
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "25006" || pgErr.Code == "40001")
}
