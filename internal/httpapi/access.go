package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/naptracker/naptracker/internal/authz"
	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/service"
)

// Authorizer decides whether a user may use a permission in a domain.
type Authorizer interface {
	Can(userID, domain string, p nap.Permission) (bool, error)
}

// access is what an operation asks of its caller. Every operation is registered with one,
// through register, so none can be added without saying who may call it.
type access struct {
	public     bool           // anonymous callers may call it; a token may let them see more
	permission nap.Permission // zero: any authenticated caller
	// domains names the domains the permission is asked in, derived from the target object
	// (never from a value the client chooses): it is granted when any of them grants it. nil
	// means the whole system, "*". It answers ENOTFOUND for an object the caller may not see.
	domains func(ctx huma.Context) ([]string, error)
}

// Extension names, in the OpenAPI document, the permission an operation requires.
const permissionExtension = "x-permission"

func (a access) describe() string {
	switch {
	case a.public:
		return "public"
	case a.permission == nap.Permission{}:
		return "authenticated"
	default:
		return a.permission.String()
	}
}

// who says, at the end of an operation's description, who may call it, in the words of the
// policy file, so that the document cannot drift from what is enforced.
func (a access) who() string {
	switch {
	case a.public:
		return "Who may call it: anyone, without a token; a token may let the caller see more."
	case a.permission == nap.Permission{}:
		return "Who may call it: any caller with a valid token."
	}
	var who []string
	for _, role := range append(slices.Clone(nap.Roles), "self") {
		if !slices.Contains(policy()[string(role)], a.permission) {
			continue
		}
		switch {
		case role == "self":
			who = append(who, "the user themself")
		case role.Global():
			who = append(who, string(role))
		default:
			who = append(who, string(role)+" of the organization concerned")
		}
	}
	if len(who) == 0 {
		panic("no role grants " + a.permission.String())
	}
	return fmt.Sprintf("Who may call it: %s (permission `%s`).", strings.Join(who, ", "), a.permission)
}

// policy is the policy file's permissions by role.
var policy = sync.OnceValue(func() map[string][]nap.Permission {
	p, err := authz.Policy()
	if err != nil {
		panic(err)
	}
	return p
})

// register registers an operation with its access rule: the security requirement and the
// permission go into the spec, and the authorize middleware enforces them.
// A JSON read answers If-None-Match (conditional.go).
func register[I, O any](api huma.API, d Deps, op huma.Operation, a access, handler func(context.Context, *I) (*O, error)) {
	op = guarded(api, d, op, a)
	jsonRead := op.Method == http.MethodGet && reflect.TypeFor[O]() != reflect.TypeFor[huma.StreamResponse]()
	if jsonRead {
		op.Middlewares = append(op.Middlewares, revalidate)
	}
	huma.Register(api, op, handler)
	if jsonRead {
		documentRevalidation(registered(api, op.OperationID))
	}
}

// guarded is op with its access rule declared and enforced.
func guarded(api huma.API, d Deps, op huma.Operation, a access) huma.Operation {
	// A bad token is 401 on every operation, too many requests 429, and a database out of
	// reach 503; a body can be too large on every write, malformed (400) or of a type that
	// is not accepted (415) wherever one is read.
	op.Errors = append(op.Errors, http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusServiceUnavailable)
	if op.RequestBody != nil {
		op.Errors = append(op.Errors, http.StatusBadRequest, http.StatusUnsupportedMediaType)
	}
	if a.public {
		op.Security = publicRead
	} else {
		op.Security = []map[string][]string{{bearerScheme: {}}}
		if a.permission != (nap.Permission{}) || a.domains != nil {
			op.Errors = append(op.Errors, http.StatusForbidden)
		}
	}
	if (op.Method == http.MethodPost || op.Method == http.MethodPatch) && !slices.Contains(op.Errors, http.StatusRequestEntityTooLarge) {
		op.Errors = append(op.Errors, http.StatusRequestEntityTooLarge)
	}
	if op.Extensions == nil {
		op.Extensions = map[string]any{}
	}
	op.Extensions[permissionExtension] = a.describe()
	op.Description = strings.TrimSpace(op.Description + "\n\n" + a.who())
	// huma refuses a body that reaches its limit; one of exactly the limit is allowed.
	op.MaxBodyBytes = d.Limits.bodyLimit() + 1
	op.BodyReadTimeout = d.Limits.bodyReadTimeout()
	op.Middlewares = append(op.Middlewares, authorize(api, d, a))
	return op
}

