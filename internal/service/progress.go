package service

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"slices"
	"strings"

	"github.com/naptracker/naptracker/internal/nap"
)

// ProgressStore keeps progress updates, their review and their evidence.
type ProgressStore interface {
	GetUpdate(ctx context.Context, scope nap.Scope, id string) (nap.ProgressUpdate, error)
	ListUpdates(ctx context.Context, scope nap.Scope, measureID string, page nap.PageRequest) (nap.Page[nap.ProgressUpdate], error)
	CreateUpdate(ctx context.Context, actorID, measureID, orgID string, ch nap.UpdateChange, source nap.Source) (string, error)
	EditUpdate(ctx context.Context, actorID, id string, version int, ch nap.UpdateChange) error
	TransitionUpdate(ctx context.Context, u nap.ProgressUpdate, r nap.Review, digest string) (nap.ProgressUpdate, error)
	Supersede(ctx context.Context, actorID, id, by string) error
	RecomputeMeasure(ctx context.Context, measureID string) error
	ListReviews(ctx context.Context, updateID string) ([]nap.Review, error)
	LockEditableUpdate(ctx context.Context, id string) error
	ListEvidence(ctx context.Context, scope nap.Scope, updateID string) ([]nap.Evidence, error)
	GetEvidence(ctx context.Context, scope nap.Scope, id string) (nap.Evidence, error)
	EvidenceDigests(ctx context.Context, updateID string) ([]string, error)
	CreateEvidence(ctx context.Context, actorID string, e nap.Evidence) (string, error)
	DeleteEvidence(ctx context.Context, id string) error
}

// BlobStore keeps the content of evidence files, named by its SHA-256, append-only. Put stages
// content on its own; Store, inside the store's transaction that records the evidence (InTx),
// gives it its digest or keeps the copy stored already, so that no release of that copy
// meanwhile can leave the evidence without its bytes; Discard drops what was staged and will
// not be stored. Release removes content no evidence refers to. Open reads content back,
// checking it against its digest, and Verify reads it whole to check it.
type BlobStore interface {
	Put(ctx context.Context, r io.Reader) (nap.Blob, error)
	Store(ctx context.Context, b nap.Blob) error
	Discard(ctx context.Context, b nap.Blob) error
	Release(ctx context.Context, sha256 string) error
	Open(ctx context.Context, sha256 string) (nap.BlobReader, error)
	Verify(ctx context.Context, sha256 string) error
}

// Authorizer decides whether a user may use a permission in a domain, and what a user
// (anonymous: "") may read.
type Authorizer interface {
	Can(userID, domain string, p nap.Permission) (bool, error)
	Scope(userID string) nap.Scope
	Holders(domain string, p nap.Permission) []string
}

// requireActor returns the caller, or EUNAUTHORIZED: progress work is never anonymous.
func requireActor(ctx context.Context) (*nap.Actor, error) {
	if a := nap.ActorFromContext(ctx); a != nil {
		return a, nil
	}
	return nil, nap.Errorf(nap.EUNAUTHORIZED, "this needs a signed-in user")
}

// GetUpdate returns a progress update the caller may read.
func (s *Service) GetUpdate(ctx context.Context, id string) (nap.ProgressUpdate, error) {
	return s.store.GetUpdate(ctx, s.scope(ctx), id)
}

// ListUpdates returns a page of the updates of a measure the caller may read.
func (s *Service) ListUpdates(ctx context.Context, measureID string, page nap.PageRequest) (nap.Page[nap.ProgressUpdate], error) {
	if _, err := s.MeasurePlace(ctx, measureID); err != nil {
		return nap.Page[nap.ProgressUpdate]{}, err
	}
	return s.store.ListUpdates(ctx, s.scope(ctx), measureID, page)
}

// ListReviews returns the review steps of an update the caller may read. Its organization
// and the coordinating roles read every step; others only that it was approved (or corrected),
// without who did it or what they wrote.
func (s *Service) ListReviews(ctx context.Context, updateID string) ([]nap.Review, error) {
	u, err := s.GetUpdate(ctx, updateID)
	if err != nil {
		return nil, err
	}
	reviews, err := s.store.ListReviews(ctx, updateID)
	scope := s.scope(ctx)
	if err != nil || scope.Reads(u.ReportingOrgID) {
		return reviews, err
	}
	public := reviews[:0]
	for _, r := range reviews {
		if r.Action == nap.ActionApprove {
			r.ActorID, r.Comment = "", ""
			public = append(public, r)
		}
	}
	return public, nil
}

