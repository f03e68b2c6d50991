package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/naptracker/naptracker/internal/config"
)

func configCommand(opts *config.Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the settings serve would use, and where each comes from, without secrets",
		Long: "Takes serve's flags and environment and prints each setting, its value (passwords in\n" +
			"connection strings replaced by xxxxx) and where it came from: the command line, an\n" +
			"environment variable or the default. Exits non-zero, naming the problems, when serve\n" +
			"would refuse them.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(c.OutOrStdout(), 0, 0, 2, ' ', 0)
			c.Flags().VisitAll(func(f *pflag.Flag) {
				if f.Name != "help" {
					fmt.Fprintf(w, "%s\t%s\t%s\n", f.Name, printable(f), config.Source(f, os.LookupEnv))
				}
			})
			if err := w.Flush(); err != nil {
				return err
			}
			return opts.Validate()
		},
	}
	serveFlags(cmd.Flags(), opts)
	return readsEnv(cmd)
}

// printable is a flag's value with its secrets redacted, `""` when empty.
func printable(f *pflag.Flag) string {
	v := f.Value.String()
	if list, ok := f.Value.(pflag.SliceValue); ok {
		values := list.GetSlice()
		for i, v := range values {
			values[i] = config.Redact(v)
		}
		v = strings.Join(values, ",")
	} else {
		v = config.Redact(v)
	}
	if v == "" {
		return `""`
	}
	return v
}
