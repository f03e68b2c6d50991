package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

type sourceDocumentRow struct {
	RowMeta
	RowSource
	Symbol    string
	Mechanism string
	Title     jsonOf[nap.Text]
	AdoptedOn *time.Time
	URL       string
}

func (r sourceDocumentRow) sortKey() string { return r.Symbol }

func (r sourceDocumentRow) toNap() nap.SourceDocument {
	return nap.SourceDocument{
		Meta: r.RowMeta.toNap(), Symbol: r.Symbol, Mechanism: r.Mechanism, Title: r.Title.V,
		AdoptedOn: r.AdoptedOn, URL: r.URL, Source: r.RowSource.toNap(),
	}
}

// ListSourceDocuments returns a page of source documents in symbol order.
func (db *DB) ListSourceDocuments(ctx context.Context, page nap.PageRequest) (nap.Page[nap.SourceDocument], error) {
	q := db.conn(ctx).Table("source_documents d").
		Select(`d.id, d.version, d.created_at, d.updated_at, d.provenance, d.provenance_note,
			d.symbol, d.mechanism, d.title, d.adopted_on, d.url`)
	q, err := paginate(q, "d.symbol", "d.id", page)
	if err != nil {
		return nap.Page[nap.SourceDocument]{}, err
	}
	var rows []sourceDocumentRow
	if err := q.Scan(&rows).Error; err != nil {
		return nap.Page[nap.SourceDocument]{}, err
	}
	return pageOf(rows, page.Limit, sourceDocumentRow.toNap), nil
}

type recommendationRow struct {
	RowMeta
	RowSource
	Document  string
	Code      string
	Paragraph string
	Section   string
	Themes    jsonOf[[]string]
	Articles  jsonOf[[]int]
	Text      jsonOf[nap.Text]
}

func (r recommendationRow) sortKey() string { return r.Code }

func (r recommendationRow) toNap() nap.Recommendation {
	return nap.Recommendation{
		Meta: r.RowMeta.toNap(), Document: r.Document, Code: r.Code, Paragraph: r.Paragraph,
		Section: r.Section, Themes: r.Themes.V, Articles: r.Articles.V, Text: r.Text.V,
		Source: r.RowSource.toNap(),
	}
}

func (db *DB) recommendations(ctx context.Context) *gorm.DB {
	return db.conn(ctx).Table("recommendations r").
		Select(`r.id, r.version, r.created_at, r.updated_at, r.provenance, r.provenance_note,
			d.symbol AS document, r.code, r.paragraph, r.section,
			to_jsonb(r.themes) AS themes, to_jsonb(r.articles) AS articles, r.text`).
		Joins("JOIN source_documents d ON d.id = r.document_id")
}

// ListRecommendations returns a page of the recommendations that match f, in code order.
func (db *DB) ListRecommendations(ctx context.Context, f nap.RecommendationFilter, page nap.PageRequest) (nap.Page[nap.Recommendation], error) {
	q := db.recommendations(ctx)
	if f.Document != "" {
		q = q.Where("d.symbol = ?", f.Document)
	}
	if f.Article != 0 {
		q = q.Where("r.articles @> ARRAY[?]::smallint[]", f.Article)
	}
	if f.Theme != "" {
		q = q.Where("r.themes @> ARRAY[?]::text[]", f.Theme)
	}
	q, err := paginate(q, "r.code", "r.id", page)
	if err != nil {
		return nap.Page[nap.Recommendation]{}, err
	}
	var rows []recommendationRow
	if err := q.Scan(&rows).Error; err != nil {
		return nap.Page[nap.Recommendation]{}, err
	}
	return pageOf(rows, page.Limit, recommendationRow.toNap), nil
}

// GetRecommendation returns the recommendation with the given id.
func (db *DB) GetRecommendation(ctx context.Context, id string) (nap.Recommendation, error) {
	var row recommendationRow
	err := db.recommendations(ctx).Where("r.id = ?", id).Take(&row).Error
	if err != nil {
		return nap.Recommendation{}, notFound(err, "recommendation")
	}
	return row.toNap(), nil
}

// canonicalUUID returns s in the one form PostgreSQL reads when it is a UUID in any form
// (braces, urn:uuid:), so that a filter can take an id or a code.
func canonicalUUID(s string) (string, bool) {
	id, err := uuid.Parse(s)
	return id.String(), err == nil
}
