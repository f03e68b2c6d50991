// Package httpapi is naptracker's REST API: huma operations over the service, the OpenAPI
// document they make, and the HTTP plumbing around them (request ids, logs, errors).
package httpapi

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/naptracker/naptracker/internal/changefeed"
	"github.com/naptracker/naptracker/internal/service"
)

// Version is the version of the API contract the OpenAPI document states.
const Version = "1.0.0"

// Deps are what the API needs to serve requests.
type Deps struct {
	Service    *service.Service
	Authorizer Authorizer
	// Ready reports whether the service can serve requests: nil when the database answers.
	Ready func(context.Context) error
	// Feed is the server's one reader of the change feed, which streams follow; Access wakes
	// them once a change of access (tokens, users, memberships) is in force.
	Feed   *changefeed.Hub
	Access Waker
	// Stopping is closed when the server begins to stop: streams end at once.
	Stopping <-chan struct{}
	Limits   Limits
	// PublicURL is where clients reach the server (https://nap.example.org), for the links
	// exports give to stored evidence; "" takes them from each request.
	PublicURL string
	// Observer, when set, is told of every operation and of the change streams open (observe.go).
	Observer Observer
	// ReadReplica, when set, routes the reads of a read-only operation to a replica of the
	// database (replicas.go says which operations); Replicas says how each replica stands, for
	// /readyz.
	ReadReplica func(context.Context) context.Context
	Replicas    func() []Replica
}

// New returns the HTTP handler of the whole API.
func New(d Deps) (http.Handler, error) {
	if d.Service == nil || d.Authorizer == nil || d.Ready == nil || d.Feed == nil || d.Access == nil || d.Stopping == nil {
		return nil, errors.New("httpapi: Service, Authorizer, Ready, Feed, Access and Stopping are required")
	}
	mux := http.NewServeMux()
	registerAll(humago.New(mux, config()), d)
	registerPages(mux)
	return withRequestLog(withStorableText(d.Limits.bodyLimit(), withProblemFallback(mux))), nil
}

// Spec returns the OpenAPI document, built without serving anything.
func Spec() *huma.OpenAPI {
	api := humago.New(http.NewServeMux(), config())
	registerAll(api, Deps{})
	return api.OpenAPI()
}

func init() {
	// Lists are never null: handlers always return a slice, and SDKs should not have to
	// check.
	huma.DefaultArrayNullable = false
	// A field is named as the document spells it: {"Code": …} is an unknown field, not code.
	huma.ValidateStrictCasing = true
}

func registerAll(api huma.API, d Deps) {
	useProblemErrors()
	api.UseMiddleware(observe(d.Observer))
	api.UseMiddleware(authenticate(api, d, newRateLimiter(d.Limits)), rejectRepeatedQuery(api), strictBooleans(api))
	api.UseMiddleware(readReplicas(d.ReadReplica))
	registerHealth(api, d)
	v1 := huma.NewGroup(api, apiBase)
	registerOrganizations(v1, d)
	registerRecommendations(v1, d)
	registerPlans(v1, d)
	registerPeriods(v1, d)
	registerMeasures(v1, d)
	registerIdentity(v1, d)
	registerNotifications(v1, d)
	registerUpdates(v1, d)
	registerAudit(v1, d)
	registerChanges(v1, d)
	registerExports(v1, d)
	refParamsAlone(api)
	documentHeaders(api)
}

// apiBase prefixes the paths of the API's operations.
const apiBase = "/v1"

const (
	tagService         = "Service"
	tagOrganizations   = "Organizations"
	tagRecommendations = "Recommendations"
	tagPlans           = "Plans"
	tagMeasures        = "Measures"
	tagAccess          = "Access"
	tagProgress        = "Progress"
	tagAudit           = "Audit"
	tagChanges         = "Changes"
)

func config() huma.Config {
	cfg := huma.DefaultConfig("naptracker API", Version)
	// /docs is served from the binary (pages.go), not huma's page that loads from a CDN.
	cfg.DocsPath = ""
	// JSON only: the document promises no other format, so a CBOR body is a 415 and an
	// Accept of CBOR still gets JSON.
	delete(cfg.Formats, "application/cbor")
	delete(cfg.Formats, "cbor")
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", schemaName)
	// No $schema field in bodies and no Link headers: dashboards and SDKs read plain JSON.
	cfg.CreateHooks = nil
	cfg.Info.Description = "Tracks how a government carries out a National Action Plan on the " +
		"recommendations of UN human rights bodies: first of all Tajikistan's plan of 28 June 2013 " +
		"on the Committee on Migrant Workers' concluding observations CMW/C/TJK/CO/1. Text people " +
		"read is multilingual (tg, ru, en). Lists are paged with `limit` and the opaque `cursor` " +
		"of the previous page's `next_cursor`. Errors are RFC 9457 problem details."
	cfg.Info.Contact = &huma.Contact{Name: "naptracker", URL: "https://github.com/naptracker/naptracker"}
	cfg.Info.License = &huma.License{Name: "MIT", URL: "https://opensource.org/license/mit"}
	cfg.Servers = []*huma.Server{{URL: "/", Description: "The server that serves this document"}}
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		bearerScheme: {Type: "http", Scheme: "bearer", Description: "An API token issued to a user: `Authorization: Bearer <token>`."},
	}
	cfg.Tags = []*huma.Tag{
		{Name: tagService, Description: "Health and readiness of the service."},
		{Name: tagOrganizations, Description: "State bodies and partners that lead, co-implement or support measures."},
		{Name: tagRecommendations, Description: "Source documents and the recommendations they make."},
		{Name: tagPlans, Description: "Action plans, their reporting periods and summaries of progress."},
		{Name: tagMeasures, Description: "Measures of a plan, their derived status and their indicators."},
		{Name: tagProgress, Description: "Six-monthly progress updates, their review, and their evidence."},
		{Name: tagAccess, Description: "Users, their roles in organizations, and their API tokens."},
		{Name: tagAudit, Description: "The tamper-evident trail of every change, and the history of a measure."},
		{Name: tagChanges, Description: "The feed of changes that keeps a dashboard in sync."},
	}
	return cfg
}

// schemaName names the schemas SDKs generate types from: a list of measures, paged or not,
// is a MeasureList rather than huma's PageMeasure.
func schemaName(t reflect.Type, hint string) string {
	name := huma.DefaultSchemaNamer(t, hint)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for _, generic := range []string{"Page", "List"} {
		if strings.HasPrefix(t.Name(), generic+"[") {
			return strings.TrimPrefix(name, generic) + "List"
		}
	}
	return name
}

const bearerScheme = "bearer"

// publicRead is the security of an operation anyone may call; a token may let a caller see
// more.
var publicRead = []map[string][]string{{}, {bearerScheme: {}}}

// internalError is declared on every operation, since any can fail for reasons of ours.
const internalError = http.StatusInternalServerError
