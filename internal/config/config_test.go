package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	ok := Defaults()
	ok.DatabaseURL = "postgres://localhost/naptracker"
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	cases := []struct {
		change func(*Options)
		want   string
	}{
		{func(o *Options) { o.DatabaseURL = " " }, "DATABASE_URL"},
		{func(o *Options) { o.Addr = "8080" }, "--addr"},
		{func(o *Options) { o.LogLevel = "loud" }, "--log-level"},
		{func(o *Options) { o.MaxBodyBytes = 10 }, "--max-body-bytes"},
		{func(o *Options) { o.RateLimit = -1 }, "--rate-limit"},
		{func(o *Options) { o.RateBurst = 0 }, "--rate-limit"},
		{func(o *Options) { o.PublicURL = "nap.example.org" }, "--public-url"},
		{func(o *Options) { o.PublicURL = "ftp://nap.example.org" }, "--public-url"},
		{func(o *Options) { o.MetricsAddr = "9090" }, "--metrics-addr"},
		{func(o *Options) { o.ReplicaURLs = []string{" "} }, "--replica-url"},
		{func(o *Options) { o.MaxReplicaLag = 0 }, "--max-replica-lag"},
		{func(o *Options) { o.DBWait = -time.Second }, "--db-wait"},
		{func(o *Options) { o.DBConnections = -1 }, "--db-connections"},
	}
	for _, c := range cases {
		o := ok
		c.change(&o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v does not name %s", err, c.want)
		}
	}
}
