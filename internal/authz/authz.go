// Package authz decides what a user may do: a casbin enforcer (RBAC with domains) over the
// policy in policies/ and the memberships in the database, reloaded whenever memberships
// change on any server. Each load compiles casbin's policy and role links into a decision
// table, so a decision costs the same however many memberships there are.
package authz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"

	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/policies"
)

// MembershipSource reads who holds which role where.
type MembershipSource interface {
	// LiveMemberships returns the memberships of active users that hold now (their user,
	// organization id and role are all that is read), and how long until a membership next
	// starts or ends (zero when none will), both by the database's clock.
	LiveMemberships(ctx context.Context) ([]nap.Membership, time.Duration, error)
}

// Enforcer answers whether a user may do something in a domain. It keeps no cache of
// decisions: a reload swaps in the table compiled from the new role links at once, so a
// revoked role is denied from then on.
type Enforcer struct {
	// casbin loads the policy and the role links, from which each load compiles the decision
	// table; it then lets them go (the table holds what decisions need) and builds no role
	// manager, so decisions go through the table only. Only loads touch it, under mu.
	casbin    *casbin.Enforcer
	decisions atomic.Pointer[decisions]
	src       MembershipSource
	policy    string // the policy's lines: policies.Policy, unless a test gives another

	mu   sync.Mutex // serializes reloads
	next time.Time  // when the next membership starts or ends, by this process's clock

	// For an operator's metrics: when the policy in force was loaded (Unix nanoseconds), and
	// how many reloads succeeded and failed.
	loaded            atomic.Int64
	reloads, failures atomic.Uint64
}

// New returns an Enforcer loaded with the policy and the live memberships.
func New(ctx context.Context, src MembershipSource) (*Enforcer, error) {
	return NewWithPolicy(ctx, src, policies.Policy)
}

// NewWithPolicy is New with policy lines other than policies/policy.csv, for tests that
// change what roles may do.
func NewWithPolicy(ctx context.Context, src MembershipSource, policy string) (*Enforcer, error) {
	m, err := model.NewModelFromString(policies.Model)
	if err != nil {
		return nil, fmt.Errorf("access model: %w", err)
	}
	if err := checkModel(m); err != nil {
		return nil, err
	}
	e := &Enforcer{src: src, policy: policy}
	ce, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("access policy: %w", err)
	}
	ce.EnableAutoSave(false)
	ce.EnableAutoBuildRoleLinks(false)
	ce.SetAdapter(&adapter{e: e, ctx: ctx})
	e.casbin = ce
	if err := e.Reload(ctx); err != nil {
		return nil, fmt.Errorf("access policy: %w", err)
	}
	return e, nil
}

// Can reports whether the user may take the permission's action in domain.
func (e *Enforcer) Can(userID, domain string, p nap.Permission) (bool, error) {
	return e.decisions.Load().can(userID, domain, p), nil
}

// Scope returns what the user (anonymous when userID is "") may read, as the policy and the
// user's roles now say.
func (e *Enforcer) Scope(userID string) nap.Scope {
	return e.decisions.Load().scope(userID)
}

// Holders lists the users whose roles grant p in domain now: whom to tell of what they may
// act on.
func (e *Enforcer) Holders(domain string, p nap.Permission) []string {
	return e.decisions.Load().holders(domain, p)
}

// Reload reads the memberships again. Decisions go on during the read and follow the new
// memberships as soon as they are complete.
func (e *Enforcer) Reload(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	err := e.casbin.LoadPolicy()
	if err == nil {
		err = e.compile()
	}
	if err != nil {
		e.failures.Add(1)
		return err
	}
	e.reloads.Add(1)
	e.loaded.Store(time.Now().UnixNano())
	return nil
}

// Reloads says when the policy in force was loaded, and how many loads succeeded and failed
// since the enforcer was made (the first load included).
func (e *Enforcer) Reloads() (loaded time.Time, ok, failed uint64) {
	return time.Unix(0, e.loaded.Load()), e.reloads.Load(), e.failures.Load()
}

// compile builds the decision table from what casbin loaded and puts it in force.
func (e *Enforcer) compile() error {
	policy, err := e.casbin.GetPolicy()
	if err != nil {
		return err
	}
	links, err := e.casbin.GetGroupingPolicy()
	if err != nil {
		return err
	}
	d, err := compile(policy, links)
	if err != nil {
		return err
	}
	e.decisions.Store(d)
	e.casbin.ClearPolicy() // or the next load copies every link before reading them again
	return nil
}

// UntilNextChange is how long until a membership starts or ends by the clock alone; an hour
// when none will.
func (e *Enforcer) UntilNextChange() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.next.IsZero() {
		return time.Hour
	}
	return max(time.Until(e.next), 10*time.Millisecond)
}

// Policy returns the permissions the policy file grants, by role.
func Policy() (map[string][]nap.Permission, error) {
	out := map[string][]nap.Permission{}
	for _, line := range strings.Split(policies.Policy, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != 4 || strings.TrimSpace(f[0]) != "p" {
			return nil, fmt.Errorf("policy line %q is not \"p, role, object, action\"", line)
		}
		role := strings.TrimSpace(f[1])
		out[role] = append(out[role], nap.Permission{Object: strings.TrimSpace(f[2]), Action: strings.TrimSpace(f[3])})
	}
	return out, nil
}

// adapter is a read-only casbin adapter: the policy file's lines, and one role link per live
// membership.
type adapter struct {
	e   *Enforcer
	ctx context.Context
}

func (a *adapter) LoadPolicy(m model.Model) error {
	for _, line := range strings.Split(a.e.policy, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			if err := persist.LoadPolicyLine(line, m); err != nil {
				return err
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(a.ctx), 30*time.Second)
	defer cancel()
	memberships, until, err := a.e.src.LiveMemberships(ctx)
	if err != nil {
		return fmt.Errorf("load memberships: %w", err)
	}
	for _, ms := range memberships {
		domain := nap.DomainAll
		if ms.OrganizationID != "" {
			domain = nap.OrganizationDomain(ms.OrganizationID)
		}
		if err := persist.LoadPolicyArray([]string{"g", nap.Subject(ms.UserID), string(ms.Role), domain}, m); err != nil {
			return err
		}
	}
	a.e.next = time.Time{}
	if until > 0 {
		a.e.next = time.Now().Add(until)
	}
	slog.Debug("access policy loaded", "memberships", len(memberships))
	return nil
}

var errReadOnly = errors.New("authz: memberships change through the API, not the enforcer")

func (a *adapter) SavePolicy(model.Model) error                              { return errReadOnly }
func (a *adapter) AddPolicy(string, string, []string) error                  { return errReadOnly }
func (a *adapter) RemovePolicy(string, string, []string) error               { return errReadOnly }
func (a *adapter) RemoveFilteredPolicy(string, string, int, ...string) error { return errReadOnly }
