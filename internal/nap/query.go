package nap

import (
	"fmt"
	"slices"
	"time"
)

// PageRequest asks for one page of a list: at most Limit items after the position the
// opaque Cursor of the previous page names ("" for the first page).
type PageRequest struct {
	Limit  int
	Cursor string
}

// Page is one page of a list. Next is the cursor of the following page, "" on the last.
type Page[T any] struct {
	Items []T
	Next  string
}

// Scope is what a caller may read, as the access policy grants it to the roles the caller
// holds (package authz works it out; nothing else decides it).
type Scope struct {
	// Published lists the visibilities of approved updates, and of their evidence, that the
	// caller reads whoever reported them.
	Published []Visibility
	// AllOrganizations: every organization's updates in every state; otherwise those of
	// Organizations (ids).
	AllOrganizations bool
	Organizations    []string
	// DraftPlans: plans still in draft, and everything in them.
	DraftPlans bool
}

// Everything is the scope of the service's own checks, which must find an object whoever
// asks.
var Everything = Scope{Published: []Visibility{VisibilityPartners, VisibilityPublic}, AllOrganizations: true, DraftPlans: true}

// Key names what the scope may read: scopes with the same key read the same.
func (s Scope) Key() string {
	orgs := s.Organizations
	if s.AllOrganizations {
		orgs = nil
	}
	return fmt.Sprint(slices.Sorted(slices.Values(s.Published)), s.AllOrganizations, slices.Sorted(slices.Values(orgs)), s.DraftPlans)
}

// Reads reports whether the scope reads updates of the organization in every state.
func (s Scope) Reads(orgID string) bool {
	return s.AllOrganizations || slices.Contains(s.Organizations, orgID)
}

// RecommendationFilter narrows a list of recommendations; zero fields do not filter.
type RecommendationFilter struct {
	Document string // symbol
	Article  int
	Theme    string
}

// PlanFilter narrows a list of plans; zero fields do not filter.
type PlanFilter struct {
	Code   string
	Status PlanStatus
}

// MeasureFilter narrows a list of measures; zero fields do not filter.
type MeasureFilter struct {
	Code           string
	Lead           string   // organization code
	Organization   string   // organization code: lead or co-implementer
	Statuses       []Status // current status is any of these
	Article        int
	Recommendation string // recommendation id or code
	Overdue        *bool
	DueBefore      *time.Time // due_end on or before
	DueAfter       *time.Time // due_end on or after
	Query          string     // words in the code, title or description, in any language
}

// DateLayout is how dates are written: 2006-01-02.
const DateLayout = time.DateOnly

// Place is where an object sits: its plan, and the organizations whose work it is (a
// measure's lead and co-implementers), which are the domains its permissions are asked in.
type Place struct {
	PlanID        string
	Organizations []string // organization ids
}

// JSONPage is a page of a list the store rendered: Items is the JSON array of the page's
// items, in the shape the API documents. Next is as in Page.
type JSONPage struct {
	Items []byte
	Next  string
}
