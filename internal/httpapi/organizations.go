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
	Code      string  `json:"code" example:"MS" doc:"Unique short code"`
	Kind      string  `json:"kind" enum:"ministry,agency,coordinating_body,nhri,local_government,ngo,international_org"`
	Name      Text    `json:"name"`
	Parent    string  `json:"parent,omitempty" doc:"Code of the parent organization"`
	Successor string  `json:"successor,omitempty" doc:"Code of the organization that took over its mandate"`
	Active    bool    `json:"active"`
	ValidFrom *string `json:"valid_from,omitempty" format:"date"`
	ValidTo   *string `json:"valid_to,omitempty" format:"date"`
	Source
}

func toOrganization(o nap.Organization) Organization {
	return Organization{
		Meta: toMeta(o.Meta), Code: o.Code, Kind: o.Kind, Name: toText(o.Name),
		Parent: o.Parent, Successor: o.Successor, Active: o.Active,
		ValidFrom: optionalDate(o.ValidFrom), ValidTo: optionalDate(o.ValidTo), Source: toSource(o.Source),
	}
}

// GetOrganizationInput names one organization.
type GetOrganizationInput struct {
	Code string `path:"code" maxLength:"32" example:"MS" doc:"Organization code"`
}

// GetOrganizationOutput is one organization.
type GetOrganizationOutput struct {
	Body Organization
}

func registerOrganizations(api huma.API, d Deps) {
	huma.Register(api, huma.Operation{
		OperationID: "list-organizations",
		Method:      http.MethodGet,
		Path:        "/organizations",
		Summary:     "List organizations",
		Description: "State bodies and partners, in code order, with their names in every language and their predecessors and successors.",
		Tags:        []string{tagOrganizations},
		Security:    publicRead,
		Errors:      []int{http.StatusUnprocessableEntity, internalError},
	}, func(ctx context.Context, in *PageParams) (*PageOutput[Organization], error) {
		p, err := d.Service.ListOrganizations(ctx, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, toOrganization), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "get-organization",
		Method:      http.MethodGet,
		Path:        "/organizations/{code}",
		Summary:     "Get an organization",
		Description: "One organization by its code.",
		Tags:        []string{tagOrganizations},
		Security:    publicRead,
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, func(ctx context.Context, in *GetOrganizationInput) (*GetOrganizationOutput, error) {
		o, err := d.Service.GetOrganization(ctx, in.Code)
		if err != nil {
			return nil, err
		}
		return &GetOrganizationOutput{Body: toOrganization(o)}, nil
	})
}
