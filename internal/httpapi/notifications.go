package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// Notification is an e-mail the server sends a user, and how sending it went.
type Notification struct {
	ID            string            `json:"id" format:"uuid"`
	Kind          NotificationKind  `json:"kind"`
	UserID        string            `json:"user_id" format:"uuid"`
	Email         string            `json:"email" format:"email"`
	Language      Language          `json:"language"`
	Subject       string            `json:"subject"`
	Text          string            `json:"text" doc:"The message as plain text (it is sent as HTML too)"`
	UpdateID      string            `json:"update_id,omitempty" format:"uuid" doc:"The progress update it is about"`
	PeriodID      string            `json:"period_id,omitempty" format:"uuid" doc:"The reporting period it is about"`
	State         NotificationState `json:"state"`
	Attempts      int               `json:"attempts" doc:"How many times sending it was tried"`
	LastError     string            `json:"last_error,omitempty" doc:"Why the last try failed"`
	NextAttemptAt *time.Time        `json:"next_attempt_at,omitempty" doc:"When it is tried next, while pending"`
	CreatedAt     time.Time         `json:"created_at"`
	SentAt        *time.Time        `json:"sent_at,omitempty"`
}

func toNotification(n nap.Notification) Notification {
	out := Notification{ID: n.ID, Kind: NotificationKind(n.Kind), UserID: n.UserID, Email: n.Email, Language: Language(n.Language),
		Subject: n.Subject(), Text: n.Text(), UpdateID: n.UpdateID, PeriodID: n.PeriodID, State: NotificationState(n.State),
		Attempts: n.Attempts, LastError: n.LastError, CreatedAt: n.CreatedAt, SentAt: n.SentAt}
	if n.State == nap.NotificationPending {
		out.NextAttemptAt = &n.NextAttemptAt
	}
	return out
}

// ListNotificationsInput filters the outbox.
type ListNotificationsInput struct {
	PageParams
	State NotificationState `query:"state" doc:"Only notifications in this state"`
}

func registerNotifications(api huma.API, d Deps) {
	register(api, d, huma.Operation{
		OperationID: "list-my-notifications",
		Method:      http.MethodGet,
		Path:        "/me/notifications",
		Summary:     "List my notifications",
		Description: "The e-mail the server sends the caller (reminders of deadlines, notices of reviews, digests), newest first, and how sending each went.",
		Tags:        []string{tagAccess},
		Errors:      []int{http.StatusUnprocessableEntity, internalError},
	}, access{}, func(ctx context.Context, in *PageParams) (*PageOutput[Notification], error) {
		p, err := d.Service.MyNotifications(ctx, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, toNotification), nil
	})

	register(api, d, huma.Operation{
		OperationID: "list-notifications",
		Method:      http.MethodGet,
		Path:        "/notifications",
		Summary:     "List the outbox",
		Description: "Every notification, newest first: pending (with when it is tried next), sent, or failed (given up after repeated failures), with its attempts and last error.",
		Tags:        []string{tagAccess},
		Errors:      []int{http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.ReadNotifications}, func(ctx context.Context, in *ListNotificationsInput) (*PageOutput[Notification], error) {
		p, err := d.Service.ListNotifications(ctx, nap.NotificationFilter{State: string(in.State)}, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, toNotification), nil
	})
}
