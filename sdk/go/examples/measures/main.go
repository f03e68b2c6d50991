// Command measures prints the plans a naptracker server publishes and, for the first, every
// measure an organization leads or co-implements, following the pages to the last.
//
//	NAPTRACKER_URL=http://localhost:8080 [NAPTRACKER_TOKEN=napt_…] go run . MS
package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"os"

	napclient "github.com/naptracker/naptracker/sdk/go"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: measures ORGANIZATION_CODE")
	}
	organization := os.Args[1]
	ctx := context.Background()

	// With a token every request carries it; without, the client reads what the public may.
	c, err := napclient.NewClientWithResponses(os.Getenv("NAPTRACKER_URL"),
		napclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			if token := os.Getenv("NAPTRACKER_TOKEN"); token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			return nil
		}))
	if err != nil {
		log.Fatal(err)
	}

	plans, err := c.ListPlansWithResponse(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	if plans.JSON200 == nil || len(plans.JSON200.Items) == 0 {
		log.Fatal("the server lists no plans")
	}
	for _, p := range plans.JSON200.Items {
		fmt.Printf("plan %s %s\n", p.Code, p.Status)
	}

	plan := plans.JSON200.Items[0]
	limit := int64(5)
	params := &napclient.ListMeasuresParams{Organization: &organization, Limit: &limit}
	for m, err := range napclient.All(ctx, func(ctx context.Context, cursor *string) (*napclient.ListMeasuresResponse, error) {
		params.Cursor = cursor
		return c.ListMeasuresWithResponse(ctx, plan.ID, params)
	}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("measure %s %s %s\n", m.Code, m.Lead, m.CurrentStatus)
	}
}
