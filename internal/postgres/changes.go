package postgres

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

// ChangesChannel is the notification channel on which committed changes are announced, once
// their audit events are linked (audit_link, migration 00018).
const ChangesChannel = "naptracker_changes"

// ListChanges returns, oldest first, at most limit changes after the change after (0: from
// the start) that scope may see. Only changes of transactions older than every transaction of
// this database still running are read: a change committed later can never fall behind the
// cursor, so a reader that follows Next misses none and sees nothing uncommitted.
func (db *DB) ListChanges(ctx context.Context, scope nap.Scope, after int64, limit int) (nap.ChangePage, error) {
	q := db.changes(ctx, scope, after).Select("c.id, c.at, c.entity_type, c.entity_id, c.op")
	if after > 0 {
		var known int64
		if err := db.conn(ctx).Table("changes").Where("id = ?", after).Count(&known).Error; err != nil {
			return nap.ChangePage{}, err
		}
		if known == 0 {
			return nap.ChangePage{}, unknownChange(after)
		}
	}
	var rows []struct {
		ID         int64
		At         time.Time
		EntityType string
		EntityID   string
		Op         string
	}
	if err := q.Order("c.xid, c.id").Limit(limit + 1).Scan(&rows).Error; err != nil {
		return nap.ChangePage{}, err
	}
	p := nap.ChangePage{Next: after, More: len(rows) > limit}
	if p.More {
		rows = rows[:limit]
	}
	p.Items = make([]nap.Change, len(rows))
	for i, r := range rows {
		p.Items[i] = nap.Change(r)
		p.Next = r.ID
	}
	return p, nil
}

// changes reads the changes c after the change after that scope may see, in the order of
// the feed, (c.xid, c.id), once ordered.
func (db *DB) changes(ctx context.Context, scope nap.Scope, after int64) *gorm.DB {
	q := db.conn(ctx).Table("changes c").Where("c.xid < (SELECT feed_horizon())")
	if after > 0 {
		q = q.Where("(c.xid, c.id) > (SELECT xid, id FROM changes WHERE id = ?)", after)
	}
	if !scope.AllOrganizations {
		// Internal changes: an organization's, to those who read its updates; of no
		// organization (a plan in draft), to those who read drafts.
		cond := `c.visibility IN ? OR (c.visibility = 'internal' AND c.organization_id IN ?)`
		if scope.DraftPlans {
			cond += ` OR (c.visibility = 'internal' AND c.organization_id IS NULL)`
		}
		q = q.Where("("+cond+")", publishedTo(scope), orgsOrNone(scope))
	}
	return q
}

// unknownChange is the error of a feed read after a change the feed never had.
func unknownChange(after int64) error {
	return nap.Errorf(nap.EINVALID, "after: no change %d; resume from a change this feed returned", after)
}
