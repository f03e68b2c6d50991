package httpapi_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/naptracker/naptracker/internal/pgtest"
)

// multipartBody builds an upload: the metadata part, then the file part.
func multipartBody(t testing.TB, meta map[string]any, filename string, content []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="metadata"`)
	h.Set("Content-Type", "application/json")
	mw, _ := w.CreatePart(h)
	_ = json.NewEncoder(mw).Encode(meta)
	fw, _ := w.CreateFormFile("file", filename)
	_, _ = fw.Write(content)
	_ = w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

func (p *progressFixture) upload(c caller, updateID string, meta map[string]any, filename string, content []byte) (*http.Response, []byte) {
	p.t.Helper()
	ct, body := multipartBody(p.t, meta, filename, content)
	return p.sendRaw("POST", "/v1/updates/"+updateID+"/evidence", ct, body, c.auth()...)
}

func (p *progressFixture) count(t testing.TB, table string) int64 {
	t.Helper()
	var n int64
	if err := p.db.Gorm().Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func pdf(size int) []byte {
	b := make([]byte, size)
	_, _ = rand.Read(b)
	copy(b, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	return b
}

var reportMeta = map[string]any{"kind": "report", "title": map[string]string{"en": "Working group minutes", "ru": "Протокол"},
	"language": "ru", "document_date": "2015-05-12", "visibility": "public"}

func TestEvidenceRoundTrip(t *testing.T) {
	p := newProgressFixture(t)
	id, _ := p.draft(p.author)
	content := pdf(300_000) // more than one read, less than a chunk
	res, b := p.upload(p.author, id, reportMeta, `..\..\secret/min`+"\t\u202e"+`utes.pdf`, content)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.StatusCode, b)
	}
	var e struct {
		ID, Filename, SHA256 string
		MediaType            string `json:"media_type"`
		SizeBytes            int64  `json:"size_bytes"`
		ContentURL           string `json:"content_url"`
	}
	_ = json.Unmarshal(b, &e)
	sum := sha256.Sum256(content)
	if e.MediaType != "application/pdf" || e.SizeBytes != int64(len(content)) || e.SHA256 != fmt.Sprintf("%x", sum) || e.Filename != "minutes.pdf" {
		t.Fatalf("evidence: %+v", e)
	}

	res, got := p.get(e.ContentURL, p.author.auth()...)
	if res.StatusCode != 200 || !bytes.Equal(got, content) {
		t.Fatalf("download: %d, %d bytes, equal %v", res.StatusCode, len(got), bytes.Equal(got, content))
	}
	if d := res.Header.Get("Repr-Digest"); d != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" {
		t.Errorf("Repr-Digest %q", d)
	}
	if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); ct != "application/pdf" || cd != `attachment; filename=minutes.pdf` {
		t.Errorf("Content-Type %q, Content-Disposition %q", ct, cd)
	}
	res, got = p.get(e.ContentURL, append(p.author.auth(), "Range", "bytes=0-7")...)
	if res.StatusCode != http.StatusPartialContent || string(got) != "%PDF-1.7" {
		t.Errorf("range: %d %q", res.StatusCode, got)
	}
	res, got = p.get(e.ContentURL, append(p.author.auth(), "Range", "bytes=299990-")...)
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(got, content[299990:]) {
		t.Errorf("range to the end: %d, %d bytes", res.StatusCode, len(got))
	}

	// Until approval only the organization reads the file; once approved, as public evidence
	// of a partners update, partners do, and the public does not see the update at all.
	p.getProblem(e.ContentURL, http.StatusNotFound, p.partner.auth()...)
	for _, step := range []struct {
		who  caller
		verb string
	}{{p.author, "submit"}, {p.approver, "sign-off"}, {p.coordinator, "approve"}} {
		p.expectStatus(step.who, 200, "POST", "/v1/updates/"+id+"/"+step.verb, nil)
	}
	if res, _ := p.get(e.ContentURL, p.partner.auth()...); res.StatusCode != 200 {
		t.Errorf("partner downloads evidence of an approved update: %d", res.StatusCode)
	}
	p.getProblem(e.ContentURL, http.StatusNotFound)
	p.expectStatus(p.author, 409, "DELETE", "/v1/evidence/"+e.ID, nil)
}

func TestEvidenceRefusals(t *testing.T) {
	p := newProgressFixture(t)
	id, _ := p.draft(p.author)
	blobs, evidence := p.count(t, "blobs"), p.count(t, "evidence")

	res, b := p.upload(p.author, id, reportMeta, "big.pdf", pdf(fixtureUploadLimit+1))
	p.mustProblem(res, b, http.StatusRequestEntityTooLarge)
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 2000)...)
	res, b = p.upload(p.author, id, reportMeta, "report.pdf", exe)
	p.mustProblem(res, b, http.StatusUnsupportedMediaType)
	zipped := append([]byte("PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07\x00\x00\x00run.exe"), make([]byte, 100)...)
	res, b = p.upload(p.author, id, reportMeta, "minutes.docx", zipped)
	p.mustProblem(res, b, http.StatusUnsupportedMediaType)
	res, b = p.upload(p.author, id, map[string]any{"kind": "rumour", "title": map[string]string{"en": "x"}}, "a.txt", []byte("text"))
	p.mustProblem(res, b, http.StatusUnprocessableEntity)

	if p.count(t, "blobs") != blobs || p.count(t, "evidence") != evidence {
		t.Errorf("refused uploads left %d blobs and %d evidence rows behind", p.count(t, "blobs")-blobs, p.count(t, "evidence")-evidence)
	}
}

// TestUploadCutOffLeavesNothing sends half an upload and hangs up.
func TestUploadCutOffLeavesNothing(t *testing.T) {
	p := newProgressFixture(t)
	id, _ := p.draft(p.author)
	before := p.stateOf(t, id)
	ct, body := multipartBody(t, reportMeta, "minutes.pdf", pdf(900_000))
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /v1/updates/%s/evidence HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		id, p.author.token, ct, len(body))
	_, _ = conn.Write(body[:len(body)/2])
	// Hang up once the server is storing what arrived: its transaction is open.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var storing int64
		_ = p.db.Gorm().Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = ?
			AND xact_start IS NOT NULL AND pid <> pg_backend_pid()`, pgtest.AppRole).Scan(&storing).Error
		if storing > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not begin storing the upload")
		}
	}
	_ = conn.Close()

	deadline := time.Now().Add(3 * time.Second)
	for {
		var open int64
		_ = p.db.Gorm().Raw(`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`).Scan(&open).Error
		if open == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if after := p.stateOf(t, id); after != before || p.count(t, "blob_chunks") != 0 {
		t.Errorf("a cut-off upload left something behind: %v -> %v, %d chunks", before, after, p.count(t, "blob_chunks"))
	}
}

