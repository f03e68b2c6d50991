package nap

import "time"

// NotificationKind is what a notification tells its recipient.
type NotificationKind string

const (
	NotifyReminder      NotificationKind = "reminder"        // a submission deadline nears and reports are missing
	NotifyOverdue       NotificationKind = "overdue"         // the deadline passed with reports missing
	NotifySignOffNeeded NotificationKind = "sign_off_needed" // an update awaits its organization's sign-off
	NotifyReviewNeeded  NotificationKind = "review_needed"   // an update awaits the coordinator's review
	NotifyReturned      NotificationKind = "returned"        // the author's update came back, with a reason
	NotifyRejected      NotificationKind = "rejected"        // the author's update was rejected, with a reason
	NotifyApproved      NotificationKind = "approved"        // the author's update was approved
	NotifyDigest        NotificationKind = "digest"          // the coordinators' weekly summary
)

// NotificationKinds lists every kind.
var NotificationKinds = []NotificationKind{NotifyReminder, NotifyOverdue, NotifySignOffNeeded, NotifyReviewNeeded,
	NotifyReturned, NotifyRejected, NotifyApproved, NotifyDigest}

// Silenceable reports whether a user who turned reminders off is spared notifications of
// this kind: reminders, overdue notices and digests may be turned off; what the review of
// an update asks of someone, or tells its author, may not.
func (k NotificationKind) Silenceable() bool {
	return k == NotifyReminder || k == NotifyOverdue || k == NotifyDigest
}

// Notification states.
const (
	NotificationPending = "pending" // to be sent, at NextAttemptAt
	NotificationSent    = "sent"
	NotificationFailed  = "failed" // given up after too many attempts
)

// NotificationStates lists every state.
var NotificationStates = []string{NotificationPending, NotificationSent, NotificationFailed}

// Notification is an e-mail to a user, kept in an outbox until it is sent, due at
// NextAttemptAt. Key, when set, names a notification a scheduled pass may find again, so that
// it is kept once.
type Notification struct {
	ID             string
	Kind           NotificationKind
	Key            string
	UserID         string
	Email          string
	Language       string
	Letter         Letter
	Greeting       Greeting
	UpdateID       string
	PeriodID       string
	OrganizationID string
	State          string
	Attempts       int
	LastError      string
	NextAttemptAt  time.Time
	CreatedAt      time.Time
	SentAt         *time.Time
}

// Subject, Text and HTML are the notification as its reader receives it: the letter, with
// the reader's greeting between its halves.
func (n Notification) Subject() string { return n.Letter.Subject }
func (n Notification) Text() string {
	return n.Letter.TextBefore + n.Greeting.Text + n.Letter.TextAfter
}
func (n Notification) HTML() string {
	return n.Letter.HTMLBefore + n.Greeting.HTML + n.Letter.HTMLAfter
}

// Letter is what notifications say, kept once for all their readers in one language: a
// review step tells each of a dozen readers or more the same thing. Each reader's greeting
// is written between its halves.
type Letter struct {
	Subject               string
	TextBefore, TextAfter string
	HTMLBefore, HTMLAfter string
}

// Greeting is how a notification greets its reader, as plain text and as HTML.
type Greeting struct {
	Text, HTML string
}

// Recipient is a user notifications may be sent to.
type Recipient struct {
	UserID    string
	Email     string
	Name      string
	Language  string
	Reminders bool
}

// NotificationFilter narrows the outbox; zero fields do not filter.
type NotificationFilter struct {
	UserID string
	State  string
}
