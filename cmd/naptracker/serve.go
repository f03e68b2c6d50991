package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/naptracker/naptracker/internal/authz"
	"github.com/naptracker/naptracker/internal/changefeed"
	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/logging"
	"github.com/naptracker/naptracker/internal/mail"
	"github.com/naptracker/naptracker/internal/metrics"
	"github.com/naptracker/naptracker/internal/pgnotify"
	"github.com/naptracker/naptracker/internal/postgres"
	"github.com/naptracker/naptracker/internal/seed"
	"github.com/naptracker/naptracker/internal/service"
)

// shutdownGrace is how long in-flight requests get to finish after SIGTERM.
const shutdownGrace = 15 * time.Second

func serveCommand(opts *config.Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API",
		Long: "Serves the API. Every flag may come from the environment instead: NAPTRACKER_ and the flag's\n" +
			"name in capitals with dashes as underscores (NAPTRACKER_ADDR for --addr; NAPTRACKER_REPLICA_URLS,\n" +
			"comma-separated, for --replica-url); a flag on the command line wins. `naptracker config`\n" +
			"prints what serve would use.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Validate(); err != nil {
				return err
			}
			level, _ := opts.Level()
			slog.SetDefault(logging.New(os.Stderr, level))
			return serve(cmd.Context(), *opts, nil)
		},
	}
	serveFlags(cmd.Flags(), opts)
	return readsEnv(cmd)
}

// serveFlags declares serve's own flags, which config reads too.
func serveFlags(f *pflag.FlagSet, opts *config.Options) {
	f.StringVar(&opts.Addr, "addr", opts.Addr, "HOST:PORT to listen on")
	f.BoolVar(&opts.Migrate, "migrate", opts.Migrate, "create the database if missing and apply pending migrations first")
	f.BoolVar(&opts.Seed, "seed", opts.Seed, "load the reference data where absent first")
	f.DurationVar(&opts.DBWait, "db-wait", opts.DBWait, "how long to keep trying to reach the database at start, waiting longer between tries; 0 tries once")
	f.IntVar(&opts.DBConnections, "db-connections", opts.DBConnections, "connections to keep open to the database, and to each replica; 0 for two for each CPU the server may use, at least four")
	f.StringSliceVar(&opts.ReplicaURLs, "replica-url", opts.ReplicaURLs, "a streaming replica of the database to send reads to (repeat for more); writes, and reads that need the latest state, go to --database-url")
	f.DurationVar(&opts.MaxReplicaLag, "max-replica-lag", opts.MaxReplicaLag, "how far behind the primary a replica may be and still serve reads")
	f.Int64Var(&opts.MaxBodyBytes, "max-body-bytes", opts.MaxBodyBytes, "largest JSON request body")
	f.Int64Var(&opts.MaxUploadBytes, "max-upload-bytes", opts.MaxUploadBytes, "largest evidence file")
	f.DurationVar(&opts.UploadIdleTimeout, "upload-idle-timeout", opts.UploadIdleTimeout, "how long an upload may send nothing before it is cut off (408)")
	f.Float64Var(&opts.RateLimit, "rate-limit", opts.RateLimit, "requests per second per token, or per address for anonymous callers; 0 is off")
	f.IntVar(&opts.RateBurst, "rate-burst", opts.RateBurst, "requests a caller may send at once above --rate-limit")
	f.StringVar(&opts.PublicURL, "public-url", opts.PublicURL, "where clients reach the server (https://nap.example.org), for the links exports give to stored evidence; default: each request's Host")
	f.IntVar(&opts.MaxStreamsPerClient, "max-streams-per-client", opts.MaxStreamsPerClient, "change streams a token, or an anonymous client's address, may hold open at once; 0 for no bound")
	f.IntVar(&opts.MaxStreams, "max-streams", opts.MaxStreams, "change streams the server holds open at once; 0 for no bound")
	f.StringVar(&opts.AuditKey, "audit-key", opts.AuditKey, "the key file (audit keygen) to sign checkpoints of the audit trail with; none are signed without one")
	f.DurationVar(&opts.CheckpointEvery, "checkpoint-every", opts.CheckpointEvery, "how often to sign a checkpoint of the audit trail when it has grown")
	f.StringVar(&opts.SMTPURL, "smtp-url", opts.SMTPURL, "the mail server notifications are sent through: smtp://[user:password@]host[:port][?starttls=required] or smtps://…; none: they are kept, unsent")
	f.StringVar(&opts.MailFrom, "mail-from", opts.MailFrom, "the sender of notifications")
	f.DurationVar(&opts.NotifyEvery, "notify-every", opts.NotifyEvery, "how often to schedule reminders and send what the outbox holds")
	f.StringVar(&opts.MetricsAddr, "metrics-addr", opts.MetricsAddr, "HOST:PORT to serve /metrics on instead of --addr, to keep it off the public address")
	f.StringVar(&opts.DebugAddr, "debug-addr", opts.DebugAddr, "HOST:PORT to serve Go profiles (/debug/pprof/) on, for diagnosis; off when empty")
}