func TestEvidenceLinksAndDeletion(t *testing.T) {
	p := newProgressFixture(t)
	id, _ := p.draft(p.author)
	link := map[string]any{"kind": "legal_act", "title": map[string]string{"en": "Law No. 1096"}, "url": "https://mmih.tj/law/1096", "visibility": "public"}
	b := p.expectStatus(p.author, 201, "POST", "/v1/updates/"+id+"/evidence", link)
	var e struct{ ID, URL string }
	_ = json.Unmarshal(b, &e)
	p.expectStatus(p.author, 422, "POST", "/v1/updates/"+id+"/evidence", map[string]any{"kind": "legal_act", "title": map[string]string{"en": "x"}, "url": "javascript:alert(1)"})
	p.expectStatus(p.stranger, 404, "POST", "/v1/updates/"+id+"/evidence", link)
	p.expectStatus(p.author, 404, "GET", "/v1/evidence/"+e.ID+"/content", nil) // a link has no content

	res, f := p.upload(p.author, id, reportMeta, "notes.txt", []byte("Minutes of the working group, 12 May 2015.\n"))
	if res.StatusCode != 201 {
		t.Fatalf("text upload: %d %s", res.StatusCode, f)
	}
	var file struct{ ID string }
	_ = json.Unmarshal(f, &file)
	var list struct{ Items []struct{ ID string } }
	_ = json.Unmarshal(p.expectStatus(p.viewer, 200, "GET", "/v1/updates/"+id+"/evidence", nil), &list)
	if len(list.Items) != 2 {
		t.Fatalf("evidence list: %+v", list)
	}
	p.expectStatus(p.viewer, 403, "DELETE", "/v1/evidence/"+file.ID, nil)
	p.expectStatus(p.author, 204, "DELETE", "/v1/evidence/"+file.ID, nil)
	if n := p.count(t, "blobs"); n != 0 {
		t.Errorf("deleted evidence left %d blobs", n)
	}
}

