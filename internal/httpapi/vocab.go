package httpapi

import (
	"maps"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// The vocabularies the API shares between fields, bodies and query parameters. Each is one
// named schema in components/schemas that every use refers to, so an SDK generator makes one
// type of it rather than one per field; its values come from internal/nap, so the document
// cannot drift from what the service accepts. The JSON is a plain string either way.

// ImplementationStatus is where a measure stands; see nap.Status.
type ImplementationStatus string

// Schema names the vocabulary.
func (ImplementationStatus) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "ImplementationStatus", "Where a measure stands: as its latest approved progress update "+
		"reports, no_information until there is one. Implemented and cancelled measures are never overdue.",
		nap.Statuses)
}

// ReportedStatus is a status a progress update may propose: any but the derived
// no_information.
type ReportedStatus string

// Schema names the vocabulary.
func (ReportedStatus) Schema(r huma.Registry) *huma.Schema {
	reported := slices.DeleteFunc(slices.Clone(nap.Statuses), func(s nap.Status) bool { return s == nap.NoInformation })
	return namedEnum(r, "ReportedStatus", "The status a progress update reports for its measure: an "+
		"ImplementationStatus other than no_information, which only the absence of approved updates means.", reported)
}

// UpdateState is where a progress update stands in its review; see nap.UpdateState.
type UpdateState string

// Schema names the vocabulary.
func (UpdateState) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "UpdateState", "Where a progress update stands in its review. superseded: approved, "+
		"then replaced by an approved correction.", nap.UpdateStates)
}

// ReviewAction is a step of a progress update's review; see nap.ReviewAction.
type ReviewAction string

// Schema names the vocabulary.
func (ReviewAction) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "ReviewAction", "A step of a progress update's review; return and reject need a reason.",
		nap.ReviewActions)
}

// Visibility is who may read an approved update or a piece of evidence; see nap.Visibility.
type Visibility string

// Schema names the vocabulary.
func (Visibility) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "Visibility", "Who beyond the reporting organization reads it once its update is "+
		"approved. internal: the organization and the coordinating bodies only; partners: also partners and "+
		"every state body; public: everyone. A request that omits it means internal.", nap.Visibilities)
}

// Provenance says how far public sources support an item of reference data.
type Provenance string

// Schema names the vocabulary.
func (Provenance) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "Provenance", "How far public sources support an item of reference data. sourced: a "+
		"public document supports it; partly_sourced: the action is documented but details (timing, targets, "+
		"its place in the plan) are not; illustrative: a placeholder, not a fact. A request that omits it means "+
		"sourced.", nap.Provenances)
}

// EvidenceKind is what a piece of evidence is.
type EvidenceKind string

// Schema names the vocabulary.
func (EvidenceKind) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "EvidenceKind", "What a piece of evidence is.", nap.EvidenceKinds)
}

// EvidenceLanguage is the language a piece of evidence is in.
type EvidenceLanguage string

// Schema names the vocabulary.
func (EvidenceLanguage) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "EvidenceLanguage", "The language a piece of evidence is in: Tajik, Russian, English, "+
		"or another.", nap.EvidenceLanguages)
}

// ExportFormat is the file format of an export.
type ExportFormat string

// Schema names the vocabulary.
func (ExportFormat) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "ExportFormat", "The file format of an export: csv, RFC 4180 in UTF-8; xlsx, an Office Open XML "+
		"workbook with the table and a sheet about it.", []string{"csv", "xlsx"})
}

// Language is a language the API's texts are written in.
type Language string

// Schema names the vocabulary.
func (Language) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "Language", "A language the texts are written in: en English, ru Russian, tg Tajik.",
		slices.Sorted(maps.Keys(nap.Languages)))
}

// Role is what a user may do, globally or in one organization; see nap.Role.
type Role string

// Schema names the vocabulary.
func (Role) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "Role", "What a user may do. Global roles: admin, coordinator, auditor, partner; "+
		"roles in one organization: approver (signs its updates off), focal_point (drafts and submits them), "+
		"viewer (reads them).", nap.Roles)
}

// PlanStatus is the life-cycle stage of a plan.
type PlanStatus string

// Schema names the vocabulary.
func (PlanStatus) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "PlanStatus", "The life-cycle stage of a plan.", nap.PlanStatuses)
}

// PeriodState says whether a reporting period takes updates.
type PeriodState string

