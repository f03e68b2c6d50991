package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

func healthCommand() *cobra.Command {
	url := "http://127.0.0.1:8080/readyz"
	timeout := 3 * time.Second
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Exit 0 when a server answers 200 at --url, for health checks where there is no curl",
		Long: "Asks a running server whether it is ready (GET /readyz by default) and exits 0 on 200, 1\n" +
			"otherwise: the health check of the Docker image, which has no shell and no curl.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(c.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("%s answered %s", url, res.Status)
			}
			fmt.Fprintln(c.OutOrStdout(), url, res.Status)
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", url, "the address to ask")
	cmd.Flags().DurationVar(&timeout, "timeout", timeout, "how long to wait for the answer")
	return cmd
}
