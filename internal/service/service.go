// Package service holds naptracker's use cases. It decides who may read what and owns the
// rules that span more than one object; it declares the storage it needs as interfaces.
package service

import (
	"context"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// Store keeps naptracker's data.
type Store interface {
	Transactor
	Reader
	IdentityStore
	StructureStore
	ProgressStore
	AuditStore
	ExportStore
	RoundStore
	NotifyStore
	ImportStore
}

// Transactor runs statements in one transaction: those made with the context fn receives
// commit together or not at all, and carry the caller and the request of ctx to the audit
// trail. Inside a transaction already, fn joins it.
type Transactor interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// inTx runs the statements of a write use case, once its checks are done, in one transaction
// it opens.
func inTx[T any](ctx context.Context, s *Service, fn func(ctx context.Context) (T, error)) (T, error) {
	var out T
	err := s.store.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = fn(ctx)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// Reader reads plans and what they hold. Every method that reads plan content takes the
// caller's scope, and the store, not its callers, keeps out what the scope may not read.
type Reader interface {
	ListOrganizations(ctx context.Context, page nap.PageRequest) (nap.Page[nap.Organization], error)
	GetOrganization(ctx context.Context, code string) (nap.Organization, error)
	ListSourceDocuments(ctx context.Context, page nap.PageRequest) (nap.Page[nap.SourceDocument], error)
	ListRecommendations(ctx context.Context, f nap.RecommendationFilter, page nap.PageRequest) (nap.Page[nap.Recommendation], error)
	GetRecommendation(ctx context.Context, id string) (nap.Recommendation, error)
	ListPlans(ctx context.Context, scope nap.Scope, f nap.PlanFilter, page nap.PageRequest) (nap.Page[nap.Plan], error)
	GetPlan(ctx context.Context, scope nap.Scope, id string) (nap.Plan, error)
	ListPeriods(ctx context.Context, scope nap.Scope, planID string, page nap.PageRequest) (nap.Page[nap.ReportingPeriod], error)
	ListMeasuresJSON(ctx context.Context, scope nap.Scope, planID string, f nap.MeasureFilter, today time.Time, page nap.PageRequest) (nap.JSONPage, error)
	GetMeasure(ctx context.Context, scope nap.Scope, id string, today time.Time) (nap.Measure, error)
	GetMeasureJSON(ctx context.Context, scope nap.Scope, id string, today time.Time) ([]byte, nap.MeasureState, error)
	MeasureVersion(ctx context.Context, scope nap.Scope, id string, today time.Time) (nap.MeasureState, error)
	ListIndicators(ctx context.Context, scope nap.Scope, measureID string, page nap.PageRequest) (nap.Page[nap.Indicator], error)
	PlanSummaryJSON(ctx context.Context, scope nap.Scope, planID string, today time.Time) ([]byte, error)
	GetIndicator(ctx context.Context, scope nap.Scope, id string) (nap.Indicator, error)
	GetPeriod(ctx context.Context, id string) (nap.ReportingPeriod, error)
	MeasurePlace(ctx context.Context, scope nap.Scope, id string) (nap.Place, error)
}

// IdentityStore keeps users, their memberships and their tokens. actorID names who makes a
// change ("" for an operator at the command line).
type IdentityStore interface {
	Authenticate(ctx context.Context, hash []byte) (nap.Actor, error)
	CreateUser(ctx context.Context, actorID, email, name string) (nap.User, error)
	GetUser(ctx context.Context, id string) (nap.User, error)
	UserByEmail(ctx context.Context, email string) (nap.User, error)
	ListUsers(ctx context.Context, page nap.PageRequest) (nap.Page[nap.User], error)
	UpdateUser(ctx context.Context, actorID, id string, version int, ch nap.UserChange) (nap.User, error)
	GrantMembership(ctx context.Context, actorID, userID string, role nap.Role, org string, validFrom, validTo *time.Time) (nap.Membership, error)
	ListMemberships(ctx context.Context, userID string) ([]nap.Membership, error)
	RevokeMembership(ctx context.Context, actorID, userID, membershipID string) error
	CreateToken(ctx context.Context, actorID, userID, name string, hash []byte, ttl time.Duration) (nap.Token, error)
	GetToken(ctx context.Context, id string) (nap.Token, error)
	ListTokens(ctx context.Context, userID string) ([]nap.Token, error)
	RevokeToken(ctx context.Context, actorID, id string) error
}

// StructureStore changes plans and what they hold. Updates take the version the caller read
// and fail with EPRECONDITION when the object has changed since.
type StructureStore interface {
	CreateOrganization(ctx context.Context, actorID string, ch nap.OrganizationChange) (nap.Organization, error)
	UpdateOrganization(ctx context.Context, actorID, code string, version int, ch nap.OrganizationChange) (nap.Organization, error)
	CreatePlan(ctx context.Context, actorID string, ch nap.PlanChange) (nap.Plan, error)
	UpdatePlan(ctx context.Context, actorID, id string, version int, ch nap.PlanChange) (nap.Plan, error)
	CreatePeriod(ctx context.Context, actorID, planID string, in nap.PeriodInput) (nap.ReportingPeriod, error)
	SetPeriodState(ctx context.Context, actorID, id, state string) (nap.ReportingPeriod, error)
	UpdatePeriod(ctx context.Context, actorID, id string, version int, ch nap.PeriodChange) (nap.ReportingPeriod, error)
	CreateMeasure(ctx context.Context, actorID, planID string, ch nap.MeasureChange, today time.Time) (nap.Measure, error)
	UpdateMeasure(ctx context.Context, actorID, id string, version int, ch nap.MeasureChange, today time.Time) (nap.Measure, error)
	CreateIndicator(ctx context.Context, actorID, measureID string, ch nap.IndicatorChange) (nap.Indicator, error)
	UpdateIndicator(ctx context.Context, actorID, id string, version int, ch nap.IndicatorChange) (nap.Indicator, error)
}

// Service carries out naptracker's use cases.
type Service struct {
	store     Store
	blobs     BlobStore
	authz     Authorizer
	signer    Signer
	mailer    Mailer
	publicURL string
	// reminderDays are how many days before a submission deadline reminders go out.
	reminderDays []int
	now          func() time.Time
	maxUpload    int64
	callers      callers
}

// Deps are what a Service works with. Store is required; the others have defaults: no
// content store and no authorizer (so no evidence files and no review steps), the system
// clock, and MaxUploadDefault.
type Deps struct {
	Store      Store
	Blobs      BlobStore
	Authorizer Authorizer
	Signer     Signer // signs checkpoints of the audit trail; none when nil
	// Mailer sends notifications; without one they are kept in the outbox, unsent.
	Mailer Mailer
	// PublicURL is where users reach the server, for the links notifications give.
	PublicURL string
	// ReminderDays are how many days before a submission deadline focal points are reminded
	// (ReminderDaysDefault when nil).
	ReminderDays   []int
	Now            func() time.Time
	MaxUploadBytes int64
}

// New returns a Service over d.
func New(d Deps) *Service {
	s := &Service{store: d.Store, blobs: d.Blobs, authz: d.Authorizer, signer: d.Signer, mailer: d.Mailer,
		publicURL: d.PublicURL, reminderDays: d.ReminderDays, now: d.Now, maxUpload: d.MaxUploadBytes}
	if s.reminderDays == nil {
		s.reminderDays = ReminderDaysDefault
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxUpload <= 0 {
		s.maxUpload = MaxUploadDefault
	}
	if s.authz == nil {
		s.authz = denyAll{}
	}
	return s
}

// denyAll is the authorizer of a Service not given one: it grants nothing, and shows nothing
// but what is published to everyone.
type denyAll struct{}

func (denyAll) Can(string, string, nap.Permission) (bool, error) { return false, nil }
func (denyAll) Scope(string) nap.Scope {
	return nap.Scope{Published: []nap.Visibility{nap.VisibilityPublic}}
}
func (denyAll) Holders(string, nap.Permission) []string { return nil }

// today is the date against which deadlines are judged, in UTC.
func (s *Service) today() time.Time {
	y, m, d := s.now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// scope is what the caller of ctx may read, as the access policy says.
func (s *Service) scope(ctx context.Context) nap.Scope {
	return s.authz.Scope(actorID(ctx))
}

// Scope is what the caller of ctx may read.
func (s *Service) Scope(ctx context.Context) nap.Scope { return s.scope(ctx) }
