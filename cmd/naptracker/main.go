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
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&opts.DatabaseURL, "database-url", opts.DatabaseURL,
		"PostgreSQL connection string (default $"+config.DatabaseURLEnv+")")
	root.PersistentFlags().StringVar(&opts.LogLevel, "log-level", opts.LogLevel, "debug, info, warn or error")
	root.AddCommand(serveCommand(&opts), migrateCommand(&opts), seedCommand(&opts), openapiCommand(),
		usersCommand(&opts), tokensCommand(&opts), auditCommand(&opts), notifyCommand(&opts), importCommand(&opts))
	root.AddCommand(loadtestCommand())
	return root
}
