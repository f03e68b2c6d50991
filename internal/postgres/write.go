package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/nap"
)

// update sets columns of the row with id in table if it is still at version, raising the
// version by one and recording who changed it. The version check is part of the UPDATE, so of
// two writers holding the same version exactly one succeeds; the other gets EPRECONDITION.
// what names the object in errors.
func (db *DB) update(ctx context.Context, table, what, actorID, id string, version int, set map[string]any) error {
	return db.updateWith(db.conn(ctx), table, what, actorID, id, version, set)
}

func (db *DB) updateWith(tx *gorm.DB, table, what, actorID, id string, version int, set map[string]any) error {
	set["version"] = gorm.Expr("version + 1")
	set["updated_at"] = gorm.Expr("now()")
	set["updated_by"] = nullable(actorID)
	res := tx.Table(table).Where("id = ? AND version = ?", id, version).Updates(set)
	if res.Error != nil || res.RowsAffected == 1 {
		return res.Error
	}
	var n int64
	if err := tx.Table(table).Where("id = ?", id).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return nap.Errorf(nap.ENOTFOUND, "%s not found", what)
	}
	return nap.Errorf(nap.EPRECONDITION, "the %s has changed since version %d; read it again", what, version)
}

// translate turns the errors a client's values can cause (constraint violations, malformed
// values) into nap errors that name the field and the rule it broke, in words of the API: no
// message, code, constraint, index or table name of the database's reaches a client. A
// failure to reach the database is EUNAVAILABLE. Any other error passes unchanged, to be
// logged and answered as a bare 500.
func translate(err error) error {
	if unreachable(err) {
		return nap.Errorf(nap.EUNAVAILABLE, "the database cannot be reached; retry shortly")
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	r, known := rules[pgErr.ConstraintName]
	switch pgErr.Code {
	case "23505":
		if !known {
			r = rule{message: "an object with the same key exists already"}
		}
		return r.error(nap.ECONFLICT)
	case "23503":
		if !known {
			r = rule{message: "refers to an object that does not exist"}
		}
		return r.error(nap.EINVALID)
	case "23514":
		if !known {
			r = rule{message: "a value breaks a rule of the record"}
		}
		return r.error(nap.EINVALID)
	case "23502":
		return rule{field: fieldOf(pgErr.ColumnName), message: "is required"}.error(nap.EINVALID)
	case "P0001": // raised, in the API's words, by the schema's own triggers, which guard what may never change
		return &nap.Error{Code: nap.ECONFLICT, Message: pgErr.Message}
	}
	if strings.HasPrefix(pgErr.Code, "22") { // data exceptions: malformed or out-of-range values
		return nap.Errorf(nap.EINVALID, "a value is malformed or out of range")
	}
	return err
}

// unreachable reports whether err is a failure to reach the database, not of the request: a
// connection refused, cut or timed out, or a server going down.
func unreachable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// The server is shutting down, starting up, or out of connections.
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03" || pgErr.Code == "53300"
	}
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	return errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err)
}

// rule is what a constraint means to a client: the field it guards, and what it requires.
type rule struct {
	field, message string
}

func (r rule) error(code string) error {
	if r.field == "" {
		return &nap.Error{Code: code, Message: r.message}
	}
	return &nap.Error{Code: code, Message: r.field + ": " + r.message,
		Fields: []nap.FieldError{{Location: "body." + r.field, Message: r.message}}}
}

