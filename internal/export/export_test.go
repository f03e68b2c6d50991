package export

import (
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/naptracker/naptracker/internal/nap"
)

func TestCellsHoldWhatAWorkbookCan(t *testing.T) {
	row := nap.MatrixRow{Measure: nap.Measure{Code: "1.1", Title: nap.Text{"en": "Law\x00 on\x0b migration\r\n\tdrafted\x7f"}}}
	if got := Record(row, Options{Lang: "en"})[1]; got != "Law on migration\n\tdrafted" {
		t.Errorf("title cell %q", got)
	}
	long := strings.Repeat("ё", 40000)
	cut := fitCell(long)
	if n := len(utf16.Encode([]rune(cut))); n != maxCellLength || !strings.HasSuffix(cut, "…") {
		t.Errorf("a long cell is %d UTF-16 units, want %d ending in an ellipsis", n, maxCellLength)
	}
	if fitCell("short") != "short" {
		t.Error("a short cell changed")
	}
}
