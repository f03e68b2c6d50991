package export

import (
	_ "embed"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/naptracker/naptracker/internal/nap"
)

//go:embed report.html
var reportHTML string

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"date":  func(t interface{ Format(string) string }) string { return t.Format(nap.DateLayout) },
	"lines": func(s string) []string { return strings.Split(s, "\n") },
	"table": func(t map[string]string, measures any) map[string]any {
		return map[string]any{"T": t, "Measures": measures}
	},
}).Parse(reportHTML))

// Report writes a plan's report by recommendation as one HTML page, ready to print: each
// recommendation its measures answer, in document and code order, with those measures' status
// and latest approved progress; then the measures that answer none. It is the draft of the
// annex the coordinator attaches to the report to the Committee.
func Report(w io.Writer, r nap.Report, opts Options) error {
	byRec := map[string][]int{}
	var unlinked []int
	for i, row := range r.Rows {
		for _, ref := range row.Measure.Recommendations {
			byRec[ref.ID] = append(byRec[ref.ID], i)
		}
		if len(row.Measure.Recommendations) == 0 {
			unlinked = append(unlinked, i)
		}
	}
	type evidence struct{ Title, URL, SHA256 string }
	type measure struct {
		Code, Title, Lead, Status, Progress, Period, Narrative string
		Overdue                                                bool
		Evidence                                               []evidence
	}
	measures := func(idx []int) []measure {
		out := make([]measure, len(idx))
		for j, i := range idx {
			row := r.Rows[i]
			m := row.Measure
			out[j] = measure{Code: m.Code, Title: m.Title.In(opts.Lang), Lead: row.LeadName.In(opts.Lang),
				Status: statusLabel(m.CurrentStatus, opts.Lang), Overdue: m.Overdue}
			if m.ProgressPercent != nil {
				out[j].Progress = strconv.Itoa(*m.ProgressPercent) + "%"
			}
			if l := row.Latest; l != nil {
				out[j].Period, out[j].Narrative = l.Period, l.Narrative.In(opts.Lang)
				for _, e := range l.Evidence {
					out[j].Evidence = append(out[j].Evidence, evidence{Title: e.Title.In(opts.Lang), URL: evidenceURL(e, opts), SHA256: e.SHA256})
				}
			}
		}
		return out
	}
	type recommendation struct {
		Document, Code, Paragraph, Text string
		Measures                        []measure
	}
	var recs []recommendation
	for _, rec := range r.Recommendations {
		if idx := byRec[rec.ID]; len(idx) > 0 {
			recs = append(recs, recommendation{Document: rec.Document, Code: rec.Code, Paragraph: rec.Paragraph,
				Text: rec.Text.In(opts.Lang), Measures: measures(idx)})
		}
	}
	period, checkpoint := "", ""
	if r.Period != nil {
		period = r.Period.Label
	}
	if r.Checkpoint != nil {
		checkpoint = CheckpointText(*r.Checkpoint)
	}
	return reportTemplate.Execute(w, map[string]any{
		"Lang": opts.Lang, "T": labels[opts.Lang], "Plan": r.Plan.Code, "PlanTitle": r.Plan.Title.In(opts.Lang),
		"Period": period, "AsOf": r.AsOf, "Read": r.Read, "Audit": r.Audit, "Checkpoint": checkpoint,
		"Recommendations": recs, "Unlinked": measures(unlinked),
	})
}

func statusLabel(s nap.Status, lang string) string {
	if l, ok := statusLabels[lang][s]; ok {
		return l
	}
	return string(s)
}

var statusLabels = map[string]map[nap.Status]string{
	"en": {
		nap.NoInformation: "no information", nap.NotStarted: "not started", nap.InProgress: "in progress",
		nap.Ongoing: "ongoing", nap.PartiallyImplemented: "partially implemented", nap.Implemented: "implemented",
		nap.NotImplemented: "not implemented", nap.Cancelled: "cancelled",
	},
	"ru": {
		nap.NoInformation: "нет информации", nap.NotStarted: "не начато", nap.InProgress: "выполняется",
		nap.Ongoing: "осуществляется на постоянной основе", nap.PartiallyImplemented: "выполнено частично",
		nap.Implemented: "выполнено", nap.NotImplemented: "не выполнено", nap.Cancelled: "отменено",
	},
	"tg": {
		nap.NoInformation: "маълумот нест", nap.NotStarted: "оғоз нашудааст", nap.InProgress: "иҷро шуда истодааст",
		nap.Ongoing: "доимӣ иҷро мешавад", nap.PartiallyImplemented: "қисман иҷро шудааст",
		nap.Implemented: "иҷро шудааст", nap.NotImplemented: "иҷро нашудааст", nap.Cancelled: "бекор карда шудааст",
	},
}

// labels are the report's fixed words, by language.
var labels = map[string]map[string]string{
	"en": {
		"title": "Implementation of the recommendations: report by recommendation", "annex": "Draft annex to the report to the Committee",
		"period": "Reporting period", "current": "current", "asof": "Status as of", "generated": "Generated",
		"audit": "Audit trail head", "checkpoint": "Signed checkpoint", "recommendation": "Recommendation", "para": "para.", "measure": "Measure",
		"lead": "Lead", "status": "Status", "progress": "Progress", "latest": "Latest approved progress",
		"evidence": "Evidence", "overdue": "overdue", "none": "No approved progress yet.",
		"unlinked": "Measures that answer no recommendation",
	},
	"ru": {
		"title": "Выполнение рекомендаций: отчёт по рекомендациям", "annex": "Проект приложения к докладу Комитету",
		"period": "Отчётный период", "current": "текущий", "asof": "Статус по состоянию на", "generated": "Сформировано",
		"audit": "Последняя запись журнала аудита", "checkpoint": "Подписанная контрольная точка", "recommendation": "Рекомендация", "para": "п.", "measure": "Мера",
		"lead": "Ответственный", "status": "Статус", "progress": "Выполнение", "latest": "Последние утверждённые сведения",
		"evidence": "Подтверждающие документы", "overdue": "срок истёк", "none": "Утверждённых сведений пока нет.",
		"unlinked": "Меры, не связанные с рекомендациями",
	},
	"tg": {
		"title": "Иҷрои тавсияҳо: ҳисобот аз рӯи тавсияҳо", "annex": "Лоиҳаи замима ба гузориш ба Кумита",
		"period": "Давраи ҳисоботӣ", "current": "ҷорӣ", "asof": "Ҳолат ба санаи", "generated": "Тартиб дода шуд",
		"audit": "Сабти охирини маҷаллаи аудит", "checkpoint": "Нуқтаи назоратии имзошуда", "recommendation": "Тавсия", "para": "банди", "measure": "Чора",
		"lead": "Масъул", "status": "Ҳолат", "progress": "Иҷро", "latest": "Маълумоти охирини тасдиқшуда",
		"evidence": "Ҳуҷҷатҳои тасдиқкунанда", "overdue": "мӯҳлат гузаштааст", "none": "Маълумоти тасдиқшуда ҳанӯз нест.",
		"unlinked": "Чораҳое, ки ба ягон тавсия вобаста нестанд",
	},
}