// rules say, by constraint, what the schema's constraints on values clients send mean.
var rules = map[string]rule{
	"organizations_code_key":                                     {"code", "an organization with this code exists already"},
	"organizations_code_check":                                   {"code", "is 1 to 32 capital letters, digits or hyphens, starting with a letter"},
	"organizations_name_check":                                   {"name", "needs a text in tg, ru or en"},
	"organizations_kind_check":                                   {"kind", "is not a kind of organization"},
	"organizations_not_own_parent":                               {"parent", "an organization is not its own parent"},
	"organizations_not_own_successor":                            {"successor", "an organization does not succeed itself"},
	"organizations_parent_id_fkey":                               {"parent", "no organization has this code"},
	"organizations_successor_id_fkey":                            {"successor", "no organization has this code"},
	"organizations_valid_to_after_valid_from":                    {"valid_to", "is before valid_from"},
	"source_documents_symbol_key":                                {"symbol", "a document with this symbol exists already"},
	"recommendations_document_id_code_key":                       {"code", "the document has a recommendation with this code already"},
	"plans_code_key":                                             {"code", "a plan with this code exists already"},
	"plans_code_check":                                           {"code", "is 1 to 64 capital letters, digits or hyphens, starting with a letter or digit"},
	"plans_title_check":                                          {"title", "needs a text in tg, ru or en"},
	"plans_legal_basis_check":                                    {"legal_basis", "is a text in tg, ru or en"},
	"plans_period_end_after_start":                               {"period_end", "is before period_start"},
	"plans_extended_to_after_period_end":                         {"extended_to", "is before period_end"},
	"plans_approved_by_id_fkey":                                  {"approved_by", "no organization has this code"},
	"plans_status_check":                                         {"status", "is not a status of a plan"},
	"reporting_periods_plan_id_label_key":                        {"label", "the plan has a reporting period with this label already"},
	"reporting_periods_label_check":                              {"label", "is a year and a half (2014-H1), a quarter (2014-Q3) or a year (2014-Y)"},
	"reporting_periods_ends_after_start":                         {"ends_on", "is before starts_on"},
	"reporting_periods_submission_after_end":                     {"submission_deadline", "is before ends_on"},
	"reporting_periods_review_after_submission":                  {"review_deadline", "is before submission_deadline"},
	"plans_review_after_submission":                              {"review_days", "is fewer than submission_days"},
	"plans_submission_days_check":                                {"submission_days", "is 0 to 366"},
	"plans_review_days_check":                                    {"review_days", "is 0 to 366"},
	"users_preferred_language_check":                             {"preferred_language", "is tg, ru or en"},
	"measures_plan_id_code_key":                                  {"code", "the plan has a measure with this code already"},
	"measures_code_check":                                        {"code", "is 1 to 32 letters, digits, dots or hyphens, starting with a letter or digit"},
	"measures_title_in_tg_ru_or_en":                              {"title", "needs a text in tg, ru or en"},
	"measures_description_check":                                 {"description", "is a text in tg, ru or en"},
	"measures_expected_result_check":                             {"expected_result", "is a text in tg, ru or en"},
	"measures_deadline_text_check":                               {"deadline_text", "is a text in tg, ru or en"},
	"measures_due_end_after_due_start":                           {"due_end", "is before due_start"},
	"measures_articles_check":                                    {"articles", "ICRMW articles are numbered 1 to 93"},
	"measures_lead_id_fkey":                                      {"lead", "no organization has this code"},
	"measure_organizations_organization_id_fkey":                 {"co_implementers", "no organization has this code"},
	"measure_recommendations_recommendation_id_fkey":             {"recommendations", "no recommendation has this id"},
	"indicators_measure_id_code_key":                             {"code", "the measure has an indicator with this code already"},
	"indicators_code_check":                                      {"code", "is 1 to 32 letters, digits, dots or hyphens, starting with a letter or digit"},
	"indicators_title_check":                                     {"title", "needs a text in tg, ru or en"},
	"indicators_kind_check":                                      {"kind", "is not a kind of indicator"},
	"indicators_disaggregations_check":                           {"disaggregations", "are sex, age_group, region or country"},
	"indicators_baseline_target_only_for_numbers":                {"baseline", "only a number or percent indicator has a baseline or target"},
	"indicators_percent_within_0_100":                            {"baseline", "a percent indicator's baseline and target are 0 to 100"},
	"users_email_idx":                                            {"email", "a user with this email exists already"},
	"users_email_check":                                          {"email", "is not an email address"},
	"users_name_check":                                           {"name", "is empty"},
	"memberships_check":                                          {"valid_to", "is before valid_from"},
	"memberships_check1":                                         {"organization", "a global role is held in no organization, an organization's role in one"},
	"memberships_role_check":                                     {"role", "is not a role"},
	"memberships_organization_id_fkey":                           {"organization", "no organization has this code"},
	"api_tokens_name_check":                                      {"name", "is empty"},
	"progress_updates_narrative_check":                           {"narrative", "is a text in tg, ru or en"},
	"progress_updates_challenges_check":                          {"challenges", "is a text in tg, ru or en"},
	"progress_updates_next_steps_check":                          {"next_steps", "is a text in tg, ru or en"},
	"progress_updates_progress_percent_check":                    {"progress_percent", "is 0 to 100"},
	"progress_updates_proposed_status_check":                     {"proposed_status", "is not a status an update can propose"},
	"progress_updates_visibility_check":                          {"visibility", "is internal, partners or public"},
	"progress_updates_correction_has_reason":                     {"correction_reason", "say what the correction corrects"},
	"progress_updates_period_id_fkey":                            {"period_id", "no reporting period has this id"},
	"progress_updates_supersedes_fkey":                           {"supersedes", "no progress update has this id"},
	"indicator_values_indicator_id_fkey":                         {"indicator_values", "no indicator has this id"},
	"indicator_values_update_id_indicator_id_disaggregation_key": {"indicator_values", "an indicator has two values for the same disaggregation"},
	"evidence_title_check":                                       {"title", "needs a text in tg, ru or en"},
	"evidence_url_check":                                         {"url", "give an http or https address"},
	"evidence_kind_check":                                        {"kind", "is not a kind of evidence"},
	"evidence_language_check":                                    {"language", "is tg, ru, en or other"},
	"evidence_visibility_check":                                  {"visibility", "is internal, partners or public"},
}

// fieldOf is the API's name of a column: a reference to an organization is named by what it
// is (lead, parent), the rest as they are.
func fieldOf(column string) string {
	if f, ok := strings.CutSuffix(column, "_id"); ok && column != "period_id" {
		return f
	}
	return column
}
