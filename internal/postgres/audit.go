package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

type auditRow struct {
	Seq             int64
	At              time.Time
	ActorID         *string
	Action          string
	EntityType      string
	EntityID        *string
	Before          []byte
	After           []byte
	RequestID       string
	ClientRequestID string
	PrevHash        string
	Hash            string
}

func (r auditRow) toNap() nap.AuditEvent {
	raw := func(b []byte) json.RawMessage {
		if len(b) == 0 {
			return json.RawMessage("null")
		}
		return b
	}
	return nap.AuditEvent{Seq: r.Seq, At: r.At, ActorID: deref(r.ActorID), Action: r.Action, EntityType: r.EntityType,
		EntityID: deref(r.EntityID), Before: raw(r.Before), After: raw(r.After), RequestID: r.RequestID,
		ClientRequestID: r.ClientRequestID, PrevHash: r.PrevHash, Hash: r.Hash}
}

// The audit trail is paged by sequence number.
func encodeSeq(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("seq:" + strconv.FormatInt(seq, 10)))
}

func decodeSeq(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil && len(b) > 4 && string(b[:4]) == "seq:" {
		if n, err := strconv.ParseInt(string(b[4:]), 10, 64); err == nil && n >= 0 {
			return n, nil
		}
	}
	return 0, nap.Errorf(nap.EINVALID, "cursor is not one this API returned")
}

const auditColumns = `a.seq, a.at, a.actor_id, a.action, a.entity_type, a.entity_id, a.before, a.after,
	a.request_id, a.client_request_id, a.prev_hash, a.hash`

// auditPage runs q, which selects audit events a, as a page in sequence order.
func auditPage(q *gorm.DB, page nap.PageRequest) (nap.Page[nap.AuditEvent], error) {
	if page.Cursor != "" {
		after, err := decodeSeq(page.Cursor)
		if err != nil {
			return nap.Page[nap.AuditEvent]{}, err
		}
		q = q.Where("a.seq > ?", after)
	}
	var rows []auditRow
	if err := q.Order("a.seq").Limit(page.Limit + 1).Scan(&rows).Error; err != nil {
		return nap.Page[nap.AuditEvent]{}, err
	}
	var p nap.Page[nap.AuditEvent]
	if len(rows) > page.Limit {
		rows = rows[:page.Limit]
		p.Next = encodeSeq(rows[len(rows)-1].Seq)
	}
	p.Items = make([]nap.AuditEvent, len(rows))
	for i, r := range rows {
		p.Items[i] = r.toNap()
	}
	return p, nil
}

// ListAuditEvents returns a page of the audit trail that matches f, oldest first.
func (db *DB) ListAuditEvents(ctx context.Context, f nap.AuditFilter, page nap.PageRequest) (nap.Page[nap.AuditEvent], error) {
	q := db.conn(ctx).Table("audit_events a").Select(auditColumns)
	if f.EntityType != "" {
		q = q.Where("a.entity_type = ?", f.EntityType)
	}
	if f.EntityID != "" {
		q = q.Where("a.entity_id = ?", f.EntityID)
	}
	if f.ActorID != "" {
		q = q.Where("a.actor_id = ?", f.ActorID)
	}
	if f.Action != "" {
		q = q.Where("a.action = ?", f.Action)
	}
	if f.Since != nil {
		q = q.Where("a.at >= ?", *f.Since)
	}
	if f.Until != nil {
		q = q.Where("a.at < ?", *f.Until)
	}
	return auditPage(q, page)
}

