package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/logging"
	"github.com/naptracker/naptracker/internal/nap"
	"github.com/naptracker/naptracker/internal/postgres"
)

// storedFile uploads content as evidence of a draft and returns the evidence's id and its
// digest.
func (p *progressFixture) storedFile(t *testing.T, update string, content []byte) (id, digest string) {
	t.Helper()
	res, b := p.upload(p.author, update, map[string]any{"kind": "report", "title": map[string]string{"en": "Minutes"}, "visibility": "public"},
		"minutes.pdf", content)
	var e struct{ ID, SHA256 string }
	if res.StatusCode != http.StatusCreated || json.Unmarshal(b, &e) != nil {
		t.Fatalf("upload: %d %s", res.StatusCode, b)
	}
	return e.ID, e.SHA256
}

// asSuperuser runs statements as whoever owns the database, with the content triggers off, as
// a tamperer with that power would.
func (p *progressFixture) asSuperuser(t testing.TB, statements ...string) {
	t.Helper()
	err := p.db.Gorm().Transaction(func(tx *gorm.DB) error {
		for _, sql := range append([]string{`SET LOCAL session_replication_role = replica`}, statements...) {
			if err := tx.Exec(sql).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStoredContentIsFrozen: the database refuses any change to the bytes of evidence, whoever
// asks, short of turning its triggers off.
func TestStoredContentIsFrozen(t *testing.T) {
	p := newProgressFixture(t)
	update, _ := p.draft(p.author)
	_, digest := p.storedFile(t, update, pdf(5000))
	for _, sql := range []string{
		`UPDATE blob_chunks SET data = 'forged' WHERE sha256 = ?`,
		`DELETE FROM blob_chunks WHERE sha256 = ?`,
		`UPDATE blobs SET size_bytes = 1 WHERE sha256 = ?`,
		`DELETE FROM blobs WHERE sha256 = ?`,
		`TRUNCATE blob_chunks`,
		`TRUNCATE blobs CASCADE`,
	} {
		var args []any
		if strings.Contains(sql, "?") {
			args = append(args, digest)
		}
		if err := p.db.Gorm().Exec(sql, args...).Error; err == nil || !strings.Contains(err.Error(), "cannot change") && !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", sql, err)
		}
	}
}

// TestAlteredContentNeverReachesAClient: bytes changed behind the database's back are never
// served under the recorded digest: before the first byte the answer is a 500 problem that
// says so, after it the connection is cut; the verification of the trail names the evidence.
func TestAlteredContentNeverReachesAClient(t *testing.T) {
	p := newProgressFixture(t)
	var logs syncBuffer
	prev := slog.Default()
	slog.SetDefault(logging.New(&logs, slog.LevelInfo))
	t.Cleanup(func() { slog.SetDefault(prev) })
	auditor := p.newCaller(nap.RoleAuditor, "")
	update, _ := p.draft(p.author)
	small := pdf(5000)
	id, digest := p.storedFile(t, update, small)
	intact, _ := p.storedFile(t, update, pdf(6000))
	p.asSuperuser(t, `UPDATE blob_chunks SET data = overlay(data placing 'X' from 100 for 1) WHERE sha256 = '`+digest+`'`)

	for _, rng := range []string{"", "bytes=0-99"} {
		res, b := p.get("/v1/evidence/"+id+"/content", p.author.auth()...)
		if rng != "" {
			res, b = p.get("/v1/evidence/"+id+"/content", append(p.author.auth(), "Range", rng)...)
		}
		problem := p.mustProblem(res, b, http.StatusInternalServerError)
		if !strings.Contains(problem.Detail, "does not match its digest") || bytes.Contains(b, small[:200]) {
			t.Errorf("altered content, Range %q: %s", rng, b)
		}
	}

	// A file of several chunks: the client gets the first ones, never the last, and never a
	// complete response.
	large := pdf(postgres.ChunkSize*2 + 1000)
	largeID := p.fileOfChunks(t, update, large)
	var largeDigest string
	p.db.Gorm().Raw(`SELECT sha256 FROM evidence WHERE id = ?`, largeID).Scan(&largeDigest)
	p.asSuperuser(t, `UPDATE blob_chunks SET data = overlay(data placing 'X' from 10 for 1) WHERE seq = 1 AND sha256 = '`+largeDigest+`'`)
	req, _ := http.NewRequest("GET", p.srv.URL+"/v1/evidence/"+largeID+"/content", nil)
	req.Header.Set("Authorization", "Bearer "+p.author.token)
	res, err := p.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || err == nil || len(got) > 2*postgres.ChunkSize {
		t.Errorf("a large altered file: %d, %d of %d bytes, %v", res.StatusCode, len(got), len(large), err)
	}

	// A short chunk is an error, never a loop.
	p.asSuperuser(t, `UPDATE blob_chunks SET data = substr(data, 1, 10) WHERE sha256 = '`+digest+`'`)
	res2, b := p.get("/v1/evidence/"+id+"/content", p.author.auth()...)
	p.mustProblem(res2, b, http.StatusInternalServerError)

	// Each fault is logged at error level, the cut download too.
	if n := strings.Count(logs.String(), `"level":"ERROR","msg":"stored data does not match its record`); n < 4 {
		t.Errorf("%d faults logged at error level, want 4:\n%s", n, logs.String())
	}

	// The verification names both, and not the intact one.
	var v struct {
		Valid    bool
		Evidence []string `json:"evidence_mismatches"`
		Problems []string
	}
	_ = json.Unmarshal(p.expectStatus(auditor, 200, "GET", "/v1/audit-events/verify", nil), &v)
	slices.Sort(v.Evidence)
	want := []string{id, largeID}
	slices.Sort(want)
	if v.Valid || !slices.Equal(v.Evidence, want) || slices.Contains(v.Evidence, intact) || len(v.Problems) != 2 {
		t.Errorf("verify after altering %v: %+v", want, v)
	}
}

// fileOfChunks stores content larger than the test server's upload limit as a draft's
// evidence, through the content store, and returns the evidence's id.
func (p *progressFixture) fileOfChunks(t *testing.T, update string, content []byte) string {
	t.Helper()
	blobs := p.db.Blobs()
	ctx := context.Background()
	b, err := blobs.Put(ctx, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	var id string
	err = p.db.InTx(ctx, func(ctx context.Context) error {
		if err := blobs.Store(ctx, b); err != nil {
			return err
		}
		id, err = p.db.CreateEvidence(ctx, "", nap.Evidence{UpdateID: update, Kind: "report", Title: nap.Text{"en": "Large"},
			Filename: "large.pdf", MediaType: "application/pdf", SHA256: b.SHA256, SizeBytes: b.Size, Visibility: nap.VisibilityPublic})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestUploadBesideADeletionOfTheSameBytes: uploading bytes identical to evidence being
// deleted at the same moment succeeds, and the new evidence's bytes stay; the content that no
// evidence refers to any more is removed, as the audit trail records.
func TestUploadBesideADeletionOfTheSameBytes(t *testing.T) {
	p := newProgressFixture(t)
	update, _ := p.draft(p.author)
	for round := range 5 {
		content := pdf(3000 + round)
		old, digest := p.storedFile(t, update, content)
		var wg sync.WaitGroup
		var uploaded []byte
		var status int
		wg.Go(func() {
			res, b := p.upload(p.author, update, map[string]any{"kind": "report", "title": map[string]string{"en": "Again"}}, "again.pdf", content)
			status, uploaded = res.StatusCode, b
		})
		wg.Go(func() { p.expectStatus(p.author, 204, "DELETE", "/v1/evidence/"+old, nil) })
		wg.Wait()
		var e struct{ ID, SHA256 string }
		if status != http.StatusCreated || json.Unmarshal(uploaded, &e) != nil || e.SHA256 != digest {
			t.Fatalf("round %d: the upload beside the deletion: %d %s", round, status, uploaded)
		}
		res, b := p.get("/v1/evidence/"+e.ID+"/content", p.author.auth()...)
		if res.StatusCode != 200 || !bytes.Equal(b, content) {
			t.Fatalf("round %d: the new evidence's content: %d, %d bytes", round, res.StatusCode, len(b))
		}
	}
	// Deleting evidence whose bytes nothing else refers to removes them, on the record.
	id, digest := p.storedFile(t, update, pdf(4321))
	p.expectStatus(p.author, 204, "DELETE", "/v1/evidence/"+id, nil)
	var left, released int64
	if err := p.db.LinkCommitted(context.Background()); err != nil { // as every reader of the trail does
		t.Fatal(err)
	}
	p.db.Gorm().Raw(`SELECT count(*) FROM blobs WHERE sha256 = ?`, digest).Scan(&left)
	p.db.Gorm().Raw(`SELECT count(*) FROM audit_events WHERE action = 'content.release' AND before ->> 'sha256' = ?`, digest).Scan(&released)
	if left != 0 || released != 1 {
		t.Errorf("after deleting the only evidence of its bytes: %d copies left, %d releases recorded", left, released)
	}
}

// TestSlowAndStalledUploads: an upload that keeps sending, however slowly, is taken; one that
// stops sending for longer than the idle timeout is cut off with 408 and stores nothing.
func TestSlowAndStalledUploads(t *testing.T) {
	p := newProgressFixture(t)
	h, err := httpapi.New(listening(t, p.dsn, p.authz, httpapi.Deps{Service: p.svc, Authorizer: p.authz, Ready: p.app.Ping,
		Limits: httpapi.Limits{UploadIdle: time.Second, MaxUploadBytes: fixtureUploadLimit}}))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h)
	update, _ := p.draft(p.author)
	// send uploads content at about rate bytes a second, pausing for stall halfway.
	send := func(content []byte, rate int, stall time.Duration) (int, []byte) {
		ct, body := multipartBody(t, map[string]any{"kind": "report", "title": map[string]string{"en": "Slow"}}, "slow.pdf", content)
		r, w := io.Pipe()
		go func() {
			step := rate / 10
			for i := 0; i < len(body); i += step {
				if i >= len(body)/2 && i-step < len(body)/2 {
					time.Sleep(stall)
				}
				if _, err := w.Write(body[i:min(i+step, len(body))]); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			w.Close()
		}()
		req, _ := http.NewRequest("POST", srv.URL+"/v1/updates/"+update+"/evidence", r)
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+p.author.token)
		res, err := srv.Client().Do(req)
		if err != nil {
			return 0, []byte(err.Error()) // the connection was closed on the client: allowed
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	blobs, evidence := p.count(t, "blobs"), p.count(t, "evidence")
	// Four seconds and more, at 60 KB a second: four times the idle timeout, never idle.
	if status, b := send(pdf(240_000), 60_000, 0); status != http.StatusCreated {
		t.Fatalf("a slow, steady upload: %d %s", status, b)
	}
	if p.count(t, "blobs") != blobs+1 {
		t.Fatal("the slow upload's content is not stored once")
	}
	status, b := send(pdf(100_000), 60_000, 2500*time.Millisecond)
	if status != 0 && (status != http.StatusRequestTimeout || !bytes.Contains(b, []byte("sent nothing"))) {
		t.Errorf("a stalled upload: %d %s", status, b)
	}
	if p.count(t, "blobs") != blobs+1 || p.count(t, "evidence") != evidence+1 {
		t.Errorf("a stalled upload stored something: %d blobs, %d evidence", p.count(t, "blobs"), p.count(t, "evidence"))
	}
}
