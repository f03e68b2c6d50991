package service

import (
	"context"
	"net/mail"
	"strings"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// MaxTokenTTL is the longest a token may live.
const MaxTokenTTL = 366 * 24 * time.Hour

// Authenticate returns the caller a bearer token names; EUNAUTHORIZED for a malformed,
// unknown, revoked or expired token, or one whose user is inactive.
func (s *Service) Authenticate(ctx context.Context, secret string) (*nap.Actor, error) {
	if !nap.LooksLikeToken(secret) {
		return nil, nap.Errorf(nap.EUNAUTHORIZED, "the bearer token is malformed")
	}
	return s.authenticate(ctx, nap.HashToken(secret))
}

// authenticate returns the caller a token's hash names, remembered for a moment (callers).
func (s *Service) authenticate(ctx context.Context, hash []byte) (*nap.Actor, error) {
	if a, ok := s.callers.get(hash, time.Now()); ok {
		return &a, nil
	}
	generation := s.callers.begin()
	a, err := s.store.Authenticate(ctx, hash)
	if nap.ErrorCode(err) == nap.ENOTFOUND {
		return nil, nap.Errorf(nap.EUNAUTHORIZED, "the bearer token is unknown, revoked or expired")
	}
	if err != nil {
		return nil, err
	}
	a.TokenHash = hash
	s.callers.put(hash, a, time.Now(), generation)
	return &a, nil
}

// ActAs returns ctx with the user an email names as its caller, for a command an operator
// runs on a user's behalf: its rights are the user's memberships that hold now, checked as
// for a request of the user's; an unknown or inactive user is ENOTFOUND.
func (s *Service) ActAs(ctx context.Context, email string) (context.Context, error) {
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil {
		return ctx, err
	}
	if !u.Active {
		return ctx, nap.Errorf(nap.ENOTFOUND, "the user %s is inactive", u.Email)
	}
	all, err := s.store.ListMemberships(ctx, u.ID)
	if err != nil {
		return ctx, err
	}
	a := &nap.Actor{User: u}
	now := s.now()
	for _, m := range all {
		if m.Live(now) {
			a.Memberships = append(a.Memberships, m)
		}
	}
	return nap.NewContextWithActor(ctx, a), nil
}

// actorID is the id of the authenticated caller, or "" for an operator at the command line.
func actorID(ctx context.Context) string {
	if a := nap.ActorFromContext(ctx); a != nil {
		return a.User.ID
	}
	return ""
}

// CreateUser adds a user.
func (s *Service) CreateUser(ctx context.Context, email, name string) (nap.User, error) {
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != strings.TrimSpace(email) {
		return nap.User{}, nap.Errorf(nap.EINVALID, "%q is not an email address", email)
	}
	if strings.TrimSpace(name) == "" {
		return nap.User{}, nap.Errorf(nap.EINVALID, "the name is empty")
	}
	return inTx(ctx, s, func(ctx context.Context) (nap.User, error) {
		return s.store.CreateUser(ctx, actorID(ctx), addr.Address, strings.TrimSpace(name))
	})
}

// GetUser returns a user.
func (s *Service) GetUser(ctx context.Context, id string) (nap.User, error) {
	return s.store.GetUser(ctx, id)
}

// UserByEmail returns the user with an email.
func (s *Service) UserByEmail(ctx context.Context, email string) (nap.User, error) {
	return s.store.UserByEmail(ctx, email)
}

// ListUsers returns a page of users.
func (s *Service) ListUsers(ctx context.Context, page nap.PageRequest) (nap.Page[nap.User], error) {
	return s.store.ListUsers(ctx, page)
}

// UpdateUser renames, deactivates or reactivates a user at version, or sets the language and
// reminders of the e-mail they are sent. A deactivated user's tokens stop working at once.
func (s *Service) UpdateUser(ctx context.Context, id string, version int, ch nap.UserChange) (nap.User, error) {
	if ch.Name != nil && strings.TrimSpace(*ch.Name) == "" {
		return nap.User{}, nap.Errorf(nap.EINVALID, "name: the name is empty")
	}
	if ch.PreferredLanguage != nil && nap.Languages[*ch.PreferredLanguage] == nil {
		return nap.User{}, nap.Errorf(nap.EINVALID, "preferred_language: %q is not tg, ru or en", *ch.PreferredLanguage)
	}
	if a := nap.ActorFromContext(ctx); a != nil && a.User.ID == id && ch.Active != nil && !*ch.Active {
		return nap.User{}, nap.Errorf(nap.ECONFLICT, "you cannot deactivate yourself")
	}
	defer s.callers.forget()
	return inTx(ctx, s, func(ctx context.Context) (nap.User, error) {
		return s.store.UpdateUser(ctx, actorID(ctx), id, version, ch)
	})
}

// UpdateMe sets the caller's own language and reminders at version.
func (s *Service) UpdateMe(ctx context.Context, version int, language *string, reminders *bool) (nap.User, error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nap.User{}, err
	}
	return s.UpdateUser(ctx, a.User.ID, version, nap.UserChange{PreferredLanguage: language, Reminders: reminders})
}

