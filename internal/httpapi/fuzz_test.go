package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"testing"
)

// naughtyStrings is the Big List of Naughty Strings (testdata/blns.json, MIT licence).
func naughtyStrings(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/blns.json")
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// stateOf is what a rejected request must leave unchanged.
func (p *progressFixture) stateOf(t testing.TB, updateID string) [4]int64 {
	t.Helper()
	var v struct{ Version int64 }
	if err := p.db.Gorm().Raw(`SELECT version FROM progress_updates WHERE id = ?`, updateID).Scan(&v).Error; err != nil {
		t.Fatal(err)
	}
	return [4]int64{v.Version, p.count(t, "progress_updates"), p.count(t, "evidence"), p.count(t, "blobs")}
}

// rawSend sends body with a content type as c, for use inside a fuzz target.
func (p *progressFixture) rawSend(t *testing.T, method, path, contentType string, body []byte, c caller, header ...string) int {
	req, err := http.NewRequest(method, p.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+c.token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := p.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode
}

// FuzzUpdateBody sends arbitrary bodies as changes of a draft update: never a 5xx, and a
// refused change changes nothing.
func FuzzUpdateBody(f *testing.F) {
	p := newProgressFixture(f)
	id, _ := p.draft(p.author)
	for _, s := range naughtyStrings(f) {
		b, _ := json.Marshal(map[string]any{"narrative": map[string]string{"en": s, "ru": s}, "challenges": map[string]string{"tg": s}})
		f.Add(b)
		b, _ = json.Marshal(map[string]any{"indicator_values": []map[string]any{{"indicator_id": p.indicators[0].ID, "value": 1, "note": s,
			"disaggregation": map[string]string{s: s}}}, "period_id": s})
		f.Add(b)
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before := p.stateOf(t, id)
		status := p.rawSend(t, "PATCH", "/v1/updates/"+id, "application/json", body, p.author, "If-Match", fmt.Sprintf(`"%d"`, before[0]))
		switch {
		case status >= 500:
			t.Fatalf("%d for %q", status, body)
		case status >= 400 && p.stateOf(t, id) != before:
			t.Fatalf("a refused change (%d) changed the update: %q", status, body)
		}
	})
}

// FuzzEvidenceUpload sends arbitrary metadata, file names and content as uploads: never a
// 5xx, and a refused upload stores nothing.
func FuzzEvidenceUpload(f *testing.F) {
	p := newProgressFixture(f)
	id, _ := p.draft(p.author)
	contents := [][]byte{[]byte("%PDF-1.7\nminutes"), []byte("MZ\x90\x00"), []byte("plain text\n"), {}, []byte("PK\x03\x04")}
	for i, s := range naughtyStrings(f) {
		meta, _ := json.Marshal(map[string]any{"kind": "report", "title": map[string]string{"en": s}})
		f.Add(meta, s, contents[i%len(contents)])
		f.Add([]byte(s), "report.pdf", contents[0])
	}
	f.Fuzz(func(t *testing.T, meta []byte, filename string, content []byte) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="metadata"`)
		mw, _ := w.CreatePart(h)
		_, _ = mw.Write(meta)
		fw, _ := w.CreateFormFile("file", filename)
		_, _ = fw.Write(content)
		_ = w.Close()
		before := p.stateOf(t, id)
		status := p.rawSend(t, "POST", "/v1/updates/"+id+"/evidence", w.FormDataContentType(), buf.Bytes(), p.author)
		switch {
		case status >= 500:
			t.Fatalf("%d for metadata %q, file %q", status, meta, filename)
		case status >= 400 && p.stateOf(t, id) != before:
			t.Fatalf("a refused upload (%d) stored something: metadata %q, file %q", status, meta, filename)
		}
	})
}