// UpdateDomain is the domain in which a permission on a progress update is asked: its
// reporting organization's.
func (s *Service) UpdateDomain(ctx context.Context, id string) ([]string, error) {
	u, err := s.GetUpdate(ctx, id)
	if err != nil {
		return nil, err
	}
	remember(ctx, "update:"+id, u)
	return []string{nap.OrganizationDomain(u.ReportingOrgID)}, nil
}

// updateToChange is the update a use case changes, as its access check read it.
func (s *Service) updateToChange(ctx context.Context, id string) (nap.ProgressUpdate, error) {
	return recall(ctx, "update:"+id, func() (nap.ProgressUpdate, error) { return s.GetUpdate(ctx, id) })
}

// UpdateDomains are the domains in which a permission on a measure's progress is asked: its
// lead's and its co-implementers'.
func (s *Service) UpdateDomains(ctx context.Context, measureID string) ([]string, error) {
	place, err := s.MeasurePlace(ctx, measureID)
	if err != nil {
		return nil, err
	}
	remember(ctx, "place:"+measureID, place)
	domains := make([]string, len(place.Organizations))
	for i, org := range place.Organizations {
		domains[i] = nap.OrganizationDomain(org)
	}
	return domains, nil
}

// CreateUpdate drafts a progress update of a measure for an open reporting period of its
// plan, reported by the caller's organization: the one among the measure's lead and
// co-implementers in which the caller is a focal point.
func (s *Service) CreateUpdate(ctx context.Context, measureID string, ch nap.UpdateChange) (nap.ProgressUpdate, error) {
	actor, err := requireActor(ctx)
	if err != nil {
		return nap.ProgressUpdate{}, err
	}
	place, err := recall(ctx, "place:"+measureID, func() (nap.Place, error) { return s.MeasurePlace(ctx, measureID) })
	if err != nil {
		return nap.ProgressUpdate{}, err
	}
	org, err := s.reportingOrganization(actor.User.ID, place)
	if err != nil {
		return nap.ProgressUpdate{}, err
	}
	if err := nap.Required("an update", map[string]bool{"period_id": ch.PeriodID != nil, "proposed_status": ch.ProposedStatus != nil}); err != nil {
		return nap.ProgressUpdate{}, err
	}
	if err := s.checkPeriod(ctx, place.PlanID, *ch.PeriodID); err != nil {
		return nap.ProgressUpdate{}, err
	}
	if err := s.checkUpdate(ctx, measureID, org, *ch.PeriodID, ch); err != nil {
		return nap.ProgressUpdate{}, err
	}
	if ch.Visibility == nil {
		internal := nap.VisibilityInternal
		ch.Visibility = &internal
	}
	return inTx(ctx, s, func(ctx context.Context) (nap.ProgressUpdate, error) {
		id, err := s.store.CreateUpdate(ctx, actor.User.ID, measureID, org, ch, nap.Source{Provenance: nap.Sourced})
		if err != nil {
			return nap.ProgressUpdate{}, err
		}
		return s.GetUpdate(ctx, id)
	})
}

// reportingOrganization is the first of the measure's lead and co-implementers in which the
// access policy lets the user create updates: the organization the user reports for.
func (s *Service) reportingOrganization(userID string, place nap.Place) (string, error) {
	for _, org := range place.Organizations {
		ok, err := s.authz.Can(userID, nap.OrganizationDomain(org), nap.CreateUpdate)
		if err != nil || ok {
			return org, err
		}
	}
	return "", nap.Errorf(nap.EFORBIDDEN, "your roles do not let you report on this measure for its lead or a co-implementing organization")
}

// checkPeriod requires an open reporting period of the plan.
func (s *Service) checkPeriod(ctx context.Context, planID, periodID string) error {
	p, err := s.store.GetPeriod(ctx, periodID)
	if nap.ErrorCode(err) == nap.ENOTFOUND || (err == nil && p.PlanID != planID) {
		return nap.Errorf(nap.EINVALID, "period_id: no reporting period of this plan has that id")
	}
	if err != nil {
		return err
	}
	if p.State == nap.PeriodLocked {
		return periodLocked(p.Label)
	}
	return nil
}

