package service

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/naptracker/naptracker/internal/checkpoint"
	"github.com/naptracker/naptracker/internal/nap"
)

// AuditStore reads the audit trail, which the database writes with every change, and keeps
// the checkpoints signed of it.
type AuditStore interface {
	ListAuditEvents(ctx context.Context, f nap.AuditFilter, page nap.PageRequest) (nap.Page[nap.AuditEvent], error)
	MeasureHistory(ctx context.Context, scope nap.Scope, measureID string, page nap.PageRequest) (nap.Page[nap.AuditEvent], error)
	VerifyAudit(ctx context.Context) (nap.AuditVerification, error)
	LinkCommitted(ctx context.Context) error
	AuditHashAt(ctx context.Context, seq int64) (hash string, found bool, err error)
	StoredEvidence(ctx context.Context) (map[string][]string, error)
	AddCheckpoint(ctx context.Context, cp nap.Checkpoint) (bool, error)
	ListCheckpoints(ctx context.Context, page nap.PageRequest) (nap.Page[nap.Checkpoint], error)
	LatestCheckpoint(ctx context.Context, seq int64) (*nap.Checkpoint, error)
	ListChanges(ctx context.Context, scope nap.Scope, after int64, limit int) (nap.ChangePage, error)
	ListChangesJSON(ctx context.Context, scope nap.Scope, after int64, limit int) ([]byte, error)
	EditedUpdate(ctx context.Context, userID, updateID string) (bool, error)
}

// Signer signs checkpoints of the audit trail.
type Signer interface {
	Sign(head nap.AuditHead, at time.Time) nap.Checkpoint
	Public() ed25519.PublicKey
}

// ListAuditEvents returns a page of the audit trail. Like every read of the trail, it first
// waits for the events of every change committed before the call to be linked: a change is
// answered before its events join the chain, and its author can read them at once.
func (s *Service) ListAuditEvents(ctx context.Context, f nap.AuditFilter, page nap.PageRequest) (nap.Page[nap.AuditEvent], error) {
	if f.Since != nil && f.Until != nil && !f.Until.After(*f.Since) {
		return nap.Page[nap.AuditEvent]{}, nap.Errorf(nap.EINVALID, "until must be after since")
	}
	if err := s.store.LinkCommitted(ctx); err != nil {
		return nap.Page[nap.AuditEvent]{}, err
	}
	return s.store.ListAuditEvents(ctx, f, page)
}

// MeasureHistory returns the changes of a measure and its progress updates that the caller
// may read, every change committed before the call included (ListAuditEvents).
func (s *Service) MeasureHistory(ctx context.Context, measureID string, page nap.PageRequest) (nap.Page[nap.AuditEvent], error) {
	if err := s.store.LinkCommitted(ctx); err != nil {
		return nap.Page[nap.AuditEvent]{}, err
	}
	return s.store.MeasureHistory(ctx, s.scope(ctx), measureID, page)
}

// VerifyAudit checks the audit trail in one snapshot of the database: it re-walks the chain,
// re-hashes the stored bytes of every piece of evidence, and checks the trail against every
// checkpoint the server keeps and every one given in held (copies a partner kept): each must
// be validly signed (with key, when it is not nil), and the trail must still reach it with
// the hash it states. Whatever is wrong is in the result's Problems. Events committed but not
// yet in the chain are linked first, so that the check covers every change made so far.
func (s *Service) VerifyAudit(ctx context.Context, held []nap.Checkpoint, key ed25519.PublicKey) (nap.AuditVerification, error) {
	var v nap.AuditVerification
	if err := s.store.LinkCommitted(ctx); err != nil {
		return v, err
	}
	err := s.store.Snapshot(ctx, func(ctx context.Context) error {
		var err error
		if v, err = s.store.VerifyAudit(ctx); err != nil {
			return err
		}
		if v.FirstInvalidSeq != nil {
			v.Problems = append(v.Problems, fmt.Sprintf("the chain is broken at event %d of %d: its hash or its link to the event before is not what their content gives",
				*v.FirstInvalidSeq, v.Events))
		}
		if err := s.verifyEvidence(ctx, &v); err != nil {
			return err
		}
		kept := nap.PageRequest{Limit: 500}
		for {
			p, err := s.store.ListCheckpoints(ctx, kept)
			if err != nil {
				return err
			}
			for _, cp := range p.Items {
				if err := s.verifyCheckpoint(ctx, &v, cp, key, "kept by the server"); err != nil {
					return err
				}
			}
			if p.Next == "" {
				break
			}
			kept.Cursor = p.Next
		}
		for _, cp := range held {
			if err := s.verifyCheckpoint(ctx, &v, cp, key, "given"); err != nil {
				return err
			}
		}
		return nil
	})
	return v, err
}

