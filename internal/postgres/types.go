package postgres

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
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
