package service

import (
	"context"

	"github.com/naptracker/naptracker/internal/nap"
)

// ListOrganizations returns a page of organizations in code order.
func (s *Service) ListOrganizations(ctx context.Context, page nap.PageRequest) (nap.Page[nap.Organization], error) {
	return s.store.ListOrganizations(ctx, page)
}

// GetOrganization returns the organization with the given code; ENOTFOUND if there is none.
func (s *Service) GetOrganization(ctx context.Context, code string) (nap.Organization, error) {
	return s.store.GetOrganization(ctx, code)
}

// ListSourceDocuments returns a page of source documents in symbol order.
func (s *Service) ListSourceDocuments(ctx context.Context, page nap.PageRequest) (nap.Page[nap.SourceDocument], error) {
	return s.store.ListSourceDocuments(ctx, page)
}

// ListRecommendations returns a page of the recommendations that match f.
func (s *Service) ListRecommendations(ctx context.Context, f nap.RecommendationFilter, page nap.PageRequest) (nap.Page[nap.Recommendation], error) {
	return s.store.ListRecommendations(ctx, f, page)
}

// GetRecommendation returns one recommendation; ENOTFOUND if there is none.
func (s *Service) GetRecommendation(ctx context.Context, id string) (nap.Recommendation, error) {
	return s.store.GetRecommendation(ctx, id)
}