// serve runs the API until ctx ends, then shuts down gracefully. When listening is not nil it
// receives the address the server listens on.
func serve(ctx context.Context, opts config.Options, listening chan<- net.Addr) error {
	s, err := startServer(ctx, opts)
	if err != nil {
		return err
	}
	slog.Info("serving", "addr", s.ln.Addr().String(), "docs", "/docs")
	if listening != nil {
		listening <- s.ln.Addr()
	}
	select {
	case err := <-s.served:
		return errors.Join(err, s.close())
	case <-ctx.Done():
	}
	slog.Info("shutting down", "grace", shutdownGrace.String())
	if err := s.close(); err != nil {
		return err
	}
	slog.Info("stopped")
	return nil
}

// server is the running API: its listener and database, and every goroutine it starts, which
// it owns and waits for when it closes.
type server struct {
	db       *postgres.DB
	http     *http.Server
	ln       net.Listener
	served   chan error    // what http.Server.Serve returned
	stopping chan struct{} // closed when closing begins: streams end at once
	stop     context.CancelFunc
	running  sync.WaitGroup // the background work: watchers, listeners, the profile server
}

// startServer opens the database (migrating and seeding it when asked), starts the work that
// keeps the server current and starts serving.
func startServer(ctx context.Context, opts config.Options) (_ *server, err error) {
	var db *postgres.DB
	err = postgres.Wait(ctx, opts.DBWait, func(ctx context.Context) error {
		if opts.Migrate {
			created, err := postgres.CreateDatabase(ctx, opts.DatabaseURL)
			if err != nil {
				return err
			}
			if created {
				slog.Info("created the database")
			}
		}
		var err error
		db, err = postgres.Open(ctx, opts.DatabaseURL, postgres.WithConnections(opts.DBConnections))
		return err
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = db.Close()
		}
	}()
	if err := db.AddReplicas(opts.ReplicaURLs, opts.MaxReplicaLag); err != nil {
		return nil, err
	}
	m, err := postgres.NewMigrator(db)
	if err != nil {
		return nil, err
	}
	if opts.Migrate {
		if err := m.Up(ctx, logWriter{}); err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
	}
	if err := m.Check(ctx); err != nil {
		return nil, err
	}
	if owner, err := db.RunsAsOwner(ctx); err != nil {
		return nil, err
	} else if owner {
		slog.Warn("serving as a superuser or a table owner, which could turn the audit trail's triggers off: serve as the role `naptracker migrate up --app-role NAME` grants")
	}
	if opts.Seed {
		rep, err := loadReference(ctx, db)
		if err != nil {
			return nil, err
		}
		slog.Info("reference data", "result", rep.String())
	}
	// What was changed while no server ran (seeded, say) is in the audit chain before anyone reads it.
	if err := db.LinkCommitted(ctx); err != nil {
		return nil, fmt.Errorf("link the audit trail: %w", err)
	}
	enforcer, err := authz.New(ctx, db)
	if err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, err
	}
	// /metrics is on the API's address unless --metrics-addr keeps it apart.
	var statsLn net.Listener
	if opts.MetricsAddr != "" {
		if statsLn, err = net.Listen("tcp", opts.MetricsAddr); err != nil {
			_ = ln.Close()
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			_ = ln.Close()
			if statsLn != nil {
				_ = statsLn.Close()
			}
		}
	}()
	deps, err := serviceDeps(opts, db, enforcer, "http://"+ln.Addr().String())
	if err != nil {
		return nil, err
	}
	stats := metrics.New()
	if err := stats.WatchDatabase(db); err != nil {
		return nil, err
	}
	stats.WatchPolicy(enforcer)

	background, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &server{db: db, ln: ln, served: make(chan error, 1), stopping: make(chan struct{}), stop: stop}
	svc := service.New(deps)
	changes, access := pgnotify.NewBroadcaster(), pgnotify.NewBroadcaster()
	changeFeed := changefeed.New(svc.ListChangesIn, changes)
	api := httpapi.Deps{
		Service:    svc,
		Authorizer: enforcer, Ready: db.Ping, Feed: changeFeed, Access: access, Stopping: s.stopping,
		Limits: httpapi.Limits{MaxBodyBytes: opts.MaxBodyBytes, PerSecond: opts.RateLimit, Burst: opts.RateBurst,
			UploadIdle: opts.UploadIdleTimeout, MaxUploadBytes: opts.MaxUploadBytes,
			StreamsPerClient: opts.MaxStreamsPerClient, Streams: opts.MaxStreams},
		PublicURL: opts.PublicURL,
		Observer:  stats,
	}
	if len(opts.ReplicaURLs) > 0 {
		api.ReadReplica, api.Replicas = db.ReadReplica, func() []httpapi.Replica { return replicaHealth(db) }
	}
	handler, err := httpapi.New(api)
	if err != nil {
		stop()
		return nil, err
	}
	if statsLn == nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", stats.Handler())
		mux.Handle("/", handler)
		handler = mux
	}

	// Whoever changes tokens, users or memberships, on this server or another, the callers
	// this one remembers are forgotten at once, and streams look theirs up again once the
	// policy has reloaded.
	s.running.Go(func() {
		enforcer.Watch(background, opts.DatabaseURL, authz.Hooks{Heard: svc.ForgetCallers, Reloaded: access.Notify})
	})
	s.running.Go(func() { pgnotify.Listen(background, opts.DatabaseURL, postgres.ChangesChannel, changes.Notify) })
	s.running.Go(func() { changeFeed.Run(background) })
	s.running.Go(func() { every(background, auditLinkEvery, func() { linkAudit(background, db) }) })
	if len(opts.ReplicaURLs) > 0 {
		s.running.Go(func() { db.WatchReplicas(background) })
	}
	if statsLn != nil {
		s.running.Go(func() { serveOn(background, statsLn, stats.Handler(), "metrics") })
	}
	if deps.Signer != nil {
		s.running.Go(func() { every(background, opts.CheckpointEvery, func() { signCheckpoint(background, svc) }) })
	}
	if deps.Mailer == nil {
		slog.Warn("no mail server (--smtp-url): notifications are kept in the outbox, unsent")
	}
	s.running.Go(func() { every(background, opts.NotifyEvery, func() { notifyPass(background, svc) }) })
	if opts.DebugAddr != "" {
		s.running.Go(func() { serveProfiles(background, opts.DebugAddr) })
	}
	// Bodies are timed by the operation that reads them: a JSON body by its size, an upload
	// by how long it sends nothing (--upload-idle-timeout) and by the largest file's size.
	s.http = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	go func() { s.served <- s.http.Serve(ln) }()
	return s, nil
}

