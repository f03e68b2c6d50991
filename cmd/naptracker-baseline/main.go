// Command naptracker-baseline is a benchmark fixture, never deployed: it serves a plan's
// measure list and its measures straight from PostgreSQL with nothing but net/http, pgx and encoding/json, so
// that `naptracker loadtest --baseline-url` can tell what the API's layers cost.
//
//	naptracker-baseline --addr 127.0.0.1:8090 --database-url postgres://…
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/naptracker/naptracker/internal/loadtest/baseline"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "HOST:PORT to listen on")
	dsn := flag.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL connection string (default $DATABASE_URL)")
	flag.Parse()
	if err := run(*addr, *dsn); err != nil {
		fmt.Fprintln(os.Stderr, "naptracker-baseline:", err)
		os.Exit(1)
	}
}

func run(addr, dsn string) error {
	if dsn == "" {
		return errors.New("no database: set DATABASE_URL or pass --database-url")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pool, err := baseline.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	srv := &http.Server{Addr: addr, Handler: baseline.Handler(pool), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	log.Printf("serving GET /v1/plans/{id}/measures and GET /v1/measures/{id} on %s", addr)
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
