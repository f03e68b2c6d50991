package service

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/notify"
)

// NotifyStore keeps the outbox of notifications and finds whom to notify.
type NotifyStore interface {
	Recipients(ctx context.Context, userIDs []string) ([]nap.Recipient, error)
	Enqueue(ctx context.Context, ns []nap.Notification) (int, error)
	Deliver(ctx context.Context, now time.Time, limit, maxAttempts int, retry func(attempts int) time.Duration,
		send func(nap.Notification) error) (int, error)
	ListNotifications(ctx context.Context, f nap.NotificationFilter, page nap.PageRequest) (nap.Page[nap.Notification], error)
	OpenRounds(ctx context.Context, day time.Time, lead int) ([]nap.ReportingPeriod, error)
}

// Mailer sends a notification to its recipient.
type Mailer interface {
	Send(ctx context.Context, n nap.Notification) error
}

// ReminderDaysDefault are how many days before a submission deadline focal points are
// reminded of the reports their organization has not submitted.
var ReminderDaysDefault = []int{14, 3}

// Sending: a batch at a time; a failed message is tried again after a minute, then after
// twice as long each time, up to an hour, and given up after maxAttempts.
const (
	deliverBatch = 20
	maxAttempts  = 8
)

func retryAfter(attempts int) time.Duration {
	return min(time.Minute<<min(attempts-1, 10), time.Hour)
}

// noticeOfReview keeps, in the transaction of a review step, the notices it causes: a
// submitted update to the organization's approvers (or, without sign-off, the coordinators),
// a signed-off one to the coordinators, and a return, rejection or approval to its author.
// Nobody is told of their own step. These notices cannot be turned off.
func (s *Service) noticeOfReview(ctx context.Context, u nap.ProgressUpdate, r nap.Review) error {
	var kind nap.NotificationKind
	var to []string
	switch {
	case r.Action == nap.ActionSubmit && u.PlanRequiresSignOff:
		kind, to = nap.NotifySignOffNeeded, s.authz.Holders(nap.OrganizationDomain(u.ReportingOrgID), nap.SignOffUpdate)
	case r.Action == nap.ActionSubmit || r.Action == nap.ActionSignOff:
		kind, to = nap.NotifyReviewNeeded, s.authz.Holders(nap.DomainAll, nap.ApproveUpdate)
	case r.Action == nap.ActionReturn:
		kind, to = nap.NotifyReturned, []string{u.AuthorID}
	case r.Action == nap.ActionReject:
		kind, to = nap.NotifyRejected, []string{u.AuthorID}
	case r.Action == nap.ActionApprove:
		kind, to = nap.NotifyApproved, []string{u.AuthorID}
	default:
		return nil
	}
	to = slices.DeleteFunc(to, func(id string) bool { return id == r.ActorID || id == "" })
	recipients, err := s.store.Recipients(ctx, to)
	if err != nil || len(recipients) == 0 {
		return err
	}
	letters := notify.NewLetters(func(lang string) notify.Letter {
		return notify.Review(kind, lang, notify.ReviewData{Measure: u.MeasureCode, MeasureTitle: u.MeasureTitle.In(lang), Period: u.Period,
			Organization: u.ReportingOrg, Reason: r.Comment, URL: s.link("/v1/updates/" + u.ID)})
	})
	ns := make([]nap.Notification, len(recipients))
	for i, rc := range recipients {
		ns[i] = s.notification(kind, rc, letters)
		ns[i].UpdateID, ns[i].OrganizationID = u.ID, u.ReportingOrgID
	}
	_, err = s.store.Enqueue(ctx, ns)
	return err
}

// notification is a letter to a recipient, in their language.
func (s *Service) notification(kind nap.NotificationKind, rc nap.Recipient, letters *notify.Letters) nap.Notification {
	letter, greeting := letters.To(rc.Name, rc.Language)
	return nap.Notification{Kind: kind, UserID: rc.UserID, Email: rc.Email, Language: rc.Language, Letter: letter,
		Greeting: greeting, NextAttemptAt: s.now()}
}

// link is the address of path on the server, where a notification's reader acts.
func (s *Service) link(path string) string {
	return strings.TrimSuffix(s.publicURL, "/") + path
}

