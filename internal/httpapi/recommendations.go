package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/naptracker/naptracker/internal/nap"
)

// SourceDocument is a document that makes recommendations.
type SourceDocument struct {
	Meta
	Symbol    string  `json:"symbol" example:"CMW/C/TJK/CO/1"`
	Mechanism string  `json:"mechanism" example:"CMW" doc:"The body or process that issued it"`
	Title     Text    `json:"title"`
	AdoptedOn *string `json:"adopted_on,omitempty" format:"date"`
	URL       string  `json:"url,omitempty" format:"uri"`
	Source
}

func toSourceDocument(s nap.SourceDocument) SourceDocument {
	return SourceDocument{
		Meta: toMeta(s.Meta), Symbol: s.Symbol, Mechanism: s.Mechanism, Title: toText(s.Title),
		AdoptedOn: optionalDate(s.AdoptedOn), URL: s.URL, Source: toSource(s.Source),
	}
}

// Recommendation is one recommendation of a source document.
type Recommendation struct {
	Meta
	Document  string   `json:"document" example:"CMW/C/TJK/CO/1" doc:"Symbol of the source document"`
	Code      string   `json:"code" example:"CO1-R07" doc:"Stable key within the document"`
	Paragraph string   `json:"paragraph" example:"~20-21" doc:"Paragraph of the document; a leading ~ marks a number not yet verified against the text"`
	Section   string   `json:"section"`
	Themes    []string `json:"themes"`
	Articles  []int    `json:"articles" doc:"Articles of the Migrant Workers Convention (ICRMW)"`
	Text      Text     `json:"text"`
	Source
}

func toRecommendation(r nap.Recommendation) Recommendation {
	return Recommendation{
		Meta: toMeta(r.Meta), Document: r.Document, Code: r.Code, Paragraph: r.Paragraph,
		Section: r.Section, Themes: nonNil(r.Themes), Articles: nonNil(r.Articles), Text: toText(r.Text),
		Source: toSource(r.Source),
	}
}

// ListRecommendationsInput filters recommendations.
type ListRecommendationsInput struct {
	PageParams
	Document string `query:"document" maxLength:"64" example:"CMW/C/TJK/CO/1" doc:"Only those of the document with this symbol"`
	Article  int    `query:"article" minimum:"1" maximum:"93" doc:"Only those that cite this ICRMW article"`
	Theme    string `query:"theme" maxLength:"64" example:"trafficking" doc:"Only those with this theme"`
}

// GetRecommendationInput names one recommendation.
type GetRecommendationInput struct {
	ID string `path:"id" format:"uuid" doc:"Recommendation id"`
}

// GetRecommendationOutput is one recommendation.
type GetRecommendationOutput struct {
	Body Recommendation
}

func registerRecommendations(api huma.API, d Deps) {
	register(api, d, huma.Operation{
		OperationID: "list-source-documents",
		Method:      http.MethodGet,
		Path:        "/source-documents",
		Summary:     "List source documents",
		Description: "The documents whose recommendations plans implement, in symbol order.",
		Tags:        []string{tagRecommendations},
		Errors:      []int{http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *PageParams) (*PageOutput[SourceDocument], error) {
		p, err := d.Service.ListSourceDocuments(ctx, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, toSourceDocument), nil
	})

	register(api, d, huma.Operation{
		OperationID: "list-recommendations",
		Method:      http.MethodGet,
		Path:        "/recommendations",
		Summary:     "List recommendations",
		Description: "Recommendations in code order, filtered by document, ICRMW article or theme.",
		Tags:        []string{tagRecommendations},
		Errors:      []int{http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *ListRecommendationsInput) (*PageOutput[Recommendation], error) {
		f := nap.RecommendationFilter{Document: in.Document, Article: in.Article, Theme: in.Theme}
		p, err := d.Service.ListRecommendations(ctx, f, in.request())
		if err != nil {
			return nil, err
		}
		return pageOutput(p, toRecommendation), nil
	})

	register(api, d, huma.Operation{
		OperationID: "get-recommendation",
		Method:      http.MethodGet,
		Path:        "/recommendations/{id}",
		Summary:     "Get a recommendation",
		Description: "One recommendation by its id; 404 when there is none.",
		Tags:        []string{tagRecommendations},
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity, internalError},
	}, access{public: true}, func(ctx context.Context, in *GetRecommendationInput) (*GetRecommendationOutput, error) {
		r, err := d.Service.GetRecommendation(ctx, in.ID)
		if err != nil {
			return nil, err
		}
		return &GetRecommendationOutput{Body: toRecommendation(r)}, nil
	})
}
