package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/validation"

	"github.com/naptracker/naptracker/internal/nap"
)

// statusOf maps every nap error code to its HTTP status. EINTERNAL and anything unknown is
// 500.
var statusOf = map[string]int{
	nap.EINVALID:      http.StatusUnprocessableEntity,
	nap.EMALFORMED:    http.StatusBadRequest,
	nap.ENOTFOUND:     http.StatusNotFound,
	nap.ECONFLICT:     http.StatusConflict,
	nap.EUNAUTHORIZED: http.StatusUnauthorized,
	nap.EFORBIDDEN:    http.StatusForbidden,
	nap.EPRECONDITION: http.StatusPreconditionFailed,
	nap.ENOVERSION:    http.StatusPreconditionRequired,
	nap.ETOOMANY:      http.StatusTooManyRequests,
	nap.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	nap.EUNSUPPORTED:  http.StatusUnsupportedMediaType,
	nap.EUNAVAILABLE:  http.StatusServiceUnavailable,
	nap.ETIMEOUT:      http.StatusRequestTimeout,
}

// retryUnavailable is how many seconds a client is asked to wait while the database cannot be
// reached: the pool reconnects by itself as soon as it answers.
const retryUnavailable = 5

// StatusOf returns the HTTP status of a nap error code.
func StatusOf(code string) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

var installErrors sync.Once

// useProblemErrors makes huma answer every error as an RFC 9457 problem in naptracker's
// vocabulary. huma's constructors are package variables, so this is done once per process.
func useProblemErrors() {
	installErrors.Do(func() {
		huma.NewErrorWithContext = newError
	})
}

// newError is the one place errors become responses. A handler's error arrives here as a
// 500 carrying the error; a *nap.Error in it decides the status and message. Anything else
// is logged with the request id and answered with a bare 500, so no internal text leaks.
func newError(ctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
	for _, err := range errs {
		var e *nap.Error
		if errors.As(err, &e) {
			if e.Code == nap.EUNAVAILABLE {
				slog.WarnContext(ctx.Context(), "the database cannot be reached", "method", ctx.Method(), "path", ctx.URL().Path, "error", err)
				ctx.SetHeader("Retry-After", strconv.Itoa(retryUnavailable))
				return problem(http.StatusServiceUnavailable, e.Message)
			}
			if e.Code == nap.EINTEGRITY {
				slog.ErrorContext(ctx.Context(), "stored data does not match its record", "method", ctx.Method(),
					"path", ctx.URL().Path, "error", e.Message)
				return problem(http.StatusInternalServerError, e.Message)
			}
			if s := StatusOf(e.Code); s < http.StatusInternalServerError {
				p := problem(s, e.Message)
				for _, f := range e.Fields {
					p.Errors = append(p.Errors, &huma.ErrorDetail{Location: f.Location, Message: f.Message})
				}
				return p
			}
		}
	}
	if status >= http.StatusInternalServerError {
		c := ctx.Context()
		if c.Err() != nil {
			// The client went away or the server is stopping; nothing failed on our side.
			slog.InfoContext(c, "request abandoned", "method", ctx.Method(), "path", ctx.URL().Path, "reason", c.Err().Error())
		} else {
			slog.ErrorContext(c, "request failed", "method", ctx.Method(), "path", ctx.URL().Path,
				"error", errors.Join(errs...))
		}
		return problem(http.StatusInternalServerError, "internal error")
	}
	return huma.NewError(status, msg, requiredAt(shortValues(errs))...)
}

// requiredAt names a missing required field where it is missing (body.code), rather than
// where huma looked for it (body).
func requiredAt(errs []error) []error {
	for _, err := range errs {
		var d *huma.ErrorDetail
		var field string
		if errors.As(err, &d) {
			if _, scanErr := fmt.Sscanf(d.Message, validation.MsgExpectedRequiredProperty, &field); scanErr == nil {
				d.Location += "." + field
			}
		}
	}
	return errs
}

// shortValues cuts the bad values huma's validation errors quote to a short prefix: an
// error says which value is wrong, it does not echo it whole.
func shortValues(errs []error) []error {
	for _, err := range errs {
		var d *huma.ErrorDetail
		if !errors.As(err, &d) || d.Value == nil {
			continue
		}
		switch v := d.Value.(type) {
		case string:
			d.Value = nap.Cut(v)
		case bool, int, int64, float64:
		default:
			if b, err := json.Marshal(v); err != nil || len(b) > nap.QuoteLimit {
				d.Value = nil
			}
		}
	}
	return errs
}

func problem(status int, detail string) *huma.ErrorModel {
	return &huma.ErrorModel{Status: status, Title: http.StatusText(status), Detail: detail}
}