// NotifyReport says what a pass of notifications did.
type NotifyReport struct {
	Scheduled, Sent, Failed int
	// Queued says the notifications were kept but not sent: there is no mail server.
	Queued bool
}

func (r NotifyReport) String() string {
	if r.Queued {
		return fmt.Sprintf("scheduled %d notifications; none sent: no mail server is configured", r.Scheduled)
	}
	return fmt.Sprintf("scheduled %d notifications, sent %d, %d failed and will be tried again", r.Scheduled, r.Sent, r.Failed)
}

// NotifyPass schedules the reminders, overdue notices and digests due today, then sends what
// the outbox holds that is due, when there is a mail server. Any number of servers may run it
// at once: each notification is kept and sent once.
func (s *Service) NotifyPass(ctx context.Context) (NotifyReport, error) {
	var rep NotifyReport
	var err error
	if rep.Scheduled, err = s.schedule(ctx); err != nil {
		return rep, err
	}
	if s.mailer == nil {
		rep.Queued = true
		return rep, nil
	}
	for {
		handed, err := s.store.Deliver(ctx, s.now(), deliverBatch, maxAttempts, retryAfter, func(n nap.Notification) error {
			err := s.mailer.Send(ctx, n)
			if err != nil {
				rep.Failed++
			} else {
				rep.Sent++
			}
			return err
		})
		if err != nil || handed < deliverBatch {
			return rep, err
		}
	}
}

// schedule keeps the reminders, overdue notices and weekly digests due today; those kept on
// an earlier pass, here or on another server, are not kept again.
func (s *Service) schedule(ctx context.Context) (int, error) {
	day := s.today()
	thresholds := slices.Sorted(slices.Values(s.reminderDays))
	lead := 0
	if len(thresholds) > 0 {
		lead = thresholds[len(thresholds)-1]
	}
	periods, err := s.store.OpenRounds(ctx, day, lead)
	if err != nil || len(periods) == 0 {
		return 0, err
	}
	var ns []nap.Notification
	var digest []notify.DigestPeriod
	for _, p := range periods {
		plan, err := s.store.GetPlan(ctx, nap.Everything, p.PlanID)
		if err != nil {
			return 0, err
		}
		reports, err := s.store.ExpectedReports(ctx, nap.Everything, p, day, "")
		if err != nil {
			return 0, err
		}
		reminders, err := s.reminders(ctx, p, day, thresholds, reports)
		if err != nil {
			return 0, err
		}
		ns = append(ns, reminders...)
		digest = append(digest, digestOf(plan, p, reports, s.link("/v1/periods/"+p.ID+"/completeness")))
	}
	digests, err := s.digests(ctx, day, digest)
	if err != nil {
		return 0, err
	}
	return s.store.Enqueue(ctx, append(ns, digests...))
}

// reminders are the reminders and overdue notices of a period due on day: for each
// organization with reports not yet submitted, to each of its focal points who has not turned
// reminders off. Before the deadline, one reminder at each of the thresholds (days before
// it), the nearest one when a pass comes late; after it, one overdue notice.
func (s *Service) reminders(ctx context.Context, p nap.ReportingPeriod, day time.Time, thresholds []int, reports []nap.ExpectedReport) ([]nap.Notification, error) {
	daysLeft := int(p.SubmissionDeadline.Sub(day).Hours() / 24)
	kind, key := nap.NotifyOverdue, "overdue:"+p.ID
	if daysLeft >= 0 {
		i := slices.IndexFunc(thresholds, func(n int) bool { return daysLeft <= n })
		if i < 0 {
			return nil, nil
		}
		kind, key = nap.NotifyReminder, "reminder:"+p.ID+":"+strconv.Itoa(thresholds[i])
	}
	var out []nap.Notification
	for org, unsubmitted := range byOrganization(reports) {
		recipients, err := s.store.Recipients(ctx, s.authz.Holders(nap.OrganizationDomain(org), nap.CreateUpdate))
		if err != nil {
			return nil, err
		}
		orgCode := unsubmitted[0].Organization
		letters := notify.NewLetters(func(lang string) notify.Letter {
			data := notify.ReminderData{Organization: orgCode, Period: p.Label, Deadline: p.SubmissionDeadline,
				DaysLeft: daysLeft, URL: s.link("/v1/periods/" + p.ID + "/completeness?organization=" + orgCode)}
			for _, r := range unsubmitted {
				data.Missing = append(data.Missing, notify.MissingMeasure(lang, r.MeasureCode, r.MeasureTitle.In(lang),
					s.link("/v1/measures/"+r.MeasureID)))
			}
			return notify.Reminder(lang, data)
		})
		for _, rc := range recipients {
			if !rc.Reminders {
				continue
			}
			n := s.notification(kind, rc, letters)
			n.Key, n.PeriodID, n.OrganizationID = key+":"+org+":"+rc.UserID, p.ID, org
			out = append(out, n)
		}
	}
	return out, nil
}

