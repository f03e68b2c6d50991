package main

import (
	"encoding/json"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/naptracker/naptracker/internal/loadtest"
)

// adminTokenEnv gives loadtest its admin token when no flag does, to keep it out of the
// process list.
const adminTokenEnv = "NAPTRACKER_ADMIN_TOKEN"

func loadtestCommand() *cobra.Command {
	cfg := loadtest.Config{URL: "http://127.0.0.1:8080", Duration: 30 * time.Second, Concurrency: 32, Scenario: loadtest.ScenarioMixed}
	var jsonPath string
	var seed uint64
	cmd := &cobra.Command{
		Use:   "loadtest",
		Short: "Drive a running server with realistic traffic and report throughput, latency and errors",
		Long: "Creates (or reuses) users loadtest-…@example.org with an admin's token — a partner, a coordinator,\n" +
			"and a focal point and an approver in each of a few organizations that lead measures — issues them\n" +
			"tokens for the run, and plays a scenario with a fixed number of workers for a fixed time:\n" +
			"  partner   walk filtered measure lists, read measures (again with If-None-Match), plan summaries, the change feed\n" +
			"  ministry  draft, edit, submit, sign off and approve progress updates, each step by its own person\n" +
			"  mixed     mostly partner reads, one action in ten a ministry's report\n" +
			"  streams   open --streams change streams (one in ten as one of up to 100 partners, one in ten as a\n" +
			"            viewer of one of up to 20 ministries, the rest anonymous) while ministries report; then\n" +
			"            compare what each received with its feed: missed and duplicated changes, delivery\n" +
			"            latency from each change's recorded time, and the server's memory (run it with\n" +
			"            --max-streams-per-client 0, since the anonymous streams share an address)\n" +
			"With --baseline-url it then walks measure lists alone, and then reads measures alone, against\n" +
			"the API and against naptracker-baseline for the same time each, and reports the API's\n" +
			"throughput as a share of the baseline's. Run the server with --rate-limit 0, or its per-token\n" +
			"limit is what gets measured.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if cfg.AdminToken == "" {
				cfg.AdminToken = os.Getenv(adminTokenEnv)
			}
			cfg.Seed = seed
			cfg.Progress = c.ErrOrStderr()
			rep, err := loadtest.Run(c.Context(), cfg)
			if err != nil {
				return err
			}
			if err := rep.WriteTable(c.OutOrStdout()); err != nil {
				return err
			}
			if jsonPath == "" {
				return nil
			}
			b, err := json.MarshalIndent(rep, "", "  ")
			if err != nil {
				return err
			}
			return os.WriteFile(jsonPath, append(b, '\n'), 0o644) //nolint:gosec // a report, not a secret
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.URL, "url", cfg.URL, "the API's base URL")
	f.StringVar(&cfg.BaselineURL, "baseline-url", "", "naptracker-baseline's base URL, to compare the measure list and detail with")
	f.StringVar(&cfg.AdminToken, "admin-token", "", "an admin's API token (default $"+adminTokenEnv+")")
	f.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long each phase runs")
	f.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "workers, each with one request in flight")
	f.StringVar(&cfg.Scenario, "scenario", cfg.Scenario, "partner, ministry, mixed or streams")
	f.IntVar(&cfg.Streams, "streams", 1000, "change streams the streams scenario opens")
	f.IntVar(&cfg.ServerPID, "server-pid", 0, "the server's process id on this machine, to report its VmRSS and VmHWM, and the CPU a request costs it and PostgreSQL")
	f.IntVar(&cfg.BaselinePID, "baseline-pid", 0, "the baseline's process id on this machine, to report the CPU a request costs it and PostgreSQL")
	f.Float64Var(&cfg.Rate, "rate", 0, "actions to start a second whether or not earlier ones ended (an open model); 0: each worker starts the next when one ends")
	f.IntVar(&cfg.Plans, "plans", 4, "published plans to sample and spread the load over")
	f.IntVar(&cfg.Partners, "partners", 1, "partners, each with its own token, the workers take turns as")
	f.StringVar(&jsonPath, "json", "", "also write the report as JSON to this file")
	f.Uint64Var(&seed, "seed", 0, "seed of the random choices, to repeat a run (default: random)")
	return cmd
}
