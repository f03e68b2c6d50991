// Package postgres stores naptracker's data in PostgreSQL through gorm, and migrates its
// schema with goose.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/naptracker/naptracker/internal/nap"
)

// DB is a connection pool to the naptracker database, and to its read replicas when it has
// any (replicas.go).
type DB struct {
	gorm       *gorm.DB
	summaries  summaries
	statements statements
	replicas   *replicaSet // nil without replicas
	links      linker
	linking    *passes // started after commits (linkAfterCommit); Close stops them
}

// DefaultConnections is how many connections a process keeps open to the database, and to
// each replica, unless WithConnections says otherwise: two for each CPU the process may use,
// at least four. Idle connections are kept as many as open ones: closing and reopening them
// under load costs more than all the ORM work. More is not faster where the database shares
// the CPUs: on two cores, 16 connections served a fifth fewer reads than 8, and with 8 a
// measure's read cost PostgreSQL a fifth more than with 4; each query takes longer among more
// backends (docs/PERFORMANCE.md).
func DefaultConnections() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

// sessionDefaults are settings for a database that answers short queries: compiling a query
// (JIT) costs more than it saves. A connection string that sets one wins. (A random_page_cost
// for memory-resident data was tried too: it sped up the first count of a plan summary but
// made the planner walk whole plans in code order for filtered lists; see
// docs/PERFORMANCE.md.)
var sessionDefaults = map[string]string{"jit": "off"}

// Option changes how Open connects.
type Option func(*options)

type options struct {
	tracer      pgx.QueryTracer
	connections int // 0: DefaultConnections
}

// WithTracer has every connection of the pool tell t about each statement it sends, whichever
// way it was made: for diagnosis, and for tests that count what a request costs.
func WithTracer(t pgx.QueryTracer) Option {
	return func(o *options) { o.tracer = t }
}

// WithConnections keeps n connections open to the database, and to each replica; 0 keeps
// DefaultConnections.
func WithConnections(n int) Option {
	return func(o *options) { o.connections = n }
}

// Open connects to the database at dsn and checks that it answers.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.connections == 0 {
		o.connections = DefaultConnections()
	}
	sqlDB, err := openPool(dsn, o)
	if err != nil {
		return nil, err
	}
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{
		Logger:  logger.Discard,
		NowFunc: func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	translateErrors(g)
	g.ClauseBuilders["LIMIT"] = literalLimit
	db := &DB{gorm: g, linking: newPasses(passSpacing)}
	if err := db.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// openPool returns a pool of o's connections to dsn, with o's tracer and sessionDefaults; it
// connects only when first used.
func openPool(dsn string, o options) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if o.tracer != nil {
		cfg.Tracer = o.tracer
	}
	for k, v := range sessionDefaults {
		if _, set := cfg.RuntimeParams[k]; !set {
			cfg.RuntimeParams[k] = v
		}
	}
	sqlDB := stdlib.OpenDB(*cfg)
	sqlDB.SetMaxOpenConns(o.connections)
	sqlDB.SetMaxIdleConns(o.connections)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return sqlDB, nil
}

// Gorm returns the underlying gorm handle, for packages that load data in bulk.
func (db *DB) Gorm() *gorm.DB { return db.gorm }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close closes every connection of the pool, and of the replicas' pools.
func (db *DB) Close() error {
	db.linking.stop()
	sqlDB, err := db.gorm.DB()
	if err != nil {
		return err
	}
	return errors.Join(sqlDB.Close(), db.replicas.close())
}

// notFound turns gorm's "record not found" into a nap error that names what was missing.
func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nap.Errorf(nap.ENOTFOUND, "%s not found", what)
	}
	return err
}

