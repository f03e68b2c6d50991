package nap

import "testing"

// TestTransition checks every state × every action × both plan settings against the
// workflow of PRODUCT.md §3, written out as the table of what is allowed.
func TestTransition(t *testing.T) {
	type key struct {
		from    UpdateState
		action  ReviewAction
		signOff bool
	}
	allowed := map[key]UpdateState{}
	for _, signOff := range []bool{true, false} {
		allowed[key{UpdateDraft, ActionSubmit, signOff}] = UpdateSubmitted
		allowed[key{UpdateReturned, ActionSubmit, signOff}] = UpdateSubmitted
		allowed[key{UpdateDraft, ActionWithdraw, signOff}] = UpdateWithdrawn
		allowed[key{UpdateSubmitted, ActionWithdraw, signOff}] = UpdateWithdrawn
		allowed[key{UpdateReturned, ActionWithdraw, signOff}] = UpdateWithdrawn
		allowed[key{UpdateSubmitted, ActionReturn, signOff}] = UpdateReturned
		allowed[key{UpdateSignedOff, ActionReturn, signOff}] = UpdateReturned
		allowed[key{UpdateSignedOff, ActionApprove, signOff}] = UpdateApproved
		allowed[key{UpdateSignedOff, ActionReject, signOff}] = UpdateRejected
	}
	allowed[key{UpdateSubmitted, ActionSignOff, true}] = UpdateSignedOff
	allowed[key{UpdateSubmitted, ActionApprove, false}] = UpdateApproved
	allowed[key{UpdateSubmitted, ActionReject, false}] = UpdateRejected

	n := 0
	for _, from := range UpdateStates {
		for _, action := range ReviewActions {
			for _, signOff := range []bool{true, false} {
				n++
				want, ok := allowed[key{from, action, signOff}]
				got, err := Transition(from, action, signOff, "because")
				switch {
				case ok && (err != nil || got != want):
					t.Errorf("%s --%s--> (sign-off %v): %q, %v; want %s", from, action, signOff, got, err, want)
				case !ok && ErrorCode(err) != ECONFLICT:
					t.Errorf("%s --%s--> (sign-off %v): %q, %v; want a conflict", from, action, signOff, got, err)
				}
				if ok && action.NeedsReason() {
					if _, err := Transition(from, action, signOff, "  "); ErrorCode(err) != EINVALID {
						t.Errorf("%s --%s--> without a reason: %v", from, action, err)
					}
				}
			}
		}
	}
	if n != len(UpdateStates)*len(ReviewActions)*2 {
		t.Fatalf("checked %d cases", n)
	}
	if _, err := Transition(UpdateDraft, "publish", true, ""); ErrorCode(err) != EINVALID {
		t.Errorf("unknown action: %v", err)
	}
}

func TestContentDigest(t *testing.T) {
	v1, v2 := 1.0, 2.0
	u := ProgressUpdate{Meta: Meta{ID: "u"}, Narrative: Text{"en": "Done", "ru": "Сделано"}, IndicatorValues: []IndicatorValue{
		{IndicatorID: "b", Value: &v1}, {IndicatorID: "a", Value: &v2, Disaggregation: map[string]string{"sex": "f", "region": "x"}},
	}}
	d := ContentDigest(u, []string{"2", "1"})
	u.IndicatorValues[0], u.IndicatorValues[1] = u.IndicatorValues[1], u.IndicatorValues[0]
	if ContentDigest(u, []string{"1", "2"}) != d {
		t.Error("the digest depends on the order of values or evidence")
	}
	u.Narrative = Text{"en": "Done.", "ru": "Сделано"}
	if ContentDigest(u, []string{"1", "2"}) == d {
		t.Error("the digest ignores the narrative")
	}
	if ContentDigest(u, []string{"1", "3"}) == ContentDigest(u, []string{"1", "2"}) {
		t.Error("the digest ignores the evidence")
	}
	empty := ProgressUpdate{Meta: Meta{ID: "e"}, Challenges: Text{}, IndicatorValues: []IndicatorValue{}}
	if ContentDigest(empty, []string{}) != ContentDigest(ProgressUpdate{Meta: Meta{ID: "e"}}, nil) {
		t.Error("missing and empty content digest differently")
	}
}
