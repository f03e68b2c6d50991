package loadtest

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Bounds of what discovery reads, so a database with many plans and measures costs no more to
// start on than the reference seed: a sample, never everything.
const (
	measuresPerPlan    = 200 // measures sampled per plan: its first page
	maxReportingOrgs   = 4   // lead organizations that get a focal point and an approver
	membershipSettling = 1500 * time.Millisecond
)

// emailPrefix marks the users a load test creates, so the next run reuses them.
const emailPrefix = "loadtest-"

// plan is a sampled plan with what its workers need.
type plan struct {
	id              string
	requiresSignOff bool
	openPeriods     []string
	measures        []measure
}

type measure struct {
	id   string
	lead string
}

// actor is a user with a token issued for this run.
type actor struct {
	email, userID, token, tokenID string
}

// slot is one measure, period and organization for which a focal point reports: one update
// in the works at a time.
type slot struct {
	plan      *plan
	measureID string
	periodID  string
	org       *orgActors
}

// orgActors are an organization's focal point and approver.
type orgActors struct {
	code              string
	focal, approver   actor
	measuresReporting int
}

// world is what the workers act on: the sample of plans and measures and the actors.
type world struct {
	plans       []*plan
	orgs        []*orgActors
	slots       []slot
	partners    []actor
	coordinator actor
	leads       []string     // the organizations that lead sampled measures, those leading most first
	viewers     []actor      // viewers of some of leads, one each, who follow their organization's changes
	filters     []url.Values // measure-list filters partners use
}

func discover(ctx context.Context, c *client, admin string, rng *rand.Rand, maxPlans int) (*world, error) {
	var plans page[struct {
		ID              string `json:"id"`
		Status          string `json:"status"`
		RequiresSignOff bool   `json:"requires_sign_off"`
	}]
	if _, err := c.expect(ctx, &plans, []int{200}, "GET", "/v1/plans?limit=500", admin, nil); err != nil {
		return nil, err
	}
	rng.Shuffle(len(plans.Items), func(i, j int) { plans.Items[i], plans.Items[j] = plans.Items[j], plans.Items[i] })
	w := &world{}
	leads := map[string]int{}
	articles := map[int]bool{}
	for _, p := range plans.Items {
		if len(w.plans) == maxPlans {
			break
		}
		if p.Status == "draft" { // partners do not see drafts
			continue
		}
		pl := &plan{id: p.ID, requiresSignOff: p.RequiresSignOff}
		var ms page[struct {
			ID       string `json:"id"`
			Lead     string `json:"lead"`
			Articles []int  `json:"articles"`
		}]
		if _, err := c.expect(ctx, &ms, []int{200}, "GET", fmt.Sprintf("/v1/plans/%s/measures?limit=%d", p.ID, measuresPerPlan), admin, nil); err != nil {
			return nil, err
		}
		if len(ms.Items) == 0 {
			continue
		}
		var periods page[struct {
			ID    string `json:"id"`
			State string `json:"state"`
		}]
		if _, err := c.expect(ctx, &periods, []int{200}, "GET", "/v1/plans/"+p.ID+"/periods?limit=500", admin, nil); err != nil {
			return nil, err
		}
		for _, rp := range periods.Items {
			if rp.State == "open" {
				pl.openPeriods = append(pl.openPeriods, rp.ID)
			}
		}
		for _, m := range ms.Items {
			pl.measures = append(pl.measures, measure{id: m.ID, lead: m.Lead})
			if len(pl.openPeriods) > 0 {
				leads[m.Lead]++
			}
			for _, a := range m.Articles {
				articles[a] = true
			}
		}
		w.plans = append(w.plans, pl)
	}
	if len(w.plans) == 0 {
		return nil, fmt.Errorf("no published plan with measures at %s", c.base)
	}

	// The organizations that lead most of the sampled measures report on them.
	orgs := make([]string, 0, len(leads))
	for code := range leads {
		orgs = append(orgs, code)
	}
	slices.SortFunc(orgs, func(a, b string) int { return cmp.Or(leads[b]-leads[a], strings.Compare(a, b)) })
	w.leads = orgs
	for _, code := range orgs[:min(len(orgs), maxReportingOrgs)] {
		w.orgs = append(w.orgs, &orgActors{code: code, measuresReporting: leads[code]})
	}
	for _, pl := range w.plans {
		for _, m := range pl.measures {
			for _, o := range w.orgs {
				if o.code != m.lead {
					continue
				}
				for _, period := range pl.openPeriods {
					w.slots = append(w.slots, slot{plan: pl, measureID: m.id, periodID: period, org: o})
				}
			}
		}
	}
	rng.Shuffle(len(w.slots), func(i, j int) { w.slots[i], w.slots[j] = w.slots[j], w.slots[i] })

	w.filters = []url.Values{{}, {"overdue": {"true"}}, {"overdue": {"false"}},
		{"status": {"no_information"}}, {"status": {"in_progress,partially_implemented"}}}
	for code := range leads {
		w.filters = append(w.filters, url.Values{"lead": {code}}, url.Values{"organization": {code}})
	}
	for a := range articles {
		w.filters = append(w.filters, url.Values{"article": {fmt.Sprint(a)}})
	}
	return w, nil
}

