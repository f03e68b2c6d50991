package config

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestEnvNames(t *testing.T) {
	var o Options
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.StringVar(&o.Addr, "addr", "", "")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "")
	fs.StringSliceVar(&o.ReplicaURLs, "replica-url", nil, "")
	fs.StringVar(&o.AuditKey, "audit-key", "", "")
	for flag, want := range map[string]string{
		"addr":         "NAPTRACKER_ADDR",
		"database-url": "NAPTRACKER_DATABASE_URL DATABASE_URL",
		"replica-url":  "NAPTRACKER_REPLICA_URLS",
		"audit-key":    AuditKeyEnv,
	} {
		if got := strings.Join(EnvNames(fs.Lookup(flag)), " "); got != want {
			t.Errorf("--%s: %s, want %s", flag, got, want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{
		"NAPTRACKER_ADDR":            "127.0.0.1:9000",
		"NAPTRACKER_LOG_LEVEL":       "debug",
		"DATABASE_URL":               "postgres://app:secret@db/naptracker",
		"NAPTRACKER_REPLICA_URLS":    "postgres://r1/naptracker,postgres://r2/naptracker",
		"NAPTRACKER_MAX_REPLICA_LAG": "2s",
	}
	lookup := func(name string) (string, bool) { v, ok := env[name]; return v, ok }
	o := Defaults()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.StringVar(&o.Addr, "addr", o.Addr, "")
	fs.StringVar(&o.LogLevel, "log-level", o.LogLevel, "")
	fs.StringVar(&o.DatabaseURL, "database-url", "", "")
	fs.StringSliceVar(&o.ReplicaURLs, "replica-url", nil, "")
	fs.DurationVar(&o.MaxReplicaLag, "max-replica-lag", o.MaxReplicaLag, "")
	fs.DurationVar(&o.DBWait, "db-wait", o.DBWait, "")
	if err := fs.Parse([]string{"--log-level", "warn"}); err != nil {
		t.Fatal(err)
	}
	if err := FromEnv(fs, lookup); err != nil {
		t.Fatal(err)
	}
	if o.Addr != "127.0.0.1:9000" || o.LogLevel != "warn" || o.DatabaseURL != env["DATABASE_URL"] ||
		strings.Join(o.ReplicaURLs, " ") != "postgres://r1/naptracker postgres://r2/naptracker" ||
		o.MaxReplicaLag != 2*time.Second || o.DBWait != time.Minute {
		t.Errorf("options: %+v", o)
	}
	for flag, want := range map[string]string{"addr": "$NAPTRACKER_ADDR", "log-level": "flag", "database-url": "$DATABASE_URL", "db-wait": "default"} {
		if got := Source(fs.Lookup(flag), lookup); got != want {
			t.Errorf("source of --%s: %s, want %s", flag, got, want)
		}
	}

	env["NAPTRACKER_DATABASE_URL"] = "postgres://db2/naptracker"
	env["NAPTRACKER_DB_WAIT"] = "soon"
	o = Defaults()
	fs = pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.StringVar(&o.DatabaseURL, "database-url", "", "")
	fs.DurationVar(&o.DBWait, "db-wait", o.DBWait, "")
	if err := FromEnv(fs, lookup); err == nil || !strings.Contains(err.Error(), "NAPTRACKER_DB_WAIT") {
		t.Errorf("a bad value: %v", err)
	}
	if o.DatabaseURL != "postgres://db2/naptracker" {
		t.Errorf("NAPTRACKER_DATABASE_URL does not come before DATABASE_URL: %s", o.DatabaseURL)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://app:secret@db:5432/naptracker?sslmode=disable": "postgres://app:xxxxx@db:5432/naptracker?sslmode=disable",
		"postgres://app@db/naptracker":                             "postgres://app@db/naptracker",
		"host=db user=app password=secret dbname=naptracker":       "host=db user=app password=xxxxx dbname=naptracker",
		"host=db password='se cret' dbname=naptracker":             "host=db password=xxxxx dbname=naptracker",
		":8080": ":8080",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