// literalLimit writes a LIMIT into the statement's text, not as a parameter: statements are
// prepared, and the generic plan PostgreSQL settles on, not knowing the limit, assumes a tenth
// of the rows; pages of measures took twice as long on it (the partner load test's list page
// averaged 4.6 ms with the parameter, 2.0 ms with the limit written in).
func literalLimit(c clause.Clause, b clause.Builder) {
	l, ok := c.Expression.(clause.Limit)
	if !ok {
		c.Build(b)
		return
	}
	if l.Limit != nil && *l.Limit >= 0 {
		_, _ = b.WriteString("LIMIT " + strconv.Itoa(*l.Limit))
	}
	if l.Offset > 0 {
		_, _ = b.WriteString(" OFFSET " + strconv.Itoa(l.Offset))
	}
}

// translateErrors makes every statement's error pass through translate, so no caller can
// forget to: a value a client sent that the database refuses is the client's error, not ours.
func translateErrors(g *gorm.DB) {
	fn := func(db *gorm.DB) {
		if db.Error != nil {
			db.Error = translate(db.Error)
		}
	}
	cb := g.Callback()
	_ = cb.Query().After("gorm:query").Register("naptracker:translate", fn)
	_ = cb.Row().After("gorm:row").Register("naptracker:translate", fn)
	_ = cb.Raw().After("gorm:raw").Register("naptracker:translate", fn)
	_ = cb.Create().After("gorm:create").Register("naptracker:translate", fn)
	_ = cb.Update().After("gorm:update").Register("naptracker:translate", fn)
	_ = cb.Delete().After("gorm:delete").Register("naptracker:translate", fn)
}

type txKey struct{}

// queryRow runs a statement of one row on ctx's handle, and scans it into dest. On a pool it
// asks pgx directly: database/sql's rows and conversions cost a measure's read a tenth of its
// time.
func (db *DB) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	switch h := db.handle(ctx).(type) {
	case *sql.DB:
		return pgxQueryRow(ctx, h, query, args, dest...)
	case *replicaPool:
		return h.queryRow(ctx, query, args, dest...)
	default:
		return h.QueryRowContext(ctx, query, args...).Scan(dest...)
	}
}

// pgxQueryRow is queryRow on one of pool's connections.
func pgxQueryRow(ctx context.Context, pool *sql.DB, query string, args []any, dest ...any) error {
	c, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return onPgx(c, func(pg *pgx.Conn) error { return pg.QueryRow(ctx, query, args...).Scan(dest...) })
}

// handle is what a statement runs on: the transaction InTx put in ctx; else the replica
// ReadReplica routed ctx to, for queries (replicas.go); else the pool.
func (db *DB) handle(ctx context.Context) gorm.ConnPool {
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return tx.Statement.ConnPool
	}
	if r, ok := ctx.Value(replicaKey{}).(*replica); ok {
		return r.pool
	}
	return db.gorm.ConnPool
}

// conn is gorm on ctx's handle.
func (db *DB) conn(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return tx.WithContext(ctx)
	}
	g := db.gorm.WithContext(ctx)
	g.Statement.ConnPool = db.handle(ctx)
	return g
}

// InTx runs fn in one transaction: every statement made with the context fn receives commits
// with the others or not at all. Inside a transaction already, fn joins it. The transaction
// carries the caller and the request id of ctx, which the audit trail records; its audit
// events are staged, and a pass that joins them to the trail's chain starts as it commits
// (linkAfterCommit), so writers never wait for each other, nor for the chain. Writers that
// lock the same rows in different orders may deadlock: the transaction PostgreSQL aborts to
// end it runs again, from the start, up to txAttempts times in all, so fn must do nothing but
// statements; after that the caller is told to retry (503).
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx)
	}
	for attempt := 1; ; attempt++ {
		err := db.transact(ctx, stamped(ctx), func(tx *gorm.DB) error {
			return fn(context.WithValue(ctx, txKey{}, tx))
		})
		if deadlocked(err) {
			if attempt < txAttempts {
				continue
			}
			// Not a fault of the request, nor of ours: the same request later will do.
			return nap.Errorf(nap.EUNAVAILABLE, "the change met others made at the same moment %d times; retry shortly", txAttempts)
		}
		if err == nil {
			db.replicas.wrote(ctx)
			db.linkAfterCommit(ctx)
		}
		return err
	}
}

