package config

import (
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	ok := Options{DatabaseURL: "postgres://localhost/naptracker", Addr: ":8080", LogLevel: "info"}
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
	}
	for _, c := range cases {
		o := ok
		c.change(&o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v does not name %s", err, c.want)
		}
	}
}
