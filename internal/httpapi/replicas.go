package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// Replica is how a read replica of the database stands.
type Replica struct {
	Name       string  `json:"name" example:"db-replica-1:5432/naptracker" doc:"host:port/database"`
	State      string  `json:"state" enum:"streaming,lagging,down,not_a_replica,unchecked" doc:"streaming: it serves reads; lagging: it is further behind the primary than the server allows; down: it does not answer; not_a_replica: it answers but is not a standby; unchecked: not checked yet"`
	LagSeconds float64 `json:"lag_seconds" doc:"How long ago the primary first held changes this replica has not replayed, at the last check"`
}

// primaryReads are the read-only operations whose reads must see the latest state: the change
// feed (its horizon is the primary's), the caller's live identity and roles, and the audit
// trail, which links what is committed on the primary before it is read (service.ListAuditEvents).
var primaryReads = map[string]bool{"list-changes": true, "stream-changes": true, "get-me": true,
	"list-audit-events": true, "get-measure-history": true}

// readReplicas lets the reads of every other read-only operation go where route sends them, a
// replica of the database that may serve the caller (postgres.DB.ReadReplica). It runs after
// authentication, which stays on the primary; writes, and the reads before them, are never
// routed.
func readReplicas(route func(context.Context) context.Context) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		if route == nil || op.Method != http.MethodGet || primaryReads[op.OperationID] {
			next(ctx)
			return
		}
		next(huma.WithContext(ctx, route(ctx.Context())))
	}
}