// GrantMembership gives a user a role: a global role without org, an organization's role in
// the organization with code org.
func (s *Service) GrantMembership(ctx context.Context, userID string, role nap.Role, org string, validFrom, validTo *time.Time) (nap.Membership, error) {
	if err := role.CheckAssignment(org); err != nil {
		return nap.Membership{}, err
	}
	if validFrom != nil && validTo != nil && validTo.Before(*validFrom) {
		return nap.Membership{}, nap.Errorf(nap.EINVALID, "valid_to is before valid_from")
	}
	if _, err := s.store.GetUser(ctx, userID); err != nil {
		return nap.Membership{}, err
	}
	defer s.callers.forget()
	return inTx(ctx, s, func(ctx context.Context) (nap.Membership, error) {
		return s.store.GrantMembership(ctx, actorID(ctx), userID, role, org, validFrom, validTo)
	})
}

// ListMemberships returns every membership of a user, ended ones too.
func (s *Service) ListMemberships(ctx context.Context, userID string) ([]nap.Membership, error) {
	if _, err := s.store.GetUser(ctx, userID); err != nil {
		return nil, err
	}
	return s.store.ListMemberships(ctx, userID)
}

// RevokeMembership ends a membership now.
func (s *Service) RevokeMembership(ctx context.Context, userID, membershipID string) error {
	defer s.callers.forget()
	return s.store.InTx(ctx, func(ctx context.Context) error {
		return s.store.RevokeMembership(ctx, actorID(ctx), userID, membershipID)
	})
}

// IssueToken makes a token for a user, valid for ttl (0: MaxTokenTTL), and returns its secret:
// the only time the secret is ever seen.
func (s *Service) IssueToken(ctx context.Context, userID, name string, ttl time.Duration) (nap.Token, string, error) {
	if strings.TrimSpace(name) == "" {
		return nap.Token{}, "", nap.Errorf(nap.EINVALID, "the token needs a name")
	}
	if ttl < 0 || ttl > MaxTokenTTL {
		return nap.Token{}, "", nap.Errorf(nap.EINVALID, "a token lives between a second and %s", MaxTokenTTL)
	}
	if ttl == 0 {
		ttl = MaxTokenTTL
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nap.Token{}, "", err
	}
	if !u.Active {
		return nap.Token{}, "", nap.Errorf(nap.ECONFLICT, "user %s is inactive", u.Email)
	}
	secret, hash := nap.NewTokenSecret()
	t, err := inTx(ctx, s, func(ctx context.Context) (nap.Token, error) {
		return s.store.CreateToken(ctx, actorID(ctx), userID, strings.TrimSpace(name), hash, ttl)
	})
	if err != nil {
		return nap.Token{}, "", err
	}
	return t, secret, nil
}

// ListTokens returns a user's tokens.
func (s *Service) ListTokens(ctx context.Context, userID string) ([]nap.Token, error) {
	if _, err := s.store.GetUser(ctx, userID); err != nil {
		return nil, err
	}
	return s.store.ListTokens(ctx, userID)
}

// GetToken returns a token's record.
func (s *Service) GetToken(ctx context.Context, id string) (nap.Token, error) {
	return s.store.GetToken(ctx, id)
}

// RevokeToken revokes a token; it stops working at once.
func (s *Service) RevokeToken(ctx context.Context, id string) error {
	defer s.callers.forget()
	return s.store.InTx(ctx, func(ctx context.Context) error {
		return s.store.RevokeToken(ctx, actorID(ctx), id)
	})
}

// Recheck returns ctx with its caller as of now, for work that outlives a request's start,
// such as a stream: an anonymous caller stays one; a caller whose token was revoked or has
// expired, or whose user was deactivated, is EUNAUTHORIZED. It costs a lookup at most once a
// second, and at once after any change of access.
func (s *Service) Recheck(ctx context.Context) (context.Context, error) {
	a := nap.ActorFromContext(ctx)
	if a == nil {
		return ctx, nil
	}
	fresh, err := s.authenticate(ctx, a.TokenHash)
	if err != nil {
		return ctx, err
	}
	return nap.NewContextWithActor(ctx, fresh), nil
}
