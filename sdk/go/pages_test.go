package napclient_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/google/uuid"

	napclient "github.com/naptracker/naptracker/sdk/go"
)

// pagedServer serves measures 1.1 to 1.5 two at a time, cursor "p<n>" for page n, and
// answers a problem instead of the page numbered fail. It counts the pages asked for.
func pagedServer(t *testing.T, fail string) (*napclient.ClientWithResponses, *int) {
	t.Helper()
	asked := 0
	pages := map[string]string{
		"":   `{"items": [{"code": "1.1"}, {"code": "1.2"}], "next_cursor": "p2"}`,
		"p2": `{"items": [{"code": "1.3"}, {"code": "1.4"}], "next_cursor": "p3"}`,
		"p3": `{"items": [{"code": "1.5"}]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked++
		cursor := r.URL.Query().Get("cursor")
		if cursor == fail {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			fmt.Fprint(w, `{"status": 422, "title": "Unprocessable Entity", "detail": "the cursor has expired"}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, pages[cursor])
	}))
	t.Cleanup(srv.Close)
	c, err := napclient.NewClientWithResponses(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c, &asked
}

func listMeasures(c *napclient.ClientWithResponses) func(context.Context, *string) (*napclient.ListMeasuresResponse, error) {
	params := &napclient.ListMeasuresParams{Limit: new(int64(2))}
	return func(ctx context.Context, cursor *string) (*napclient.ListMeasuresResponse, error) {
		params.Cursor = cursor
		return c.ListMeasuresWithResponse(ctx, uuid.Nil, params)
	}
}

func TestAllFollowsTheCursorToTheLastPage(t *testing.T) {
	c, asked := pagedServer(t, "none")
	var codes []string
	for m, err := range napclient.All(context.Background(), listMeasures(c)) {
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, m.Code)
	}
	if want := []string{"1.1", "1.2", "1.3", "1.4", "1.5"}; !slices.Equal(codes, want) || *asked != 3 {
		t.Fatalf("got %v in %d pages, want %v in 3", codes, *asked, want)
	}
}

func TestAllEndsWithTheErrorOfAFailedPage(t *testing.T) {
	c, _ := pagedServer(t, "p2")
	var codes []string
	var last error
	for m, err := range napclient.All(context.Background(), listMeasures(c)) {
		if err != nil {
			last = err
			continue
		}
		codes = append(codes, m.Code)
	}
	var re *napclient.ResponseError
	if !errors.As(last, &re) || re.StatusCode != http.StatusUnprocessableEntity || re.Problem == nil ||
		*re.Problem.Detail != "the cursor has expired" || !slices.Equal(codes, []string{"1.1", "1.2"}) {
		t.Fatalf("got %v then %v", codes, last)
	}
}

func TestAllStopsAskingWhenTheLoopBreaks(t *testing.T) {
	c, asked := pagedServer(t, "none")
	for m, err := range napclient.All(context.Background(), listMeasures(c)) {
		if err != nil || m.Code != "1.1" {
			t.Fatalf("first item %q, %v", m.Code, err)
		}
		break
	}
	if *asked != 1 {
		t.Fatalf("asked for %d pages after the first item", *asked)
	}
}

func TestAllStopsWhenTheContextEnds(t *testing.T) {
	c, asked := pagedServer(t, "none")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last error
	for _, err := range napclient.All(ctx, listMeasures(c)) {
		cancel()
		last = err
	}
	if !errors.Is(last, context.Canceled) || *asked != 1 {
		t.Fatalf("after cancel: %v, %d pages", last, *asked)
	}
}