func periodLocked(label string) error {
	return nap.Errorf(nap.ECONFLICT, "the reporting period %s is locked: it takes no new updates or submissions", label)
}

// checkUpdate checks what an update of a measure, by an organization for a period, reports:
// indicator values by their indicators, and a correction against the update it corrects,
// which must be the same organization's approved update of the same measure and period.
func (s *Service) checkUpdate(ctx context.Context, measureID, orgID, periodID string, ch nap.UpdateChange) error {
	if ch.ProposedStatus != nil && (*ch.ProposedStatus == nap.NoInformation || !slices.Contains(nap.Statuses, *ch.ProposedStatus)) {
		return nap.Errorf(nap.EINVALID, "proposed_status: %q is not a status an update can propose", *ch.ProposedStatus)
	}
	if ch.IndicatorValues != nil {
		page, err := s.store.ListIndicators(ctx, nap.Everything, measureID, nap.PageRequest{Limit: 500})
		if err != nil {
			return err
		}
		for i := range *ch.IndicatorValues {
			if err := checkValue(&(*ch.IndicatorValues)[i], page.Items); err != nil {
				return err
			}
		}
	}
	if ch.Supersedes != nil && *ch.Supersedes != "" {
		old, err := s.store.GetUpdate(ctx, nap.Everything, *ch.Supersedes)
		if err != nil || old.MeasureID != measureID || old.State != nap.UpdateApproved || old.ReportingOrgID != orgID || old.PeriodID != periodID {
			return nap.Errorf(nap.EINVALID, "supersedes: a correction replaces your organization's approved update of the same measure and period")
		}
		if ch.CorrectionReason == nil || strings.TrimSpace(*ch.CorrectionReason) == "" {
			return nap.Errorf(nap.EINVALID, "correction_reason: say what the correction corrects")
		}
	}
	return nil
}

// checkValue checks one indicator value by its indicator's kind and declared disaggregations,
// and names the indicator on failure. A milestone's value is 1 (reached) or 0.
func checkValue(v *nap.IndicatorValue, indicators []nap.Indicator) error {
	i := slices.IndexFunc(indicators, func(in nap.Indicator) bool { return in.ID == v.IndicatorID })
	if i < 0 {
		return nap.Errorf(nap.EINVALID, "indicator_values: %s is not an indicator of this measure", v.IndicatorID)
	}
	in := indicators[i]
	v.Indicator = in.Code
	bad := func(format string, args ...any) error {
		return nap.Errorf(nap.EINVALID, "indicator %s (%s): %s", in.Code, in.Kind, fmt.Sprintf(format, args...))
	}
	switch in.Kind {
	case "number", "percent", "milestone":
		if v.Value == nil || math.IsNaN(*v.Value) || math.IsInf(*v.Value, 0) || v.Text != "" {
			return bad("needs a number in value and no text")
		}
		if in.Kind == "percent" && (*v.Value < 0 || *v.Value > 100) {
			return bad("%g is not a percentage from 0 to 100", *v.Value)
		}
		if in.Kind == "milestone" && *v.Value != 0 && *v.Value != 1 {
			return bad("a milestone is reached (1) or not (0), not %g", *v.Value)
		}
	case "text":
		if v.Value != nil || strings.TrimSpace(v.Text) == "" {
			return bad("needs text and no number")
		}
	}
	for dim, val := range v.Disaggregation {
		if !slices.Contains(in.Disaggregations, dim) {
			return bad("it is not broken down by %q (it is by %v)", dim, in.Disaggregations)
		}
		if strings.TrimSpace(val) == "" {
			return bad("the %s of a value is empty", dim)
		}
	}
	return nil
}

