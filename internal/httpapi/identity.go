package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// User is a person who uses the API.
type User struct {
	Meta
	Email             string   `json:"email" format:"email"`
	Name              string   `json:"name"`
	Active            bool     `json:"active" doc:"An inactive user's tokens do not work"`
	PreferredLanguage Language `json:"preferred_language"` // of the e-mail the user is sent, as update-me says
	Reminders         bool     `json:"reminders" doc:"Whether the user is sent reminders of deadlines and the weekly digest; notices of the review of updates are sent whatever it says"`
}

func toUser(u nap.User) User {
	return User{Meta: toMeta(u.Meta), Email: u.Email, Name: u.Name, Active: u.Active,
		PreferredLanguage: Language(u.PreferredLanguage), Reminders: u.Reminders}
}

// Membership is a role a user holds.
type Membership struct {
	ID           string     `json:"id" format:"uuid"`
	UserID       string     `json:"user_id" format:"uuid"`
	Role         Role       `json:"role"`
	Organization string     `json:"organization,omitempty" doc:"Code of the organization the role is held in; absent for global roles"`
	ValidFrom    time.Time  `json:"valid_from"`
	ValidTo      *time.Time `json:"valid_to,omitempty" doc:"When it ended or ends; absent while open-ended"`
	Live         bool       `json:"live" doc:"Whether it holds now"`
	CreatedAt    time.Time  `json:"created_at"`
}

func toMembership(now time.Time) func(nap.Membership) Membership {
	return func(m nap.Membership) Membership {
		return Membership{ID: m.ID, UserID: m.UserID, Role: Role(m.Role), Organization: m.Organization,
			ValidFrom: m.ValidFrom, ValidTo: m.ValidTo, Live: m.Live(now), CreatedAt: m.CreatedAt}
	}
}

