package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/synthetic"
)

func syntheticCommand(opts *config.Options) *cobra.Command {
	o := synthetic.Defaults()
	cmd := &cobra.Command{
		Use:   "synthetic",
		Short: "Load a large, deterministic synthetic dataset for performance work",
		Long: "Generates plans, measures, recommendations, indicators, users and a history of progress updates,\n" +
			"the same for the same options and --seed, and loads them with COPY in one transaction. Every row\n" +
			"is marked synthetic (codes SYN-…, SYNTHETIC/…, e-mail @synthetic.invalid, provenance illustrative).\n" +
			"The rows get no audit events of their own: one audit event records the load. Refuses a database\n" +
			"whose schema is not current or that holds synthetic data already.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if opts.DatabaseURL == "" {
				return fmt.Errorf("no database: set %s or pass --database-url", config.DatabaseURLEnv)
			}
			rep, err := synthetic.Load(c.Context(), opts.DatabaseURL, o, c.OutOrStdout())
			if err != nil {
				return err
			}
			fmt.Fprintln(c.OutOrStdout(), rep)
			return nil
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the generator: the same seed gives the same data")
	f.IntVar(&o.Plans, "plans", o.Plans, "number of plans")
	f.IntVar(&o.MeasuresPerPlan, "measures-per-plan", o.MeasuresPerPlan, "measures in each plan")
	f.IntVar(&o.UpdatesPerMeasure, "updates-per-measure", o.UpdatesPerMeasure, "progress updates of each measure")
	f.IntVar(&o.RecommendationsPerPlan, "recommendations-per-plan", o.RecommendationsPerPlan,
		"recommendations of each plan's source document")
	f.IntVar(&o.Organizations, "organizations", o.Organizations, "number of organizations")
	f.IntVar(&o.Users, "users", o.Users, "number of users, each with a role in an organization or a global role")
	f.BoolVar(&o.Feed, "feed", o.Feed, "write a change-feed row for every synthetic row the feed follows")
	return cmd
}
