package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/spf13/pflag"
)

// EnvPrefix starts the name of the environment variable that may give each setting.
const EnvPrefix = "NAPTRACKER_"

// EnvNames are the environment variables that may give flag f, in the order they are read:
// NAPTRACKER_ and the flag's name in capitals with dashes as underscores (NAPTRACKER_ADDR for
// --addr), with an S added for a flag that may be given more than once, whose variable lists
// its values separated by commas (NAPTRACKER_REPLICA_URLS for --replica-url); for
// --database-url, DATABASE_URL after that, the name most tools read.
func EnvNames(f *pflag.Flag) []string {
	name := EnvPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
	if _, many := f.Value.(pflag.SliceValue); many {
		name += "S"
	}
	if f.Name == "database-url" {
		return []string{name, DatabaseURLEnv}
	}
	return []string{name}
}

// FromEnv gives every flag of fs that the command line left unset the value of the first of
// its EnvNames that is set: flags win over the environment, which wins over defaults.
func FromEnv(fs *pflag.FlagSet, lookup func(string) (string, bool)) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil {
			return
		}
		if name, v, ok := fromEnv(f, lookup); ok {
			if set := f.Value.Set(v); set != nil {
				err = fmt.Errorf("$%s: %w", name, set)
			}
		}
	})
	return err
}

func fromEnv(f *pflag.Flag, lookup func(string) (string, bool)) (name, value string, ok bool) {
	for _, name := range EnvNames(f) {
		if v, ok := lookup(name); ok {
			return name, v, true
		}
	}
	return "", "", false
}

// Source says where the value of flag f came from, as FromEnv decided: "flag", "$NAME" of
// the environment variable, or "default".
func Source(f *pflag.Flag, lookup func(string) (string, bool)) string {
	if f.Changed {
		return "flag"
	}
	if name, _, ok := fromEnv(f, lookup); ok {
		return "$" + name
	}
	return "default"
}

// DescribeEnv adds to the help of every flag of fs the variables that may give it.
func DescribeEnv(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		f.Usage += " ($" + strings.Join(EnvNames(f), ", $") + ")"
	})
}

// keyValuePassword finds the password of a key=value connection string.
var keyValuePassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// Redact returns a setting's value fit to print: the password of a URL
// (postgres://user:xxxxx@host/db) or of a key=value connection string (password=xxxxx)
// replaced.
func Redact(value string) string {
	if u, err := url.Parse(value); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			return u.Redacted()
		}
		return value
	}
	return keyValuePassword.ReplaceAllString(value, "${1}xxxxx")
}