// close stops the server: streams end at once, requests in flight get shutdownGrace to
// finish, then the background work stops and is waited for, and the database is closed.
func (s *server) close() error {
	close(s.stopping)
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if err != nil {
		err = fmt.Errorf("shutdown: %w", err)
	} else if served := <-s.served; !errors.Is(served, http.ErrServerClosed) {
		err = served
	}
	s.stop()
	s.running.Wait()
	return errors.Join(err, s.db.Close())
}

// loadReference adds whatever of the embedded reference data the database lacks.
func loadReference(ctx context.Context, db *postgres.DB) (seed.Report, error) {
	ds, err := seed.Reference()
	if err != nil {
		return seed.Report{}, err
	}
	return seed.Load(ctx, db.Gorm(), ds)
}

// logWriter turns each line a migration reports into an info log record.
type logWriter struct{}

func (logWriter) Write(p []byte) (int, error) {
	slog.Info("migration", "result", string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	if n := len(p); n > 0 && p[n-1] == '\n' {
		return p[:n-1]
	}
	return p
}

// serviceDeps are the service's parts the options name: the audit key and the mail server, and
// where users reach the server (--public-url, or serving, the address it listens on).
func serviceDeps(opts config.Options, db *postgres.DB, authorizer service.Authorizer, serving string) (service.Deps, error) {
	d := service.Deps{Store: db, Blobs: db.Blobs(), Authorizer: authorizer, MaxUploadBytes: opts.MaxUploadBytes,
		PublicURL: opts.PublicURL}
	if d.PublicURL == "" {
		d.PublicURL = serving
	}
	var err error
	if opts.AuditKey != "" {
		if d.Signer, err = auditKey(&opts); err != nil {
			return d, err
		}
	}
	if opts.SMTPURL != "" {
		if d.Mailer, err = mail.New(opts.SMTPURL, opts.MailFrom); err != nil {
			return d, fmt.Errorf("--smtp-url: %w", err)
		}
	}
	return d, nil
}

// every runs pass now and every interval after, until ctx ends.
func every(ctx context.Context, interval time.Duration, pass func()) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		pass()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// notifyPass runs a pass of notifications: reminders, digests, and sending what the outbox
// holds.
func notifyPass(ctx context.Context, svc *service.Service) {
	rep, err := svc.NotifyPass(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		slog.Error("a pass of notifications failed", "error", err)
	case rep.Scheduled > 0 || rep.Sent > 0 || rep.Failed > 0:
		slog.Info("notifications", "scheduled", rep.Scheduled, "sent", rep.Sent, "failed", rep.Failed)
	}
}

// auditLinkEvery is how often a server links audit events that no pass of its own took: those
// of other processes, or those a failed pass left.
const auditLinkEvery = time.Second

// linkAudit links what is staged of the audit trail, in a pass it shares with this server's
// writers.
func linkAudit(ctx context.Context, db *postgres.DB) {
	if err := db.LinkCommitted(ctx); err != nil && ctx.Err() == nil {
		slog.Error("linking the audit trail failed", "error", err)
	}
}

// signCheckpoint signs a checkpoint of the audit trail, when the trail has grown.
func signCheckpoint(ctx context.Context, svc *service.Service) {
	cp, added, err := svc.SignCheckpoint(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		slog.Error("signing a checkpoint of the audit trail failed", "error", err)
	case added:
		slog.Info("signed a checkpoint of the audit trail", "seq", cp.Seq, "head", cp.Head, "key_id", cp.KeyID)
	}
}

// serveProfiles serves the Go runtime's profiles on addr, for an operator diagnosing a slow or
// hungry server, until ctx ends.
func serveProfiles(ctx context.Context, addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	slog.Info("serving profiles", "addr", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		slog.Error("profiles not served", "addr", addr, "error", err)
	}
}

// serveOn serves h on ln, the address of what (metrics, say), until ctx ends.
func serveOn(ctx context.Context, ln net.Listener, h http.Handler, what string) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	var closing sync.WaitGroup
	defer closing.Wait()
	closing.Go(func() {
		<-ctx.Done()
		_ = srv.Close()
	})
	slog.Info("serving "+what, "addr", ln.Addr().String())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		slog.Error(what+" not served", "addr", ln.Addr().String(), "error", err)
	}
}

// replicaHealth is how each read replica stands, as /readyz says.
func replicaHealth(db *postgres.DB) []httpapi.Replica {
	var out []httpapi.Replica
	for _, r := range db.Replicas() {
		out = append(out, httpapi.Replica{Name: r.Name, State: r.State, LagSeconds: r.Lag.Seconds()})
	}
	return out
}
