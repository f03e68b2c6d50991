package postgres

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

type checkpointRow struct {
	Seq       int64
	Head      string
	SignedAt  time.Time
	KeyID     string
	PublicKey string
	Signature string
}

func (r checkpointRow) toNap() (nap.Checkpoint, error) {
	pub, err := base64.StdEncoding.DecodeString(r.PublicKey)
	if err != nil {
		return nap.Checkpoint{}, err
	}
	sig, err := base64.StdEncoding.DecodeString(r.Signature)
	return nap.Checkpoint{Seq: r.Seq, Head: r.Head, SignedAt: r.SignedAt.UTC(), KeyID: r.KeyID, PublicKey: pub, Signature: sig}, err
}

// AddCheckpoint keeps a signed checkpoint; false when one of its sequence number is kept
// already (another server signed the same head).
func (db *DB) AddCheckpoint(ctx context.Context, cp nap.Checkpoint) (bool, error) {
	res := db.conn(ctx).Exec(`INSERT INTO audit_checkpoints (seq, head, signed_at, key_id, public_key, signature)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (seq) DO NOTHING`, cp.Seq, cp.Head, cp.SignedAt, cp.KeyID,
		base64.StdEncoding.EncodeToString(cp.PublicKey), base64.StdEncoding.EncodeToString(cp.Signature))
	return res.RowsAffected == 1, res.Error
}

// ListCheckpoints returns a page of the kept checkpoints, newest first.
func (db *DB) ListCheckpoints(ctx context.Context, page nap.PageRequest) (nap.Page[nap.Checkpoint], error) {
	q := db.conn(ctx).Table("audit_checkpoints").Select("seq, head, signed_at, key_id, public_key, signature")
	if page.Cursor != "" {
		before, err := decodeSeq(page.Cursor)
		if err != nil {
			return nap.Page[nap.Checkpoint]{}, err
		}
		q = q.Where("seq < ?", before)
	}
	var rows []checkpointRow
	if err := q.Order("seq DESC").Limit(page.Limit + 1).Scan(&rows).Error; err != nil {
		return nap.Page[nap.Checkpoint]{}, err
	}
	var p nap.Page[nap.Checkpoint]
	if len(rows) > page.Limit {
		rows = rows[:page.Limit]
		p.Next = encodeSeq(rows[len(rows)-1].Seq)
	}
	for _, r := range rows {
		cp, err := r.toNap()
		if err != nil {
			return nap.Page[nap.Checkpoint]{}, err
		}
		p.Items = append(p.Items, cp)
	}
	return p, nil
}

// LatestCheckpoint returns the newest checkpoint of a sequence number up to seq; nil when none
// is kept.
func (db *DB) LatestCheckpoint(ctx context.Context, seq int64) (*nap.Checkpoint, error) {
	var rows []checkpointRow
	err := db.conn(ctx).Raw(`SELECT seq, head, signed_at, key_id, public_key, signature FROM audit_checkpoints
		WHERE seq <= ? ORDER BY seq DESC LIMIT 1`, seq).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	cp, err := rows[0].toNap()
	return &cp, err
}

// AuditHashAt returns the hash of the audit event at seq, and whether the trail has one.
func (db *DB) AuditHashAt(ctx context.Context, seq int64) (string, bool, error) {
	var hash string
	err := db.conn(ctx).Raw(`SELECT hash FROM audit_events WHERE seq = ?`, seq).Row().Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return hash, err == nil, err
}

// StoredEvidence returns, for each stored file's digest, the evidence that refers to it.
func (db *DB) StoredEvidence(ctx context.Context) (map[string][]string, error) {
	var rows []struct{ SHA256, ID string }
	err := db.conn(ctx).Raw(`SELECT sha256, id FROM evidence WHERE sha256 IS NOT NULL ORDER BY sha256, created_at, id`).Scan(&rows).Error
	out := map[string][]string{}
	for _, r := range rows {
		out[r.SHA256] = append(out[r.SHA256], r.ID)
	}
	return out, err
}