// TestTruncatedUploadIsRefused: a body that ends before the multipart's closing boundary is a
// cut-off upload, whether it ends within the first bytes or after megabytes.
func TestTruncatedUploadIsRefused(t *testing.T) {
	p := newProgressFixture(t)
	id, _ := p.draft(p.author)
	for _, size := range []int{100, 1_500_000} {
		before := p.stateOf(t, id)
		ct, body := multipartBody(t, reportMeta, "minutes.pdf", pdf(min(size, fixtureUploadLimit-1)))
		body = body[:len(body)-60] // no closing boundary
		req, _ := http.NewRequest("POST", p.srv.URL+"/v1/updates/"+id+"/evidence", bytes.NewReader(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+p.author.token)
		res, err := p.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%d bytes cut short: %d %s", size, res.StatusCode, b)
		}
		if after := p.stateOf(t, id); after != before || p.count(t, "blob_chunks") != int64(0) {
			t.Errorf("%d bytes cut short left something: %v -> %v", size, before, after)
		}
	}
}

// TestEvidenceRanges: a download answers Range with 206, several ranges as
// multipart/byteranges, If-Range only while the file is current, and a range outside the file
// with a 416 problem that says the file's size.
func TestEvidenceRanges(t *testing.T) {
	p := newProgressFixture(t)
	id, _ := p.draft(p.author)
	content := pdf(5000)
	res, b := p.upload(p.author, id, reportMeta, "minutes.pdf", content)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.StatusCode, b)
	}
	var e struct {
		ContentURL string `json:"content_url"`
		SHA256     string
	}
	_ = json.Unmarshal(b, &e)
	get := func(header ...string) (*http.Response, []byte) {
		return p.get(e.ContentURL, append(p.author.auth(), header...)...)
	}

	res, b = get("Range", "bytes=0-9,4990-")
	if mediaType, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); res.StatusCode != http.StatusPartialContent ||
		mediaType != "multipart/byteranges" || !bytes.Contains(b, content[4990:]) {
		t.Errorf("two ranges: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res, b = get("Range", "bytes=10-19", "If-Range", `"`+e.SHA256+`"`); res.StatusCode != http.StatusPartialContent ||
		!bytes.Equal(b, content[10:20]) || res.Header.Get("Content-Range") != "bytes 10-19/5000" {
		t.Errorf("If-Range current: %d %q", res.StatusCode, res.Header.Get("Content-Range"))
	}
	if res, b = get("Range", "bytes=10-19", "If-Range", `"0000"`); res.StatusCode != http.StatusOK || !bytes.Equal(b, content) {
		t.Errorf("If-Range stale: %d, %d bytes", res.StatusCode, len(b))
	}
	res, b = get("Range", "bytes=9000-")
	pr := p.mustProblem(res, b, http.StatusRequestedRangeNotSatisfiable)
	if res.Header.Get("Content-Range") != "bytes */5000" || pr.Detail == "" || res.Header.Get("Content-Disposition") != "" {
		t.Errorf("416: Content-Range %q, Content-Disposition %q, %+v", res.Header.Get("Content-Range"), res.Header.Get("Content-Disposition"), pr)
	}
}