// EditUpdate changes a draft or returned update at version.
func (s *Service) EditUpdate(ctx context.Context, id string, version int, ch nap.UpdateChange) (nap.ProgressUpdate, error) {
	actor, err := requireActor(ctx)
	if err != nil {
		return nap.ProgressUpdate{}, err
	}
	u, err := s.updateToChange(ctx, id)
	if err != nil {
		return nap.ProgressUpdate{}, err
	}
	if ch.PeriodID != nil {
		if err := s.checkPeriod(ctx, u.PlanID, *ch.PeriodID); err != nil {
			return nap.ProgressUpdate{}, err
		}
	}
	if ch.Supersedes != nil && *ch.Supersedes != u.Supersedes {
		return nap.ProgressUpdate{}, nap.Errorf(nap.EINVALID, "supersedes is set when the update is created")
	}
	period := u.PeriodID
	if ch.PeriodID != nil {
		period = *ch.PeriodID
	}
	if err := s.checkUpdate(ctx, u.MeasureID, u.ReportingOrgID, period, ch); err != nil {
		return nap.ProgressUpdate{}, err
	}
	return inTx(ctx, s, func(ctx context.Context) (nap.ProgressUpdate, error) {
		if err := s.store.EditUpdate(ctx, actor.User.ID, id, version, ch); err != nil {
			return nap.ProgressUpdate{}, err
		}
		return s.GetUpdate(ctx, id)
	})
}

// Act takes a review step on an update. Who may take which step is the access policy's,
// asked in the update's organization; what the service adds: at the sign-off stage only
// those who may sign off return, at the review stage only those who may approve; nobody signs
// off or approves an update they wrote or last edited; whoever signed it off does not approve
// it. Approval fixes the update's content digest, replaces the update it corrects, and
// derives the measure's status anew, all in one transaction with the step.
func (s *Service) Act(ctx context.Context, id string, action nap.ReviewAction, reason string) (nap.ProgressUpdate, error) {
	actor, err := requireActor(ctx)
	if err != nil {
		return nap.ProgressUpdate{}, err
	}
	u, err := s.updateToChange(ctx, id)
	if err != nil {
		return nap.ProgressUpdate{}, err
	}
	to, err := nap.Transition(u.State, action, u.PlanRequiresSignOff, reason)
	if err != nil {
		return nap.ProgressUpdate{}, err
	}
	if action == nap.ActionSubmit && u.PeriodLocked {
		return nap.ProgressUpdate{}, periodLocked(u.Period)
	}
	if err := s.checkDuties(ctx, actor, u, action, nap.StageOf(u.State, u.PlanRequiresSignOff)); err != nil {
		return nap.ProgressUpdate{}, err
	}
	review := nap.Review{UpdateID: id, ActorID: actor.User.ID, Action: action, From: u.State, To: to, Comment: strings.TrimSpace(reason)}
	return inTx(ctx, s, func(ctx context.Context) (nap.ProgressUpdate, error) {
		return s.transition(ctx, u, review)
	})
}

// transition records a review step and what follows from it: the notices it sends and, on
// approval, the content it approves, the update it supersedes and the measure's status. It
// returns the update as the step left it.
func (s *Service) transition(ctx context.Context, u nap.ProgressUpdate, review nap.Review) (nap.ProgressUpdate, error) {
	digest := ""
	if review.Action == nap.ActionApprove {
		evidence, err := s.store.EvidenceDigests(ctx, u.ID)
		if err != nil {
			return nap.ProgressUpdate{}, err
		}
		digest = nap.ContentDigest(u, evidence)
	}
	stepped, err := s.store.TransitionUpdate(ctx, u, review, digest)
	if err != nil {
		return nap.ProgressUpdate{}, err
	}
	if err := s.noticeOfReview(ctx, u, review); err != nil {
		return nap.ProgressUpdate{}, err
	}
	if review.Action != nap.ActionApprove {
		return stepped, nil
	}
	if u.Supersedes != "" {
		if err := s.store.Supersede(ctx, review.ActorID, u.Supersedes, u.ID); err != nil {
			return nap.ProgressUpdate{}, err
		}
	}
	if err := s.store.RecomputeMeasure(ctx, u.MeasureID); err != nil {
		return nap.ProgressUpdate{}, err
	}
	return stepped, nil
}

