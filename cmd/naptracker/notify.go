package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/naptracker/naptracker/internal/authz"
	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/postgres"
	"github.com/naptracker/naptracker/internal/service"
)

// notifyCommand runs one pass of notifications, for cron or an operator; serve runs the same
// pass every --notify-every.
func notifyCommand(opts *config.Options) *cobra.Command {
	run := &cobra.Command{
		Use:   "run",
		Short: "Schedule the reminders and digests due today and send what the outbox holds, once",
		Args:  cobra.NoArgs,
		RunE: withDB(opts, func(c *cobra.Command, db *postgres.DB) error {
			enforcer, err := authz.New(c.Context(), db)
			if err != nil {
				return err
			}
			deps, err := serviceDeps(*opts, db, enforcer, "http://localhost:8080")
			if err != nil {
				return err
			}
			rep, err := service.New(deps).NotifyPass(c.Context())
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), rep)
			return nil
		}),
	}
	run.Flags().StringVar(&opts.SMTPURL, "smtp-url", opts.SMTPURL, "the mail server; none: notifications are kept, unsent")
	run.Flags().StringVar(&opts.MailFrom, "mail-from", opts.MailFrom, "the sender of notifications")
	run.Flags().StringVar(&opts.PublicURL, "public-url", opts.PublicURL, "where users reach the server, for the links notifications give")
	cmd := &cobra.Command{Use: "notify", Short: "Notify users by e-mail"}
	cmd.AddCommand(readsEnv(run))
	return cmd
}
