// Package export writes tables as CSV or XLSX (a plan's implementation matrix, the
// completeness of a reporting round), reads the matrix back to import it, and writes a plan's
// report by recommendation as HTML.
package export

import (
	"encoding/base64"
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

// MatrixSheet is the name of the workbook sheet that holds the matrix.
const MatrixSheet = "Matrix"

// Matrix describes the matrix as a table with its headings in lang.
func Matrix(lang string) Sheet {
	s := Sheet{Name: MatrixSheet, Headings: Headings(lang), Widths: make([]float64, len(Columns))}
	for i, c := range Columns {
		switch c {
		case "title", "latest_narrative", "evidence":
			s.Widths[i] = 60
		case "lead_name", "recommendations", "deadline":
			s.Widths[i] = 30
		}
	}
	return s
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

// About describes a matrix, as key and value pairs.
func About(m nap.Matrix, lang string, rows int, digest string) [][2]string {
	period := "current"
	if m.Period != nil {
		period = m.Period.Label
	}
	audit, checkpoint := "empty", "none"
	if m.Audit.Seq > 0 {
		audit = fmt.Sprintf("%d %s", m.Audit.Seq, m.Audit.Hash)
	}
	if m.Checkpoint != nil {
		checkpoint = CheckpointText(*m.Checkpoint)
	}
	return [][2]string{
		{"plan", m.Plan.Code + " " + m.Plan.Title.In(lang)},
		{"plan_id", m.Plan.ID},
		{"language", lang + " (missing texts fall back to " + strings.Join(nap.Languages[lang][1:], ", then ") + ")"},
		{"period", period},
		{"as_of", m.AsOf.Format(nap.DateLayout)},
		{"generated_at", m.Read.Format(time.RFC3339)},
		{"rows", strconv.Itoa(rows)},
		{"data_sha256", digest},
		{"data_sha256_of", "the " + MatrixSheet + " sheet's " + DigestOf},
		{"audit_head", audit},
		{"audit_checkpoint", checkpoint},
		{"scope", "only what the account that requested the export may read, all read at one moment"},
		{"status", "derived from the latest approved update the account may read; no_information when there is none"},
		{"ogp_irm_completion", crosswalk(nap.Status.OGPCompletion)},
		{"iati_activity_status", crosswalk(nap.Status.IATIActivityStatus)},
	}
}

// CheckpointText writes a signed checkpoint on one line: "seq <seq> head <hash> signed_at <time>
// key_id <id> public_key <base64> signature <base64>", what GET /v1/audit/checkpoints serves.
func CheckpointText(cp nap.Checkpoint) string {
	return fmt.Sprintf("seq %d head %s signed_at %s key_id %s public_key %s signature %s", cp.Seq, cp.Head,
		cp.SignedAt.UTC().Format(time.RFC3339Nano), cp.KeyID, base64.StdEncoding.EncodeToString(cp.PublicKey),
		base64.StdEncoding.EncodeToString(cp.Signature))
}

// crosswalk describes a mapping of statuses, as "value: status, status; …".
func crosswalk(to func(nap.Status) string) string {
	var values []string
	from := map[string][]string{}
	for _, s := range nap.Statuses {
		v := to(s)
		if v == "" {
			continue
		}
		if from[v] == nil {
			values = append(values, v)
		}
		from[v] = append(from[v], string(s))
	}
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = v + ": " + strings.Join(from[v], ", ")
	}
	return strings.Join(parts, "; ") + "; empty: no_information"
}
