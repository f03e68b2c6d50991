package export

import (
	"strconv"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// The completeness of a reporting round as a table: one row per organization that owes
// reports, with its counts, or one row per report the caller sees in full.

// Views of a round's completeness.
const (
	ViewOrganizations = "organizations"
	ViewReports       = "reports"
)

// OrganizationColumns are the keys of the organizations view's columns, in order. The counts
// after approved are empty for an organization the caller does not see in every state.
var OrganizationColumns = []string{
	"organization", "organization_name", "detailed", "expected", "approved",
	"missing", "draft", "submitted", "signed_off", "returned", "rejected", "late",
}

// ReportColumns are the keys of the reports view's columns, in order.
var ReportColumns = []string{
	"organization", "organization_name", "role", "measure", "measure_title", "state", "late", "submitted_at", "update_id",
}

// roundHeadings are the completeness columns' headings in Russian and Tajik; in English they
// are the keys. States and roles stay keys in every language, as in the API.
var roundHeadings = map[string]map[string]string{
	"ru": {
		"organization": "Код органа", "organization_name": "Орган", "detailed": "Все состояния видны",
		"expected": "Ожидается отчётов", "approved": "Утверждено", "missing": "Нет отчёта", "draft": "Черновик",
		"submitted": "Представлено", "signed_off": "Подписано", "returned": "Возвращено", "rejected": "Отклонено",
		"late": "С опозданием", "role": "Роль", "measure": "Код меры", "measure_title": "Мера", "state": "Состояние",
		"submitted_at": "Представлено (время)", "update_id": "Отчёт (id)",
	},
	"tg": {
		"organization": "Рамзи мақом", "organization_name": "Мақом", "detailed": "Ҳамаи ҳолатҳо намоёнанд",
		"expected": "Ҳисоботҳои интизорӣ", "approved": "Тасдиқшуда", "missing": "Ҳисобот нест", "draft": "Лоиҳа",
		"submitted": "Пешниҳодшуда", "signed_off": "Имзошуда", "returned": "Баргардонидашуда", "rejected": "Радшуда",
		"late": "Бо таъхир", "role": "Нақш", "measure": "Рамзи чора", "measure_title": "Чора", "state": "Ҳолат",
		"submitted_at": "Пешниҳод (вақт)", "update_id": "Ҳисобот (id)",
	},
}

// Completeness is a round's completeness as a table in view (organizations or reports), its
// texts in lang, and the rows of the table.
func Completeness(c nap.Completeness, view, lang string) (Sheet, [][]string) {
	if view == ViewReports {
		s := Sheet{Name: "Reports", Headings: headingsIn(lang, ReportColumns, roundHeadings), Widths: []float64{14, 40, 16, 10, 60, 12, 10, 22, 38}}
		rows := make([][]string, len(c.Reports))
		for i, r := range c.Reports {
			submitted := ""
			if r.SubmittedAt != nil {
				submitted = r.SubmittedAt.UTC().Format(time.RFC3339)
			}
			rows[i] = []string{r.Organization, r.OrganizationName.In(lang), r.Role, r.MeasureCode, r.MeasureTitle.In(lang),
				string(r.State), strconv.FormatBool(r.Late), submitted, r.UpdateID}
		}
		return s, rows
	}
	s := Sheet{Name: "Organizations", Headings: headingsIn(lang, OrganizationColumns, roundHeadings), Widths: []float64{14, 40}}
	rows := make([][]string, len(c.Organizations))
	for i, o := range c.Organizations {
		row := []string{o.Organization, o.OrganizationName.In(lang), strconv.FormatBool(o.Detailed),
			strconv.Itoa(o.Expected), strconv.Itoa(o.ByState[nap.ReportApproved])}
		for _, st := range []nap.ReportState{nap.ReportMissing, nap.ReportDraft, nap.ReportSubmitted,
			nap.ReportSignedOff, nap.ReportReturned, nap.ReportRejected} {
			row = append(row, count(o.Detailed, o.ByState[st]))
		}
		row = append(row, count(o.Detailed, o.Late))
		rows[i] = row
	}
	return s, rows
}

// count is n, or empty where the caller does not see every state.
func count(detailed bool, n int) string {
	if !detailed {
		return ""
	}
	return strconv.Itoa(n)
}

// AboutCompleteness describes a round's completeness written in view, as key and value pairs.
func AboutCompleteness(c nap.Completeness, view, lang string, f nap.CompletenessFilter, rows int, digest string) [][2]string {
	filter := "none"
	if f.Organization != "" || f.State != "" {
		filter = "organization=" + f.Organization + " state=" + string(f.State)
	}
	return [][2]string{
		{"period", c.Period.Label},
		{"period_id", c.Period.ID},
		{"plan_id", c.Period.PlanID},
		{"submission_deadline", c.Period.SubmissionDeadline.Format(nap.DateLayout)},
		{"review_deadline", c.Period.ReviewDeadline.Format(nap.DateLayout)},
		{"as_of", c.AsOf.Format(nap.DateLayout) + " (lateness is judged on this day, UTC)"},
		{"view", view},
		{"filter", filter},
		{"language", lang},
		{"rows", strconv.Itoa(rows)},
		{"data_sha256", digest},
		{"data_sha256_of", "the first sheet's " + DigestOf},
		{"scope", "an organization's own roles and the coordinating roles see its reports in every state; others see only its count of approved reports published to them"},
	}
}
