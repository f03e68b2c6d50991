package service

import (
	"testing"

	"github.com/naptracker/naptracker/internal/nap"
)

func zipWithFirstEntry(name string) []byte {
	h := []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	h = append(h, byte(len(name)), 0, 0, 0)
	return append(append(h, name...), make([]byte, 64)...)
}

func TestSniff(t *testing.T) {
	ole2 := append(append([]byte{}, ole2Magic...), make([]byte, 100)...)
	cases := []struct {
		head     []byte
		filename string
		want     string // "" for refused
	}{
		{[]byte("%PDF-1.4\n..."), "report.pdf", "application/pdf"},
		{[]byte("%PDF-1.4\n..."), "report.exe", "application/pdf"}, // the content decides
		{[]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "photo.png", "image/png"},
		{[]byte("\xff\xd8\xff\xe0\x00\x10JFIF"), "photo.jpg", "image/jpeg"},
		{[]byte("region,trained\nDushanbe,40\n"), "training.csv", "text/csv"},
		{[]byte("Minutes of the meeting\n"), "minutes.txt", "text/plain"},
		{zipWithFirstEntry("[Content_Types].xml"), "report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{zipWithFirstEntry("[Content_Types].xml"), "table.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{zipWithFirstEntry("mimetype"), "report.odt", "application/vnd.oasis.opendocument.text"},
		{ole2, "old.doc", "application/msword"},
		{ole2, "old.xls", "application/vnd.ms-excel"},
		{zipWithFirstEntry("[Content_Types].xml"), "report.zip", ""},
		{zipWithFirstEntry("payload.exe"), "report.docx", ""},
		{ole2, "installer.msi", ""},
		{[]byte("MZ\x90\x00\x03\x00\x00\x00"), "report.pdf", ""},
		{[]byte("\x7fELF\x02\x01\x01"), "report.pdf", ""},
		{[]byte("<html><script>alert(1)</script>"), "page.html", ""},
		{[]byte("#!/bin/sh\nrm -rf /\n"), "notes.txt", "text/plain"}, // text is text; it is served as such, never run
	}
	for _, c := range cases {
		got, err := sniff(c.head, c.filename)
		switch {
		case c.want == "" && nap.ErrorCode(err) != nap.EUNSUPPORTED:
			t.Errorf("%s: accepted as %q", c.filename, got)
		case c.want != "" && (err != nil || got != c.want):
			t.Errorf("%s: %q, %v; want %q", c.filename, got, err, c.want)
		}
	}
}
