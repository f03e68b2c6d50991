package postgres

import (
	"context"
	"time"
)

// FeedLag is how far the change feed holds committed changes back: a change is listed only
// once every transaction that began before it has ended (ListChanges), so a long transaction
// delays every change committed after it began.
type FeedLag struct {
	// Held is the number of committed changes the feed cannot list yet.
	Held int64
	// Oldest is how long ago the oldest of them was made; 0 when none is held.
	Oldest time.Duration
}

// FeedLag reads, on the primary, how far the change feed holds committed changes back now.
func (db *DB) FeedLag(ctx context.Context) (FeedLag, error) {
	var row struct {
		Held    int64
		Seconds float64
	}
	err := db.gorm.WithContext(ctx).Raw(`SELECT count(*) AS held, coalesce(extract(epoch FROM now() - min(at)), 0)::float8 AS seconds
		FROM changes WHERE xid >= (SELECT feed_horizon())`).Scan(&row).Error
	return FeedLag{Held: row.Held, Oldest: time.Duration(row.Seconds * float64(time.Second))}, err
}
