// Package export writes a plan's implementation matrix as CSV or XLSX, and its report by
// recommendation as HTML.
package export

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/naptracker/naptracker/internal/nap"
)

// Columns are the keys of the matrix's columns, in order: its English headings, which scripts
// may rely on (Headings gives them in the export's language).
var Columns = []string{
	"code", "title", "lead", "lead_name", "co_implementers", "recommendations", "icrmw_articles",
	"deadline", "due_start", "due_end", "status", "ogp_irm_completion", "iati_activity_status",
	"progress_percent", "overdue", "reported_period", "latest_narrative", "evidence",
}

// Options say how a matrix is written.
type Options struct {
	Lang string // "tg", "ru" or "en"; a missing text falls back as nap.Languages says
	// EvidenceURL is the address of a stored evidence file's content; links are given as
	// they are.
	EvidenceURL func(id string) string
}

// Record is a matrix row's cells, in the order of Columns. Lists are joined with "; ",
// evidence items with line breaks.
func Record(r nap.MatrixRow, o Options) []string {
	m := r.Measure
	refs := make([]string, len(m.Recommendations))
	for i, ref := range m.Recommendations {
		refs[i] = fmt.Sprintf("%s %s (para. %s)", ref.Document, ref.Code, ref.Paragraph)
	}
	articles := make([]string, len(m.Articles))
	for i, a := range m.Articles {
		articles[i] = strconv.Itoa(a)
	}
	rec := []string{
		m.Code, m.Title.In(o.Lang), m.Lead, r.LeadName.In(o.Lang), strings.Join(m.CoImplementers, "; "),
		strings.Join(refs, "; "), strings.Join(articles, "; "), m.DeadlineText.In(o.Lang),
		date(m.DueStart), date(m.DueEnd), string(m.CurrentStatus), m.CurrentStatus.OGPCompletion(),
		m.CurrentStatus.IATIActivityStatus(), "", strconv.FormatBool(m.Overdue), "", "", "",
	}
	if m.ProgressPercent != nil {
		rec[13] = strconv.Itoa(*m.ProgressPercent)
	}
	if l := r.Latest; l != nil {
		rec[15], rec[16], rec[17] = l.Period, l.Narrative.In(o.Lang), evidence(l.Evidence, o)
	}
	for i, cell := range rec {
		rec[i] = clean(cell)
	}
	return rec
}

// clean drops the control characters a cell cannot hold (a workbook's XML cannot carry them,
// and a lone carriage return means nothing in a cell), keeping tabs and line breaks.
func clean(cell string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' && r != '\t' && r != '\n' || r == 0x7f || r == 0xfffe || r == 0xffff {
			return -1
		}
		return r
	}, cell)
}

// evidence is one line per item: its title, its address and, for a stored file, its SHA-256.
func evidence(items []nap.Evidence, o Options) string {
	lines := make([]string, len(items))
	for i, e := range items {
		lines[i] = e.Title.In(o.Lang) + " <" + evidenceURL(e, o) + ">"
		if e.SHA256 != "" {
			lines[i] += " sha256:" + e.SHA256
		}
	}
	return strings.Join(lines, "\n")
}

// evidenceURL is where a piece of evidence is read: its link, or its stored file's content.
func evidenceURL(e nap.Evidence, o Options) string {
	if e.URL == "" && o.EvidenceURL != nil {
		return o.EvidenceURL(e.ID)
	}
	return e.URL
}

func date(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(nap.DateLayout)
}
