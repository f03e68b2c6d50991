package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// Organization is a state body or a partner.
type Organization struct {
	Meta
	Code      string           `json:"code" example:"MS" doc:"Unique short code"`
	Kind      OrganizationKind `json:"kind"`
	Name      Text             `json:"name"`
	Parent    string           `json:"parent,omitempty" doc:"Code of the parent organization"`
	Successor string           `json:"successor,omitempty" doc:"Code of the organization that took over its mandate"`
	Active    bool             `json:"active"`
	ValidFrom *string          `json:"valid_from,omitempty" format:"date"`
	ValidTo   *string          `json:"valid_to,omitempty" format:"date"`
	Source
}

func toOrganization(o nap.Organization) Organization {
	return Organization{
		Meta: toMeta(o.Meta), Code: o.Code, Kind: OrganizationKind(o.Kind), Name: toText(o.Name),
		Parent: o.Parent, Successor: o.Successor, Active: o.Active,
		ValidFrom: optionalDate(o.ValidFrom), ValidTo: optionalDate(o.ValidTo), Source: toSource(o.Source),
	}
}

// GetOrganizationInput names one organization.
type GetOrganizationInput struct {
	Code string `path:"code" pattern:"^[A-Z][A-Z0-9-]{0,31}$" example:"MS" doc:"Organization code"`
}

// GetOrganizationOutput is one organization.
type GetOrganizationOutput struct {
	ETag string `header:"ETag"`
	Body Organization
}

func registerOrganizations(api huma.API, d Deps) {
	register(api, d, huma.Operation{
		OperationID: "list-organizations",
		Method:      http.MethodGet,
		Path:        "/organizations",
		Summary:     "List organizations",
		Description: "State bodies and partners, in code order, with their names in every language and their predecessors and successors.",
		Tags:        []string{tagOrganizations},
		Errors:      []int{http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *PageParams) (*PageOutput[Organization], error) {
		p, err := d.Service.ListOrganizations(ctx, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, toOrganization), nil
	})

	register(api, d, huma.Operation{
		OperationID: "get-organization",
		Method:      http.MethodGet,
		Path:        "/organizations/{code}",
		Summary:     "Get an organization",
		Description: "One organization by its code; 404 when there is none.",
		Tags:        []string{tagOrganizations},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *GetOrganizationInput) (*GetOrganizationOutput, error) {
		o, err := d.Service.GetOrganization(ctx, in.Code)
		if err != nil {
			return nil, err
		}
		return organizationOutput(o), nil
	})

	registerOrganizationWrites(api, d)
}

// OrganizationFields are the fields of an organization a request changes.
type OrganizationFields struct {
	Code      *string           `json:"code,omitempty" pattern:"^[A-Z][A-Z0-9-]{0,31}$" example:"AEA"`
	Kind      *OrganizationKind `json:"kind,omitempty"`
	Name      *TextInput        `json:"name,omitempty"`
	Parent    *string           `json:"parent,omitempty" pattern:"^([A-Z][A-Z0-9-]{0,31})?$" doc:"Code of the parent organization; empty for none"`
	Successor *string           `json:"successor,omitempty" pattern:"^([A-Z][A-Z0-9-]{0,31})?$" doc:"Code of the successor organization; empty for none"`
	Active    *bool             `json:"active,omitempty"`
	ValidFrom *string           `json:"valid_from,omitempty" format:"date"`
	ValidTo   *string           `json:"valid_to,omitempty" format:"date"`
	SourceFields
	Clear []string `json:"clear,omitempty" enum:"parent,successor,valid_from,valid_to" uniqueItems:"true" doc:"Fields to empty"`
}

func (f OrganizationFields) change() (nap.OrganizationChange, error) {
	d, err := dates(map[string]*string{"valid_from": f.ValidFrom, "valid_to": f.ValidTo})
	return nap.OrganizationChange{
		Code: f.Code, Kind: (*string)(f.Kind), Name: fromText(f.Name), Parent: f.Parent, Successor: f.Successor,
		Active: f.Active, ValidFrom: d["valid_from"], ValidTo: d["valid_to"],
		Provenance: provenance(f.Provenance), ProvenanceNote: f.ProvenanceNote, Clear: f.Clear,
	}, err
}

// NewOrganization is an organization to create: code, kind and name are required.
type NewOrganization struct{ OrganizationFields }

// Schema requires what a new organization needs.
func (NewOrganization) Schema(r huma.Registry) *huma.Schema {
	return creating[OrganizationFields](r, "NewOrganization", nil, "code", "kind", "name")
}

// CreateOrganizationInput is a new organization.
type CreateOrganizationInput struct {
	Body NewOrganization
}

// UpdateOrganizationInput changes an organization.
type UpdateOrganizationInput struct {
	GetOrganizationInput
	IfMatch
	Body OrganizationFields
}

// organizationOutput answers with an organization and its ETag.
func organizationOutput(o nap.Organization) *GetOrganizationOutput {
	return &GetOrganizationOutput{ETag: etag(o.Version), Body: toOrganization(o)}
}

func registerOrganizationWrites(api huma.API, d Deps) {
	register(api, d, huma.Operation{
		OperationID:   "create-organization",
		RequestBody:   withExample(exampleOrganization),
		Method:        http.MethodPost,
		Path:          "/organizations",
		Summary:       "Create an organization",
		Description:   "Adds a state body or partner. code, kind and name are required.",
		Tags:          []string{tagOrganizations},
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusConflict, http.StatusUnprocessableEntity, internalError},
	}, access{permission: nap.CreateOrganization}, func(ctx context.Context, in *CreateOrganizationInput) (*GetOrganizationOutput, error) {
		return apply(in.Body, func(ch nap.OrganizationChange) (nap.Organization, error) {
			return d.Service.CreateOrganization(ctx, ch)
		}, organizationOutput)
	})

	register(api, d, huma.Operation{
		OperationID: "update-organization",
		RequestBody: withExample(exampleOrganizationChange),
		Method:      http.MethodPatch,
		Path:        "/organizations/{code}",
		Summary:     "Change an organization",
		Description: "Changes the fields sent, if the organization is still at the version If-Match names.",
		Tags:        []string{tagOrganizations},
		Errors:      changeErrors(),
	}, access{permission: nap.UpdateOrganization, domains: func(ctx huma.Context) ([]string, error) {
		o, err := d.Service.GetOrganization(ctx.Context(), ctx.Param("code"))
		return []string{nap.OrganizationDomain(o.ID)}, err
	}}, func(ctx context.Context, in *UpdateOrganizationInput) (*GetOrganizationOutput, error) {
		v, err := in.version(current(ctx, d.Service.GetOrganization, in.Code))
		if err != nil {
			return nil, err
		}
		return apply(in.Body, func(ch nap.OrganizationChange) (nap.Organization, error) {
			return d.Service.UpdateOrganization(ctx, in.Code, v, ch)
		}, organizationOutput)
	})
}
