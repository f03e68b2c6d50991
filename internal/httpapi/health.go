package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// HealthOutput says how the service is.
type HealthOutput struct {
	Body Health
}

// Health is the state of the service.
type Health struct {
	Status string `json:"status" example:"ok"`
}

// readyTimeout bounds how long a readiness probe waits for the database.
const readyTimeout = 2 * time.Second

func registerHealth(api huma.API, d Deps) {
	register(api, d, huma.Operation{
		OperationID: "get-health",
		Method:      http.MethodGet,
		Path:        "/healthz",
		Summary:     "Check that the process serves",
		Description: "Answers 200 while the process runs, whatever the state of the database. For liveness probes.",
		Tags:        []string{tagService},
		Errors:      []int{internalError},
	}, access{public: true}, func(context.Context, *struct{}) (*HealthOutput, error) {
		out := &HealthOutput{}
		out.Body.Status = "ok"
		return out, nil
	})

	register(api, d, huma.Operation{
		OperationID: "get-readiness",
		Method:      http.MethodGet,
		Path:        "/readyz",
		Summary:     "Check that the service can serve requests",
		Description: "Answers 200 when the database answers, and 503 while it does not. For readiness probes and load balancers.",
		Tags:        []string{tagService},
		Errors:      []int{http.StatusServiceUnavailable, internalError},
	}, access{public: true}, func(ctx context.Context, _ *struct{}) (*HealthOutput, error) {
		ctx, cancel := context.WithTimeout(ctx, readyTimeout)
		defer cancel()
		if err := d.Ready(ctx); err != nil {
			return nil, errors.Join(err, nap.Errorf(nap.EUNAVAILABLE, "the database does not answer"))
		}
		out := &HealthOutput{}
		out.Body.Status = "ready"
		return out, nil
	})
}
