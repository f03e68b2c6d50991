package httpapi

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/naptracker/naptracker/internal/nap"
)

// An object's ETag is its version in quotes ("7"); a measure's adds a digest of what changes
// without a person editing it ("7.5f3a09c1"): its derived status and its overdue flag. A
// change sends the ETag back in If-Match, whose version is what must still be current.

// IfMatch is the header a change of an existing object requires.
type IfMatch struct {
	IfMatch string `header:"If-Match" doc:"The ETag of the object as last read. Required: without it the answer is 428; when the object has changed since, 412."`
}

// version reads the object version If-Match names: ENOVERSION without one, EPRECONDITION
// when it names none that can match. A list of tags matches when any of them does (RFC 9110,
// 13.1.1): the object's current version, from current, is the one changed when it is listed.
func (h IfMatch) version(current func() (int, error)) (int, error) {
	header := strings.TrimSpace(h.IfMatch)
	if header == "" || header == "*" {
		return 0, nap.Errorf(nap.ENOVERSION, "send If-Match with the ETag of the object as last read")
	}
	var versions []int
	for _, tag := range strings.Split(header, ",") {
		// If-Match compares strongly: a weak tag matches nothing.
		tag, quoted := strings.CutPrefix(strings.TrimSpace(tag), `"`)
		tag, closed := strings.CutSuffix(tag, `"`)
		v, rest, _ := strings.Cut(tag, ".")
		if n, err := strconv.Atoi(v); quoted && closed && err == nil && n >= 1 && digest.MatchString(rest) {
			versions = append(versions, n)
		}
	}
	switch {
	case len(versions) == 0:
		return 0, nap.Errorf(nap.EPRECONDITION, "If-Match %q names no version of this object", h.IfMatch)
	case len(versions) == 1:
		return versions[0], nil
	}
	v, err := current()
	if err != nil {
		return 0, err
	}
	if !slices.Contains(versions, v) {
		return 0, nap.Errorf(nap.EPRECONDITION, "the object has changed since the versions If-Match names; read it again")
	}
	return v, nil
}

// current returns the version of the object with the given id, read with get, for an
// If-Match that lists several.
func current[T interface{ VersionOf() int }](ctx context.Context, get func(context.Context, string) (T, error), id string) func() (int, error) {
	return func() (int, error) {
		t, err := get(ctx, id)
		return t.VersionOf(), err
	}
}

// digest is what may follow an ETag's version.
var digest = regexp.MustCompile(`^([0-9a-f]{1,16})?$`)

func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

// changeErrors are the errors of a change of an existing object: not found, conflicting,
// stale (412) or unversioned (428) If-Match, invalid.
func changeErrors() []int {
	return []int{http.StatusNotFound, http.StatusConflict, http.StatusPreconditionFailed,
		http.StatusPreconditionRequired, http.StatusUnprocessableEntity, internalError}
}

// apply makes the change a request body describes with do, and answers with what out makes
// of the result: the shape of every create and every change of the plan's structure.
func apply[C, T, O any](body interface{ change() (C, error) }, do func(C) (T, error), out func(T) *O) (*O, error) {
	ch, err := body.change()
	if err != nil {
		return nil, err
	}
	t, err := do(ch)
	if err != nil {
		return nil, err
	}
	return out(t), nil
}
