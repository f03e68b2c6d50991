package postgres

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

// RowMeta holds the columns every table has. Its type is exported because gorm fills only
// exported embedded structs.
type RowMeta struct {
	ID        string
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (r RowMeta) rowID() string   { return r.ID }
func (r RowMeta) toNap() nap.Meta { return nap.Meta(r) }

// RowSource holds the provenance columns of reference data.
type RowSource struct {
	Provenance     string
	ProvenanceNote string
}

func (r RowSource) toNap() nap.Source {
	return nap.Source{Provenance: nap.Provenance(r.Provenance), Note: r.ProvenanceNote}
}

type organizationRow struct {
	RowMeta
	RowSource
	Code      string
	Kind      string
	Name      jsonOf[nap.Text]
	Parent    string
	Successor string
	Active    bool
	ValidFrom *time.Time
	ValidTo   *time.Time
}

func (r organizationRow) sortKey() string { return r.Code }

func (r organizationRow) toNap() nap.Organization {
	return nap.Organization{
		Meta: r.RowMeta.toNap(), Code: r.Code, Kind: r.Kind, Name: r.Name.V,
		Parent: r.Parent, Successor: r.Successor, Active: r.Active,
		ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, Source: r.RowSource.toNap(),
	}
}

func (db *DB) organizations(ctx context.Context) *gorm.DB {
	return db.conn(ctx).Table("organizations o").
		Select(`o.id, o.version, o.created_at, o.updated_at, o.provenance, o.provenance_note,
			o.code, o.kind, o.name, o.active, o.valid_from, o.valid_to,
			coalesce(parent.code, '') AS parent, coalesce(successor.code, '') AS successor`).
		Joins("LEFT JOIN organizations parent ON parent.id = o.parent_id").
		Joins("LEFT JOIN organizations successor ON successor.id = o.successor_id")
}

// ListOrganizations returns a page of organizations in code order.
func (db *DB) ListOrganizations(ctx context.Context, page nap.PageRequest) (nap.Page[nap.Organization], error) {
	q, err := paginate(db.organizations(ctx), "o.code", "o.id", page)
	if err != nil {
		return nap.Page[nap.Organization]{}, err
	}
	var rows []organizationRow
	if err := q.Scan(&rows).Error; err != nil {
		return nap.Page[nap.Organization]{}, err
	}
	return pageOf(rows, page.Limit, organizationRow.toNap), nil
}

// GetOrganization returns the organization with the given code.
func (db *DB) GetOrganization(ctx context.Context, code string) (nap.Organization, error) {
	var row organizationRow
	err := db.organizations(ctx).Where("o.code = ?", code).Take(&row).Error
	if err != nil {
		return nap.Organization{}, notFound(err, "organization "+code)
	}
	return row.toNap(), nil
}
