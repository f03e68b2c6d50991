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
	"time"

	"github.com/spf13/cobra"

	"github.com/naptracker/naptracker/internal/authz"
	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/logging"
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
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Validate(); err != nil {
				return err
			}
			level, _ := opts.Level()
			slog.SetDefault(logging.New(os.Stderr, level))
			return serve(cmd.Context(), *opts, nil)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", opts.Addr, "HOST:PORT to listen on")
	cmd.Flags().BoolVar(&opts.Migrate, "migrate", opts.Migrate, "create the database if missing and apply pending migrations first")
	cmd.Flags().BoolVar(&opts.Seed, "seed", opts.Seed, "load the reference data where absent first")
	cmd.Flags().Int64Var(&opts.MaxBodyBytes, "max-body-bytes", opts.MaxBodyBytes, "largest JSON request body")
	cmd.Flags().Int64Var(&opts.MaxUploadBytes, "max-upload-bytes", opts.MaxUploadBytes, "largest evidence file")
	cmd.Flags().Float64Var(&opts.RateLimit, "rate-limit", opts.RateLimit, "requests per second per token, or per address for anonymous callers; 0 is off")
	cmd.Flags().IntVar(&opts.RateBurst, "rate-burst", opts.RateBurst, "requests a caller may send at once above --rate-limit")
	cmd.Flags().StringVar(&opts.PublicURL, "public-url", opts.PublicURL, "where clients reach the server (https://nap.example.org), for the links exports give to stored evidence; default: each request's Host")
	cmd.Flags().StringVar(&opts.DebugAddr, "debug-addr", opts.DebugAddr, "HOST:PORT to serve Go profiles (/debug/pprof/) on, for diagnosis; off when empty")
	return cmd
}

// serve runs the API until ctx ends, then shuts down gracefully. When listening is not nil it
// receives the address the server listens on.
func serve(ctx context.Context, opts config.Options, listening chan<- net.Addr) error {
	if opts.Migrate {
		created, err := postgres.CreateDatabase(ctx, opts.DatabaseURL)
		if err != nil {
			return err
		}
		if created {
			slog.Info("created the database")
		}
	}
	db, err := postgres.Open(ctx, opts.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()

	m, err := postgres.NewMigrator(db)
	if err != nil {
		return err
	}
	if opts.Migrate {
		if err := m.Up(ctx, logWriter{}); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	if err := m.Check(ctx); err != nil {
		return err
	}
	if opts.Seed {
		rep, err := loadReference(ctx, db)
		if err != nil {
			return err
		}
		slog.Info("reference data", "result", rep.String())
	}

	enforcer, err := authz.New(ctx, db)
	if err != nil {
		return err
	}
	watchCtx, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	svc := service.New(service.Deps{Store: db, Blobs: db.Blobs(), Authorizer: enforcer, MaxUploadBytes: opts.MaxUploadBytes})
	// Whoever changes tokens, users or memberships, on this server or another, the callers
	// this one remembers are forgotten as the policy reloads.
	go enforcer.Watch(watchCtx, opts.DatabaseURL, svc.ForgetCallers)
	changes := pgnotify.NewBroadcaster()
	go pgnotify.Listen(watchCtx, opts.DatabaseURL, postgres.ChangesChannel, changes.Notify)

	handler, err := httpapi.New(httpapi.Deps{
		Service:    svc,
		Authorizer: enforcer, Ready: db.Ping, Tx: db.InTx, Changes: changes,
		Limits:    httpapi.Limits{MaxBodyBytes: opts.MaxBodyBytes, PerSecond: opts.RateLimit, Burst: opts.RateBurst},
		PublicURL: opts.PublicURL,
	})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return err
	}
	if opts.DebugAddr != "" {
		go serveProfiles(opts.DebugAddr)
	}
	slog.Info("serving", "addr", ln.Addr().String(), "docs", "/docs")
	if listening != nil {
		listening <- ln.Addr()
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down", "grace", shutdownGrace.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	slog.Info("stopped")
	return nil
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

// serveProfiles serves the Go runtime's profiles on addr, for an operator diagnosing a slow or
// hungry server.
func serveProfiles(addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	slog.Info("serving profiles", "addr", addr)
	if err := srv.ListenAndServe(); err != nil {
		slog.Error("profiles not served", "addr", addr, "error", err)
	}
}