// Token is an API token's record; its secret is shown once, when issued.
type Token struct {
	ID         string     `json:"id" format:"uuid"`
	UserID     string     `json:"user_id" format:"uuid"`
	Name       string     `json:"name"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty" doc:"Updated at most once a minute"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

func toToken(t nap.Token) Token { return Token(t) }

// CurrentUser is the caller and the roles it holds.
type CurrentUser struct {
	User        User         `json:"user"`
	Memberships []Membership `json:"memberships" doc:"The roles the caller holds now"`
}

// MeOutput is the caller.
type MeOutput struct {
	ETag string `header:"ETag" doc:"The user's version: send it as If-Match to change the user"`
	Body CurrentUser
}

// UserPath names a user.
type UserPath struct {
	UserID string `path:"id" format:"uuid" doc:"User id"`
}

// UserOutput is one user.
type UserOutput struct {
	ETag string `header:"ETag"`
	Body User
}

// NewUser is a user to create.
type NewUser struct {
	Email string `json:"email" format:"email" maxLength:"254" example:"focal.point@migration.tj"`
	Name  string `json:"name" minLength:"1" maxLength:"200" pattern:"\\S" example:"Focal point, Migration Service"`
}

// CreateUserInput is a new user.
type CreateUserInput struct {
	Body NewUser
}

// UserFields are the fields of a user that can change.
type UserFields struct {
	Name   *string `json:"name,omitempty" minLength:"1" maxLength:"200" pattern:"\\S"`
	Active *bool   `json:"active,omitempty" doc:"false stops every token of the user at once"`
	MeFields
}

// MeFields are what users may change of themselves: how they are sent e-mail.
type MeFields struct {
	PreferredLanguage *Language `json:"preferred_language,omitempty"`
	Reminders         *bool     `json:"reminders,omitempty" doc:"false: send me no reminders of deadlines and no weekly digest"`
}

// UpdateMeInput changes how the caller is sent e-mail.
type UpdateMeInput struct {
	IfMatch
	Body MeFields
}

// UpdateUserInput renames, deactivates or reactivates a user.
type UpdateUserInput struct {
	UserPath
	IfMatch
	Body UserFields
}

// NewMembership is a role to give a user.
type NewMembership struct {
	Role         Role       `json:"role"`
	Organization string     `json:"organization,omitempty" pattern:"^[A-Z][A-Z0-9-]{0,31}$" example:"MS" doc:"Organization code; required for approver, focal_point and viewer, absent for the global roles"`
	ValidFrom    *time.Time `json:"valid_from,omitempty" doc:"Default: now"`
	ValidTo      *time.Time `json:"valid_to,omitempty" doc:"Default: open-ended"`
}

// GrantMembershipInput gives a user a role.
type GrantMembershipInput struct {
	UserPath
	Body NewMembership
}

// MembershipOutput is one membership.
type MembershipOutput struct {
	Body Membership
}

// MembershipsOutput is every membership of a user.
type MembershipsOutput struct {
	Body List[Membership]
}

// RevokeMembershipInput names a membership of a user.
type RevokeMembershipInput struct {
	UserPath
	MembershipID string `path:"membership_id" format:"uuid"`
}

// NewToken is a token to issue.
type NewToken struct {
	Name     string `json:"name" minLength:"1" maxLength:"100" pattern:"\\S" example:"IOM dashboard"`
	TTLHours int    `json:"ttl_hours,omitempty" minimum:"1" maximum:"8784" doc:"Hours until it expires; default a year (8784 hours)"`
}

// IssueTokenInput asks for a new token for a user.
type IssueTokenInput struct {
	UserPath
	Body NewToken
}

// IssuedToken is a new token with its secret, which is never shown again.
type IssuedToken struct {
	Token  Token  `json:"token"`
	Secret string `json:"secret" doc:"Send as Authorization: Bearer <secret>. Shown only now."`
}

// IssueTokenOutput is a new token with its secret.
type IssueTokenOutput struct {
	Body IssuedToken
}

// TokensOutput is every token of a user.
type TokensOutput struct {
	Body List[Token]
}

// TokenPath names a token.
type TokenPath struct {
	ID string `path:"id" format:"uuid" doc:"Token id"`
}

// userOutput answers with a user and its ETag.
func userOutput(u nap.User) *UserOutput { return &UserOutput{ETag: etag(u.Version), Body: toUser(u)} }

func registerIdentity(api huma.API, d Deps) {
	register(api, d, huma.Operation{
		OperationID: "get-me",
		Method:      http.MethodGet,
		Path:        "/me",
		Summary:     "Who am I",
		Description: "The caller's user and the roles it holds now.",
		Tags:        []string{tagAccess},
		Errors:      []int{internalError},
	}, access{}, func(ctx context.Context, _ *struct{}) (*MeOutput, error) {
		a := nap.ActorFromContext(ctx)
		out := &MeOutput{ETag: etag(a.User.Version)}
		out.Body.User = toUser(a.User)
		out.Body.Memberships = convert(a.Memberships, toMembership(time.Now()))
		return out, nil
	})

	register(api, d, huma.Operation{
		OperationID: "update-me",
		RequestBody: withExample(exampleMeChange),
		Method:      http.MethodPatch,
		Path:        "/me",
		Summary:     "Choose how I am sent e-mail",
		Description: "Sets the language of the e-mail the caller is sent, and whether it is sent reminders of deadlines and the weekly digest, if the caller's user is still at the version If-Match names (GET /v1/me's ETag).",
		Tags:        []string{tagAccess},
		Errors:      changeErrors(),
	}, access{}, func(ctx context.Context, in *UpdateMeInput) (*UserOutput, error) {
		a := nap.ActorFromContext(ctx)
		v, err := in.version(func() (int, error) {
			u, err := d.Service.GetUser(ctx, a.User.ID)
			return u.Version, err
		})
		if err != nil {
			return nil, err
		}
		u, err := d.Service.UpdateMe(ctx, v, (*string)(in.Body.PreferredLanguage), in.Body.Reminders)
		if err != nil {
			return nil, err
		}
		return userOutput(u), nil
	})

	register(api, d, huma.Operation{
		OperationID: "list-users",
		Method:      http.MethodGet,
		Path:        "/users",
		Summary:     "List users",
		Description: "Every user, in email order.",
		Tags:        []string{tagAccess},
		Errors:      []int{http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.ReadUsers}, func(ctx context.Context, in *PageParams) (*PageOutput[User], error) {
		p, err := d.Service.ListUsers(ctx, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, toUser), nil
	})

	register(api, d, huma.Operation{
		OperationID:   "create-user",
		RequestBody:   withExample(exampleUser),
		Method:        http.MethodPost,
		Path:          "/users",
		Summary:       "Create a user",
		Description:   "Adds a user with no roles; grant memberships and issue a token next.",
		Tags:          []string{tagAccess},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.CreateUser}, func(ctx context.Context, in *CreateUserInput) (*UserOutput, error) {
		u, err := d.Service.CreateUser(ctx, in.Body.Email, in.Body.Name)
		if err != nil {
			return nil, err
		}
		return userOutput(u), nil
	})

	register(api, d, huma.Operation{
		OperationID: "get-user",
		Method:      http.MethodGet,
		Path:        "/users/{id}",
		Summary:     "Get a user",
		Description: "One user by id; 404 when there is none.",
		Tags:        []string{tagAccess},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.ReadUsers}, func(ctx context.Context, in *UserPath) (*UserOutput, error) {
		u, err := d.Service.GetUser(ctx, in.UserID)
		if err != nil {
			return nil, err
		}
		return userOutput(u), nil
	})

	register(api, d, huma.Operation{
		OperationID: "update-user",
		RequestBody: withExample(exampleUserChange),
		Method:      http.MethodPatch,
		Path:        "/users/{id}",
		Summary:     "Rename, deactivate or reactivate a user",
		Description: "Changes the fields sent. Deactivating stops every token of the user at once and takes away their roles on every server.",
		Tags:        []string{tagAccess},
		Errors:      changeErrors(),
	}, access{permission: nap.UpdateUser}, func(ctx context.Context, in *UpdateUserInput) (*UserOutput, error) {
		v, err := in.version(current(ctx, d.Service.GetUser, in.UserID))
		if err != nil {
			return nil, err
		}
		u, err := d.Service.UpdateUser(ctx, in.UserID, v, nap.UserChange{Name: in.Body.Name, Active: in.Body.Active,
			PreferredLanguage: (*string)(in.Body.PreferredLanguage), Reminders: in.Body.Reminders})
		if err != nil {
			return nil, err
		}
		return userOutput(u), nil
	})

	register(api, d, huma.Operation{
		OperationID: "list-memberships",
		Method:      http.MethodGet,
		Path:        "/users/{id}/memberships",
		Summary:     "List a user's memberships",
		Description: "Every role the user holds or held, oldest first; `live` says which hold now.",
		Tags:        []string{tagAccess},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.ReadMemberships}, func(ctx context.Context, in *UserPath) (*MembershipsOutput, error) {
		ms, err := d.Service.ListMemberships(ctx, in.UserID)
		if err != nil {
			return nil, err
		}
		out := &MembershipsOutput{}
		out.Body.Items = convert(ms, toMembership(time.Now()))
		return out, nil
	})

	register(api, d, huma.Operation{
		OperationID:   "grant-membership",
		RequestBody:   withExample(exampleMembership),
		Method:        http.MethodPost,
		Path:          "/users/{id}/memberships",
		Summary:       "Give a user a role",
		Description:   "A global role (admin, coordinator, auditor, partner) or a role in one organization (approver, focal_point, viewer). It takes effect on every server within a second.",
		Tags:          []string{tagAccess},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.GrantMembership}, func(ctx context.Context, in *GrantMembershipInput) (*MembershipOutput, error) {
		b := in.Body
		m, err := d.Service.GrantMembership(ctx, in.UserID, nap.Role(b.Role), b.Organization, b.ValidFrom, b.ValidTo)
		if err != nil {
			return nil, err
		}
		return &MembershipOutput{Body: toMembership(time.Now())(m)}, nil
	})

	register(api, d, huma.Operation{
		OperationID:   "revoke-membership",
		Method:        http.MethodDelete,
		Path:          "/users/{id}/memberships/{membership_id}",
		Summary:       "Take a role away",
		Description:   "Ends the membership now; the record stays. It takes effect on every server within a second.",
		Tags:          []string{tagAccess},
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.RevokeMembership}, func(ctx context.Context, in *RevokeMembershipInput) (*struct{}, error) {
		return nil, d.Service.RevokeMembership(ctx, in.UserID, in.MembershipID)
	})

	register(api, d, huma.Operation{
		OperationID: "list-tokens",
		Method:      http.MethodGet,
		Path:        "/users/{id}/tokens",
		Summary:     "List a user's tokens",
		Description: "The records of the user's tokens, newest first; secrets are never shown again. Users may list their own.",
		Tags:        []string{tagAccess},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.ReadTokens, domains: ownerOf("id")}, func(ctx context.Context, in *UserPath) (*TokensOutput, error) {
		ts, err := d.Service.ListTokens(ctx, in.UserID)
		if err != nil {
			return nil, err
		}
		out := &TokensOutput{}
		out.Body.Items = convert(ts, toToken)
		return out, nil
	})

	register(api, d, huma.Operation{
		OperationID:   "issue-token",
		RequestBody:   withExample(exampleToken),
		Method:        http.MethodPost,
		Path:          "/users/{id}/tokens",
		Summary:       "Issue a token for a user",
		Description:   "Returns the new token's secret; this is the only time it is shown. Only its SHA-256 is stored.",
		Tags:          []string{tagAccess},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.IssueToken}, func(ctx context.Context, in *IssueTokenInput) (*IssueTokenOutput, error) {
		t, secret, err := d.Service.IssueToken(ctx, in.UserID, in.Body.Name, time.Duration(in.Body.TTLHours)*time.Hour)
		if err != nil {
			return nil, err
		}
		out := &IssueTokenOutput{}
		out.Body.Token, out.Body.Secret = toToken(t), secret
		return out, nil
	})

	register(api, d, huma.Operation{
		OperationID:   "revoke-token",
		Method:        http.MethodDelete,
		Path:          "/tokens/{id}",
		Summary:       "Revoke a token",
		Description:   "The token stops working at once. Users may revoke their own tokens; admins any.",
		Tags:          []string{tagAccess},
		DefaultStatus: http.StatusNoContent,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.RevokeToken, domains: byID(func(ctx context.Context, id string) ([]string, error) {
		// Another user's token is not the caller's to see, unless the caller may read tokens.
		t, err := d.Service.GetToken(ctx, id)
		if err != nil {
			return nil, err
		}
		me := nap.ActorFromContext(ctx).User.ID
		if t.UserID != me {
			if ok, err := d.Authorizer.Can(me, nap.DomainAll, nap.ReadTokens); err != nil || !ok {
				return nil, errors.Join(err, nap.Errorf(nap.ENOTFOUND, "token not found"))
			}
		}
		return []string{nap.UserDomain(t.UserID)}, nil
	})}, func(ctx context.Context, in *TokenPath) (*struct{}, error) {
		return nil, d.Service.RevokeToken(ctx, in.ID)
	})
}

// convert converts every item of a list.
func convert[N, T any](items []N, f func(N) T) []T {
	out := make([]T, len(items))
	for i, n := range items {
		out[i] = f(n)
	}
	return out
}