// checkDuties applies the stage and separation-of-duties rules of Act. Whoever wrote, edited
// or added evidence to the update at any time, as the audit trail records, neither signs it
// off nor approves it; every change committed so far counts, linked into the chain or not.
func (s *Service) checkDuties(ctx context.Context, actor *nap.Actor, u nap.ProgressUpdate, action nap.ReviewAction, stage nap.Stage) error {
	me := actor.User.ID
	if action == nap.ActionReturn {
		need := nap.ApproveUpdate
		if stage == nap.StageSignOff {
			need = nap.SignOffUpdate
		}
		ok, err := s.authz.Can(me, nap.OrganizationDomain(u.ReportingOrgID), need)
		if err != nil {
			return err
		}
		if !ok {
			return nap.Errorf(nap.EFORBIDDEN, "at this stage only whoever may %s returns the update", need.Action)
		}
	}
	if action == nap.ActionSignOff || action == nap.ActionApprove {
		edited, err := s.store.EditedUpdate(ctx, me, u.ID)
		if err != nil {
			return err
		}
		if edited || me == u.AuthorID || me == u.LastEditorID {
			return nap.Errorf(nap.EFORBIDDEN, "you wrote or edited this update: someone else must %s it", strings.ReplaceAll(string(action), "_", " "))
		}
	}
	if action == nap.ActionApprove && me == u.SignedOffBy {
		return nap.Errorf(nap.EFORBIDDEN, "you signed this update off: someone else must approve it")
	}
	return nil
}

// ListEvidence returns the evidence of an update the caller may read.
func (s *Service) ListEvidence(ctx context.Context, updateID string) ([]nap.Evidence, error) {
	if _, err := s.GetUpdate(ctx, updateID); err != nil {
		return nil, err
	}
	return s.store.ListEvidence(ctx, s.scope(ctx), updateID)
}

// GetEvidence returns a piece of evidence the caller may read.
func (s *Service) GetEvidence(ctx context.Context, id string) (nap.Evidence, error) {
	return s.store.GetEvidence(ctx, s.scope(ctx), id)
}

// OpenEvidence returns a stored file's record and a reader of its content.
func (s *Service) OpenEvidence(ctx context.Context, id string) (nap.Evidence, nap.BlobReader, error) {
	e, err := s.GetEvidence(ctx, id)
	if err != nil {
		return e, nil, err
	}
	if e.SHA256 == "" {
		return e, nil, nap.Errorf(nap.ENOTFOUND, "this evidence is a link, not a stored file: %s", e.URL)
	}
	r, err := s.blobs.Open(ctx, e.SHA256)
	return e, r, err
}

// checkEvidence checks the description of a piece of evidence.
func checkEvidence(e *nap.Evidence) error {
	switch {
	case !slices.Contains(nap.EvidenceKinds, e.Kind):
		return nap.Errorf(nap.EINVALID, "kind: %q is not a kind of evidence", e.Kind)
	case len(e.Title) == 0:
		return nap.Errorf(nap.EINVALID, "title: give the evidence a title")
	}
	if e.Visibility == "" {
		e.Visibility = nap.VisibilityInternal
	}
	return nil
}

