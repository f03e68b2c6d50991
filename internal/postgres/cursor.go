package postgres

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

// Lists are paged by keyset: every list is ordered by a sort key and then the id, and a
// cursor holds the last row's pair. A walk therefore never repeats or skips a row that
// existed when it began, even while rows are added.

type cursor struct {
	Key string `json:"k"`
	ID  string `json:"i"`
}

func encodeCursor(key, id string) string {
	b, _ := json.Marshal(cursor{Key: key, ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	var id uuid.UUID
	if err == nil {
		id, err = uuid.Parse(c.ID)
	}
	if err != nil || !utf8.ValidString(c.Key) || strings.ContainsRune(c.Key, 0) {
		return cursor{}, nap.Errorf(nap.EINVALID, "cursor is not one this API returned")
	}
	c.ID = id.String()
	return c, nil
}

// paginate orders q by (keyExpr, idExpr), starts it after the cursor in req, and fetches one
// row more than the page holds, to tell whether another page follows.
func paginate(q *gorm.DB, keyExpr, idExpr string, req nap.PageRequest) (*gorm.DB, error) {
	if req.Cursor != "" {
		c, err := decodeCursor(req.Cursor)
		if err != nil {
			return nil, err
		}
		q = q.Where("("+keyExpr+", "+idExpr+") > (?, ?::uuid)", c.Key, c.ID)
	}
	return q.Order(keyExpr + ", " + idExpr).Limit(req.Limit + 1), nil
}

// keyed is a row that can name its place in a keyset order.
type keyed interface {
	sortKey() string
	rowID() string
}

// pageOf converts the rows a paginated query returned into a page of at most limit items.
func pageOf[R keyed, T any](rows []R, limit int, convert func(R) T) nap.Page[T] {
	var p nap.Page[T]
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		p.Next = encodeCursor(last.sortKey(), last.rowID())
	}
	p.Items = make([]T, len(rows))
	for i, r := range rows {
		p.Items[i] = convert(r)
	}
	return p
}
