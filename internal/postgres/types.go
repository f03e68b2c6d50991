package postgres

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/naptracker/naptracker/internal/nap"
)

// jsonOf scans a json or jsonb column into a T and writes a T as JSON. Queries select
// arrays and aggregates as JSON too (to_jsonb, jsonb_agg), so one scanner serves them all.
type jsonOf[T any] struct{ V T }

func (j *jsonOf[T]) Scan(src any) error {
	switch s := src.(type) {
	case nil:
		var zero T
		j.V = zero
		return nil
	case []byte:
		return json.Unmarshal(s, &j.V)
	case string:
		return json.Unmarshal([]byte(s), &j.V)
	default:
		return fmt.Errorf("scan %T into JSON", src)
	}
}

func (j jsonOf[T]) Value() (driver.Value, error) {
	b, err := json.Marshal(j.V)
	return string(b), err
}

// Text writes multilingual text as a JSON object argument; nil as an empty object.
func Text(t nap.Text) driver.Valuer {
	if t == nil {
		t = nap.Text{}
	}
	return jsonOf[nap.Text]{V: t}
}

// TextArray is a []string argument for a text[] parameter. pgx encodes it as an array
// (ArrayGetter), without formatting and parsing a literal; Value, the literal, makes gorm pass
// it whole instead of expanding a slice into a list of parameters.
type TextArray []string

func (a TextArray) Value() (driver.Value, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		_, _ = arrayElement.WriteString(&b, s)
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String(), nil
}

func (a TextArray) Dimensions() []pgtype.ArrayDimension {
	return pgtype.FlatArray[string](a).Dimensions()
}
func (a TextArray) Index(i int) any { return a[i] }
func (a TextArray) IndexType() any  { return "" }

// arrayElement escapes a quoted element of an array literal.
var arrayElement = strings.NewReplacer(`\`, `\\`, `"`, `\"`)

// IntArray writes a []int as a PostgreSQL array literal.
type IntArray []int

func (a IntArray) Value() (driver.Value, error) {
	parts := make([]string, len(a))
	for i, n := range a {
		parts[i] = strconv.Itoa(n)
	}
	return "{" + strings.Join(parts, ",") + "}", nil
}