// verifyEvidence re-hashes the stored bytes of every piece of evidence.
func (s *Service) verifyEvidence(ctx context.Context, v *nap.AuditVerification) error {
	stored, err := s.store.StoredEvidence(ctx)
	if err != nil {
		return err
	}
	for digest, ids := range stored {
		err := s.blobs.Verify(ctx, digest)
		if nap.ErrorCode(err) != nap.EINTEGRITY && nap.ErrorCode(err) != nap.ENOTFOUND {
			if err != nil {
				return err
			}
			continue
		}
		for _, id := range ids {
			v.Evidence = append(v.Evidence, id)
			v.Problems = append(v.Problems, fmt.Sprintf("evidence %s: %s", id, nap.ErrorMessage(err)))
		}
	}
	return nil
}

// verifyCheckpoint checks the trail against one checkpoint.
func (s *Service) verifyCheckpoint(ctx context.Context, v *nap.AuditVerification, cp nap.Checkpoint, key ed25519.PublicKey, whose string) error {
	v.Checkpoints++
	problem := func(format string, args ...any) {
		v.Problems = append(v.Problems, fmt.Sprintf("checkpoint at event %d (%s): ", cp.Seq, whose)+fmt.Sprintf(format, args...))
	}
	if err := checkpoint.Check(cp, key); err != nil {
		problem("%v", err)
	}
	hash, found, err := s.store.AuditHashAt(ctx, cp.Seq)
	switch {
	case err != nil:
		return err
	case !found:
		problem("the trail no longer reaches it: it ends at event %d", v.Events)
	case hash != cp.Head:
		problem("the trail's event has hash %s, the checkpoint says %s: the trail was rewritten at or before it", hash, cp.Head)
	}
	return nil
}

// SignCheckpoint signs the trail's head and keeps the checkpoint, unless the newest one kept
// is of that head already; it returns the newest checkpoint (zero while the trail is empty),
// and whether it is new. Events committed but not yet in the chain are linked first, so that
// the checkpoint covers every change made so far.
func (s *Service) SignCheckpoint(ctx context.Context) (nap.Checkpoint, bool, error) {
	if s.signer == nil {
		return nap.Checkpoint{}, false, errors.New("no audit key to sign checkpoints with")
	}
	if err := s.store.LinkCommitted(ctx); err != nil {
		return nap.Checkpoint{}, false, err
	}
	var cp nap.Checkpoint
	fresh := false
	err := s.store.Snapshot(ctx, func(ctx context.Context) error {
		head, err := s.store.AuditHead(ctx)
		if err != nil || head.Seq == 0 {
			return err
		}
		latest, err := s.store.LatestCheckpoint(ctx, head.Seq)
		if err != nil {
			return err
		}
		if latest != nil && latest.Seq == head.Seq {
			cp = *latest
			return nil
		}
		cp, fresh = s.signer.Sign(head, s.now()), true
		return nil
	})
	if err != nil || !fresh {
		return cp, false, err
	}
	added, err := s.store.AddCheckpoint(ctx, cp)
	return cp, added, err
}

// ListCheckpoints returns a page of the signed checkpoints, newest first.
func (s *Service) ListCheckpoints(ctx context.Context, page nap.PageRequest) (nap.Page[nap.Checkpoint], error) {
	return s.store.ListCheckpoints(ctx, page)
}

// AuditKey returns the public key checkpoints are signed with; ENOTFOUND when the server signs
// none.
func (s *Service) AuditKey() (ed25519.PublicKey, error) {
	if s.signer == nil {
		return nil, nap.Errorf(nap.ENOTFOUND, "this server signs no checkpoints: it has no audit key")
	}
	return s.signer.Public(), nil
}

// ListChangesJSON is ListChanges as the database renders it.
func (s *Service) ListChangesJSON(ctx context.Context, after int64, limit int) ([]byte, error) {
	return s.store.ListChangesJSON(ctx, s.scope(ctx), after, limit)
}

// ListChanges returns the changes the caller may see after the change after, oldest first.
func (s *Service) ListChanges(ctx context.Context, after int64, limit int) (nap.ChangePage, error) {
	return s.store.ListChanges(ctx, s.scope(ctx), after, limit)
}

// ListChangesIn returns the changes scope may see after the change after, oldest first, for
// the server's one reader of the feed, which reads once for every caller of that scope
// (Scope).
func (s *Service) ListChangesIn(ctx context.Context, scope nap.Scope, after int64, limit int) (nap.ChangePage, error) {
	return s.store.ListChanges(ctx, scope, after, limit)
}