// enlist creates or reuses the load test's users, gives them their roles and issues each a
// token for the run: partners, and viewers of as many leading organizations as viewers asks.
func enlist(ctx context.Context, c *client, admin, runName string, w *world, partners, viewers int) error {
	type want struct {
		who        *actor
		name, role string
		org        string
		nth        int // which of several with the same role, from 1; 0 when one
	}
	wants := []want{{&w.coordinator, "Load test coordinator", "coordinator", "", 0}}
	w.partners = make([]actor, partners)
	for i := range w.partners {
		wants = append(wants, want{&w.partners[i], fmt.Sprintf("Load test partner %d", i+1), "partner", "", i + 1})
	}
	for _, o := range w.orgs {
		wants = append(wants,
			want{&o.focal, "Load test focal point, " + o.code, "focal_point", o.code, 0},
			want{&o.approver, "Load test approver, " + o.code, "approver", o.code, 0})
	}
	w.viewers = make([]actor, min(viewers, len(w.leads)))
	for i, code := range w.leads[:len(w.viewers)] {
		wants = append(wants, want{&w.viewers[i], "Load test viewer, " + code, "viewer", code, 0})
	}
	missing := map[string]*actor{}
	for _, x := range wants {
		local := x.role
		if x.org != "" {
			local += "-" + strings.ToLower(x.org)
		}
		if x.nth > 1 {
			local += fmt.Sprintf("-%d", x.nth)
		}
		x.who.email = emailPrefix + local + "@example.org"
		var u struct {
			ID string `json:"id"`
		}
		body := map[string]string{"email": x.who.email, "name": x.name}
		status, err := c.expect(ctx, &u, []int{http.StatusCreated, http.StatusConflict}, "POST", "/v1/users", admin, body)
		// An admin made a moment ago may not have reached the server's authorizer yet.
		for deadline := time.Now().Add(3 * time.Second); status == http.StatusForbidden && time.Now().Before(deadline); {
			time.Sleep(200 * time.Millisecond)
			status, err = c.expect(ctx, &u, []int{http.StatusCreated, http.StatusConflict}, "POST", "/v1/users", admin, body)
		}
		if err != nil {
			return err
		}
		if status == http.StatusConflict {
			missing[x.who.email] = x.who
		}
		x.who.userID = u.ID
	}
	if err := findUsers(ctx, c, admin, missing); err != nil {
		return err
	}

	granted := false
	for _, x := range wants {
		var ms struct {
			Items []struct {
				Role         string `json:"role"`
				Organization string `json:"organization"`
				Live         bool   `json:"live"`
			} `json:"items"`
		}
		if _, err := c.expect(ctx, &ms, []int{200}, "GET", "/v1/users/"+x.who.userID+"/memberships", admin, nil); err != nil {
			return err
		}
		if slices.ContainsFunc(ms.Items, func(m struct {
			Role         string `json:"role"`
			Organization string `json:"organization"`
			Live         bool   `json:"live"`
		}) bool {
			return m.Live && m.Role == x.role && m.Organization == x.org
		}) {
			continue
		}
		body := map[string]string{"role": x.role}
		if x.org != "" {
			body["organization"] = x.org
		}
		if _, err := c.expect(ctx, nil, []int{http.StatusCreated}, "POST", "/v1/users/"+x.who.userID+"/memberships", admin, body); err != nil {
			return err
		}
		granted = true
	}
	for _, x := range wants {
		var t struct {
			Token struct {
				ID string `json:"id"`
			} `json:"token"`
			Secret string `json:"secret"`
		}
		if _, err := c.expect(ctx, &t, []int{http.StatusCreated}, "POST", "/v1/users/"+x.who.userID+"/tokens", admin,
			map[string]any{"name": runName, "ttl_hours": 1}); err != nil {
			return err
		}
		x.who.token, x.who.tokenID = t.Secret, t.Token.ID
	}
	if granted {
		// A new role reaches the server's authorizer within a second.
		select {
		case <-time.After(membershipSettling):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// findUsers fills in the ids of users that exist already, walking the user list, which is in
// email order, until each is found.
func findUsers(ctx context.Context, c *client, admin string, missing map[string]*actor) error {
	cursor := ""
	for len(missing) > 0 {
		var users page[struct {
			ID    string `json:"id"`
			Email string `json:"email"`
		}]
		path := "/v1/users?limit=500"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		if _, err := c.expect(ctx, &users, []int{200}, "GET", path, admin, nil); err != nil {
			return err
		}
		for _, u := range users.Items {
			if a := missing[strings.ToLower(u.Email)]; a != nil {
				a.userID = u.ID
				delete(missing, strings.ToLower(u.Email))
			}
		}
		if users.NextCursor == "" {
			break
		}
		cursor = users.NextCursor
	}
	if len(missing) > 0 {
		return fmt.Errorf("users %v exist but are not in the user list", keys(missing))
	}
	return nil
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// revokeTokens revokes the tokens of the run; it runs on a fresh context, after the run's
// may have ended.
func revokeTokens(c *client, admin string, w *world) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all := append(append([]actor{w.coordinator}, w.partners...), w.viewers...)
	for _, o := range w.orgs {
		all = append(all, o.focal, o.approver)
	}
	for _, a := range all {
		if a.tokenID == "" {
			continue
		}
		if _, err := c.expect(ctx, nil, []int{http.StatusNoContent, http.StatusNotFound}, "DELETE", "/v1/tokens/"+a.tokenID, admin, nil); err != nil {
			return err
		}
	}
	return nil
}
