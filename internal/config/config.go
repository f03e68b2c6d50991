// Package config holds the settings of a naptracker process, read once from flags and the
// environment (env.go) and checked at start-up.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"
)

// Options are the settings of a naptracker process.
type Options struct {
	// DatabaseURL is the PostgreSQL connection string (URL or key=value form).
	DatabaseURL string
	// Addr is the address serve listens on.
	Addr string
	// Migrate applies pending migrations before serving.
	Migrate bool
	// Seed loads the reference data, where absent, before serving.
	Seed bool
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// MaxBodyBytes bounds a JSON request body.
	MaxBodyBytes int64
	// MaxUploadBytes bounds an evidence file.
	MaxUploadBytes int64
	// UploadIdleTimeout is how long an upload may send nothing before it is cut off.
	UploadIdleTimeout time.Duration
	// RateLimit is the sustained requests per second allowed per token, or per client address
	// for anonymous callers; 0 turns rate limiting off.
	RateLimit float64
	// RateBurst is how many requests a caller may send at once above RateLimit.
	RateBurst int
	// PublicURL is where clients reach the server, for the links exports give; "" takes them
	// from each request's Host.
	PublicURL string
	// MaxStreamsPerClient bounds the change streams a token, or an anonymous client's address,
	// holds open at once, and MaxStreams those of the whole server; 0 for no bound.
	MaxStreamsPerClient, MaxStreams int
	// AuditKey is the file of the Ed25519 key checkpoints of the audit trail are signed with;
	// "" signs none. CheckpointEvery is how often serve signs one when the trail has grown.
	AuditKey        string
	CheckpointEvery time.Duration
	// SMTPURL is the mail server notifications are sent through (smtp:// or smtps://); ""
	// keeps them in the outbox, unsent. MailFrom is their sender; NotifyEvery is how often
	// serve schedules and sends them.
	SMTPURL     string
	MailFrom    string
	NotifyEvery time.Duration
	// DebugAddr, when set, is where the Go runtime's profiles are served (/debug/pprof/), apart
	// from the API so that they are never exposed with it.
	DebugAddr string
	// MetricsAddr, when set, is where /metrics is served instead of the API's address, so that
	// it can be kept on an internal network.
	MetricsAddr string
	// ReplicaURLs are streaming replicas of the database that reads may go to; MaxReplicaLag is
	// how far behind the primary one may be and still serve them.
	ReplicaURLs   []string
	MaxReplicaLag time.Duration
	// DBWait is how long serve keeps trying to reach the database at start before it gives up.
	DBWait time.Duration
	// DBConnections is how many connections serve keeps open to the database, and to each
	// replica; 0 for two for each CPU it may use, at least four (postgres.DefaultConnections).
	DBConnections int
}

// DatabaseURLEnv is the environment variable that gives the database when no flag does.
const DatabaseURLEnv = "DATABASE_URL"

// AuditKeyEnv is the environment variable that gives the audit key file when no flag does.
const AuditKeyEnv = "NAPTRACKER_AUDIT_KEY"

// Defaults returns the settings a bare `naptracker serve` uses before the environment is read
// (FromEnv): port 8080 on every interface, info logs, 1 MiB bodies, 50 requests a second, a
// minute's wait for the database, a pass of notifications every minute.
func Defaults() Options {
	return Options{CheckpointEvery: 5 * time.Minute,
		MailFrom: "naptracker <naptracker@localhost>", NotifyEvery: time.Minute,
		Addr: ":8080", LogLevel: "info",
		MaxBodyBytes: 1 << 20, MaxUploadBytes: 25 << 20, UploadIdleTimeout: 15 * time.Second, RateLimit: 50, RateBurst: 100,
		MaxStreamsPerClient: 8, MaxStreams: 2000, MaxReplicaLag: 5 * time.Second, DBWait: time.Minute}
}

// Validate fails on a missing or malformed setting, naming it.
func (o Options) Validate() error {
	var errs []error
	if strings.TrimSpace(o.DatabaseURL) == "" {
		errs = append(errs, fmt.Errorf("no database: set %s or pass --database-url", DatabaseURLEnv))
	}
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q is not HOST:PORT", o.Addr))
	}
	if _, _, err := net.SplitHostPort(o.MetricsAddr); o.MetricsAddr != "" && err != nil {
		errs = append(errs, fmt.Errorf("--metrics-addr %q is not HOST:PORT", o.MetricsAddr))
	}
	for _, r := range o.ReplicaURLs {
		if strings.TrimSpace(r) == "" {
			errs = append(errs, errors.New("--replica-url is empty"))
		}
	}
	if o.MaxReplicaLag <= 0 {
		errs = append(errs, fmt.Errorf("--max-replica-lag %s is not positive", o.MaxReplicaLag))
	}
	if o.DBWait < 0 {
		errs = append(errs, fmt.Errorf("--db-wait %s is negative", o.DBWait))
	}
	if o.DBConnections < 0 {
		errs = append(errs, fmt.Errorf("--db-connections %d is negative", o.DBConnections))
	}
	if _, err := o.Level(); err != nil {
		errs = append(errs, err)
	}
	if o.MaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("--max-body-bytes %d is below 1024", o.MaxBodyBytes))
	}
	if o.MaxUploadBytes < 1024 {
		errs = append(errs, fmt.Errorf("--max-upload-bytes %d is below 1024", o.MaxUploadBytes))
	}
	if o.PublicURL != "" {
		if u, err := url.Parse(o.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("--public-url %q is not an http(s) URL", o.PublicURL))
		}
	}
	if o.UploadIdleTimeout < time.Second {
		errs = append(errs, fmt.Errorf("--upload-idle-timeout %s is below a second", o.UploadIdleTimeout))
	}
	if o.NotifyEvery < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("--notify-every %s is too short", o.NotifyEvery))
	}
	if o.CheckpointEvery < time.Second {
		errs = append(errs, fmt.Errorf("--checkpoint-every %s is below a second", o.CheckpointEvery))
	}
	if o.MaxStreamsPerClient < 0 || o.MaxStreams < 0 {
		errs = append(errs, fmt.Errorf("--max-streams-per-client and --max-streams must be 0 (no bound) or positive"))
	}
	if o.RateLimit < 0 || (o.RateLimit > 0 && o.RateBurst < 1) {
		errs = append(errs, fmt.Errorf("--rate-limit must be 0 (off) or positive, with --rate-burst at least 1"))
	}
	return errors.Join(errs...)
}

// Level is LogLevel as a slog level.
func (o Options) Level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return 0, fmt.Errorf("--log-level %q is not debug, info, warn or error", o.LogLevel)
	}
	return l, nil
}