// AddEvidenceLink cites a web page or document by its URL.
func (s *Service) AddEvidenceLink(ctx context.Context, e nap.Evidence) (nap.Evidence, error) {
	actor, err := requireActor(ctx)
	if err != nil {
		return nap.Evidence{}, err
	}
	u, err := url.Parse(e.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(e.URL) > 2000 {
		return nap.Evidence{}, nap.Errorf(nap.EINVALID, "url: give an http or https address")
	}
	if err := checkEvidence(&e); err != nil {
		return nap.Evidence{}, err
	}
	return s.recordEvidence(ctx, actor.User.ID, e, nil)
}

// AddEvidenceFile stores a file as evidence, reading it once: its media type is sniffed from
// its first bytes (the client's claim is not trusted) and must be one of AcceptedMediaTypes;
// its size must not pass the limit; its name is kept only as a label. The record and the
// content are stored together or not at all.
func (s *Service) AddEvidenceFile(ctx context.Context, e nap.Evidence, content io.Reader) (nap.Evidence, error) {
	actor, err := requireActor(ctx)
	if err != nil {
		return nap.Evidence{}, err
	}
	e.URL, e.Filename = "", nap.SanitizeFilename(e.Filename)
	if err := checkEvidence(&e); err != nil {
		return nap.Evidence{}, err
	}
	limited := &limitReader{r: clientReader{content}, left: s.maxUpload}
	buffered := bufio.NewReaderSize(limited, sniffLength)
	head, err := buffered.Peek(sniffLength)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nap.Evidence{}, readError(err)
	}
	if e.MediaType, err = sniff(head, e.Filename); err != nil {
		return nap.Evidence{}, err
	}
	if err := s.checkEditable(ctx, e.UpdateID); err != nil {
		return nap.Evidence{}, err
	}
	// The content is staged first, on its own: a slow upload holds up no other writer. It is
	// stored with the record in a short transaction; if that fails, the staged content goes.
	blob, err := s.blobs.Put(ctx, buffered)
	if err != nil {
		return nap.Evidence{}, readError(err)
	}
	if blob.Size == 0 {
		return nap.Evidence{}, errors.Join(nap.Errorf(nap.EINVALID, "file: the file is empty"), s.blobs.Discard(ctx, blob))
	}
	e.SHA256, e.SizeBytes = blob.SHA256, blob.Size
	recorded, err := s.recordEvidence(ctx, actor.User.ID, e, &blob)
	if err != nil {
		return nap.Evidence{}, errors.Join(err, s.blobs.Discard(context.WithoutCancel(ctx), blob))
	}
	return recorded, nil
}

// recordEvidence records evidence of an update that is still draft or returned, holding the
// update so that it cannot go into review meanwhile, and stores its staged content, if any.
func (s *Service) recordEvidence(ctx context.Context, actorID string, e nap.Evidence, content *nap.Blob) (nap.Evidence, error) {
	return inTx(ctx, s, func(ctx context.Context) (nap.Evidence, error) {
		if err := s.store.LockEditableUpdate(ctx, e.UpdateID); err != nil {
			return nap.Evidence{}, err
		}
		if content != nil {
			if err := s.blobs.Store(ctx, *content); err != nil {
				return nap.Evidence{}, err
			}
		}
		id, err := s.store.CreateEvidence(ctx, actorID, e)
		if err != nil {
			return nap.Evidence{}, err
		}
		return s.GetEvidence(ctx, id)
	})
}

// checkEditable fails unless the update takes evidence now: draft or returned.
func (s *Service) checkEditable(ctx context.Context, updateID string) error {
	u, err := s.GetUpdate(ctx, updateID)
	if err != nil {
		return err
	}
	if !u.State.Editable() {
		return nap.Errorf(nap.ECONFLICT, "evidence can be added only while the update is draft or returned; it is %s", u.State)
	}
	return nil
}

// DeleteEvidence deletes evidence while its update is draft or returned, and its content when
// nothing else refers to it.
func (s *Service) DeleteEvidence(ctx context.Context, id string) error {
	e, err := s.GetEvidence(ctx, id)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(ctx context.Context) error {
		if err := s.store.DeleteEvidence(ctx, id); err != nil {
			return err
		}
		if e.SHA256 == "" {
			return nil
		}
		return s.blobs.Release(ctx, e.SHA256)
	})
}

// errTooLarge is what limitReader fails with past its limit.
var errTooLarge = errors.New("content over the limit")

// limitReader fails with errTooLarge once more than its limit has been read, so a file over
// the limit is refused rather than cut.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, errTooLarge
	}
	return n, err
}

// readError turns failures of reading an upload into what the client is told: too large, or
// cut short (the body ended before the file did, or the connection failed).
func readError(err error) error {
	var e *nap.Error
	switch {
	case errors.As(err, &e):
		return err
	case errors.Is(err, errTooLarge):
		return nap.Errorf(nap.ETOOLARGE, "the file is larger than the limit")
	case errors.As(err, new(clientError)):
		return nap.Errorf(nap.EINVALID, "file: the upload ended before the file did")
	}
	return err
}

// clientReader marks what goes wrong reading the client's upload, so that it is told apart
// from a failure of ours.
type clientReader struct{ r io.Reader }

type clientError struct{ error }

func (c clientError) Unwrap() error { return c.error }

func (c clientReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = clientError{err}
	}
	return n, err
}

// MaxUploadDefault is the default limit of an evidence file.
const MaxUploadDefault = 25 << 20
