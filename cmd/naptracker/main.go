// Command naptracker serves the naptracker API and administers its database.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/naptracker/naptracker/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := rootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "naptracker:", err)
		os.Exit(1)
	}
}

func rootCommand() *cobra.Command {
	opts := config.Defaults()
	root := &cobra.Command{
		Use:           "naptracker",
		Short:         "Track how a government carries out a National Action Plan",
		Version:       buildVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
		// Settings the command line leaves unset come from the environment: those of every
		// command (the database, the log level), and all of those commands that read
		// everything from it (envEverything) declare.
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			fs := c.InheritedFlags()
			if c.Annotations[envEverything] != "" {
				fs = c.Flags()
			}
			return config.FromEnv(fs, os.LookupEnv)
		},
	}
	root.SetVersionTemplate("{{.Version}}")
	root.PersistentFlags().StringVar(&opts.DatabaseURL, "database-url", opts.DatabaseURL, "PostgreSQL connection string")
	root.PersistentFlags().StringVar(&opts.LogLevel, "log-level", opts.LogLevel, "debug, info, warn or error")
	config.DescribeEnv(root.PersistentFlags())
	root.AddCommand(serveCommand(&opts), configCommand(&opts), migrateCommand(&opts), seedCommand(&opts), openapiCommand(),
		usersCommand(&opts), tokensCommand(&opts), auditCommand(&opts), notifyCommand(&opts), importCommand(&opts), healthCommand())
	root.AddCommand(loadtestCommand())
	return root
}

// envEverything, as an annotation of a command, makes every flag of it come from the
// environment when the command line leaves it unset (config.FromEnv).
const envEverything = "naptracker/env"

// readsEnv makes every flag of c, its own and those it inherits, come from the environment
// when the command line leaves it unset, and says so in its help.
func readsEnv(c *cobra.Command) *cobra.Command {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[envEverything] = "yes"
	config.DescribeEnv(c.Flags())
	return c
}
