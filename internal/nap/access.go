package nap

import (
	"context"
	"time"
)

// Role is what a user may do, globally or in one organization.
type Role string

const (
	RoleAdmin       Role = "admin"       // global: organizations, users, memberships, tokens, plans
	RoleCoordinator Role = "coordinator" // global: plan structure, measures, periods, reviews
	RoleAuditor     Role = "auditor"     // global: reads everything, the audit log too
	RolePartner     Role = "partner"     // global: reads what is published to partners
	RoleApprover    Role = "approver"    // organization: signs its updates off
	RoleFocalPoint  Role = "focal_point" // organization: drafts and submits its updates
	RoleViewer      Role = "viewer"      // organization: reads its updates
)

// Roles lists every role, global ones first.
var Roles = []Role{RoleAdmin, RoleCoordinator, RoleAuditor, RolePartner, RoleApprover, RoleFocalPoint, RoleViewer}

// Global reports whether the role holds everywhere rather than in one organization.
func (r Role) Global() bool {
	return r == RoleAdmin || r == RoleCoordinator || r == RoleAuditor || r == RolePartner
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// CheckAssignment reports whether role can be held where org says: a global role nowhere in
// particular (org ""), an organization's role in the organization with code org.
func (r Role) CheckAssignment(org string) error {
	switch {
	case !r.Valid():
		return Errorf(EINVALID, "%q is not a role", r)
	case r.Global() && org != "":
		return Errorf(EINVALID, "%s is a global role: give no organization", r)
	case !r.Global() && org == "":
		return Errorf(EINVALID, "%s is held in an organization: give its code", r)
	}
	return nil
}

// User is a person who uses the API.
type User struct {
	Meta
	Email  string
	Name   string
	Active bool
	// PreferredLanguage is the language of the e-mail the user is sent: tg, ru or en.
	PreferredLanguage string
	// Reminders says whether the user is sent reminders of deadlines and the weekly digest;
	// notices of the review of updates are sent whatever it says.
	Reminders bool
}

// UserChange changes a user; nil fields stay as they are.
type UserChange struct {
	Name              *string
	Active            *bool
	PreferredLanguage *string
	Reminders         *bool
}

// Membership is a role a user holds, globally (Organization "") or in one organization, from
// ValidFrom until ValidTo (open-ended when nil).
type Membership struct {
	ID             string
	UserID         string
	OrganizationID string // "" for a global role
	Organization   string // code, "" for a global role
	Role           Role
	ValidFrom      time.Time
	ValidTo        *time.Time
	CreatedAt      time.Time
}

// Live reports whether the membership holds at t.
func (m Membership) Live(t time.Time) bool {
	return !t.Before(m.ValidFrom) && (m.ValidTo == nil || t.Before(*m.ValidTo))
}

// Token is an API token's record; the secret itself is never stored.
type Token struct {
	ID         string
	UserID     string
	Name       string
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	CreatedAt  time.Time
}

// Actor is the authenticated caller of a request: a user and the memberships live now.
type Actor struct {
	User         User
	TokenID      string
	TokenHash    []byte     // what names the token, to look its caller up again
	TokenExpires *time.Time // nil: never
	Memberships  []Membership
}

type actorKey struct{}

// NewContextWithActor returns ctx carrying the authenticated caller.
func NewContextWithActor(ctx context.Context, a *Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFromContext returns the authenticated caller, or nil for an anonymous one.
func ActorFromContext(ctx context.Context) *Actor {
	a, _ := ctx.Value(actorKey{}).(*Actor)
	return a
}
