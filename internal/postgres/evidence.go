package postgres

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

type evidenceRow struct {
	ID           string
	UpdateID     string
	Kind         string
	Title        jsonOf[nap.Text]
	Language     string
	DocumentDate *time.Time
	URL          *string
	Filename     string
	MediaType    string
	SizeBytes    *int64
	SHA256       *string `gorm:"column:sha256"`
	Visibility   string
	CreatedAt    time.Time
	CreatedBy    *string
}

func (r evidenceRow) toNap() nap.Evidence {
	e := nap.Evidence{ID: r.ID, UpdateID: r.UpdateID, Kind: r.Kind, Title: r.Title.V, Language: r.Language,
		DocumentDate: r.DocumentDate, URL: deref(r.URL), Filename: r.Filename, MediaType: r.MediaType,
		SHA256: deref(r.SHA256), Visibility: nap.Visibility(r.Visibility), CreatedAt: r.CreatedAt, CreatedBy: deref(r.CreatedBy)}
	if r.SizeBytes != nil {
		e.SizeBytes = *r.SizeBytes
	}
	return e
}

// evidence reads evidence e of updates u that scope may read, and only the evidence whose own
// visibility allows it beyond the update's organization.
func (db *DB) evidence(ctx context.Context, scope nap.Scope) *gorm.DB {
	q := db.conn(ctx).Table("evidence e").
		Select(`e.id, e.update_id, e.kind, e.title, e.language, e.document_date, e.url, e.filename,
			e.media_type, e.size_bytes, e.sha256, e.visibility, e.created_at, e.created_by`).
		Joins("JOIN progress_updates u ON u.id = e.update_id").
		Joins("JOIN measures m ON m.id = u.measure_id").
		Joins("JOIN plans p ON p.id = m.plan_id")
	cond, args := visibleBeyondOrg(scope, "e")
	return visibleUpdates(q, scope).Where(cond, args...)
}

// ListEvidence returns the evidence of an update that scope may read, oldest first.
func (db *DB) ListEvidence(ctx context.Context, scope nap.Scope, updateID string) ([]nap.Evidence, error) {
	var rows []evidenceRow
	if err := db.evidence(ctx, scope).Where("e.update_id = ?", updateID).Order("e.created_at, e.id").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]nap.Evidence, len(rows))
	for i, r := range rows {
		out[i] = r.toNap()
	}
	return out, nil
}

// GetEvidence returns a piece of evidence if scope may read it.
func (db *DB) GetEvidence(ctx context.Context, scope nap.Scope, id string) (nap.Evidence, error) {
	var row evidenceRow
	if err := db.evidence(ctx, scope).Where("e.id = ?", id).Take(&row).Error; err != nil {
		return nap.Evidence{}, notFound(err, "evidence")
	}
	return row.toNap(), nil
}

// EvidenceDigests returns the SHA-256 of every file of an update's evidence and, for links,
// the SHA-256 of the URL: what an approval fixes.
func (db *DB) EvidenceDigests(ctx context.Context, updateID string) ([]string, error) {
	var digests []string
	err := db.conn(ctx).Raw(`SELECT coalesce(sha256, encode(sha256(convert_to(url, 'UTF8')), 'hex'))
		FROM evidence WHERE update_id = ? ORDER BY 1`, updateID).Scan(&digests).Error
	return digests, err
}

// CreateEvidence records a piece of evidence; the file's content, if any, is stored already.
func (db *DB) CreateEvidence(ctx context.Context, actorID string, e nap.Evidence) (string, error) {
	c := columns{"update_id": e.UpdateID, "kind": e.Kind, "title": Text(e.Title), "language": e.Language,
		"filename": e.Filename, "media_type": e.MediaType, "visibility": string(e.Visibility)}
	if e.DocumentDate != nil {
		c["document_date"] = *e.DocumentDate
	}
	if e.URL != "" {
		c["url"] = e.URL
	} else {
		c["sha256"], c["size_bytes"] = e.SHA256, e.SizeBytes
	}
	id := newID()
	c["id"], c["created_by"] = id, nullable(actorID)
	return id, db.conn(ctx).Table("evidence").Create(map[string]any(c)).Error
}

// DeleteEvidence deletes a piece of evidence while its update is editable (draft or
// returned); ECONFLICT otherwise.
func (db *DB) DeleteEvidence(ctx context.Context, id string) error {
	res := db.conn(ctx).Exec(`DELETE FROM evidence e USING progress_updates u
		WHERE e.id = ? AND u.id = e.update_id AND u.state IN ('draft', 'returned')`, id)
	if res.Error == nil && res.RowsAffected == 0 {
		return nap.Errorf(nap.ECONFLICT, "evidence can be deleted only while its update is draft or returned")
	}
	return res.Error
}

// LockEditableUpdate locks an update for the rest of the transaction, so that it cannot go
// into review meanwhile, and fails with ECONFLICT unless it is draft or returned.
func (db *DB) LockEditableUpdate(ctx context.Context, id string) error {
	var state string
	res := db.conn(ctx).Raw(`SELECT state FROM progress_updates WHERE id = ? FOR UPDATE`, id).Scan(&state)
	switch {
	case res.Error != nil:
		return res.Error
	case res.RowsAffected == 0:
		return nap.Errorf(nap.ENOTFOUND, "progress update not found")
	case !nap.UpdateState(state).Editable():
		return nap.Errorf(nap.ECONFLICT, "evidence can be added only while the update is draft or returned; it is %s", state)
	}
	return nil
}