// authorize enforces an operation's access rule: 401 without a caller where one is needed,
// 404 when the target is not the caller's to see, 403 when the caller's roles do not grant
// the permission in the target's domain.
func authorize(api huma.API, d Deps, a access) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		actor := nap.ActorFromContext(ctx.Context())
		if actor == nil {
			if a.public {
				next(ctx)
				return
			}
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="naptracker"`)
			writeError(api, ctx, nap.Errorf(nap.EUNAUTHORIZED, "this operation needs a bearer token"))
			return
		}
		domains := []string{nap.DomainAll}
		if a.domains != nil {
			// What is read to find the domains is what the use case starts from.
			ctx = huma.WithContext(ctx, service.RememberReads(ctx.Context()))
			var err error
			if domains, err = a.domains(ctx); err != nil {
				writeError(api, ctx, err)
				return
			}
		}
		if a.permission != (nap.Permission{}) {
			ok, err := canInAny(d.Authorizer, actor.User.ID, domains, a.permission)
			if err != nil {
				writeError(api, ctx, err)
				return
			}
			if !ok {
				writeError(api, ctx, nap.Errorf(nap.EFORBIDDEN, "your roles do not allow %s here", a.permission))
				return
			}
		}
		next(ctx)
	}
}

func canInAny(az Authorizer, userID string, domains []string, p nap.Permission) (bool, error) {
	for _, d := range domains {
		if ok, err := az.Can(userID, d, p); ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// writeError answers with err in the one vocabulary of errors.go.
func writeError(api huma.API, ctx huma.Context, err error) {
	_ = huma.WriteErr(api, ctx, http.StatusInternalServerError, "", err)
}

// pathID returns the path parameter name when it is a UUID; EINVALID otherwise, since domain
// resolvers run before huma validates the input.
func pathID(ctx huma.Context, name string) (string, error) {
	id := ctx.Param(name)
	if _, err := uuid.Parse(id); err != nil {
		return "", nap.Errorf(nap.EINVALID, "path parameter %s is not a UUID", name)
	}
	return id, nil
}

// authenticate reads the bearer token, if any, puts its caller in the context, and applies
// the rate limit of the token or, for anonymous callers, of the client address. A bad token is
// 401 wherever it is sent, and counts against its address's budget of failures, checked
// before the token is looked up. The log says why it failed, never what was sent.
func authenticate(api huma.API, d Deps, limits *rateLimiter) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		ip := clientIP(ctx.RemoteAddr())
		key := "ip:" + ip
		if header := ctx.Header("Authorization"); header != "" {
			if wait, ok := limits.peek("failed:" + ip); !ok {
				ctx.SetHeader("Retry-After", strconv.Itoa(wait))
				writeError(api, ctx, nap.Errorf(nap.ETOOMANY, "too many failed authentications; retry in %d s", wait))
				return
			}
			scheme, secret, _ := strings.Cut(header, " ")
			bearer := strings.EqualFold(scheme, "Bearer")
			if !bearer {
				secret = ""
			}
			actor, err := d.Service.Authenticate(ctx.Context(), strings.TrimSpace(secret))
			if err != nil {
				limits.allow("failed:" + ip)
				slog.WarnContext(ctx.Context(), "authentication failed", "reason", nap.ErrorMessage(err),
					"client", ip, "bearer_scheme", bearer, "credential_length", len(header))
				if nap.ErrorCode(err) == nap.EUNAUTHORIZED {
					ctx.SetHeader("WWW-Authenticate", `Bearer realm="naptracker", error="invalid_token"`)
				}
				writeError(api, ctx, err)
				return
			}
			ctx = huma.WithContext(ctx, nap.NewContextWithActor(ctx.Context(), actor))
			key = "token:" + actor.TokenID
		}
		if wait, ok := limits.allow(key); !ok {
			ctx.SetHeader("Retry-After", strconv.Itoa(wait))
			writeError(api, ctx, nap.Errorf(nap.ETOOMANY, "too many requests; retry in %d s", wait))
			return
		}
		next(ctx)
	}
}

func clientIP(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

// visibleTo is the domain resolver of objects that belong to the whole system: it checks only
// that the caller may see the object the id path parameter names, with read, and answers "*".
func visibleTo(read func(ctx context.Context, id string) error) func(huma.Context) ([]string, error) {
	return byID(func(ctx context.Context, id string) ([]string, error) {
		return []string{nap.DomainAll}, read(ctx, id)
	})
}

// ownerOf is the domain of a user's own things: the user path parameter's domain.
func ownerOf(param string) func(huma.Context) ([]string, error) {
	return func(ctx huma.Context) ([]string, error) {
		id, err := pathID(ctx, param)
		return []string{nap.UserDomain(id)}, err
	}
}

// byID resolves the domains of the object the id path parameter names with resolve.
func byID(resolve func(ctx context.Context, id string) ([]string, error)) func(huma.Context) ([]string, error) {
	return func(ctx huma.Context) ([]string, error) {
		id, err := pathID(ctx, "id")
		if err != nil {
			return nil, err
		}
		return resolve(ctx.Context(), id)
	}
}

// discard drops a read's result, keeping its error, to make a visibility check of it.
func discard[T any](read func(context.Context, string) (T, error)) func(context.Context, string) error {
	return func(ctx context.Context, id string) error {
		_, err := read(ctx, id)
		return err
	}
}