// Schema names the vocabulary.
func (PeriodState) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "PeriodState", "Whether a reporting period takes new progress updates: a locked one "+
		"does not.", nap.PeriodStates)
}

// ReportState is where an organization's report on a measure for a period stands; see
// nap.ReportState.
type ReportState string

// Schema names the vocabulary.
func (ReportState) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "ReportState", "Where an organization's report on a measure for a reporting period stands: "+
		"missing until it drafts one (or after it withdraws it), then as its latest progress update stands; approved once "+
		"one is approved.", nap.ReportStates)
}

// ImportAction is what an import does with a row; see nap.ImportAction.
type ImportAction string

// Schema names the vocabulary.
func (ImportAction) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "ImportAction", "What an import does with a row: create drafts a new update, update edits "+
		"the organization's draft, unchanged says what the matrix says already, error is refused.", nap.ImportActions)
}

// NotificationKind is what a notification tells; see nap.NotificationKind.
type NotificationKind string

// Schema names the vocabulary.
func (NotificationKind) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "NotificationKind", "What a notification tells: reminder and overdue, of a submission "+
		"deadline to an organization's focal points; sign_off_needed and review_needed, of an update awaiting a step; "+
		"returned, rejected and approved, to the update's author; digest, the coordinators' weekly summary.",
		nap.NotificationKinds)
}

// NotificationState is how sending a notification went.
type NotificationState string

// Schema names the vocabulary.
func (NotificationState) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "NotificationState", "pending: to be sent (again); sent; failed: given up after repeated "+
		"failures.", nap.NotificationStates)
}

// OrganizationKind is what kind of body an organization is.
type OrganizationKind string

// Schema names the vocabulary.
func (OrganizationKind) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "OrganizationKind", "What kind of body an organization is. nhri: a national human "+
		"rights institution.", nap.OrganizationKinds)
}

// IndicatorKind is what an indicator's reported value is.
type IndicatorKind string

// Schema names the vocabulary.
func (IndicatorKind) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "IndicatorKind", "What a reported value of an indicator is: a number, a percentage, "+
		"whether a milestone is reached (0 or 1), or text.", nap.IndicatorKinds)
}

// Disaggregation is a dimension an indicator's values are broken down by.
type Disaggregation string

// Schema names the vocabulary.
func (Disaggregation) Schema(r huma.Registry) *huma.Schema {
	return namedEnum(r, "Disaggregation", "A dimension an indicator's reported values are broken down by.",
		nap.Disaggregations)
}

// refParamsAlone leaves a parameter's reference to a named schema without siblings, which
// OpenAPI 3.0 ignores and its linters refuse: the description stays on the parameter, and
// a default moves to an allOf around the reference. Validation keeps the schemas huma made.
func refParamsAlone(api huma.API) {
	for _, item := range api.OpenAPI().Paths {
		for _, op := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if op == nil {
				continue
			}
			for i, p := range op.Parameters {
				if p.Schema == nil || p.Schema.Ref == "" {
					continue
				}
				alone := &huma.Schema{Ref: p.Schema.Ref}
				if p.Schema.Default != nil {
					alone = &huma.Schema{AllOf: []*huma.Schema{alone}, Default: p.Schema.Default}
				}
				if p.Description == "" {
					p.Description = p.Schema.Description
				}
				op.Parameters[i].Schema = alone
			}
		}
	}
}

// schemaPrefix is where config's registry keeps named schemas.
const schemaPrefix = "#/components/schemas/"

// namedEnum registers the string schema name with values in r, once, and returns a reference
// to it. Huma resolves the reference when it validates, so an unknown value is still a 422
// that names the field.
func namedEnum[T ~string](r huma.Registry, name, description string, values []T) *huma.Schema {
	if _, ok := r.Map()[name]; !ok {
		enum := make([]any, len(values))
		for i, v := range values {
			enum[i] = string(v)
		}
		s := &huma.Schema{Type: huma.TypeString, Description: description, Enum: enum}
		s.PrecomputeMessages()
		r.Map()[name] = s
	}
	return &huma.Schema{Ref: schemaPrefix + name}
}

// stringsAs converts a list of one string type to another.
func stringsAs[To, From ~string](from []From) []To {
	out := make([]To, len(from))
	for i, f := range from {
		out[i] = To(f)
	}
	return out
}
