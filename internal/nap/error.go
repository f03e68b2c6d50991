package nap

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Error codes. The HTTP layer maps each to one status; anything that is not an *Error is
// EINTERNAL and its text is never shown to a caller.
const (
	EINVALID      = "invalid"      // the request breaks a rule
	EMALFORMED    = "malformed"    // the request's body cannot be read as the type it says it is
	ENOTFOUND     = "not_found"    // the object does not exist or the caller may not see it
	ECONFLICT     = "conflict"     // the object's state does not allow the operation
	EUNAUTHORIZED = "unauthorized" // no or a bad credential
	EFORBIDDEN    = "forbidden"    // the caller may see the object but not do this
	EPRECONDITION = "precondition" // the caller's version of the object is stale
	ENOVERSION    = "no_version"   // a change to an object did not say which version it changes
	ETOOMANY      = "too_many"     // the caller sent too many requests; it should wait
	ETOOLARGE     = "too_large"    // the content is over the size limit
	EUNSUPPORTED  = "unsupported"  // the content is of a kind that is not accepted
	ETIMEOUT      = "timeout"      // the client sent too slowly, or stopped sending
	EUNAVAILABLE  = "unavailable"  // a service we depend on, the database, cannot be reached: retry shortly
	EINTEGRITY    = "integrity"    // stored data is not what its record says: a fault of ours, told as it is
	EINTERNAL     = "internal"     // a fault of ours
)

// Error is an error a caller may read: a code and a message meant for people, and for
// invalid input the fields at fault.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

// FieldError names a field of a request and what is wrong with it.
type FieldError struct {
	Location string // such as body.code
	Message  string
}

func (e *Error) Error() string { return fmt.Sprintf("nap %s: %s", e.Code, e.Message) }

// Errorf returns an *Error with the given code and a formatted message. A string or error
// among args is cut to its first QuoteLimit bytes: a message quotes a bad value, never all of
// it, however large.
func Errorf(code, format string, args ...any) *Error {
	for i, a := range args {
		switch v := a.(type) {
		case string:
			args[i] = Cut(v)
		case error:
			args[i] = Cut(v.Error())
		}
	}
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// QuoteLimit is how many bytes of a bad value an error message quotes at most.
const QuoteLimit = 64

// Cut returns s, or its first QuoteLimit bytes (whole characters) and "…" when it is longer.
func Cut(s string) string {
	if len(s) <= QuoteLimit {
		return s
	}
	n := QuoteLimit
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// ErrorCode returns the code of the *Error in err's chain, EINTERNAL for any other error and
// "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the message of the *Error in err's chain and a generic text for any
// other error, so internal detail never reaches a caller.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Required returns an EINVALID error that names every missing field of what (present[field]
// false), or nil when none is missing.
func Required(what string, present map[string]bool) error {
	var missing []FieldError
	for field, ok := range present {
		if !ok {
			missing = append(missing, FieldError{Location: "body." + field, Message: "required"})
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.SortFunc(missing, func(a, b FieldError) int { return strings.Compare(a.Location, b.Location) })
	names := make([]string, len(missing))
	for i, f := range missing {
		names[i] = strings.TrimPrefix(f.Location, "body.")
	}
	return &Error{Code: EINVALID, Message: what + " needs " + strings.Join(names, ", "), Fields: missing}
}