// byOrganization groups the reports not yet submitted (missing, in draft or returned) by the
// organization that owes them.
func byOrganization(reports []nap.ExpectedReport) map[string][]nap.ExpectedReport {
	out := map[string][]nap.ExpectedReport{}
	for _, r := range reports {
		if r.State == nap.ReportMissing || r.State == nap.ReportDraft || r.State == nap.ReportReturned {
			out[r.OrganizationID] = append(out[r.OrganizationID], r)
		}
	}
	return out
}

// digestOf sums up a period's round for the digest.
func digestOf(plan nap.Plan, p nap.ReportingPeriod, reports []nap.ExpectedReport, url string) notify.DigestPeriod {
	d := notify.DigestPeriod{Plan: plan.Code, Period: p.Label, Deadline: p.SubmissionDeadline, URL: url}
	late := map[string]int{}
	for _, r := range reports {
		d.Expected++
		switch r.State {
		case nap.ReportSubmitted, nap.ReportSignedOff:
			d.Submitted++
			d.Waiting++
		case nap.ReportApproved, nap.ReportRejected:
			d.Submitted++
		}
		if r.State == nap.ReportApproved {
			d.Approved++
		}
		if r.Late {
			late[r.Organization]++
		}
	}
	for _, org := range slices.Sorted(maps.Keys(late)) {
		d.Late = append(d.Late, fmt.Sprintf("%s: %d", org, late[org]))
	}
	return d
}

// digests are the week's digests, to each coordinator who has not turned reminders off: one
// a week, on the first pass of the ISO week.
func (s *Service) digests(ctx context.Context, day time.Time, periods []notify.DigestPeriod) ([]nap.Notification, error) {
	recipients, err := s.store.Recipients(ctx, s.authz.Holders(nap.DomainAll, nap.ApproveUpdate))
	if err != nil {
		return nil, err
	}
	year, week := day.ISOWeek()
	letters := notify.NewLetters(func(lang string) notify.Letter { return notify.Digest(lang, periods) })
	var out []nap.Notification
	for _, rc := range recipients {
		if !rc.Reminders {
			continue
		}
		n := s.notification(nap.NotifyDigest, rc, letters)
		n.Key = fmt.Sprintf("digest:%d-W%02d:%s", year, week, rc.UserID)
		out = append(out, n)
	}
	return out, nil
}

// MyNotifications returns a page of the caller's own notifications, newest first.
func (s *Service) MyNotifications(ctx context.Context, page nap.PageRequest) (nap.Page[nap.Notification], error) {
	a, err := requireActor(ctx)
	if err != nil {
		return nap.Page[nap.Notification]{}, err
	}
	return s.store.ListNotifications(ctx, nap.NotificationFilter{UserID: a.User.ID}, page)
}

// ListNotifications returns a page of the outbox, newest first.
func (s *Service) ListNotifications(ctx context.Context, f nap.NotificationFilter, page nap.PageRequest) (nap.Page[nap.Notification], error) {
	if f.State != "" && !slices.Contains(nap.NotificationStates, f.State) {
		return nap.Page[nap.Notification]{}, nap.Errorf(nap.EINVALID, "state: %q is not pending, sent or failed", f.State)
	}
	return s.store.ListNotifications(ctx, f, page)
}
