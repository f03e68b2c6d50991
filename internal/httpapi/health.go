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
	// Replicas is set on /readyz when the server reads from replicas.
	Replicas []Replica `json:"replicas,omitempty" doc:"Each read replica of the database, when the server has any: one that is not streaming is left out of reads, which go to the primary"`
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
		Description: "Answers 200 when the database answers, and 503 while it does not. For readiness probes and load balancers. " +
			"Says how each read replica stands, if the server has any; a replica that is down or behind does not make the server unready, since its reads go to the primary.",
		Tags:   []string{tagService},
		Errors: []int{http.StatusServiceUnavailable, internalError},
	}, access{public: true}, func(ctx context.Context, _ *struct{}) (*HealthOutput, error) {
		ctx, cancel := context.WithTimeout(ctx, readyTimeout)
		defer cancel()
		if err := d.Ready(ctx); err != nil {
			return nil, errors.Join(err, nap.Errorf(nap.EUNAVAILABLE, "the database does not answer"))
		}
		out := &HealthOutput{}
		out.Body.Status = "ready"
		if d.Replicas != nil {
			out.Body.Replicas = d.Replicas()
		}
		return out, nil
	})
}
