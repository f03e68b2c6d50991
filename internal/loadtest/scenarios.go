package loadtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// Operation names, as the report shows them.
const (
	opListMeasures    = "list-measures"
	opGetMeasure      = "get-measure"
	opGetMeasure304   = "get-measure-if-none-match"
	opPlanSummary     = "get-plan-summary"
	opListChanges     = "list-changes"
	opCreateUpdate    = "create-update"
	opEditUpdate      = "edit-update"
	opSubmitUpdate    = "submit-update"
	opSignOffUpdate   = "sign-off-update"
	opApproveUpdate   = "approve-update"
	opWithdrawUpdate  = "withdraw-update"
	maxPagesPerWalk   = 10 // a partner reads at most this many pages of one list
	measurePageLimit  = 50
	changesPageLimit  = 100
	partnerListWeight = 40 // of 100: walking a measure list
)

// partner does one thing a development partner does, by weight: walk a filtered measure list
// (40), read a measure (20), read it again with its ETag (20), read a plan's summary (10), or
// read the change feed on (10).
func (wk *worker) partner() {
	switch n := wk.rng.IntN(100); {
	case n < partnerListWeight:
		wk.listMeasures()
	case n < 60:
		wk.getMeasure(wk.pickMeasure())
	case n < 80:
		wk.revalidateMeasure()
	case n < 90:
		wk.call(opPlanSummary, "GET", "/v1/plans/"+wk.pickPlan().id+"/summary", wk.reader.token, nil, nil)
	default:
		wk.readFeed()
	}
}

// listMeasures walks a plan's measures with a filter, 50 at a time, following next cursors.
func (wk *worker) listMeasures() {
	p := wk.pickPlan()
	q := url.Values{}
	for k, v := range wk.w.filters[wk.rng.IntN(len(wk.w.filters))] {
		q[k] = v
	}
	q.Set("limit", fmt.Sprint(measurePageLimit))
	for range maxPagesPerWalk {
		res := wk.call(opListMeasures, "GET", "/v1/plans/"+p.id+"/measures?"+q.Encode(), wk.reader.token, nil, nil)
		if wk.over() || res.status != http.StatusOK {
			return
		}
		var pg page[json.RawMessage]
		if json.Unmarshal(res.body, &pg) != nil || pg.NextCursor == "" {
			return
		}
		q.Set("cursor", pg.NextCursor)
	}
}

func (wk *worker) getMeasure(id string) {
	res := wk.call(opGetMeasure, "GET", "/v1/measures/"+id, wk.reader.token, nil, nil)
	if res.status == http.StatusOK {
		wk.etags[id] = res.header.Get("ETag")
	}
}

// revalidateMeasure reads a measure it has read before with If-None-Match, as a caching
// client does; the answer is 304 unless the measure changed meanwhile.
func (wk *worker) revalidateMeasure() {
	for id, tag := range wk.etags { // any one: map order is random enough
		res := wk.call(opGetMeasure304, "GET", "/v1/measures/"+id, wk.reader.token, nil, nil, "If-None-Match", tag)
		if res.status == http.StatusOK {
			wk.etags[id] = res.header.Get("ETag")
		}
		return
	}
	wk.getMeasure(wk.pickMeasure())
}

// readFeed reads the next page of the change feed; at its end it stays there and polls.
func (wk *worker) readFeed() {
	res := wk.call(opListChanges, "GET", fmt.Sprintf("/v1/changes?after=%d&limit=%d", wk.feed, changesPageLimit), wk.reader.token, nil, nil)
	if res.status != http.StatusOK {
		return
	}
	var pg struct {
		NextCursor int64 `json:"next_cursor"`
	}
	if json.Unmarshal(res.body, &pg) == nil {
		wk.feed = pg.NextCursor
	}
}

// report takes one progress update through the workflow as its ministry and the coordinator
// would: the focal point drafts it, edits it (If-Match) and submits it, the ministry's approver
// signs it off where the plan asks for that, and the coordinator approves it — three different
// people, as separation of duties requires. A draft refused because the organization already
// has an update of that measure and period in the works is an expected conflict.
func (wk *worker) report() {
	s := wk.slots[wk.next%len(wk.slots)]
	wk.next++
	fp := s.org.focal.token
	percent := wk.rng.IntN(101)
	res := wk.call(opCreateUpdate, "POST", "/v1/measures/"+s.measureID+"/updates", fp, map[string]any{
		"period_id": s.periodID, "proposed_status": "in_progress", "progress_percent": percent, "visibility": "partners",
		"narrative": map[string]string{"en": "Load test: the working group met.", "ru": "Нагрузочный тест: рабочая группа собралась."},
	}, []int{http.StatusConflict})
	if res.status != http.StatusCreated {
		return
	}
	var u struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(res.body, &u) != nil || u.ID == "" {
		return
	}
	path := "/v1/updates/" + u.ID
	res = wk.call(opEditUpdate, "PATCH", path, fp, map[string]any{"progress_percent": min(percent+5, 100)}, nil,
		"If-Match", res.header.Get("ETag"))
	if res.status != http.StatusOK {
		wk.withdraw(path, fp)
		return
	}
	if res = wk.call(opSubmitUpdate, "POST", path+"/submit", fp, nil, nil); res.status != http.StatusOK {
		wk.withdraw(path, fp)
		return
	}
	if s.plan.requiresSignOff {
		if res = wk.call(opSignOffUpdate, "POST", path+"/sign-off", s.org.approver.token, nil, nil); res.status != http.StatusOK {
			wk.withdraw(path, fp)
			return
		}
	}
	wk.call(opApproveUpdate, "POST", path+"/approve", wk.w.coordinator.token, nil, nil)
}

// withdraw takes an update out of the works after a step failed, so its slot is free again.
func (wk *worker) withdraw(path, token string) {
	wk.call(opWithdrawUpdate, "POST", path+"/withdraw", token, nil, []int{http.StatusConflict})
}