// transact runs fn in a transaction on a connection of its own, which begin opens, and
// commits it if fn returns nil. Whatever happens to fn, even a panic, the transaction ends
// here; a connection that cannot end it is closed, not handed to the next caller.
func (db *DB) transact(ctx context.Context, begin func(*pgconn.PgConn) (string, error), fn func(tx *gorm.DB) error) error {
	pool, err := db.gorm.DB()
	if err != nil {
		return err
	}
	c, err := pool.Conn(ctx)
	if err != nil {
		return translate(err)
	}
	defer c.Close()
	err = onPgx(c, func(pg *pgx.Conn) error {
		q, err := begin(pg.PgConn())
		if err != nil {
			return err
		}
		_, err = pg.Exec(ctx, q)
		return err
	})
	if err != nil {
		return translate(err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = onPgx(c, func(pg *pgx.Conn) error {
				if _, err := pg.Exec(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
					return driver.ErrBadConn
				}
				return nil
			})
		}
	}()
	tx := db.gorm.WithContext(ctx)
	tx.Statement.ConnPool = txConn{c}
	if err := fn(tx); err != nil {
		return err
	}
	err = onPgx(c, func(pg *pgx.Conn) error {
		tag, err := pg.Exec(ctx, "COMMIT")
		if err == nil && tag.String() != "COMMIT" { // a statement failed and fn went on
			return pgx.ErrTxCommitRollback
		}
		return err
	})
	committed = err == nil
	return translate(err)
}

// plainBegin opens a transaction that carries nothing.
func plainBegin(*pgconn.PgConn) (string, error) { return "BEGIN", nil }

// stamped opens a transaction that carries the caller and the request ids of ctx, which the
// audit triggers read, in the same round trip as BEGIN: a write is a handful of short
// statements, and each round trip costs the server and PostgreSQL system calls. A simple query
// has no parameters: the values are quoted by the connection's own rules.
func stamped(ctx context.Context) func(*pgconn.PgConn) (string, error) {
	actor := ""
	if a := nap.ActorFromContext(ctx); a != nil {
		actor = a.User.ID
	}
	return func(pg *pgconn.PgConn) (string, error) {
		var v [3]string
		for i, s := range []string{actor, nap.RequestIDFromContext(ctx), nap.ClientRequestIDFromContext(ctx)} {
			var err error
			if v[i], err = pg.EscapeString(s); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf(`BEGIN; SELECT set_config('naptracker.actor_id', '%s', true), `+
			`set_config('naptracker.request_id', '%s', true), set_config('naptracker.client_request_id', '%s', true)`,
			v[0], v[1], v[2]), nil
	}
}

// onPgx runs fn on c's pgx connection.
func onPgx(c *sql.Conn, fn func(pg *pgx.Conn) error) error {
	return c.Raw(func(dc any) error { return fn(dc.(*stdlib.Conn).Conn()) })
}

// txConn is a connection in a transaction of transact, as gorm runs statements on it. It has
// no BeginTx, so that gorm, seeing it cannot begin one, does not wrap a single write in a
// transaction of its own: that BEGIN would be inside this one, and its COMMIT this one's.
type txConn struct{ c *sql.Conn }

func (t txConn) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return t.c.PrepareContext(ctx, query)
}

func (t txConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.c.ExecContext(ctx, query, args...)
}

func (t txConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.c.QueryContext(ctx, query, args...)
}

func (t txConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.c.QueryRowContext(ctx, query, args...)
}

// inPlainTx runs fn in a transaction of its own, or in the caller's, once: without the stamp,
// the retries and the linking of InTx. It is for writes the audit trail does not follow whose
// work must not run twice, as reading an upload or sending mail.
func (db *DB) inPlainTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx)
	}
	err := db.transact(ctx, plainBegin, func(tx *gorm.DB) error {
		return fn(context.WithValue(ctx, txKey{}, tx))
	})
	if err == nil {
		db.replicas.wrote(ctx)
	}
	return err
}

// txAttempts is how many times InTx runs a transaction that keeps being a deadlock's victim.
const txAttempts = 3

func deadlocked(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "40P01"
}
