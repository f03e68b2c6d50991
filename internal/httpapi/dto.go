package httpapi

import (
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// Text is multilingual text; a missing language is absent.
type Text struct {
	Tg string `json:"tg,omitempty" maxLength:"20000" doc:"Tajik"`
	Ru string `json:"ru,omitempty" maxLength:"20000" doc:"Russian"`
	En string `json:"en,omitempty" maxLength:"20000" doc:"English"`
}

func toText(t nap.Text) Text { return Text{Tg: t["tg"], Ru: t["ru"], En: t["en"]} }

// TextInput is multilingual text as a request gives it: at least one language, and no
// language blank. To empty an optional text, name it in the request's clear.
type TextInput Text

// Schema is Text's, with those rules.
func (TextInput) Schema(r huma.Registry) *huma.Schema {
	const name = "TextInput"
	if _, ok := r.Map()[name]; !ok {
		text := *r.Schema(reflect.TypeFor[Text](), false, "")
		text.Description = "Text in at least one of Tajik (tg), Russian (ru) and English (en); none blank."
		text.MinProperties = ptr(1)
		text.Properties = maps.Clone(text.Properties)
		for lang, p := range text.Properties {
			nonBlank := *p
			nonBlank.MinLength, nonBlank.Pattern = ptr(1), `\S`
			nonBlank.PrecomputeMessages()
			text.Properties[lang] = &nonBlank
		}
		text.PrecomputeMessages()
		r.Map()[name] = &text
	}
	return &huma.Schema{Ref: schemaPrefix + name}
}

// Meta are the fields every stored object has.
type Meta struct {
	ID        string    `json:"id" format:"uuid" doc:"Stable identifier"`
	Version   int       `json:"version" minimum:"1" doc:"Increases by one with every change; the ETag of the object"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func toMeta(m nap.Meta) Meta {
	return Meta{ID: m.ID, Version: m.Version, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

// Source says how far public sources support an item of reference data.
type Source struct {
	Provenance     Provenance `json:"provenance"`
	ProvenanceNote string     `json:"provenance_note" doc:"What supports the item, or what is unverified"`
}

func toSource(s nap.Source) Source {
	return Source{Provenance: Provenance(s.Provenance), ProvenanceNote: s.Note}
}

// date writes a date as YYYY-MM-DD.
func date(t time.Time) string { return t.Format(nap.DateLayout) }

// optionalDate writes a date that may be missing.
func optionalDate(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := date(*t)
	return &s
}

// parseDate reads a date the schema has already checked, and "" as no date.
func parseDate(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(nap.DateLayout, s)
	if err != nil {
		return nil, nap.Errorf(nap.EINVALID, "%q is not a date of the form 2006-01-02", s)
	}
	return &t, nil
}

// PageParams are the query parameters of every list.
type PageParams struct {
	Limit  int    `query:"limit" default:"50" minimum:"1" maximum:"500" doc:"Largest number of items to return"`
	Cursor string `query:"cursor" maxLength:"512" doc:"The next_cursor of the previous page; omit for the first page"`
}

func (p PageParams) request() nap.PageRequest {
	return nap.PageRequest{Limit: p.Limit, Cursor: p.Cursor}
}

// OptionalBool is a boolean query parameter that may be absent, which filters nothing.
type OptionalBool struct {
	Value bool
	IsSet bool
}

// Receiver is where huma parses the parameter.
func (o *OptionalBool) Receiver() reflect.Value { return reflect.ValueOf(o).Elem().Field(0) }

// OnParamSet records whether the request gave the parameter.
func (o *OptionalBool) OnParamSet(isSet bool, _ any) { o.IsSet = isSet }

// Schema is a plain boolean: the wrapper is not the API's business.
func (OptionalBool) Schema(huma.Registry) *huma.Schema { return &huma.Schema{Type: huma.TypeBoolean} }

// ptr returns the value, or nil when the request did not give one.
func (o OptionalBool) ptr() *bool {
	if !o.IsSet {
		return nil
	}
	return &o.Value
}

// Page is one page of a list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page"`
}

// List is a whole list, when it is short enough to need no pages.
type List[T any] struct {
	Items []T `json:"items"`
}

// PageOutput is the response of every list operation.
type PageOutput[T any] struct {
	Body Page[T]
}

// pageOutput converts a page of domain objects.
func pageOutput[N, T any](p nap.Page[N], f func(N) T) *PageOutput[T] {
	return &PageOutput[T]{Body: Page[T]{Items: convert(p.Items, f), NextCursor: p.Next}}
}

// nonNil keeps a list a list in JSON: an empty slice, never null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// fromText reads multilingual text from a request; the languages it does not give are absent.
func fromText(t *TextInput) *nap.Text {
	if t == nil {
		return nil
	}
	out := nap.Text{}
	for k, v := range map[string]string{"tg": t.Tg, "ru": t.Ru, "en": t.En} {
		if v != "" {
			out[k] = v
		}
	}
	return &out
}

// clearTexts empties the texts that clear names, and returns the rest of clear.
func clearTexts(clear []string, texts map[string]**nap.Text) []string {
	var rest []string
	for _, name := range clear {
		if t, ok := texts[name]; ok {
			*t = &nap.Text{}
			continue
		}
		rest = append(rest, name)
	}
	return rest
}

// creating registers, once, the schema of the body that creates an object whose changes F
// describes: F's fields and those of only, the fields named required, and nothing to clear.
func creating[F any](r huma.Registry, name string, only map[string]*huma.Schema, required ...string) *huma.Schema {
	if _, ok := r.Map()[name]; !ok {
		s := *r.Schema(reflect.TypeFor[F](), false, "")
		s.Properties = maps.Clone(s.Properties)
		delete(s.Properties, "clear")
		maps.Copy(s.Properties, only)
		s.Required = slices.Sorted(slices.Values(required))
		s.PrecomputeMessages()
		r.Map()[name] = &s
	}
	return &huma.Schema{Ref: schemaPrefix + name}
}

// Article is an article of the Migrant Workers Convention (ICRMW), 1 to 93.
type Article int

// Schema bounds it.
func (Article) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeInteger, Minimum: ptr(1.0), Maximum: ptr(93.0), Description: "An article of the ICRMW, 1 to 93"}
}

// dates reads the optional dates of a request, naming the first malformed one.
func dates(fields map[string]*string) (map[string]*time.Time, error) {
	out := make(map[string]*time.Time, len(fields))
	for name, s := range fields {
		if s == nil {
			continue
		}
		t, err := parseDate(*s)
		if err != nil {
			return nil, nap.Errorf(nap.EINVALID, "%s: %s", name, nap.ErrorMessage(err))
		}
		out[name] = t
	}
	return out, nil
}

// provenance reads an optional provenance.
func provenance(s *Provenance) *nap.Provenance {
	if s == nil {
		return nil
	}
	p := nap.Provenance(*s)
	return &p
}

// SourceFields set the provenance of reference data; both default to a sourced item.
type SourceFields struct {
	Provenance     *Provenance `json:"provenance,omitempty"`
	ProvenanceNote *string     `json:"provenance_note,omitempty" maxLength:"2000" doc:"What supports the item, or what is unverified"`
}
