package export

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestCellsHoldWhatAWorkbookCan(t *testing.T) {
	var b bytes.Buffer
	c, _ := NewCSV(&b, Sheet{Headings: []string{"code", "title"}}, false)
	_ = c.Write([]string{"1.1", "Law\x00 on\x0b migration\r\n\tdrafted\x7f"})
	_ = c.Finish(nil)
	// A line break in a quoted cell is CRLF too.
	if got, want := b.String(), "code,title\r\n1.1,\"Law on migration\r\n\tdrafted\"\r\n"; got != want {
		t.Errorf("CSV %q, want %q", got, want)
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