// MeasureHistory returns a page of the audit events of a measure, its links, its indicators
// and its progress updates, as scope may read them: an update's every event for its own
// organization and the coordinating roles, only its publication (approval, supersession) for
// everyone else who may read it.
func (db *DB) MeasureHistory(ctx context.Context, scope nap.Scope, measureID string, page nap.PageRequest) (nap.Page[nap.AuditEvent], error) {
	if _, err := db.MeasurePlace(ctx, scope, measureID); err != nil {
		return nap.Page[nap.AuditEvent]{}, err
	}
	visible := visibleUpdates(db.conn(ctx).Table("progress_updates u").Select("u.id").
		Joins("JOIN measures m ON m.id = u.measure_id").Joins("JOIN plans p ON p.id = m.plan_id").
		Where("u.measure_id = ?", measureID), scope)
	ownUpdates := db.conn(ctx).Table("progress_updates u").Select("u.id").Where("u.measure_id = ?", measureID)
	if !scope.AllOrganizations {
		ownUpdates = ownUpdates.Where("u.reporting_org_id IN ?", orgsOrNone(scope))
	}
	q := db.conn(ctx).Table("audit_events a").Select(auditColumns).Where(`
		(a.entity_type IN ('measure', 'measure_organization', 'measure_recommendation') AND a.entity_id = ?)
		OR (a.entity_type = 'indicator' AND coalesce(a.after, a.before) ->> 'measure_id' = ?)
		OR (a.entity_type IN ('progress_update', 'indicator_value', 'review_action') AND a.entity_id IN (?))
		OR (a.entity_type = 'evidence' AND (coalesce(a.after, a.before) ->> 'update_id')::uuid IN (?))
		OR (a.entity_type = 'progress_update' AND a.entity_id IN (?) AND a.after ->> 'state' IN ('approved', 'superseded'))`,
		measureID, measureID, ownUpdates, ownUpdates, visible)
	return auditPage(q, page)
}

// VerifyAudit re-walks the audit chain: every link's hash must be what its content and the
// previous hash give, and every link must name the previous link's hash. It says where the
// chain first breaks, not what that means: the service words the problems.
func (db *DB) VerifyAudit(ctx context.Context) (nap.AuditVerification, error) {
	rows, err := db.conn(ctx).Raw(`SELECT seq, hash, audit_hash(a) = hash AS intact,
			prev_hash = coalesce(lag(hash) OVER (ORDER BY seq), repeat('0', 64)) AS linked
		FROM audit_events a ORDER BY seq`).Rows()
	if err != nil {
		return nap.AuditVerification{}, err
	}
	defer rows.Close()
	var v nap.AuditVerification
	for rows.Next() {
		var seq int64
		var hash string
		var intact, linked bool
		if err := rows.Scan(&seq, &hash, &intact, &linked); err != nil {
			return nap.AuditVerification{}, err
		}
		v.Events++
		v.Head = hash
		if (!intact || !linked) && v.FirstInvalidSeq == nil {
			v.FirstInvalidSeq = &seq
		}
	}
	return v, rows.Err()
}

// editorsIn selects who caused the events in table, the chain (audit_events) or its queue
// (audit_staged), which have the same columns, that changed the content, values or evidence
// of the update @update: each kind by an index on the update.
func editorsIn(table string) string {
	return `SELECT a.actor_id FROM ` + table + ` a
		WHERE a.entity_type IN ('progress_update', 'indicator_value') AND a.entity_id = @update
			AND a.action IN ('progress_update.insert', 'progress_update.update', 'indicator_value.insert',
				'indicator_value.update', 'indicator_value.delete')
		UNION ALL
		SELECT a.actor_id FROM ` + table + ` a
		WHERE a.entity_type = 'evidence' AND coalesce(a.after, a.before) ->> 'update_id' = @update`
}

// editedUpdate asks whether @user is among the editors of @update; the editors are collected
// first (ARRAY), so that the user's id never becomes an index condition.
var editedUpdate = `SELECT coalesce(@user = ANY (ARRAY(` + editorsIn("audit_events") + `
	UNION ALL ` + editorsIn("audit_staged") + `)), false)`

// EditedUpdate reports whether the user ever wrote or changed a progress update's content,
// its values or its evidence, as the audit trail records it: in the chain, or staged by a
// committed transaction and not yet linked. One statement reads both, so each event counts
// once, wherever a linking pass has put it; the check need not wait for a pass. The editors
// are read off the update's own events, by indexes on the update, never off the user's, whose
// history grows without bound.
func (db *DB) EditedUpdate(ctx context.Context, userID, updateID string) (bool, error) {
	var edited bool
	err := db.conn(ctx).Raw(editedUpdate, map[string]any{"user": userID, "update": updateID}).Scan(&edited).Error
	return edited, err
}
