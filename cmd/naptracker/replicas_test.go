package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/naptracker/naptracker/internal/config"
	"github.com/naptracker/naptracker/internal/httpapi"
	"github.com/naptracker/naptracker/internal/pgtest"
	napclient "github.com/naptracker/naptracker/sdk/go"
)

// TestReplicas serves the API from a private primary with a streaming replica (PostgreSQL's
// own replication, started by the test) and shows where reads go. Pausing the replica's replay
// freezes it in the past, so that what a read sees tells where it was served.
func TestReplicas(t *testing.T) {
	cluster := pgtest.StartCluster(t)
	owner := cluster.NewDatabase(t)
	primary, replica := pgtest.AppDSN(owner), pgtest.AppDSN(cluster.OnReplica(owner))
	s := startSDKServerOn(t, owner, func(o *config.Options) {
		o.DatabaseURL, o.ReplicaURLs, o.MaxReplicaLag = primary, []string{replica}, time.Minute
	})
	onReplica, err := sql.Open("pgx", cluster.OnReplica(owner)) // as its superuser, to pause it
	if err != nil {
		t.Fatal(err)
	}
	defer onReplica.Close()
	replay := func(t *testing.T, what string) {
		t.Helper()
		if _, err := onReplica.Exec(`SELECT pg_wal_replay_` + what + `()`); err != nil {
			t.Fatal(err)
		}
	}
	awaitReplica(t, s.url, "streaming")
	draft := draftUpdater(t, s)
	focal, coordinator := s.tokens["focal_point"], s.tokens["coordinator"]

	var update, etag string
	measureID := measureOf(t, s)
	ok := t.Run("reads go to the replica, and an author reads its own writes at once", func(t *testing.T) {
		replay(t, "pause")
		defer replay(t, "resume")
		update = draft(t)
		// The author's next read sees its write: its reads stay on the primary until a replica
		// has replayed past it.
		status, u := readUpdate(t, s.url, update, focal)
		if status != http.StatusOK {
			t.Fatalf("the author reads its new update: %d", status)
		}
		etag = u.etag
		// The coordinator, who wrote nothing, reads from the paused replica, which has not
		// seen the update.
		if status, _ := readUpdate(t, s.url, update, coordinator); status != http.StatusNotFound {
			t.Errorf("the coordinator's read was not served by the paused replica: %d", status)
		}
		var sessions int
		if err := onReplica.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND datname = current_database()`,
			pgtest.AppRole).Scan(&sessions); err != nil || sessions == 0 {
			t.Errorf("the server has no session on the replica: %d %v", sessions, err)
		}
		replay(t, "resume")
		eventually(t, "the coordinator reads the update once the replica replays it", func() bool {
			status, _ := readUpdate(t, s.url, update, coordinator)
			return status == http.StatusOK
		})
		replay(t, "pause")

		// So does a measure, which is read in one statement of its own: the public, who wrote
		// nothing, read it from the paused replica as it was.
		measure := s.url + "/v1/measures/" + measureID
		_, was := get(t, measure, "")
		changed := request(t, http.MethodPatch, measure, coordinator, `{"provenance_note": "Checked against the decree."}`,
			http.Header{"If-Match": {request(t, http.MethodGet, measure, coordinator, "", nil).header.Get("ETag")}, "Content-Type": {"application/merge-patch+json"}})
		if changed.status != http.StatusOK {
			t.Fatalf("the coordinator edits the measure: %d %s", changed.status, changed.body)
		}
		if _, now := get(t, measure, ""); string(now) != string(was) {
			t.Errorf("the public's read of the measure was not served by the paused replica: %s", now)
		}
		replay(t, "resume")
		eventually(t, "the public reads the measure as edited once the replica replays it", func() bool {
			_, now := get(t, measure, "")
			return strings.Contains(string(now), "Checked against the decree.")
		})

		// With the replica streaming, every edit is there for its author on the next read.
		for i := range 10 {
			text := fmt.Sprintf("Edit %d, read back at once.", i)
			etag = edit(t, s.url, focal, update, etag, text)
			if _, u := readUpdate(t, s.url, update, focal); u.Narrative.En != text {
				t.Fatalf("the author's next read shows %q, not its edit %q", u.Narrative.En, text)
			}
		}
	})
	if !ok {
		return // the others build on it
	}

	t.Run("a replica further behind than --max-replica-lag is left out", func(t *testing.T) {
		opts := config.Defaults()
		opts.DatabaseURL, opts.ReplicaURLs, opts.MaxReplicaLag = primary, []string{replica}, time.Second
		strict := serveInProcess(t, opts)
		awaitReplica(t, strict, "streaming")
		replay(t, "pause")
		defer replay(t, "resume")
		const text = "Written while the replica is paused."
		etag = edit(t, s.url, focal, update, etag, text)
		awaitReplica(t, strict, "lagging")
		// Through the strict server, even those who wrote nothing now read from the primary.
		if _, u := readUpdate(t, strict, update, coordinator); u.Narrative.En != text {
			t.Errorf("a read went to a replica beyond the lag: %q", u.Narrative.En)
		}
	})

	t.Run("when the replica stops, reads go on from the primary", func(t *testing.T) {
		awaitReplica(t, s.url, "streaming")
		const text = "Written before the replica stops."
		etag = edit(t, s.url, focal, update, etag, text)
		written := time.Now()
		eventually(t, "the replica has the edit", func() bool {
			_, u := readUpdate(t, s.url, update, coordinator)
			return u.Narrative.En == text
		})
		t.Logf("others read the edit from the replica %s after it was made", time.Since(written).Round(time.Millisecond))
		_, before := get(t, s.url+"/v1/plans", "")
		_, measureBefore := get(t, s.url+"/v1/measures/"+measureID, "")
		if err := cluster.StopReplica(); err != nil {
			t.Fatal(err)
		}
		// Not one read fails: a query the replica cannot answer is asked of the primary.
		for range 20 {
			if status, plans := get(t, s.url+"/v1/plans", ""); status != http.StatusOK || string(plans) != string(before) {
				t.Fatalf("plans with the replica stopped: %d %s", status, plans)
			}
			if status, m := get(t, s.url+"/v1/measures/"+measureID, ""); status != http.StatusOK || string(m) != string(measureBefore) {
				t.Fatalf("the measure with the replica stopped: %d %s", status, m)
			}
			if status, u := readUpdate(t, s.url, update, coordinator); status != http.StatusOK || u.Narrative.En != text {
				t.Fatalf("the update with the replica stopped: %d %q", status, u.Narrative.En)
			}
		}
		awaitReplica(t, s.url, "down")
		if err := cluster.StartReplica(); err != nil {
			t.Fatal(err)
		}
		awaitReplica(t, s.url, "streaming")
	})
}

// readUpdate reads a progress update as the holder of token; u.etag is its ETag.
func readUpdate(t *testing.T, base, id, token string) (status int, u readUpdateBody) {
	t.Helper()
	res := request(t, http.MethodGet, base+"/v1/updates/"+id, token, "", nil)
	if res.status == http.StatusOK {
		if err := json.Unmarshal(res.body, &u); err != nil {
			t.Fatal(err)
		}
		u.etag = res.header.Get("ETag")
	}
	return res.status, u
}

type readUpdateBody struct {
	Narrative struct{ En string } `json:"narrative"`
	etag      string
}

// edit sets, as the holder of token, the narrative of the update whose ETag is etag, and
// returns the new ETag.
func edit(t *testing.T, base, token, id, etag, text string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"narrative": map[string]string{"en": text}})
	res := request(t, http.MethodPatch, base+"/v1/updates/"+id, token, string(body), http.Header{"If-Match": {etag}, "Content-Type": {"application/json"}})
	if res.status != http.StatusOK {
		t.Fatalf("edit: %d %s", res.status, res.body)
	}
	return res.header.Get("ETag")
}

// measureOf is the id of the measure the focal point reports on.
func measureOf(t *testing.T, s *sdkServer) string {
	t.Helper()
	var found struct{ Items []struct{ ID string } }
	_, b := get(t, s.url+"/v1/plans/"+s.planID(t).String()+"/measures?code="+s.measure.Code, "")
	if err := json.Unmarshal(b, &found); err != nil || len(found.Items) != 1 {
		t.Fatalf("measure %s: %v %s", s.measure.Code, err, b)
	}
	return found.Items[0].ID
}

// draftUpdater returns a function by which the focal point drafts a progress update on the
// measure it reports on, returning its id.
func draftUpdater(t *testing.T, s *sdkServer) func(t *testing.T) string {
	ctx := context.Background()
	focal := s.client(t, "focal_point")
	measure := uuid.MustParse(measureOf(t, s))
	periods, err := focal.ListReportingPeriodsWithResponse(ctx, s.planID(t), &napclient.ListReportingPeriodsParams{Limit: ptr[int64](500)})
	if err != nil || periods.JSON200 == nil || len(periods.JSON200.Items) == 0 {
		t.Fatalf("periods: %v %s", err, body(periods))
	}
	period := periods.JSON200.Items[len(periods.JSON200.Items)-1].ID
	return func(t *testing.T) string {
		t.Helper()
		created, err := focal.CreateProgressUpdateWithResponse(ctx, measure, nil, napclient.NewProgressUpdate{
			PeriodID: period, ProposedStatus: napclient.ReportedStatusInProgress,
			Narrative: &napclient.TextInput{En: ptr("Drafted while a replica follows the primary.")},
		})
		if err != nil || created.JSON201 == nil {
			t.Fatalf("create update: %v %s", err, body(created))
		}
		return created.JSON201.ID.String()
	}
}

// awaitReplica waits until /readyz says the server's one replica is in state, and answers 200
// whatever the replica's state.
func awaitReplica(t *testing.T, url, state string) {
	t.Helper()
	var last httpapi.Health
	eventually(t, "the replica is "+state, func() bool {
		status, b := get(t, url+"/readyz", "")
		if status != http.StatusOK {
			t.Fatalf("/readyz: %d %s", status, b)
		}
		last = httpapi.Health{}
		if err := json.Unmarshal(b, &last); err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(last.Replicas, func(r httpapi.Replica) bool { return r.State == state })
	})
	if len(last.Replicas) != 1 {
		t.Errorf("/readyz replicas: %+v", last.Replicas)
	}
}

// get reads url with token (none when "") and returns the status and body.
func get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	res := request(t, http.MethodGet, url, token, "", nil)
	return res.status, res.body
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// request sends body to url with token (none when "") and header.
func request(t *testing.T, method, url, token, body string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	maps.Copy(req.Header, header)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// eventually polls cond until it holds, failing the test after 30 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}
