package nap

// Permission is an action on a kind of object, as the access policy names it.
type Permission struct {
	Object string
	Action string
}

func (p Permission) String() string { return p.Object + ":" + p.Action }

// The permissions operations require. policies/policy.csv grants them to roles.
var (
	CreateOrganization = Permission{"organization", "create"}
	UpdateOrganization = Permission{"organization", "update"}
	ReadUsers          = Permission{"user", "read"}
	CreateUser         = Permission{"user", "create"}
	UpdateUser         = Permission{"user", "update"}
	ReadMemberships    = Permission{"membership", "read"}
	GrantMembership    = Permission{"membership", "grant"}
	RevokeMembership   = Permission{"membership", "revoke"}
	ReadTokens         = Permission{"token", "read"}
	IssueToken         = Permission{"token", "issue"}
	RevokeToken        = Permission{"token", "revoke"}
	CreatePlan         = Permission{"plan", "create"}
	UpdatePlan         = Permission{"plan", "update"}
	CreatePeriod       = Permission{"period", "create"}
	UpdatePeriod       = Permission{"period", "update"}
	LockPeriod         = Permission{"period", "lock"}
	OpenPeriod         = Permission{"period", "open"}
	CreateMeasure      = Permission{"measure", "create"}
	UpdateMeasure      = Permission{"measure", "update"}
	CreateIndicator    = Permission{"indicator", "create"}
	UpdateIndicator    = Permission{"indicator", "update"}
	CreateUpdate       = Permission{"update", "create"}
	EditUpdate         = Permission{"update", "edit"}
	SubmitUpdate       = Permission{"update", "submit"}
	WithdrawUpdate     = Permission{"update", "withdraw"}
	SignOffUpdate      = Permission{"update", "sign_off"}
	ReturnUpdate       = Permission{"update", "return"}
	ApproveUpdate      = Permission{"update", "approve"}
	RejectUpdate       = Permission{"update", "reject"}
	AddEvidence        = Permission{"evidence", "add"}
	DeleteEvidence     = Permission{"evidence", "delete"}
	ReadAudit          = Permission{"audit", "read"}
	ReadNotifications  = Permission{"notification", "read"}
)

// The read rights, which no operation requires but which decide what every read shows (see
// Scope). Reading updates in every state is granted in a domain: an organization's, or "*"
// for all of them. The others are not tied to an organization: a role grants them wherever it
// is held.
var (
	ReadUpdates          = Permission{"update", "read"}          // updates in every state, evidence too
	ReadPublishedPartner = Permission{"update", "read_partners"} // approved updates published to partners
	ReadPublishedPublic  = Permission{"update", "read_public"}   // approved updates published to everyone
	ReadDraftPlans       = Permission{"plan", "read_draft"}      // plans still in draft, and what they hold
)

// ReadRights lists the read rights.
var ReadRights = []Permission{ReadUpdates, ReadPublishedPartner, ReadPublishedPublic, ReadDraftPlans}

// ActionPermission is the permission each review action requires.
var ActionPermission = map[ReviewAction]Permission{
	ActionSubmit: SubmitUpdate, ActionSignOff: SignOffUpdate, ActionReturn: ReturnUpdate,
	ActionApprove: ApproveUpdate, ActionReject: RejectUpdate, ActionWithdraw: WithdrawUpdate,
}

// Permissions lists every permission an operation may require.
var Permissions = []Permission{CreateOrganization, UpdateOrganization, ReadUsers, CreateUser, UpdateUser,
	ReadMemberships, GrantMembership, RevokeMembership, ReadTokens, IssueToken, RevokeToken,
	CreatePlan, UpdatePlan, CreatePeriod, UpdatePeriod, LockPeriod, OpenPeriod, CreateMeasure, UpdateMeasure,
	CreateIndicator, UpdateIndicator, CreateUpdate, EditUpdate, SubmitUpdate, WithdrawUpdate,
	SignOffUpdate, ReturnUpdate, ApproveUpdate, RejectUpdate, AddEvidence, DeleteEvidence, ReadAudit, ReadNotifications}

// Domains name where a role holds.
const DomainAll = "*"

// OrganizationDomain is the domain of an organization's own work.
func OrganizationDomain(orgID string) string { return "org:" + orgID }

// UserDomain is the domain of a user's own things, such as their tokens.
func UserDomain(userID string) string { return "user:" + userID }

// RoleAnonymous is the role every caller holds everywhere, signed in or not: what the policy
// grants it, anyone may do.
const RoleAnonymous = "anonymous"

// Subject names a user to the access policy.
func Subject(userID string) string { return "user:" + userID }
